"""The Textual app: screens from the registry as modes, global keys, palette, help.

Nothing here imports torch. The first screen draws at once; torch is imported
in a background thread so it is warm by the time the first result is wanted.
"""
from __future__ import annotations

from typing import Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from .screens.registry import SCREENS, entry


def _goto_bindings() -> list[Binding]:
    return [Binding(s.key, f"goto('{s.id}')", s.title, show=False, id=f"goto.{s.id}",
                    tooltip=f"Open the {s.title} screen") for s in SCREENS if s.key]


class VgtuiApp(App):
    CSS_PATH = "vgtui.tcss"
    TITLE = "vgtui"
    SUB_TITLE = "vanishing and exploding gradients in RNNs"
    MODES = {s.id: s.factory() for s in SCREENS}
    BINDINGS = _goto_bindings() + [
        Binding("f1,question_mark", "help", "help", id="app.help",
                tooltip="Explain the current screen"),
        Binding("g", "pick_screen", "screens", id="app.screens",
                tooltip="List every screen and open one"),
        Binding("c", "copy_command", "as command", id="app.copy_command",
                tooltip="Show the vgtui command that prints this screen's figures"),
        Binding("ctrl+s", "save_svg", "SVG", id="app.screenshot",
                tooltip="Save an SVG screenshot in the current directory"),
        Binding("q", "quit", "quit", id="app.quit", tooltip="Leave vgtui"),
    ]

    def __init__(self, start_screen: str | None = None) -> None:
        super().__init__()
        self.start_screen = start_screen or SCREENS[0].id
        self.torch_version: str | None = None

    def on_mount(self) -> None:
        self.switch_mode(self.start_screen)
        # Only after the first screen is drawn: importing torch holds the GIL for a while.
        self.call_after_refresh(self._warm_torch)

    @work(thread=True, exclusive=True, group="warm-torch", exit_on_error=False)
    def _warm_torch(self) -> None:
        import torch  # the slow import, off the UI thread

        self.call_from_thread(self._torch_ready, torch.__version__)

    def _torch_ready(self, version: str) -> None:
        self.torch_version = version

    def action_goto(self, screen_id: str) -> None:
        self.switch_mode(screen_id)

    def action_pick_screen(self) -> None:
        from .widgets.pickers import ScreenPicker

        current = getattr(self.screen, "SCREEN_ID", None)
        entries = [(s.id, s.key, s.title, s.summary) for s in SCREENS]

        def chosen(screen_id: str | None) -> None:
            if screen_id:
                self.action_goto(screen_id)

        self.push_screen(ScreenPicker(entries, current), chosen)

    def action_copy_command(self) -> None:
        from .widgets.pickers import CommandBox

        command = self.screen.cli_command() if hasattr(self.screen, "cli_command") else None
        if not command:
            self.notify("This screen has no matching command-line lookup.", severity="warning")
            return
        self.copy_to_clipboard(command)
        self.push_screen(CommandBox(command))

    def action_save_svg(self) -> None:
        screen_id = getattr(self.screen, "SCREEN_ID", "") or "screen"
        path = self.save_screenshot(filename=None, path=".")
        self.notify(f"Saved {path}", title=f"screenshot of {screen_id}")

    def action_help(self) -> None:
        screen = self.screen
        if hasattr(screen, "show_help"):
            screen.show_help()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for s in SCREENS:
            yield SystemCommand(f"Go to {s.title}  [{s.key}]", s.summary,
                                lambda sid=s.id: self.action_goto(sid))
        if hasattr(screen, "palette_commands"):
            for name, help_text, callback in screen.palette_commands():
                yield SystemCommand(name, help_text, callback)
        yield SystemCommand("Help for this screen", "what it shows, how to read it, what to try",
                            self.action_help)
        yield from super().get_system_commands(screen)

    @staticmethod
    def screen_title(screen_id: str) -> str:
        return entry(screen_id).title

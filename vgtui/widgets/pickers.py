"""Small modal dialogs: the screen picker, the copy-as-command box, the command palette."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import CommandList, CommandPalette
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Label, LoadingIndicator, OptionList
from textual.widgets.option_list import Option

# Textual 8.2's OptionList measures its lines only once it has a size; Page Up / Page
# Down pressed before that (a fast typist right after opening a list) raise KeyError
# inside it. These two keep the key harmless: the list just does not move.


class PagingSafeOptionList(OptionList):
    def action_page_up(self) -> None:
        try:
            super().action_page_up()
        except KeyError:
            pass

    def action_page_down(self) -> None:
        try:
            super().action_page_down()
        except KeyError:
            pass


class Palette(CommandPalette):
    """Textual's command palette with two guards for fast typists: paging its list before
    the list is laid out does nothing, and a search that finishes after the palette has
    been closed (a key typed just after Enter starts one) leaves the removed list alone
    instead of failing on it (Textual 8.2 raises NoMatches there and stops the app)."""

    def _list_gone(self) -> bool:
        return not self.query(CommandList)

    def _action_command_list(self, action: str) -> None:
        try:
            super()._action_command_list(action)
        except KeyError:
            pass

    def _refresh_command_list(self, *args, **kwargs) -> None:
        if not self._list_gone():
            super()._refresh_command_list(*args, **kwargs)

    def _watch__list_visible(self) -> None:
        if not self._list_gone():
            super()._watch__list_visible()

    def _watch__show_busy(self) -> None:
        # Textual's own watcher is a coroutine with nothing to await, which is dropped
        # unawaited when the palette closes first; the same two class changes, at once.
        if not self._list_gone():
            self.query_one(LoadingIndicator).set_class(self._show_busy, "--visible")
            self.query_one(CommandList).set_class(self._show_busy, "--populating")

    def _start_no_matches_countdown(self, search_value: str) -> None:
        if not self._list_gone():
            super()._start_no_matches_countdown(search_value)


class ScreenPicker(ModalScreen[str | None]):
    """Every screen in registry order; Enter opens the highlighted one."""

    DEFAULT_CSS = """
    ScreenPicker { align: center middle; }
    ScreenPicker > Vertical { width: 70; max-width: 95%; height: auto; max-height: 90%;
                              border: round $accent; background: $surface; }
    ScreenPicker OptionList { height: auto; max-height: 20; }
    """
    BINDINGS = [Binding("escape,g", "cancel", "close", id="picker.close")]

    def __init__(self, entries: list[tuple[str, str, str, str]], current: str | None) -> None:
        super().__init__()
        self.entries = entries  # (id, key, title, summary)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(" Go to screen (Enter opens, Esc closes)")
            options = [Option(f"{key or ' '}  {title} — {summary}", id=sid)
                       for sid, key, title, summary in self.entries]
            yield PagingSafeOptionList(*options, id="picker-list")

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        ids = [e[0] for e in self.entries]
        if self.current in ids:
            option_list.highlighted = ids.index(self.current)
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def command_words(command: str) -> list[str]:
    """The command split at its unquoted spaces, each word written as it was."""
    words, word, quote = [], "", ""
    for ch in command:
        if quote:
            word += ch
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            word += ch
        elif ch == " ":
            if word:
                words.append(word)
            word = ""
        else:
            word += ch
    if word:
        words.append(word)
    return words


def wrap_command(command: str, width: int) -> list[str]:
    """The command in lines of at most ``width`` cells, a flag kept with its value and
    every line but the last ending in " \\", so that the lines pasted into a shell are
    the same command. A single word longer than a line (a long quoted sentence) gets a
    line of its own."""
    chunks: list[str] = []
    for word in command_words(command):
        if chunks and not word.startswith("-") and chunks[-1].startswith("-") \
                and " " not in chunks[-1]:
            chunks[-1] += " " + word
        else:
            chunks.append(word)
    lines: list[str] = []
    room = max(8, width - 2)  # " \\" at the end of every line but the last
    for chunk in chunks:
        if lines and len(lines[-1]) + 1 + len(chunk) <= room:
            lines[-1] += " " + chunk
        else:
            lines.append(("  " if lines else "") + chunk)  # continuation lines indented
    return [line + " \\" for line in lines[:-1]] + lines[-1:]


class CommandText(Widget, can_focus=True):
    """A command shown whole, wrapped to the width it is given (see ``wrap_command``)."""

    DEFAULT_CSS = "CommandText { height: auto; width: 1fr; }"
    ALLOW_SELECT = True

    def __init__(self, command: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.command = command

    def lines(self, width: int) -> list[str]:
        return wrap_command(self.command, width)

    def get_content_height(self, container, viewport, width: int) -> int:
        return sum(max(1, -(-len(line) // max(1, width))) for line in self.lines(width))

    def render(self) -> Content:
        return Content("\n".join(self.lines(self.content_region.width or 80)))


class CommandBox(ModalScreen[None]):
    """Shows the CLI command that reproduces the current screen (also copied via OSC 52),
    whole: wrapped at the dialog's width with shell line continuations, so that what is
    selected and pasted from the screen is the same command."""

    DEFAULT_CSS = """
    CommandBox { align: center middle; }
    CommandBox > Vertical { width: 90%; height: auto; max-height: 90%; border: round $accent;
                            background: $surface; padding: 0 1; }
    CommandBox Label { color: $text-muted; width: 100%; }  /* wraps at 80 columns */
    CommandBox CommandText { margin-top: 1; color: $text; }
    """
    BINDINGS = [Binding("escape", "close", "close", id="command.close")]

    def __init__(self, command: str) -> None:
        super().__init__()
        self.command = command

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("This command prints the figures on screen (copied to the clipboard where "
                        "the terminal allows; Esc closes):")
            yield CommandText(self.command, id="command-text")

    def action_close(self) -> None:
        self.dismiss(None)

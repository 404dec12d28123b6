"""Small modal dialogs: the screen picker, the copy-as-command box, the command palette."""
from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import CommandList, CommandPalette
from textual.containers import Vertical
from textual.events import Mount
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Button, Input, Label, LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option

from .overlay import SafeDismiss, Overlay, on_top

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


class Palette(SafeDismiss, CommandPalette):
    """Textual's command palette with two guards for fast typists: paging its list before
    the list is laid out does nothing, and a search that finishes after the palette has
    been closed (a key typed just after Enter starts one) leaves the removed list alone
    instead of failing on it (Textual 8.2 raises NoMatches there and stops the app)."""

    def _list_gone(self) -> bool:
        return not self.query(CommandList)

    # Subclass handlers run before Textual's own; prevent_default keeps those from
    # running for a choice that lands after the palette left the top of the stack (a
    # screen switch in the same burst of keys): that choice is dropped, not run.
    @on(Input.Submitted)
    @on(Button.Pressed)
    @on(OptionList.OptionSelected)
    def _drop_late_choice(self, event) -> None:
        if not on_top(self):
            event.stop()
            event.prevent_default()

    def _on_mount(self, event: Mount) -> None:
        # Textual's own mount handler reads the screen below the palette on the stack. A
        # screen switch in the same burst of keys can take the palette off the stack
        # before it mounts; then there is nothing below it to serve, and it stays closed.
        stack = self.app.screen_stack
        if self not in stack or stack.index(self) == 0:
            event.prevent_default()

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


class ScreenPicker(Overlay[str | None]):
    """Every screen in registry order; typing filters the list, Enter opens the
    highlighted one. A number key typed alone picks the screen it opens."""

    DEFAULT_CSS = """
    ScreenPicker { align: center middle; }
    ScreenPicker > Vertical { width: 76; max-width: 95%; height: auto; max-height: 90%;
                              border: round $accent; background: $surface; }
    ScreenPicker #picker-filter { margin: 0 1; }
    ScreenPicker #picker-empty { color: $text-muted; padding: 0 1; display: none; }
    ScreenPicker #picker-empty.-shown { display: block; }
    ScreenPicker OptionList { height: auto; max-height: 20; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "close", id="picker.close"),
        Binding("down", "move('down')", "next", show=False, id="picker.down"),
        Binding("up", "move('up')", "previous", show=False, id="picker.up"),
        Binding("pagedown", "move('page_down')", "page down", show=False, id="picker.page_down"),
        Binding("pageup", "move('page_up')", "page up", show=False, id="picker.page_up"),
    ]

    def __init__(self, entries: list[tuple[str, str, str, str]], current: str | None) -> None:
        super().__init__()
        self.entries = entries  # (id, key, title, summary)
        self.current = current
        self.shown: list[str] = [e[0] for e in entries]  # ids listed now, in order

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(" Go to screen: type to filter · ↑/↓ choose · Enter opens · Esc closes")
            yield Input(placeholder="type a name, a word or a number key", compact=True,
                        id="picker-filter")
            yield Static("no screen matches: Backspace to widen the filter", id="picker-empty")
            yield PagingSafeOptionList(*self._options(self.entries), id="picker-list")

    @staticmethod
    def _options(entries) -> list[Option]:
        return [Option(f"{key or ' '}  {title} — {summary}", id=sid)
                for sid, key, title, summary in entries]

    def matching(self, text: str) -> list[tuple[str, str, str, str]]:
        """The entries whose key, id, title or summary hold every word typed; the screen
        whose number key (or id) is exactly what was typed comes first."""
        words = text.lower().split()
        if not words:
            return list(self.entries)
        exact = [e for e in self.entries if text.strip().lower() in (e[0], e[1])]
        found = [e for e in self.entries
                 if all(w in " ".join(e).lower() for w in words) and e not in exact]
        return exact + found

    def on_mount(self) -> None:
        option_list = self.query_one(OptionList)
        if self.current in self.shown:
            option_list.highlighted = self.shown.index(self.current)
        self.query_one("#picker-filter", Input).focus()

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        entries = self.matching(event.value)
        self.shown = [e[0] for e in entries]
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        option_list.add_options(self._options(entries))
        if entries:
            option_list.highlighted = 0
        self.query_one("#picker-empty", Static).set_class(not entries, "-shown")

    @on(Input.Submitted, "#picker-filter")
    def _open_highlighted(self, event: Input.Submitted) -> None:
        event.stop()
        option_list = self.query_one(OptionList)
        index = option_list.highlighted
        if index is None and self.shown:
            index = 0
        if index is not None and index < len(self.shown):
            self.dismiss(self.shown[index])

    def action_move(self, where: str) -> None:
        option_list = self.query_one(OptionList)
        action = getattr(option_list, f"action_{'cursor_' if where in ('up', 'down') else ''}{where}")
        action()

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


class CommandBox(Overlay[None]):
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

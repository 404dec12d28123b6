"""The help overlay (F1 or ?) that explains the current screen."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from rich.markdown import Markdown
from textual.widgets import Static

from .overlay import Overlay


class HelpScreen(Overlay[None]):
    DEFAULT_CSS = """
    /* Opaque: behind a see-through overlay Textual re-renders and dims the whole page
       on every frame, a third of the time F1 took; the help covers nine tenths of it. */
    HelpScreen { align: center middle; background: $background; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
        /* The scrollbar's room is kept from the start: the text is laid out and drawn
           once, not again when the scrollbar turns up. */
        scrollbar-gutter: stable;
    }
    HelpScreen #help-hint { color: $text-muted; height: 1; }
    """
    BINDINGS = [
        Binding("escape,q,f1,question_mark", "dismiss_help", "Close help", id="help.close"),
    ]

    def __init__(self, title: str, markdown: str, keys: str = "") -> None:
        super().__init__()
        self.help_title = title
        self.markdown = markdown
        self.keys = keys

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("Esc, q or F1 closes this help · arrows / PgUp / PgDn scroll", id="help-hint")
            # One Static holding rich's rendering of the text: Textual's Markdown widget
            # mounts a widget per block, which took most of a second per F1.
            yield Static(Markdown(f"# {self.help_title}\n\n{self.markdown}\n\n{self.keys}",
                                  justify="left"), id="help-text")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)

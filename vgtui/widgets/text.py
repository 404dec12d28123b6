"""show_text: put plain text in a Static only when it differs from what it shows.

Each ``Static.update`` asks Textual for a new layout of the whole screen; the pages
re-write their notes (under fields, the preset's note) on every key, mostly with the
text already there. The text shown is kept on the widget itself, so every writer of a
widget goes through here and none can leave the record stale.
"""
from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


def show_text(widget: Static, text: str) -> bool:
    """Show ``text`` (plain: it may quote user input, so no markup) in ``widget``;
    return whether anything changed."""
    if getattr(widget, "_vgtui_text", None) == text:
        return False
    widget._vgtui_text = text
    widget.update(Content(text))
    return True

"""Overlays that close harmlessly, however late the key that closes them arrives.

An overlay (help, the screen picker, the command box, the open-model dialog, the command
palette) belongs to the screen it was opened over. Keys arrive in bursts: an Enter meant
for the palette can still be in the palette's queue after a number key switched screens
and the palette was taken off the stack, or the app may already be closing. Textual's
``dismiss`` then pops whatever is on top of the stack now: another overlay, or nothing
at all, which raises ``ScreenStackError`` and stops the app. Here an overlay that is no
longer the top screen dismisses nothing and runs no callback; the keys meant for it are
dropped, as they would be had they come a moment later.
"""
from __future__ import annotations

from textual.app import ScreenStackError
from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen, ScreenResultType


def on_top(screen) -> bool:
    """Whether ``screen`` is the screen the app shows on top right now."""
    try:
        app = screen.app
        return bool(app.is_running) and app.screen is screen
    except (ScreenStackError, Exception):  # no app, or no screen left on the stack
        return False


class SafeDismiss:
    """Mixed into a Screen: ``dismiss`` acts only while the screen is on top."""

    def dismiss(self, result=None) -> AwaitComplete:
        if not on_top(self):
            return AwaitComplete.nothing()
        return super().dismiss(result)


class Overlay(SafeDismiss, ModalScreen[ScreenResultType]):
    """A modal screen whose late ``dismiss`` is harmless (see the module docstring)."""

"""The status line at the foot of every page: device, dtype, compute time, notes.

With ``VGTUI_STABLE_STATUS=1`` in the environment it leaves out everything that
changes from run to run (compute times, the torch version), so that snapshot
tests of whole screens compare equal across runs and machines.
"""
from __future__ import annotations

import os

from textual.content import Content
from textual.widgets import Static

STABLE_ENV = "VGTUI_STABLE_STATUS"


def stable_output() -> bool:
    """True when run-to-run details (timings, versions) are to be left out."""
    return os.environ.get(STABLE_ENV, "").strip().lower() not in ("", "0", "false", "no")


class StatusLine(Static):
    """One line as a rule; a message too long for it (a refusal naming a range) wraps
    onto a second or third line instead of being cut, and the device, dtype and
    timing step aside for it."""

    DEFAULT_CSS = """
    StatusLine { height: auto; max-height: 3; background: $panel; color: $text-muted;
                 padding: 0 1; }
    StatusLine.-error { color: $text-error; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.device = "device ?"
        self.dtype = ""
        self.timing = ""
        self.stable = stable_output()
        self.message = "" if self.stable else "torch loading..."
        self._one_line = False  # drawn on one line last time (unknown at first)

    def clear_timing(self) -> None:
        """Forget the compute time shown (it belonged to a result no longer current)."""
        self.timing = ""

    def show(self, *, device: str | None = None, dtype: str | None = None,
             seconds: float | None = None, message: str | None = None, error: bool = False) -> None:
        if device is not None:
            self.device = device
        if dtype is not None:
            self.dtype = dtype
        if seconds is not None and not self.stable:
            self.timing = f"computed in {seconds * 1000:.1f} ms" if seconds < 10 else f"computed in {seconds:.1f} s"
        if message is not None:
            self.message = message
        self.set_class(error, "-error")
        self._draw()

    def _draw(self) -> None:
        parts = [p for p in (self.device, self.dtype, self.timing, self.message) if p]
        text = " · ".join(parts)
        room = (self.size.width - 2) if self.is_mounted and self.size.width else 10_000
        if len(text) > room and self.message:
            text = self.message  # the message matters most; the rest comes back with it
        # One line before and after: no new layout of the screen (Textual would lay out
        # the whole page again for each of the two updates a key brings).
        one_line = len(text) <= room
        self.update(Content(text), layout=not (one_line and self._one_line))  # no markup
        self._one_line = one_line

    def on_resize(self) -> None:
        self._draw()

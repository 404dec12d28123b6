"""The status line at the foot of every page: device, dtype, compute time, notes."""
from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class StatusLine(Static):
    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    StatusLine.-error { color: $text-error; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.device = "device ?"
        self.dtype = ""
        self.timing = ""
        self.message = "torch loading..."

    def show(self, *, device: str | None = None, dtype: str | None = None,
             seconds: float | None = None, message: str | None = None, error: bool = False) -> None:
        if device is not None:
            self.device = device
        if dtype is not None:
            self.dtype = dtype
        if seconds is not None:
            self.timing = f"computed in {seconds * 1000:.1f} ms" if seconds < 10 else f"computed in {seconds:.1f} s"
        if message is not None:
            self.message = message
        self.set_class(error, "-error")
        parts = [p for p in (self.device, self.dtype, self.timing, self.message) if p]
        self.update(Content(" · ".join(parts)))  # messages quote user input: no markup

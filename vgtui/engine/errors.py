"""Errors the engine raises for bad input.

Every error carries a one-line message fit to show a user as is; ``field`` names
the setting at fault so the CLI can name its flag and the TUI its input.
"""
from __future__ import annotations


class VgtuiError(Exception):
    """Base of every error the engine raises on purpose."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:  # one line, always
        return " ".join(self.message.split())


class ConfigError(VgtuiError, ValueError):
    """A setting is out of range, of the wrong type, or inconsistent."""


class DeviceError(VgtuiError):
    """The requested device or dtype cannot be used on this machine."""


class ModelFileError(VgtuiError):
    """A model or inputs file is missing, unreadable or does not fit."""


class Cancelled(Exception):
    """Raised inside a computation when its cancel callback says stop (not an error:
    the caller asked for it)."""

"""What the app remembers between runs: the theme and the last screen shown.

One small JSON file, ``settings.json``, in ``$VGTUI_CONFIG_DIR`` if set, else
``$XDG_CONFIG_HOME/vgtui``, else ``~/.config/vgtui``. Deleting it resets both. A file
that cannot be read or is not what vgtui writes is ignored (the caller says so in one
line); nothing here raises.
"""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

FILE_NAME = "settings.json"
KEYS = ("theme", "screen")  # both strings; anything else in the file is left out


def config_dir() -> Path:
    chosen = os.environ.get("VGTUI_CONFIG_DIR", "").strip()
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME", "").strip()
    root = Path(base).expanduser() if base else Path.home() / ".config"
    return root / "vgtui"


def settings_path() -> Path:
    return config_dir() / FILE_NAME


def load() -> tuple[dict[str, str], str | None]:
    """The remembered settings, and a line saying why the file was ignored (None when it
    was read, or when there is none yet)."""
    try:
        path = settings_path()
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, None
    except (OSError, RuntimeError, ValueError) as exc:  # unreadable, a folder, bad bytes
        return {}, f"{_where()}: could not be read ({_why(exc)}); ignored"
    try:
        data = json.loads(text)
    except ValueError:
        return {}, f"{_where()}: not valid JSON; ignored (delete it to start afresh)"
    if not isinstance(data, dict):
        return {}, f"{_where()}: not a JSON object; ignored (delete it to start afresh)"
    return {k: data[k] for k in KEYS if isinstance(data.get(k), str)}, None


def save(settings: dict[str, Any]) -> str | None:
    """Write the settings (replacing the file in one step, so a reader never sees half of
    it); a line saying why not, or None."""
    data = {k: settings[k] for k in KEYS if isinstance(settings.get(k), str)}
    part = None
    try:
        path = settings_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f".{FILE_NAME}.{os.getpid()}")
        part.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(part, path)
    except (OSError, RuntimeError, ValueError) as exc:
        if part is not None:
            with contextlib.suppress(OSError):
                part.unlink()  # the half-written copy, if any
        return f"{_where()}: settings not saved ({_why(exc)})"
    return None


def _where() -> str:
    try:
        path = settings_path()
        home = Path.home()
        return "~/" + str(path.relative_to(home)) if path.is_relative_to(home) else str(path)
    except (OSError, RuntimeError, ValueError):
        return FILE_NAME


def _why(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__

"""Results that never change for a given engine, kept on disk between runs.

The Claims screen's measured claims (article 000's training test, about half a minute
of CPU) are the same numbers every time the same engine computes them, so they are
computed once and read back afterwards. Each entry records the engine version it was
computed with: vgtui's version, a digest of the engine's own source files and the
torch version. An entry written by any other version is ignored (and overwritten by the
next computation), so a changed engine never shows an old number.

Where: ``VGTUI_CACHE_DIR`` when set (the tests point it at a temporary folder), else
the user's cache folder (``$XDG_CACHE_HOME/vgtui`` or ``~/.cache/vgtui``;
``~/Library/Caches/vgtui`` on macOS; ``%LOCALAPPDATA%\\vgtui\\Cache`` on Windows).
Entries are pickles in a folder only this user writes to; a file that fails to read
is treated as missing. ``VGTUI_CACHE_DIR=off`` turns the cache off.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import __version__


def cache_dir() -> Path | None:
    """The folder entries live in (None: caching is off)."""
    chosen = os.environ.get("VGTUI_CACHE_DIR", "").strip()
    if chosen:
        return None if chosen.lower() in ("off", "0", "none") else Path(chosen)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "vgtui"
    if os.name == "nt":
        root = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(root) / "vgtui" / "Cache"
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "vgtui"


@lru_cache(maxsize=1)
def engine_version() -> str:
    """vgtui's version, a digest of every engine source file, and torch's version."""
    import torch  # torch: its version is part of what the numbers depend on

    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in sorted(here.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"vgtui {__version__}, engine {digest.hexdigest()[:16]}, torch {torch.__version__}"


def load(name: str) -> Any | None:
    """The entry ``name`` when it was written by this engine version, else None."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        with open(folder / f"{name}.pickle", "rb") as f:
            entry = pickle.load(f)
    except Exception:  # noqa: BLE001 - missing, unreadable or from an older layout
        return None
    if not isinstance(entry, dict) or entry.get("version") != engine_version():
        return None
    return entry.get("value")


def save(name: str, value: Any) -> bool:
    """Write the entry (atomically: a reader never sees half a file); False when the
    cache is off or the folder cannot be written (the result is then simply not kept)."""
    folder = cache_dir()
    if folder is None:
        return False
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump({"version": engine_version(), "value": value}, f)
        os.replace(tmp, folder / f"{name}.pickle")
        return True
    except OSError:
        return False

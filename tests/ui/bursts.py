"""Keys delivered in one burst, the way tmux send-keys, a held key or a slow SSH link
delivers them: every event is queued on the app before the first one is handled.

``pilot.press`` waits for the app to go idle after every key, which hides the ordering
bugs a burst shows; ``burst`` posts all its events at once and only then waits.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key


@dataclass(frozen=True)
class Paste:
    """Text pasted in one go (a terminal's bracketed paste)."""

    text: str


def key_event(key: str) -> events.Key:
    """The Key event a terminal sends for ``key`` ("a", "backspace", "end", ".")."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char = unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(key, key)))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def post_burst(app, items) -> None:
    """Queue every key (or Paste) on the app without waiting in between."""
    for item in items:
        event = events.Paste(item.text) if isinstance(item, Paste) else key_event(item)
        event.set_sender(app)
        app.post_message(event)


async def burst(pilot, items) -> None:
    post_burst(pilot.app, items)
    await pilot.pause()


def typed_text(start: str, items) -> str:
    """What a one-line field holds after ``items``, for bursts that begin with End (the
    cursor at the end, nothing selected): what a person means by the keys."""
    text, cursor = start, len(start)
    for item in items:
        if isinstance(item, Paste):
            line = item.text.splitlines()[0] if item.text else ""
            text, cursor = text[:cursor] + line + text[cursor:], cursor + len(line)
        elif item == "end":
            cursor = len(text)
        elif item == "home":
            cursor = 0
        elif item == "backspace":
            if cursor:
                text, cursor = text[:cursor - 1] + text[cursor:], cursor - 1
        elif item == "left":
            cursor = max(0, cursor - 1)
        elif item == "right":
            cursor = min(len(text), cursor + 1)
        elif len(item) == 1:
            text, cursor = text[:cursor] + item + text[cursor:], cursor + 1
        else:
            raise ValueError(f"typed_text does not model {item!r}")
    return text

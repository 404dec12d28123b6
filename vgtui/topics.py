"""The one registry: every topic of vgtui, with its screen, lookups and presets.

A topic is one concept (gradient flow, the Jacobian, the forget gate...). The app builds
its modes, number keys, screen list and palette entries from this list; the command
line builds its subcommands from the lookups named here and gives every lookup of a
topic with presets a ``--preset`` flag. The entries are data, in topics.json: adding a
screen means one entry there and one module in ``vgtui/screens/``; adding a lookup, one
name there and one module in ``vgtui/cli/``.

Nothing here imports textual, torch or numpy: the app's first screen and the quick
lookups import this module, and a screen's module is imported only when it is opened.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from .engine.packaged import load_json
from .engine.presets import presets_for


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    key: str  # the number key that opens it ("" for none)
    screen: str  # "module:Class" of its screen
    summary: str
    lookups: tuple[str, ...] = ()  # modules of vgtui.cli that print its figures

    def load(self) -> type:
        module, cls = self.screen.split(":")
        return getattr(import_module(module), cls)

    @property
    def presets(self) -> tuple:
        """Its named starting points (engine Presets), in the order ``p`` cycles them."""

        return presets_for(self.id)


# topics.json, in the order of the screen list (a topic without a number key opens
# from the list and the palette only).
TOPICS: tuple[Topic, ...] = tuple(
    Topic(**{**row, "lookups": tuple(row.get("lookups", ()))})
    for row in load_json(__package__, "topics.json"))


def topic_ids() -> list[str]:
    return [t.id for t in TOPICS]


def topic(name: str) -> Topic:
    """The topic with this id, or with this number key ("7" is Spectrum & init)."""
    for t in TOPICS:
        if name in (t.id, t.key) and name:
            return t
    raise KeyError(name)


def title_and_key(topic_id: str) -> tuple[str, str]:
    """(title, number key) of a topic; an id not in the registry is shown as it is."""
    try:
        found = topic(topic_id)
    except KeyError:
        return topic_id, ""
    return found.title, found.key


def lookup_names() -> list[str]:
    """Every CLI lookup, in topic order."""
    return [name for t in TOPICS for name in t.lookups]


def topic_of_lookup(name: str) -> Topic:
    for t in TOPICS:
        if name in t.lookups:
            return t
    raise KeyError(name)

"""Key tables: the app's and each screen's bindings written as rows.

A row is ``(keys, action, label, name, tooltip)``, optionally followed by a dict of
Binding's other keywords (``HIDDEN`` for a key that stays off the footer). Its id is
``prefix.name``: the ids name keys in the help, the palette and the tests, so every
screen's are built the one way here.
"""
from __future__ import annotations

from typing import Any

from textual.binding import Binding

HIDDEN: dict[str, Any] = {"show": False}  # in the help and the palette, not in the footer

# Every screen with a text field leaves it on Esc; a ConfigPage adds this row itself.
LEAVE_FIELD = ("escape", "leave_field", "leave field", "leave_field", "", HIDDEN)



def footer_pair(name: str) -> Binding.Group:
    """A group for two keys that step one way and back: one compact footer entry."""
    return Binding.Group(name, compact=True)


def key_table(prefix: str, *rows: tuple) -> list[Binding]:
    """The bindings of ``rows``, in order."""
    out = []
    for keys, action, label, name, tooltip, *options in rows:
        out.append(Binding(keys, action, label, id=f"{prefix}.{name}", tooltip=tooltip,
                           **(options[0] if options else {})))
    return out

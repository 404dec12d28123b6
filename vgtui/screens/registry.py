"""The one list of screens: id, title, key, where the class lives, what it covers.

The app builds its modes, number keys and palette entries from this list, and
imports a screen's module only when the screen is first opened, so start-up
stays fast and no screen ever imports another.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Callable


@dataclass(frozen=True)
class ScreenEntry:
    id: str
    title: str
    key: str
    module: str
    cls: str
    summary: str

    def load(self) -> type:
        return getattr(import_module(self.module), self.cls)

    def factory(self) -> Callable[[], object]:
        return lambda: self.load()()


SCREENS: tuple[ScreenEntry, ...] = (
    ScreenEntry("flow", "Gradient Flow", "1", "vgtui.screens.flow", "FlowScreen",
                "gradient norm per step back through a vanilla RNN, forward saturation, "
                "spectral radius and norm, horizon and verdict"),
    ScreenEntry("experiments", "Experiments", "", "vgtui.screens.experiments",
                "ExperimentsScreen",
                "train RNN / LSTM / GRU on long-range tasks: verdicts against the baseline, "
                "step-1 gradients, truncated BPTT"),
)


def screen_ids() -> list[str]:
    return [s.id for s in SCREENS]


def entry(screen_id: str) -> ScreenEntry:
    for s in SCREENS:
        if s.id == screen_id:
            return s
    raise KeyError(screen_id)

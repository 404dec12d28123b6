"""Pilot's own waits made as patient as the helpers' (see helpers.py), and the ``long``
mark: runs (10,000 fuzzed keys) that only ``-m long`` selects.

Textual's Pilot gives the app 30 s to take in pending messages when it starts and at every
``pause()``, and fails the test past that. On a loaded machine the first app of a test
process (importing torch in a thread beside it) can take longer, so the limit is raised;
a test that passes is no slower for it.
"""
from functools import partial

import pytest
import textual._callback as textual_callback
from textual.pilot import Pilot

from .helpers import SLOWDOWN

PILOT_WAIT = 180.0 * SLOWDOWN  # seconds


@pytest.fixture(autouse=True)
def patient_pilot(monkeypatch):
    wait_for_screen = Pilot._wait_for_screen

    async def patient(self, timeout: float = PILOT_WAIT) -> bool:
        return await wait_for_screen(self, timeout=max(timeout, PILOT_WAIT))

    monkeypatch.setattr(Pilot, "_wait_for_screen", patient)


_count_parameters = textual_callback.count_parameters


def _count_parameters_once(func) -> int:
    """Textual's count of a callback's parameters, kept on the function that a bare
    ``partial`` wraps. ``call_later`` wraps each callback in a new partial, and every
    Pilot wait sends one callback to each widget of the screen, so the count was worked
    out anew (``inspect.signature``) some 200 times per wait: 2-3% of a UI test's CPU."""
    if type(func) is partial and not func.args and not func.keywords:
        return _count_parameters(func.func)
    return _count_parameters(func)


@pytest.fixture(autouse=True)
def parameters_counted_once(monkeypatch):
    monkeypatch.setattr(textual_callback, "count_parameters", _count_parameters_once)


def pytest_collection_modifyitems(config, items):
    if "long" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="a very long run: select it with -m long")
    for item in items:
        if item.get_closest_marker("long"):
            item.add_marker(skip)

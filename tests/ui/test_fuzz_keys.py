"""Key fuzzing: random keys and hostile text on every screen, with screen switches while
workers run. Zero unhandled exceptions, and the app still computes correctly after.

CI runs a few thousand keys with a fixed seed; set VGTUI_FUZZ_KEYS=30000 (and optionally
VGTUI_FUZZ_SEED) for the long mode.

Keys arrive the way a fast typist sends them: Pilot's press normally waits after every
key until the whole process is idle (worker threads included), which would both make the
run slow and hide the races that matter, so that wait is shortened here to one turn of
the event loop; every few dozen keys a full pause lets the workers catch up.
"""
import asyncio
import os
import random

import numpy as np
import pytest
from textual.widgets import Input

from vgtui.app import VgtuiApp
from vgtui.topics import TOPICS as SCREENS

from .helpers import wait_until

KEYS = list("abcdefhijklmnoprstuvwxyz0123456789+-=[]<>,.;/?*'") + [
    "tab", "shift+tab", "enter", "escape", "space", "backspace", "delete", "up", "down",
    "left", "right", "pageup", "pagedown", "home", "end", "f1", "ctrl+p", "ctrl+t",
    "underscore", "left_square_bracket", "right_square_bracket", "plus", "minus",
]
HOSTILE = ["", " ", "nan", "inf", "-inf", "-1", "0", "1e308", "-1e308", "1e-320", "abc",
           "1,2,,3", "0.5,,", "9" * 400, "x" * 2000, "😀", "1e999", "2,3;4", "--", "0x1f"]


async def fuzz(pilot, rng: random.Random, keys: int) -> None:
    app = pilot.app
    ids = [s.id for s in SCREENS]
    for i in range(keys):
        roll = rng.random()
        if roll < 0.04:
            # switch screens while whatever was started keeps running
            app.action_goto(rng.choice(ids))
            await pilot.pause()
            continue
        focused = app.focused
        if roll < 0.20 and isinstance(focused, Input):
            focused.value = rng.choice(HOSTILE)
            await pilot.pause()
            continue
        await pilot.press(rng.choice(KEYS))
        if i % 40 == 0:
            await pilot.pause()


async def close_overlays(pilot) -> None:
    """Escape out of whatever the keys opened; an overlay that ignores Escape fails the
    test instead of hanging it."""
    app = pilot.app
    for _ in range(10):
        if len(app.screen_stack) == 1:
            return
        await pilot.press("escape")
        await pilot.pause()
    raise AssertionError(f"Escape does not close {app.screen_stack[1:]!r}")


@pytest.mark.slow
async def test_random_keys_on_every_screen_never_crash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # ctrl+s screenshots land here

    async def one_turn(*args, **kwargs) -> None:
        await asyncio.sleep(0)

    monkeypatch.setattr("textual.app.wait_for_idle", one_turn)  # only inside press
    # Hostile sizes are refused, not run: the refusal path is what is under test, and a
    # low budget keeps the run short.
    monkeypatch.setenv("VGTUI_SECONDS", "2")
    monkeypatch.setenv("VGTUI_MEMORY_MB", "512")
    total = int(os.environ.get("VGTUI_FUZZ_KEYS", "2500"))
    rng = random.Random(int(os.environ.get("VGTUI_FUZZ_SEED", "1234")))
    app = VgtuiApp()
    async with app.run_test(size=(100, 32)) as pilot:
        per_screen = max(20, total // (2 * len(SCREENS)))
        for entry in SCREENS:  # every screen gets its share of keys
            app.action_goto(entry.id)  # closes any overlay left open
            await pilot.pause()
            await fuzz(pilot, rng, per_screen)
            await close_overlays(pilot)
        await fuzz(pilot, rng, total - per_screen * len(SCREENS))
        await close_overlays(pilot)

        if app.demo_active:  # the palette's "start demo" may have been typed
            app.action_demo_stop()
            await pilot.pause()
        # Afterwards the app still computes the right numbers.
        from vgtui.engine import RNNConfig
        from vgtui.engine.flow import run_flow

        app.action_goto("flow")
        await pilot.pause()
        screen = app.screen
        screen.load_preset("four-unit")
        expected = run_flow(RNNConfig(**{**RNNConfig().to_dict(), "activation": "tanh",
                                         "init": "identity", "scale": 0.5, "init_noise": 0.05,
                                         "hidden": 4, "input_size": 2, "input_scale": 0.05,
                                         "steps": 20}))
        await wait_until(pilot, lambda: screen.result is not None
                         and screen.result.config == expected.config)
        np.testing.assert_allclose(screen.result.log10_grad_h, expected.log10_grad_h, rtol=1e-12)

"""Every screen that accepts an exploding configuration (scale 5, relu, long T) shows
exact magnitudes past float range, says when the forward pass left float range, and
never shows nan or inf."""
import re

import pytest

from vgtui.app import VgtuiApp
from vgtui.widgets.controls import ControlPanel

from .helpers import on_screen, page, screen_text, settled, wait_until

BAD = re.compile(r"\b(nan|NaN|inf|Infinity)\b")
EXPLODING = {"activation": "relu", "scale": 5.0}


async def _apply(pilot, screen, changes, matches):
    before = screen.result
    if hasattr(screen, "apply"):
        screen.apply(changes)
    else:
        screen.query_one(ControlPanel).set_values(changes)
    await wait_until(pilot, lambda: screen.result is not before and matches(screen.result),
                     timeout=120)
    await settled(pilot, screen)


def _config_is(**values):
    def check(result):
        inner = next((getattr(result, k) for k in ("flow", "run", "rnn")
                      if getattr(result, k, None) is not None), result)
        c = inner.config
        return all(getattr(c, k) == v for k, v in values.items())
    return check


@pytest.mark.slow
@pytest.mark.parametrize("screen_id,steps,marker", [
    ("flow", 10_000, "passes float range"),
    ("jacobian", 1000, "e+"),
    ("bound", 1000, "e+"),
    ("exploding", 10_000, "e+"),
])
async def test_rnn_screens_at_scale_5_relu(screen_id, steps, marker):
    app = VgtuiApp(start_screen=screen_id)
    async with app.run_test(size=(200, 70)) as pilot:
        screen = await on_screen(pilot, screen_id)
        await _apply(pilot, screen, {**EXPLODING, "steps": steps},
                     _config_is(activation="relu", scale=5.0, steps=steps))
        text = screen_text(app)
        assert not BAD.findall(text), BAD.findall(text)
        assert marker in text
        assert "✗" not in text, text  # no refusal or error line
        assert re.search(r"\de\+(\d{3,})", text)  # a magnitude printed past 1e100


@pytest.mark.slow
async def test_architectures_and_forget_gate_at_scale_5():
    """2,000 steps: already far past float range (the CLI tests take the gated cells to
    10,000 steps; here the screens' drawing of such figures is what is tested)."""
    async with page("architectures", size=(200, 70)) as (app, pilot, screen):
        await _apply(pilot, screen, {"scale": 5.0, "steps": 2_000, "radius": 1.5},
                     _config_is(scale=5.0, steps=2_000))
        text = screen_text(app)
        assert not BAD.findall(text)
        assert re.search(r"\de\+35\d", text)  # the SSM at radius 1.5: 1.5^1999, about 1e352
        app.action_goto("forget")
        screen = await on_screen(pilot, "forget")
        panel = screen.query_one("#forget-panel", ControlPanel)
        before = screen.result
        panel.set_values({"scale": 5.0, "steps": 2_000})
        await wait_until(pilot, lambda: screen.result is not before
                         and screen.result.config.steps == 2_000, timeout=240)
        await settled(pilot, screen)
        assert not BAD.findall(screen_text(app))


@pytest.mark.slow
async def test_longrange_rnn_relu_at_scale_5_with_a_long_gap():
    async with page("longrange", size=(200, 70)) as (app, pilot, screen):
        screen.set_model("rnn")
        await wait_until(pilot, lambda: screen.result.config.model == "rnn")
        await _apply(pilot, screen, EXPLODING, lambda r: r.config.model == "rnn"
                     and r.config.activation == "relu" and r.config.scale == 5.0)
        text = screen_text(app)
        assert not BAD.findall(text)
        assert "▲" in text  # tokens far back get more than the last one: marked, not hidden

"""Long-range dependency screen (the opening screen) driven through Pilot."""
import json
import math
import shlex

import pytest

from vgtui.app import VgtuiApp
from vgtui.screens.longrange import LongRangeScreen
from vgtui.widgets.controls import ControlPanel
from vgtui.widgets.pickers import CommandBox

from .helpers import text_of, wait_until


async def started(pilot):
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, LongRangeScreen)
                     and app.screen.result is not None)
    await pilot.pause(0.2)  # let the layout settle (a scrollbar may appear with the result)
    return app.screen


async def settle(pilot, screen, **expected):
    def done():
        r = screen.result
        return r is not None and all(getattr(r.config, k) == v for k, v in expected.items())
    await wait_until(pilot, done, timeout=30)
    return screen.result


async def type_into(pilot, screen, input_id, text):
    field = screen.query_one(f"#{input_id}")
    field.focus()
    await pilot.pause()
    field.value = text
    await pilot.pause()


async def test_opening_screen_is_long_range_with_the_sentence_and_sweep():
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await started(pilot)
        assert "[1] Long-range dependency" in text_of(screen.query_one("#title-bar"))
        r = screen.result
        strip = text_of(screen.query_one("#lr-strip"))
        assert "keys" in strip and "◆" in strip and "●" in strip
        assert screen.query_one("#lr-sweep").row_count == len(r.config.gaps)
        assert screen.query_one("#lr-tokens").row_count == r.steps
        assert "key word 'keys'" in text_of(screen.query_one("#lr-summary"))


@pytest.mark.parametrize("input_id,text,attr,value", [
    ("field-factor", "0.9", "factor", 0.9),
    ("field-filler", "12", "filler", 12),
    ("field-key", "4", "key", 4),
    ("field-gaps", "0,7,30", "gaps", (0, 7, 30)),
])
async def test_each_input_changes_the_figures(input_id, text, attr, value):
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await started(pilot)
        before = (list(screen.result.log10_ratio), [p.log10_ratio for p in screen.result.sweep],
                  text_of(screen.query_one("#lr-summary")))
        await type_into(pilot, screen, input_id, text)
        r = await settle(pilot, screen, **{attr: value})
        after = (list(r.log10_ratio), [p.log10_ratio for p in r.sweep],
                 text_of(screen.query_one("#lr-summary")))
        assert after != before


async def test_models_and_their_settings():
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await started(pilot)
        assert not screen.query_one("#block-scale").display
        screen.set_model("rnn")
        first = await settle(pilot, screen, model="rnn")
        assert "spectral radius" in text_of(screen.query_one("#lr-summary"))
        assert screen.query_one("#block-scale").display
        assert not screen.query_one("#block-factor").display
        panel = screen.query_one("#lr-panel", ControlPanel)
        panel.set_values({"activation": "sigmoid"})
        second = await settle(pilot, screen, activation="sigmoid")
        assert list(second.log10_grad) != list(first.log10_grad)
        panel.set_values({"hidden": 9})
        await settle(pilot, screen, hidden=9)
        screen.set_model("lstm")
        await settle(pilot, screen, model="lstm")
        assert screen.query_one("#block-forget_bias").display
        assert not screen.query_one("#block-activation").display
        assert "forget gate" in text_of(screen.query_one("#lr-summary"))
        low = screen.result.sweep[-1].log10_ratio
        await type_into(pilot, screen, "field-forget_bias", "4")
        high = (await settle(pilot, screen, forget_bias=4.0)).sweep[-1].log10_ratio
        assert high > low


async def test_own_sentence_and_examples():
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await started(pilot)
        await type_into(pilot, screen, "field-text", "the cat that we saw yesterday sleeps")
        r = await settle(pilot, screen, text="the cat that we saw yesterday sleeps")
        assert r.tokens[-1] == "sleeps"
        from textual.widgets import Select
        assert screen.query_one("#lr-preset", Select).value is Select.NULL
        screen.load_example("negation")
        from vgtui.engine.longrange import EXAMPLES
        r = await settle(pilot, screen, key=EXAMPLES["negation"].key)
        assert r.tokens[r.key_index] == "not"


@pytest.mark.parametrize("input_id,bad", [("field-factor", "abc"), ("field-factor", "7"),
                                          ("field-filler", "-1"), ("field-key", "99"),
                                          ("field-gaps", "3,,4"), ("field-text", "one")])
async def test_bad_input_shows_inline_error_and_keeps_the_last_result(input_id, bad):
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await started(pilot)
        kept = screen.result
        strip = text_of(screen.query_one("#lr-strip"))
        await type_into(pilot, screen, input_id, bad)
        await pilot.pause(0.5)
        error = screen.query_one(f"#error-{input_id.removeprefix('field-')}")
        assert error.has_class("-shown") and text_of(error)
        assert "last good result kept" in text_of(screen.status)
        assert screen.result is kept
        assert text_of(screen.query_one("#lr-strip")) == strip


async def test_keys_change_model_gap_factor_and_key_word():
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await started(pilot)
        screen.query_one("#lr-results").focus()
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        await settle(pilot, screen, filler=5)
        await pilot.press("left_square_bracket")
        await settle(pilot, screen, filler=2)
        await pilot.press("plus")
        await settle(pilot, screen, factor=0.75)
        await pilot.press("minus", "minus")
        await settle(pilot, screen, factor=0.65)
        key = screen.config.resolved_key()
        await pilot.press("full_stop")
        await settle(pilot, screen, key=key + 1)
        await pilot.press("comma", "comma")
        await settle(pilot, screen, key=key - 1)
        await pilot.press("m")
        await settle(pilot, screen, model="rnn")
        await pilot.press("plus")
        await settle(pilot, screen, scale=1.05)
        await pilot.press("p")  # the example after the one shown
        await wait_until(pilot, lambda: screen.result.config.example_name() == "language")


async def test_enter_on_a_token_row_makes_it_the_key_word():
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await started(pilot)
        table = screen.query_one("#lr-tokens")
        table.focus()
        table.move_cursor(row=5)
        await pilot.press("enter")
        r = await settle(pilot, screen, key=6)
        assert r.key_index == 5


async def test_copy_as_command_reproduces_the_screen(run_cli):
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await started(pilot)
        screen.set_model("lstm")
        await type_into(pilot, screen, "field-filler", "7")
        await type_into(pilot, screen, "field-text", "it's the dog, not the cats, that barks")
        shown = await settle(pilot, screen, model="lstm", filler=7,
                             text="it's the dog, not the cats, that barks")
        screen.query_one("#lr-results").focus()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CommandBox)
        command = app.screen.command
    code, out, err = run_cli(*(shlex.split(command)[1:] + ["--json"]))
    assert code == 0, err
    data = json.loads(out)
    assert [t["log10_ratio"] for t in data["tokens"]] == list(shown.log10_ratio)


async def test_help_opens():
    app = VgtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("f1")
        await pilot.pause()
        from vgtui.widgets.help import HelpScreen
        assert isinstance(app.screen, HelpScreen)


async def test_palette_has_examples_and_models():
    app = VgtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await started(pilot)
        names = [c.title for c in app.get_system_commands(screen)]
        assert any(n.startswith("Long-range dependency preset keys") for n in names)
        assert any(n.startswith("Long-range model: LSTM") for n in names)


async def test_large_gap_shows_exact_tiny_shares():
    app = VgtuiApp()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await started(pilot)
        await type_into(pilot, screen, "field-gaps", "0,5000")
        await type_into(pilot, screen, "field-factor", "0.5")
        r = await settle(pilot, screen, factor=0.5, gaps=(0, 5000))
        assert r.sweep[-1].log10_ratio < -1500
        row = screen.query_one("#lr-sweep").get_row("5000")
        assert "e-15" in row[2] and math.isfinite(r.sweep[-1].log10_ratio)

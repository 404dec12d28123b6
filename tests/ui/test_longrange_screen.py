"""Long-range dependency screen (the opening screen) driven through Pilot."""
import json
import math
import shlex

import pytest

from vgtui.app import VgtuiApp
from vgtui.screens.longrange import LongRangeScreen
from vgtui.widgets.controls import ControlPanel

from .helpers import (copied_command, on_screen, refused, result_with, set_field, text_of,
                      wait_until)


async def test_opening_screen_is_long_range_with_the_sentence_and_sweep():
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await on_screen(pilot, LongRangeScreen)
        assert "[1] Long-range dependency" in text_of(screen.query_one("#title-bar"))
        r = screen.result
        strip = text_of(screen.query_one("#lr-strip"))
        assert "keys" in strip and "◆" in strip and "●" in strip
        assert screen.query_one("#lr-sweep").row_count == len(r.config.gaps)
        assert screen.query_one("#lr-tokens").row_count == r.steps
        assert "key word 'keys'" in text_of(screen.query_one("#lr-summary"))


@pytest.mark.slow
@pytest.mark.parametrize("field,text,value", [
    ("factor", "0.9", 0.9),
    ("filler", "12", 12),
    ("key", "4", 4),
    ("gaps", "0,7,30", (0, 7, 30)),
])
async def test_each_input_changes_the_figures(field, text, value):
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await on_screen(pilot, LongRangeScreen)
        before = (list(screen.result.log10_ratio), [p.log10_ratio for p in screen.result.sweep],
                  text_of(screen.query_one("#lr-summary")))
        await set_field(pilot, screen, field, text)
        r = await result_with(pilot, screen, **{field: value})
        after = (list(r.log10_ratio), [p.log10_ratio for p in r.sweep],
                 text_of(screen.query_one("#lr-summary")))
        assert after != before


@pytest.mark.slow
async def test_models_and_their_settings():
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await on_screen(pilot, LongRangeScreen)
        assert not screen.query_one("#block-scale").display
        screen.set_model("rnn")
        first = await result_with(pilot, screen, model="rnn")
        assert "spectral radius" in text_of(screen.query_one("#lr-summary"))
        assert screen.query_one("#block-scale").display
        assert not screen.query_one("#block-factor").display
        panel = screen.query_one("#lr-panel", ControlPanel)
        panel.set_values({"activation": "sigmoid"})
        second = await result_with(pilot, screen, activation="sigmoid")
        assert list(second.log10_grad) != list(first.log10_grad)
        panel.set_values({"hidden": 9})
        await result_with(pilot, screen, hidden=9)
        screen.set_model("lstm")
        await result_with(pilot, screen, model="lstm")
        assert screen.query_one("#block-forget_bias").display
        assert not screen.query_one("#block-activation").display
        assert "forget gate" in text_of(screen.query_one("#lr-summary"))
        low = screen.result.sweep[-1].log10_ratio
        await set_field(pilot, screen, "forget_bias", "4")
        high = (await result_with(pilot, screen, forget_bias=4.0)).sweep[-1].log10_ratio
        assert high > low


@pytest.mark.slow
async def test_own_sentence_and_examples():
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await on_screen(pilot, LongRangeScreen)
        await set_field(pilot, screen, "text", "the cat that we saw yesterday sleeps")
        r = await result_with(pilot, screen, text="the cat that we saw yesterday sleeps")
        assert r.tokens[-1] == "sleeps"
        from textual.widgets import Select
        assert screen.query_one("#lr-preset", Select).value is Select.NULL
        screen.load_example("negation")
        from vgtui.engine.longrange import EXAMPLES
        r = await result_with(pilot, screen, key=EXAMPLES["negation"].key)
        assert r.tokens[r.key_index] == "not"


@pytest.mark.slow
@pytest.mark.parametrize("field,bad", [("factor", "abc"), ("factor", "7"), ("filler", "-1"),
                                       ("key", "99"), ("gaps", "3,,4"), ("text", "one")])
async def test_bad_input_shows_inline_error_and_keeps_the_last_result(field, bad):
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await on_screen(pilot, LongRangeScreen)
        kept = screen.result
        strip = sorted(text_of(screen.query_one("#lr-strip")).split())
        await set_field(pilot, screen, field, bad)
        await refused(pilot, screen, field)
        assert "last good result kept" in text_of(screen.status)
        assert screen.result is kept
        # the same words, glyphs and figures (an error line may make the strip wrap elsewhere)
        assert sorted(text_of(screen.query_one("#lr-strip")).split()) == strip


@pytest.mark.slow
async def test_keys_change_model_gap_factor_and_key_word():
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await on_screen(pilot, LongRangeScreen)
        screen.query_one("#lr-results").focus()
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        await result_with(pilot, screen, filler=5)
        await pilot.press("left_square_bracket")
        await result_with(pilot, screen, filler=2)
        await pilot.press("plus")
        await result_with(pilot, screen, factor=0.75)
        await pilot.press("minus", "minus")
        await result_with(pilot, screen, factor=0.65)
        key = screen.config.resolved_key()
        await pilot.press("full_stop")
        await result_with(pilot, screen, key=key + 1)
        await pilot.press("comma", "comma")
        await result_with(pilot, screen, key=key - 1)
        await pilot.press("m")
        await result_with(pilot, screen, model="rnn")
        await pilot.press("plus")
        await result_with(pilot, screen, scale=1.05)
        await pilot.press("p")  # the example after the one shown
        await wait_until(pilot, lambda: screen.result.config.example_name() == "language")


@pytest.mark.slow
async def test_enter_on_a_token_row_makes_it_the_key_word():
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await on_screen(pilot, LongRangeScreen)
        table = screen.query_one("#lr-tokens")
        table.focus()
        table.move_cursor(row=5)
        await pilot.press("enter")
        r = await result_with(pilot, screen, key=6)
        assert r.key_index == 5


@pytest.mark.slow
async def test_copy_as_command_reproduces_the_screen(run_cli):
    app = VgtuiApp()
    async with app.run_test(size=(100, 34)) as pilot:
        screen = await on_screen(pilot, LongRangeScreen)
        screen.set_model("lstm")
        await set_field(pilot, screen, "filler", "7")
        await set_field(pilot, screen, "text", "it's the dog, not the cats, that barks")
        shown = await result_with(pilot, screen, model="lstm", filler=7,
                             text="it's the dog, not the cats, that barks")
        screen.query_one("#lr-results").focus()
        command = await copied_command(pilot)
    code, out, err = run_cli(*(shlex.split(command)[1:] + ["--json"]))
    assert code == 0, err
    data = json.loads(out)
    assert [t["log10_ratio"] for t in data["tokens"]] == list(shown.log10_ratio)


@pytest.mark.slow
async def test_help_opens():
    app = VgtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await on_screen(pilot, LongRangeScreen)
        await pilot.press("f1")
        await pilot.pause()
        from vgtui.widgets.help import HelpScreen
        assert isinstance(app.screen, HelpScreen)


@pytest.mark.slow
async def test_palette_has_examples_and_models():
    app = VgtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_screen(pilot, LongRangeScreen)
        names = [c.title for c in app.get_system_commands(screen)]
        assert any(n.startswith("Long-range dependency preset keys") for n in names)
        assert any(n.startswith("Long-range model: LSTM") for n in names)


@pytest.mark.slow
async def test_large_gap_shows_exact_tiny_shares():
    app = VgtuiApp()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await on_screen(pilot, LongRangeScreen)
        await set_field(pilot, screen, "gaps", "0,5000")
        await set_field(pilot, screen, "factor", "0.5")
        r = await result_with(pilot, screen, factor=0.5, gaps=(0, 5000))
        assert r.sweep[-1].log10_ratio < -1500
        row = screen.query_one("#lr-sweep").get_row("5000")
        assert "e-15" in row[2] and math.isfinite(r.sweep[-1].log10_ratio)

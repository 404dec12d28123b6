"""Architectures screen driven through Textual's Pilot."""
import json
import shlex

import pytest

from vgtui.screens.architectures import ArchitecturesScreen

from .helpers import (error_cleared, open_help, page, refused, result_with, set_field, text_of,
                      wait_until)


async def test_six_architectures_in_chart_and_tables():
    async with page(ArchitecturesScreen, size=(140, 45)) as (app, pilot, screen):
        assert [t.key for t in screen.result.traces] == ["rnn", "lstm", "gru", "residual",
                                                         "attention", "ssm"]
        assert len(screen.query_one("#arch-chart").series) == 6
        assert screen.query_one("#arch-how").row_count == 6
        assert screen.query_one("#arch-measured").row_count == 6
        assert screen.query_one("#arch-table").row_count == 100
        how = screen.query_one("#arch-how")
        attention = [how.get_row_at(i) for i in range(6) if "attention" in how.get_row_at(i)[0]][0]
        assert attention[3] == "yes" and attention[4] == "0"
        assert "reaching x_1" in text_of(screen.query_one("#arch-summary"))


@pytest.mark.slow
async def test_each_control_changes_the_figures():
    async with page(ArchitecturesScreen, size=(140, 45)) as (app, pilot, screen):
        for field, text, value in [("steps", "30", 30), ("hidden", "8", 8), ("input_size", "2", 2),
                                   ("input_scale", "0.5", 0.5), ("seed", "3", 3), ("scale", "0.6", 0.6),
                                   ("forget_bias", "3", 3.0), ("radius", "0.9", 0.9)]:
            before = [list(t.log10_grad) for t in screen.result.traces]
            await set_field(pilot, screen, field, text)
            await result_with(pilot, screen, **{field: value})
            after = [list(t.log10_grad) for t in screen.result.traces]
            assert after != before, field


@pytest.mark.slow
async def test_bad_input_keeps_the_last_result_and_selection_list_filters():
    async with page(ArchitecturesScreen, size=(140, 45)) as (app, pilot, screen):
        kept = screen.result
        for field, bad in (("radius", "2"), ("steps", "-5"), ("scale", "x")):
            good = screen.query_one(f"#field-{field}").value
            await set_field(pilot, screen, field, bad)
            await refused(pilot, screen, field)
            assert "last good result kept" in text_of(screen.status)
            assert screen.result is kept
            await set_field(pilot, screen, field, good)
            await error_cleared(pilot, screen, field)
        shown = screen.query_one("#arch-show")
        shown.deselect("attention")
        await wait_until(pilot, lambda: len(screen.result.traces) == 5)
        assert "attention" not in [t.key for t in screen.result.traces]
        assert len(screen.query_one("#arch-chart").series) == 5
        shown.deselect_all()
        await wait_until(pilot, lambda: "tick at least one" in text_of(screen.status))
        assert len(screen.result.traces) == 5


@pytest.mark.slow
async def test_keys_presets_help_and_command(run_cli):
    async with page(ArchitecturesScreen) as (app, pilot, screen):
        screen.query_one("#arch-results").focus()
        await pilot.press("minus")
        await result_with(pilot, screen, scale=0.95)
        await pilot.press("less_than_sign")
        await result_with(pilot, screen, radius=0.995)
        await pilot.press("right_square_bracket")
        await result_with(pilot, screen, steps=110)
        await pilot.press("d")  # back to the defaults
        await result_with(pilot, screen, steps=100, scale=1.0, radius=1.0)
        first = screen.result.trace("rnn").log10_grad[0]
        screen.load_preset("scale-0.5")
        await result_with(pilot, screen, scale=0.5)
        rnn = screen.result.trace("rnn")
        assert rnn.log10_grad[0] < first - 10  # far smaller, shown exactly
        assert "e-" in screen.query_one("#arch-table").get_row_at(0)[1]
        await pilot.press("greater_than_sign")
        await result_with(pilot, screen, radius=1.005)
        command = screen.cli_command()
        shown = screen.result
        await open_help(pilot)
    code, out, err = run_cli(*shlex.split(command)[1:], "--json")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    ours = [r["log10_grad"] for r in rows if r["arch"] == "ssm"]
    assert ours == list(shown.trace("ssm").log10_grad)

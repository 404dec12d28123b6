"""Experiments screen driven through Textual's Pilot (quick settings throughout)."""
import json
import shlex

import pytest

from vgtui.engine.presets import preset_config
from vgtui.screens.experiments import ExperimentsScreen

from .helpers import (escape_to, open_help, page, refused, set_field, taken_in, text_of,
                      wait_until, workers_done)

QUICK = {"lengths": "4,6", "archs": "rnn", "seeds": "1", "train_steps": "20", "hidden": "6",
         "batch": "8", "eval_size": "32"}


async def apply(pilot, screen, values):
    screen.apply(values)
    await taken_in(pilot, screen)


async def run_and_wait(pilot, screen):
    screen.query_one("#exp-tabs ContentTabs").focus()
    await pilot.press("r")
    await wait_until(pilot, lambda: screen.outcome is not None)
    return screen.outcome


async def test_opens_with_the_truncation_view_computed():
    async with page(ExperimentsScreen, size=(100, 32)) as (app, pilot, screen):
        assert screen.probe.max_beyond == 0.0
        summary = text_of(screen.query_one("#exp-trunc-summary"))
        assert "exactly 0" in summary
        assert screen.query_one("#exp-trunc-table").row_count > 0
        assert "9 runs" in text_of(screen.query_one("#exp-plan"))


@pytest.mark.slow
async def test_a_quick_run_fills_the_table_reading_and_run_tab():
    async with page(ExperimentsScreen) as (app, pilot, screen):
        await apply(pilot, screen, QUICK)
        assert screen.config.lengths == (4, 6)
        result = await run_and_wait(pilot, screen)
        assert len(result.runs) == 2 and not result.cancelled
        table = screen.query_one("#exp-table")
        assert table.row_count == 2
        first = table.get_row_at(0)
        assert first[0] == "rnn" and first[1] == "4"
        assert first[3][0] in "✓~✗!"
        reading = text_of(screen.query_one("#exp-reading"))
        assert "Verdict rule" in reading and "vanilla tanh RNN" in reading
        assert "step-1 gradient" in reading
        title = text_of(screen.query_one("#exp-run-title"))
        assert "T = 4" in title and "held-out loss" in title
        assert screen.query_one("#exp-loss").data
        assert "done: 2 runs" in text_of(screen.query_one("#exp-state"))
        assert screen.query_one("#exp-all-bar").percentage == 1.0


@pytest.mark.slow
async def test_cancel_mid_run_stops_promptly_and_keeps_finished_rows():
    async with page(ExperimentsScreen) as (app, pilot, screen):
        await apply(pilot, screen, {**QUICK, "lengths": "4,5,6,7,8,9", "seeds": "2",
                                    "train_steps": "400"})
        screen.query_one("#exp-tabs ContentTabs").focus()
        await pilot.press("r")
        await wait_until(pilot, lambda: len(screen.runs) >= 1)
        await pilot.press("x")
        await wait_until(pilot, lambda: screen.outcome is not None)
        result = screen.outcome
        assert result.cancelled and not screen.running
        kept = len(result.runs)
        assert 1 <= kept < 12
        assert screen.query_one("#exp-table").row_count == kept
        assert "cancelled" in text_of(screen.query_one("#exp-state"))
        assert "Cancelled after" in text_of(screen.query_one("#exp-reading"))
        await workers_done(pilot, "experiment")  # nothing more arrives after a cancel
        assert screen.query_one("#exp-table").row_count == kept
        # no time of an earlier job on the status line; the bars say what was kept
        assert "computed in" not in text_of(screen.status)
        assert "cancelled" in text_of(screen.status)
        assert screen.query_one("#exp-run-bar").progress == 0
        overall = screen.query_one("#exp-all-bar")
        assert overall.progress == pytest.approx(kept / 12)


@pytest.mark.slow
@pytest.mark.parametrize("name,text,attr,value", [
    ("task", "adding", "task", "adding"),
    ("optimizer", "sgd", "optimizer", "sgd"),
    ("lengths", "5,7", "lengths", (5, 7)),
    ("archs", "gru,lstm", "archs", ("gru", "lstm")),
    ("seeds", "2", "seeds", 2),
    ("train_steps", "33", "train_steps", 33),
    ("lr", "0.05", "lr", 0.05),
    ("clip", "1.5", "clip", 1.5),
    ("forget_bias", "2", "forget_bias", 2.0),
    ("truncate", "6", "truncate", 6),
    ("hidden", "9", "hidden", 9),
    ("noise", "0", "noise", 0.0),
])
async def test_each_control_changes_the_settings_and_the_plan(name, text, attr, value):
    async with page(ExperimentsScreen, size=(100, 32)) as (app, pilot, screen):
        plan = text_of(screen.query_one("#exp-plan"))
        command = screen.cli_command()
        await set_field(pilot, screen, name, text)
        await wait_until(pilot, lambda: getattr(screen.config, attr) == value)
        assert text_of(screen.query_one("#exp-plan")) != plan or screen.cli_command() != command


@pytest.mark.slow
async def test_truncate_setting_redraws_the_truncation_view():
    async with page(ExperimentsScreen, size=(100, 32)) as (app, pilot, screen):
        await set_field(pilot, screen, "truncate", "7")
        await wait_until(pilot, lambda: screen.probe.truncate == 7)
        assert screen.probe.max_beyond == 0.0
        assert "k = 7 (the truncate setting)" in text_of(screen.query_one("#exp-trunc-summary"))


@pytest.mark.slow
@pytest.mark.parametrize("name,bad", [("lengths", "5,abc"), ("seeds", "0"), ("clip", "-2"),
                                      ("archs", "cnn"), ("train_steps", "")])
async def test_bad_input_shows_inline_error_and_keeps_settings(name, bad):
    async with page(ExperimentsScreen, size=(100, 32)) as (app, pilot, screen):
        kept = screen.config
        await set_field(pilot, screen, name, bad)
        await refused(pilot, screen, name)
        assert screen.query_one(f"#field-{name}").has_class("-invalid")
        assert "last good result kept" in text_of(screen.status)
        assert screen.config is kept
        screen.query_one("#exp-tabs ContentTabs").focus()
        await pilot.press("r")
        await wait_until(pilot, lambda: "fix it, then press r" in text_of(screen.status))
        assert not screen.running and screen.outcome is None


@pytest.mark.slow
async def test_preset_key_and_palette_presets():
    async with page(ExperimentsScreen, size=(100, 32)) as (app, pilot, screen):
        screen.query_one("#exp-tabs ContentTabs").focus()
        await pilot.press("p")  # the presets in order: after the default, the counter-example
        await wait_until(pilot,
                         lambda: screen.config == preset_config("experiments", "sgd-torch-init"))
        screen.load_preset("truncated")
        await wait_until(pilot, lambda: screen.config.truncate == 8)
        assert screen.query_one("#field-truncate").value == "8"
        names = [c.title for c in app.get_system_commands(screen)]
        assert any("Experiments preset" in n for n in names)
        assert any(n.startswith("Go to Experiments") for n in names)


@pytest.mark.slow
async def test_tab_keys_and_help():
    async with page(ExperimentsScreen, size=(80, 24)) as (app, pilot, screen):
        tabs = screen.query_one("#exp-tabs")
        screen.query_one("#exp-tabs ContentTabs").focus()
        await pilot.press("right_square_bracket")
        assert tabs.active == "tab-results"
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert tabs.active == "tab-trunc"
        await open_help(pilot)
        await escape_to(pilot, screen)


@pytest.mark.slow
async def test_copy_as_command_reproduces_the_table(run_cli):
    async with page(ExperimentsScreen) as (app, pilot, screen):
        await apply(pilot, screen, {**QUICK, "archs": "rnn,gru", "clip": "2"})
        result = await run_and_wait(pilot, screen)
        await pilot.press("c")
        await pilot.pause()
        command = app.screen.command
    assert command.startswith("vgtui train ")
    code, out, err = run_cli(*shlex.split(command)[1:], "--json")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert [r["final_loss"] for r in rows] == [r.final_loss for r in result.runs]
    assert [r["grad_step1"] for r in rows] == [r.grad_step1 for r in result.runs]


@pytest.mark.slow
async def test_t_key_runs_the_truncation_demo_and_the_view_counts_learned_runs():
    async with page(ExperimentsScreen, size=(100, 32)) as (app, pilot, screen):
        screen.query_one("#exp-tabs ContentTabs").focus()
        # shrink the demo so the test is quick: same preset, fewer updates
        from dataclasses import replace

        screen.PRESETS = tuple(
            replace(p, values={**p.values, "train_steps": 10, "seeds": 1, "hidden": 4,
                               "eval_size": 32}) if p.name == "truncated" else p
            for p in screen.PRESETS)
        await pilot.press("t")
        await wait_until(pilot, lambda: screen.outcome is not None)
        assert screen.query_one("#exp-tabs").active == "tab-trunc"
        assert screen.outcome.config.truncate == 8
        text = text_of(screen.query_one("#exp-trunc-runs"))
        assert "T > k:" in text and "exactly 0" in text and "T <= k:" in text

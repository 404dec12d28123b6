"""Experiments screen driven through Textual's Pilot (quick settings throughout)."""
import json
import shlex

import pytest

from vgtui.app import VgtuiApp
from vgtui.engine.presets import preset_config
from vgtui.screens.experiments import ExperimentsScreen

from .helpers import text_of, wait_until

QUICK = {"lengths": "4,6", "archs": "rnn", "seeds": "1", "train_steps": "20", "hidden": "6",
         "batch": "8", "eval_size": "32"}


async def opened(pilot):
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ExperimentsScreen)
                     and app.screen.probe is not None)
    return app.screen


async def set_field(pilot, screen, name, text):
    widget = screen.query_one(f"#field-{name}")
    widget.value = text
    await pilot.pause()


async def apply(pilot, screen, values):
    for name, text in values.items():
        await set_field(pilot, screen, name, text)
    await pilot.pause(0.1)


async def run_and_wait(pilot, screen):
    screen.query_one("#exp-tabs ContentTabs").focus()
    await pilot.press("r")
    await wait_until(pilot, lambda: screen.outcome is not None, timeout=60)
    return screen.outcome


async def test_opens_with_the_truncation_view_computed():
    app = VgtuiApp(start_screen="experiments")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await opened(pilot)
        assert screen.probe.max_beyond == 0.0
        summary = text_of(screen.query_one("#exp-trunc-summary"))
        assert "exactly 0" in summary
        assert screen.query_one("#exp-trunc-table").row_count > 0
        assert "15 runs" in text_of(screen.query_one("#exp-plan"))


async def test_a_quick_run_fills_the_table_reading_and_run_tab():
    app = VgtuiApp(start_screen="experiments")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
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


async def test_cancel_mid_run_stops_promptly_and_keeps_finished_rows():
    app = VgtuiApp(start_screen="experiments")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
        await apply(pilot, screen, {**QUICK, "lengths": "4,5,6,7,8,9", "seeds": "2",
                                    "train_steps": "400"})
        screen.query_one("#exp-tabs ContentTabs").focus()
        await pilot.press("r")
        await wait_until(pilot, lambda: len(screen.runs) >= 1, timeout=60)
        await pilot.press("x")
        await wait_until(pilot, lambda: screen.outcome is not None, timeout=10)
        result = screen.outcome
        assert result.cancelled and not screen.running
        kept = len(result.runs)
        assert 1 <= kept < 12
        assert screen.query_one("#exp-table").row_count == kept
        assert "cancelled" in text_of(screen.query_one("#exp-state"))
        assert "Cancelled after" in text_of(screen.query_one("#exp-reading"))
        await pilot.pause(0.5)  # nothing more arrives after a cancel
        assert screen.query_one("#exp-table").row_count == kept


@pytest.mark.parametrize("name,text,attr,value", [
    ("task", "adding", "task", "adding"),
    ("optimizer", "adam", "optimizer", "adam"),
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
    app = VgtuiApp(start_screen="experiments")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await opened(pilot)
        plan = text_of(screen.query_one("#exp-plan"))
        command = screen.cli_command()
        await set_field(pilot, screen, name, text)
        assert getattr(screen.config, attr) == value
        assert text_of(screen.query_one("#exp-plan")) != plan or screen.cli_command() != command


async def test_truncate_setting_redraws_the_truncation_view():
    app = VgtuiApp(start_screen="experiments")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await opened(pilot)
        await set_field(pilot, screen, "truncate", "7")
        await wait_until(pilot, lambda: screen.probe.truncate == 7)
        assert screen.probe.max_beyond == 0.0
        assert "k = 7 (the truncate setting)" in text_of(screen.query_one("#exp-trunc-summary"))


@pytest.mark.parametrize("name,bad", [("lengths", "5,abc"), ("seeds", "0"), ("clip", "-2"),
                                      ("archs", "cnn"), ("train_steps", "")])
async def test_bad_input_shows_inline_error_and_keeps_settings(name, bad):
    app = VgtuiApp(start_screen="experiments")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await opened(pilot)
        kept = screen.config
        await set_field(pilot, screen, name, bad)
        error = screen.query_one(f"#error-{name}")
        assert error.has_class("-shown") and text_of(error)
        assert screen.query_one(f"#field-{name}").has_class("-invalid")
        assert "last good result kept" in text_of(screen.status)
        assert screen.config is kept
        screen.query_one("#exp-tabs ContentTabs").focus()
        await pilot.press("r")
        await pilot.pause(0.2)
        assert not screen.running and screen.outcome is None


async def test_preset_key_and_palette_presets():
    app = VgtuiApp(start_screen="experiments")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await opened(pilot)
        screen.query_one("#exp-tabs ContentTabs").focus()
        await pilot.press("p")
        await pilot.pause(0.2)
        assert screen.config == preset_config("experiments", "adam-clip")
        screen.load_preset("truncated")
        await pilot.pause(0.2)
        assert screen.config.truncate == 8
        assert screen.query_one("#field-truncate").value == "8"
        names = [c.title for c in app.get_system_commands(screen)]
        assert any("Experiments preset" in n for n in names)
        assert any(n.startswith("Go to Experiments") for n in names)


async def test_tab_keys_and_help():
    app = VgtuiApp(start_screen="experiments")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await opened(pilot)
        tabs = screen.query_one("#exp-tabs")
        screen.query_one("#exp-tabs ContentTabs").focus()
        await pilot.press("right_square_bracket")
        assert tabs.active == "tab-results"
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert tabs.active == "tab-trunc"
        await pilot.press("f1")
        await pilot.pause()
        from vgtui.widgets.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_copy_as_command_reproduces_the_table(run_cli):
    app = VgtuiApp(start_screen="experiments")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await opened(pilot)
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


async def test_t_key_runs_the_truncation_demo_and_the_view_counts_learned_runs():
    app = VgtuiApp(start_screen="experiments")
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await opened(pilot)
        screen.query_one("#exp-tabs ContentTabs").focus()
        # shrink the demo so the test is quick: same preset, fewer updates
        from dataclasses import replace

        screen.PRESETS = tuple(
            replace(p, values={**p.values, "train_steps": 10, "seeds": 1, "hidden": 4,
                               "eval_size": 32}) if p.name == "truncated" else p
            for p in screen.PRESETS)
        await pilot.press("t")
        await wait_until(pilot, lambda: screen.outcome is not None, timeout=60)
        assert screen.query_one("#exp-tabs").active == "tab-trunc"
        assert screen.outcome.config.truncate == 8
        text = text_of(screen.query_one("#exp-trunc-runs"))
        assert "T > k:" in text and "exactly 0" in text and "T <= k:" in text

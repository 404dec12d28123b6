"""Forget gate screen driven through Textual's Pilot."""
import json
import re
import shlex

import numpy as np
import torch

import pytest

from vgtui.screens.forget import ForgetScreen

from .helpers import (error_cleared, escape_to, open_help, open_model_dialog, page, refused,
                      result_with, set_field, submit_model, text_of, wait_until)


def lstm_horizon(screen) -> float:
    text = text_of(screen.query_one("#forget-summary"))
    line = next(line for line in text.splitlines() if line.startswith("L LSTM"))
    found = re.search(r"horizon (\d+) steps", line)
    if found:
        return int(found.group(1))
    assert "horizon beyond" in line, line
    return float("inf")


async def test_shows_toy_three_cells_and_the_cell_path():
    async with page(ForgetScreen) as (app, pilot, screen):
        toy = text_of(screen.query_one("#forget-toy"))
        assert "0.7^100" in toy and "0.98^100" in toy and "article" in toy
        summary = text_of(screen.query_one("#forget-summary"))
        for start in ("R vanilla RNN", "L LSTM", "G GRU"):
            assert start in summary
        cell = text_of(screen.query_one("#forget-cell"))
        assert "total" in cell and "cell-only path" in cell and "product of forget gates" in cell
        r = screen.result
        lstm = r.runs["lstm"].top
        # measured against each other, not equal by construction
        assert lstm.h_route_gap > 0 and lstm.forget_product_gap > 0
        assert screen.query_one("#forget-table").row_count > 0
        assert len(screen.query_one("#forget-chart").series) == 3


CONTROLS = [
    ("forget_bias", "2.5", 2.5), ("steps", "40", 40), ("hidden", "12", 12),
    ("input_size", "2", 2), ("layers", "2", 2), ("scale", "0.7", 0.7),
    ("input_scale", "0.3", 0.3), ("seed", "4", 4),
]


@pytest.mark.slow
async def test_each_control_changes_the_figures():
    async with page(ForgetScreen) as (app, pilot, screen):
        for field, text, value in CONTROLS:
            before = (text_of(screen.query_one("#forget-summary")),
                      text_of(screen.query_one("#forget-cell")))
            await set_field(pilot, screen, field, text)
            await result_with(pilot, screen, **{field: value})
            after = (text_of(screen.query_one("#forget-summary")),
                     text_of(screen.query_one("#forget-cell")))
            assert after != before, field


@pytest.mark.slow
async def test_raising_the_forget_bias_lengthens_the_horizon_on_screen():
    async with page(ForgetScreen) as (app, pilot, screen):
        await set_field(pilot, screen, "forget_bias", "0")
        await result_with(pilot, screen, forget_bias=0.0)
        low = lstm_horizon(screen)
        low_path = screen.result.runs["lstm"].top.cell_path_factor
        screen.query_one("#forget-results").focus()
        for _ in range(6):  # + raises the bias by 0.5 each time
            await pilot.press("plus")
        await result_with(pilot, screen, forget_bias=3.0)
        high = lstm_horizon(screen)
        assert high > low
        assert screen.result.runs["lstm"].top.cell_path_factor > low_path
        assert "forget bias 3" in text_of(screen.query_one("#forget-summary"))


@pytest.mark.slow
async def test_toy_controls_and_bad_toy_input():
    async with page(ForgetScreen) as (app, pilot, screen):
        await set_field(pilot, screen, "toy_gate", "0.9")
        await wait_until(pilot, lambda: "0.9^100" in text_of(screen.query_one("#forget-toy")))
        assert "article" not in text_of(screen.query_one("#forget-toy")).split("\n")[3]
        shown = text_of(screen.query_one("#forget-toy"))
        await set_field(pilot, screen, "toy_gate", "1.5")
        await refused(pilot, screen, "toy_gate")
        assert text_of(screen.query_one("#forget-toy")) == shown
        assert "last good result kept" in text_of(screen.status)
        await set_field(pilot, screen, "toy_steps", "1000")  # still invalid gate: kept
        screen.query_one("#forget-results").focus()
        await pilot.press("a")
        await wait_until(pilot, lambda: "0.98^100" in text_of(screen.query_one("#forget-toy")))
        assert "✗ gate / RNN" in text_of(screen.query_one("#forget-toy"))


BAD = [("forget_bias", "abc"), ("forget_bias", "99"), ("steps", "0"), ("layers", "20"),
       ("hidden", "")]


@pytest.mark.slow
async def test_bad_values_show_inline_errors_and_keep_the_last_result():
    async with page(ForgetScreen) as (app, pilot, screen):
        kept = screen.result
        summary = text_of(screen.query_one("#forget-summary"))
        for field, bad in BAD:
            good = screen.query_one(f"#field-{field}").value
            await set_field(pilot, screen, field, bad)
            await refused(pilot, screen, field)
            assert "last good result kept" in text_of(screen.status)
            assert screen.result is kept
            assert text_of(screen.query_one("#forget-summary")) == summary
            await set_field(pilot, screen, field, good)
            await error_cleared(pilot, screen, field)


@pytest.mark.slow
async def test_keys_switch_quantity_layer_steps_and_presets():
    async with page(ForgetScreen) as (app, pilot, screen):
        screen.query_one("#forget-results").focus()
        await pilot.press("v")
        await pilot.pause()
        assert "||dL/dx_t||" in text_of(screen.query_one("#forget-chart-label"))
        await pilot.press("v")
        await pilot.pause()
        assert "||dL/dh_t||" in text_of(screen.query_one("#forget-chart-label"))
        await pilot.press("right_square_bracket")
        await result_with(pilot, screen, steps=110)
        await pilot.press("left_square_bracket")
        await result_with(pilot, screen, steps=100)
        await pilot.press("minus")
        await result_with(pilot, screen, forget_bias=3.5)  # from the default 4
        screen.load_preset("deep")
        await result_with(pilot, screen, layers=3)
        screen.query_one("#forget-results").focus()
        await pilot.press("l")
        await pilot.pause()
        assert "layer 1 of 3" in text_of(screen.query_one("#forget-chart-label"))
        assert "layer 1" in text_of(screen.query_one("#forget-cell-label"))
        await pilot.press("p")  # after the last preset, the first: the default, bias 4
        await result_with(pilot, screen, layers=1, forget_bias=4.0)


@pytest.mark.slow
async def test_help_and_palette():
    async with page(ForgetScreen, size=(100, 30)) as (app, pilot, screen):
        screen.query_one("#forget-results").focus()
        await open_help(pilot)
        await escape_to(pilot, screen)
        names = [c.title for c in app.get_system_commands(screen)]
        assert any("Forget gate: open model" in n for n in names)
        assert any("Forget gate preset" in n for n in names)


@pytest.mark.slow
async def test_copy_as_command_reproduces_the_lstm_row(run_cli):
    async with page(ForgetScreen, size=(100, 30)) as (app, pilot, screen):
        await set_field(pilot, screen, "forget_bias", "2")
        await result_with(pilot, screen, forget_bias=2.0)
        command = screen.cli_command()
        shown = screen.result.runs["lstm"]
    code, out, err = run_cli(*shlex.split(command)[1:], "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["log10_grad_h"] == list(shown.log10_grad_h)
    assert data["layers"][-1]["log10_cell_path"] == list(shown.top.log10_cell_path)


@pytest.mark.slow
async def test_open_model_adds_it_and_refuses_bad_files(tmp_path):
    torch.manual_seed(0)
    good = tmp_path / "lstm.pt"
    torch.save(torch.nn.LSTM(3, 6, num_layers=2).state_dict(), good)
    inputs = tmp_path / "x.npy"
    np.save(inputs, np.random.default_rng(0).normal(size=(30, 3)))
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((30, 5)))
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a model")
    async with page(ForgetScreen) as (app, pilot, screen):
        kept = screen.result
        dialog = await open_model_dialog(pilot, screen)
        await submit_model(pilot, dialog, str(bad))
        await wait_until(pilot, lambda: "could not be read" in text_of(dialog.query_one("#model-error")))
        await submit_model(pilot, dialog, str(tmp_path / "missing.pt"))
        await wait_until(pilot, lambda: "not found" in text_of(dialog.query_one("#model-error")))
        await submit_model(pilot, dialog, str(good), str(wrong))
        await wait_until(pilot, lambda: "(T, 3)" in text_of(dialog.query_one("#model-error")))
        assert screen.result is kept
        await submit_model(pilot, dialog, str(good), str(inputs))
        await wait_until(pilot, lambda: screen.result is not kept and screen.result.model_run is not None)
        r = screen.result
        assert r.config.hidden == 6 and r.config.layers == 2 and r.config.steps == 30
        assert "M your LSTM" in text_of(screen.query_one("#forget-summary"))
        assert "your LSTM" in text_of(screen.query_one("#forget-cell-label"))
        assert len(screen.query_one("#forget-chart").series) == 4
        assert str(good) in text_of(screen.query_one("#forget-model"))
        # sizes are the model's now: another hidden size is refused, the model stays
        await set_field(pilot, screen, "hidden", "7")
        await wait_until(pilot, lambda: "does not match" in text_of(screen.status))
        assert screen.result is r
        await set_field(pilot, screen, "hidden", "6")
        screen.query_one("#forget-results").focus()
        await pilot.press("x")
        await wait_until(pilot, lambda: screen.result.model_run is None)
        assert len(screen.query_one("#forget-chart").series) == 3

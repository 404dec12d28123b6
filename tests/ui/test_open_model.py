"""The Open model action on the Gradient Flow screen (good and bad files)."""
import json
import shlex

import numpy as np
import torch

import pytest

from vgtui.screens.flow import FlowScreen
from vgtui.widgets.model_dialog import OpenModelDialog

from .helpers import open_model_dialog, page, submit_model, text_of, wait_until


def files(tmp_path):
    torch.manual_seed(3)
    gru = tmp_path / "gru.pt"
    torch.save(torch.nn.GRU(2, 5, num_layers=2).state_dict(), gru)
    rnn = tmp_path / "rnn.pt"
    torch.save(torch.nn.RNN(3, 4).state_dict(), rnn)
    x = tmp_path / "x.npy"
    np.save(x, np.random.default_rng(1).normal(size=(17, 2)))
    linear = tmp_path / "linear.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), linear)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00\x01 definitely not torch")
    return gru, rnn, x, linear, bad


@pytest.mark.slow
async def test_bad_files_are_refused_in_the_dialog_and_the_screen_keeps_its_result(tmp_path):
    gru, rnn, x, linear, bad = files(tmp_path)
    async with page(FlowScreen) as (app, pilot, screen):
        kept = screen.result
        summary = text_of(screen.query_one("#flow-summary"))
        dialog = await open_model_dialog(pilot, screen)
        error = dialog.query_one("#model-error")
        await submit_model(pilot, dialog, "")
        await wait_until(pilot, lambda: "empty" in text_of(error))
        for path, inputs, words in [(bad, "", "could not be read"),
                                    (tmp_path / "nope.pt", "", "not found"),
                                    (linear, "", "torch.nn.RNN, LSTM or GRU"),
                                    (rnn, str(x), "(T, 3)")]:
            await submit_model(pilot, dialog, str(path), inputs)
            await wait_until(pilot, lambda: words in text_of(error))
        dialog.query_one("#model-arch").value = "lstm"
        await submit_model(pilot, dialog, str(gru))
        await wait_until(pilot, lambda: "torch.nn.LSTM" in text_of(error))
        assert isinstance(app.screen, OpenModelDialog)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, FlowScreen))
        assert screen.result is kept and screen.model is None
        assert text_of(screen.query_one("#flow-summary")) == summary


@pytest.mark.slow
async def test_a_good_model_is_shown_reproduced_and_cleared(tmp_path, run_cli):
    gru, rnn, x, linear, bad = files(tmp_path)
    async with page(FlowScreen) as (app, pilot, screen):
        dialog = await open_model_dialog(pilot, screen)
        await submit_model(pilot, dialog, str(gru), str(x))
        await wait_until(pilot, lambda: screen.result.source != "random init")
        r = screen.result
        assert r.arch == "gru" and len(r.layers) == 2 and r.steps == 17
        summary = text_of(screen.query_one("#flow-summary"))
        assert "source: model" in summary and "GRU" in summary
        assert len(screen.query_one("#flow-chart").series) == 2  # one per layer
        command = screen.cli_command()
        shown = list(r.log10_grad_h)
        # a setting that contradicts the file is refused; the model's result stays
        field = screen.query_one("#field-hidden")
        field.focus()
        field.value = "9"
        await wait_until(pilot, lambda: "does not match" in text_of(screen.status))
        assert screen.result is r
        field.value = "5"
        screen.query_one("#flow-results").focus()
        await pilot.press("x")
        await wait_until(pilot, lambda: screen.result.source == "random init")
        assert screen.model is None
    code, out, err = run_cli(*shlex.split(command)[1:], "--json")
    assert code == 0, err
    assert json.loads(out)["log10_grad_h"] == shown


async def test_a_vanilla_model_with_seeded_inputs(tmp_path):
    gru, rnn, x, linear, bad = files(tmp_path)
    async with page(FlowScreen) as (app, pilot, screen):
        dialog = await open_model_dialog(pilot, screen)
        await submit_model(pilot, dialog, str(rnn))
        await wait_until(pilot, lambda: screen.result.source != "random init")
        assert screen.result.config.hidden == 4 and screen.result.steps == 50
        assert "seeded inputs" in text_of(screen.query_one("#flow-summary"))
        assert "vgtui flow --model" in screen.cli_command()

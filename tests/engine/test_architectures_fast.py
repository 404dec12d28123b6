"""Architectures: the vanilla kernel (RNN) and torch's own cells with autograd in pieces
(LSTM, GRU) give the same ||dL/dx_t|| as the engine's log-space stack loop, including
gradients that vanish by hundreds of decades."""
import numpy as np
import pytest
import torch

from vgtui.engine import architectures
from vgtui.engine.architectures import run_compare
from vgtui.engine.config import CompareConfig
from vgtui.engine.gated import run_stack


@pytest.mark.parametrize("forget_bias,steps", [(1.0, 80), (0.0, 160)])
def test_gated_and_vanilla_match_the_stack_loop(forget_bias, steps):
    config = CompareConfig(steps=steps, forget_bias=forget_bias, hidden=12)
    result = run_compare(config, which=("rnn", "lstm", "gru"))
    for trace in result.traces:
        exact = run_stack(config.rnn_config(trace.key)).log10_grad_x
        assert np.allclose(trace.log10_grad, exact, rtol=1e-12, atol=1e-10), trace.key


def test_a_piece_that_underflows_is_left_to_the_stack_loop(monkeypatch):
    monkeypatch.setattr(architectures, "CHUNK", 900)  # one piece: nothing rescales
    config = CompareConfig(steps=900, forget_bias=-6.0, hidden=8)
    rc = config.rnn_config("lstm")
    exact = run_stack(rc).log10_grad_x
    assert exact.min() < -330  # below float range
    assert architectures._gated_by_autograd(rc, torch.device("cpu"), torch.float64, None,
                                            None) is None
    result = run_compare(config, which=("lstm",))
    assert np.allclose(result.traces[0].log10_grad, exact, rtol=1e-12, atol=1e-10)

"""Architectures: the vanilla kernel (RNN) gives the same ||dL/dx_t|| as the engine's
log-space stack loop, and the LSTM and GRU rows (the stack loop) match torch's own
cells (torch.nn.LSTM / GRU) differentiated by autograd in renormalised pieces,
including gradients that vanish by hundreds of decades."""
import math

import numpy as np
import pytest
import torch

from vgtui.engine.architectures import run_compare
from vgtui.engine.config import CompareConfig
from vgtui.engine.gated import run_stack
from vgtui.engine.stack_weights import build_stack_weights


def autograd_in_pieces(rc, piece: int = 25) -> np.ndarray:
    """log10 ||dL/dx_t|| of a one-layer LSTM or GRU with the engine's seeded weights, by
    torch.nn.LSTM / GRU and autograd. The sequence runs in pieces of ``piece`` steps;
    between pieces the state passes through an identity whose backward divides the
    gradient by its norm and notes the log, so a gradient that vanishes far below float
    range is still measured (each piece must stay within range on its own)."""
    weights = build_stack_weights([rc], torch.device("cpu"), torch.float64)
    n, m, steps = rc.hidden, rc.input_size, rc.steps
    cell = (torch.nn.LSTM if rc.arch == "lstm" else torch.nn.GRU)(m, n, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih_l0.copy_(weights.w_ih[0][0])
        cell.weight_hh_l0.copy_(weights.w_hh[0][0])
        cell.bias_ih_l0.copy_(weights.b_ih[0][0])
        cell.bias_hh_l0.copy_(weights.b_hh[0][0])
    logs = []  # natural logs of the divisions, last boundary first

    class Renormalise(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *state):
            return tuple(s.view_as(s) for s in state)

        @staticmethod
        def backward(ctx, *grads):
            norm = math.sqrt(sum(float(g.norm()) ** 2 for g in grads))
            logs.append(math.log(norm))
            return tuple(g / norm for g in grads)

    x = weights.inputs[0].clone().unsqueeze(1).requires_grad_(True)  # (T, 1, m)
    starts = list(range(0, steps, piece))
    state = None
    for k, lo in enumerate(starts):
        _, state = cell(x[lo:lo + piece], state)
        if k < len(starts) - 1:
            state = (Renormalise.apply(*state) if rc.arch == "lstm"
                     else Renormalise.apply(state)[0])
    (state[0] if rc.arch == "lstm" else state).sum().backward()
    after = np.zeros(len(starts))  # the logs divided out after each piece
    running = 0.0
    for j, value in enumerate(logs):
        running += value
        after[len(starts) - 2 - j] = running
    gx = torch.linalg.vector_norm(x.grad[:, 0], dim=1).numpy()
    assert np.all(gx > 1e-280), "a piece left float range: use shorter pieces"
    return (np.log(gx) + np.repeat(after, piece)[:steps]) / math.log(10)


@pytest.mark.parametrize("forget_bias,steps", [(1.0, 80), (0.0, 160)])
def test_every_recurrent_row_matches_an_independent_computation(forget_bias, steps):
    config = CompareConfig(steps=steps, forget_bias=forget_bias, hidden=12)
    result = run_compare(config, which=("rnn", "lstm", "gru"))
    for trace in result.traces:
        rc = config.rnn_config(trace.key)
        reference = (run_stack(rc).log10_grad_x if trace.key == "rnn"
                     else autograd_in_pieces(rc))
        assert np.allclose(trace.log10_grad, reference, rtol=1e-12, atol=1e-10), trace.key


def test_a_gradient_far_below_float_range_is_measured():
    config = CompareConfig(steps=900, forget_bias=-6.0, hidden=8)
    result = run_compare(config, which=("lstm",))
    got = result.traces[0].log10_grad
    assert got.min() < -330  # below float range
    np.testing.assert_allclose(got, autograd_in_pieces(config.rnn_config("lstm")),
                               rtol=1e-12, atol=1e-10)

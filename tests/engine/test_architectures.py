"""The six-architecture comparison against independent autograd computations."""
import math

import numpy as np
import pytest
import torch

from vgtui.engine.architectures import run_compare, ssm_parameters
from vgtui.engine.config import CompareConfig
from vgtui.engine.recurrence import random_stream, recurrent_matrix
from vgtui.engine.gated import run_stack
from vgtui.engine.stack_weights import seeded_inputs


def shared(cfg):
    rc = cfg.rnn_config("rnn")
    w = recurrent_matrix(rc)
    u = torch.randn(rc.hidden, rc.input_size, generator=random_stream(rc.seed, 1),
                    dtype=torch.float64) / math.sqrt(rc.input_size)
    return w, u, seeded_inputs(rc)


@pytest.fixture(scope="module")
def small():
    cfg = CompareConfig(steps=25, hidden=6, input_size=3, seed=4, scale=0.9, dtype="float64")
    return cfg, run_compare(cfg)


def test_recurrent_rows_are_the_stack_engine_on_the_same_inputs(small):
    cfg, result = small
    for arch in ("rnn", "lstm", "gru"):
        run = run_stack(cfg.rnn_config(arch))
        # The screen's paths (vanilla kernel, torch's cells in pieces) do the arithmetic
        # in another order: the same numbers to the last few bits.
        np.testing.assert_allclose(result.trace(arch).log10_grad, run.log10_grad_x,
                                   rtol=1e-12, atol=1e-12)


def test_residual_rnn_matches_autograd(small):
    cfg, result = small
    w, u, x = shared(cfg)
    x = x.clone().requires_grad_(True)
    h = torch.zeros(cfg.hidden, dtype=torch.float64)
    for t in range(cfg.steps):
        h = h + torch.tanh(w @ h + u @ x[t])
    h.sum().backward()
    ref = x.grad.norm(dim=1).numpy()
    np.testing.assert_allclose(10 ** result.trace("residual").log10_grad, ref, rtol=1e-9)


def test_attention_matches_a_hand_written_head(small):
    """Single-head attention written out (q, k, v, softmax, output projection),
    with the module's own parameters, full sequence; the last row's output."""
    cfg, result = small
    _, u, x = shared(cfg)
    from vgtui.engine.architectures import architecture_stream

    d = cfg.hidden
    w_in = torch.randn(3 * d, d, generator=architecture_stream(cfg.seed, 0), dtype=torch.float64) / math.sqrt(d)
    w_out = torch.randn(d, d, generator=architecture_stream(cfg.seed, 1), dtype=torch.float64) / math.sqrt(d)
    x = x.clone().requires_grad_(True)
    e = x @ u.T
    q, k, v = e @ w_in[:d].T, e @ w_in[d:2 * d].T, e @ w_in[2 * d:].T
    attn = torch.softmax(q @ k.T / math.sqrt(d), dim=1)
    out = (attn @ v) @ w_out.T
    out[-1].sum().backward()
    ref = x.grad.norm(dim=1).numpy()
    np.testing.assert_allclose(10 ** result.trace("attention").log10_grad, ref, rtol=1e-9)


def test_linear_recurrence_matches_autograd_on_the_complex_loop(small):
    cfg, result = small
    lam, b, c, _ = ssm_parameters(cfg)
    x = seeded_inputs(cfg.rnn_config("rnn")).clone().requires_grad_(True)
    h = torch.zeros(cfg.hidden, dtype=torch.complex128)
    for t in range(cfg.steps):
        h = lam * h + b @ x[t].to(torch.complex128)
    torch.real((c * h).sum()).backward()
    ref = x.grad.norm(dim=1).numpy()
    np.testing.assert_allclose(10 ** result.trace("ssm").log10_grad, ref, rtol=1e-9)


def test_linear_recurrence_decays_by_exactly_the_radius_far_below_float_range():
    cfg = CompareConfig(steps=3000, radius=0.5, hidden=4, input_size=2)
    a = run_compare(cfg, which=("ssm",)).trace("ssm").log10_grad
    b = run_compare(cfg.replace(radius=1.0), which=("ssm",)).trace("ssm").log10_grad
    back = np.arange(cfg.steps - 1, -1, -1)
    np.testing.assert_allclose(a - b, back * math.log10(0.5), atol=1e-9)
    assert a[0] < -900 and np.isfinite(a[0])


def test_radius_zero_gives_exact_zeros_reported_as_such():
    result = run_compare(CompareConfig(steps=10, radius=0.0), which=("ssm",))
    trace = result.trace("ssm")
    assert trace.exact_zeros == 9 and np.isfinite(trace.log10_grad[-1])
    rows = result.rows()
    assert rows[0]["log10_grad"] == -math.inf and float(rows[0]["grad"]) == 0.0


def test_attention_has_no_distance_decay_while_the_vanilla_rnn_vanishes():
    result = run_compare(CompareConfig(steps=400, scale=0.8))
    rnn, attention = result.trace("rnn"), result.trace("attention")
    assert rnn.log10_first_over_last < -20
    assert attention.path_steps == 0 and rnn.path_steps == 399
    assert abs(attention.log10_first_over_last) < 5
    assert rnn.horizon is not None and attention.horizon is None


def test_bad_architecture_name_is_refused():
    from vgtui.engine.errors import ConfigError

    with pytest.raises(ConfigError):
        run_compare(CompareConfig(steps=5), which=("rnn", "mamba"))

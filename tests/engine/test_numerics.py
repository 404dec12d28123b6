"""Exploding runs stay exact: no nan, no silent inf, overflow reported."""
import math

import numpy as np
import pytest
import torch

from vgtui.engine import RNNConfig
from vgtui.engine.flow import run_flow
from vgtui.engine.recurrence import build_weights


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "identity"])
def test_rescaled_forward_matches_a_plain_float64_loop(activation):
    """Scale 3 grows ||h_t|| past 1e100, where the engine starts rescaling; a plain loop
    checks every step until it overflows itself."""
    cfg = RNNConfig(activation=activation, scale=3.0, hidden=12, steps=420, seed=2,
                    leaky_slope=0.1)
    r = run_flow(cfg)
    w = build_weights([cfg], torch.device("cpu"), torch.float64)
    w_hh, w_xh, x = (t[0].numpy() for t in (w.w_hh, w.w_xh, w.inputs))
    f = {"relu": lambda z: np.maximum(z, 0), "identity": lambda z: z,
         "leaky_relu": lambda z: np.where(z > 0, z, 0.1 * z)}[activation]
    h = np.zeros(cfg.hidden)
    norms = []
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(cfg.steps):
            h = f(w_hh @ h + w_xh @ x[t])
            norms.append(np.linalg.norm(h))
    ref = np.log10(np.array(norms))
    ok = np.isfinite(ref)  # the plain loop itself overflows eventually
    assert ref[ok].max() > 100  # the engine's rescaling (above 1e100) really happened
    np.testing.assert_allclose(r.log10_h_norm[ok], ref[ok], atol=1e-9)
    assert np.all(np.isfinite(r.log10_h_norm))


@pytest.mark.slow
def test_scale_5_relu_over_10000_steps_is_exact_and_reported():
    r = run_flow(RNNConfig(activation="relu", scale=5.0, steps=10_000, hidden=32))
    for arr in (r.log10_grad_h, r.log10_grad_x, r.log10_h_norm):
        assert not np.any(np.isnan(arr))
    assert np.all(np.isfinite(r.log10_h_norm[1:]))
    assert r.log10_h_norm.max() > 1000  # far past float range, still a number
    assert r.forward_overflow_step is not None
    assert r.log10_h_norm[r.forward_overflow_step - 1] >= 308 > r.log10_h_norm[r.forward_overflow_step - 2]
    assert r.verdict == "exploding"
    assert math.isfinite(r.factor) and r.factor > 1


def test_gradients_past_float_range_match_a_rescaled_reference():
    """Identity activation, orthogonal W_hh x 1.5, no input: the gradient going back
    grows by exactly 1.5 per step, to about 1e1760 at step 1 of 10,000."""
    cfg = RNNConfig(activation="identity", init="orthogonal", scale=1.5, hidden=6,
                    steps=10_000, input_scale=0.0)
    r = run_flow(cfg)
    expected = (cfg.steps - 1) * math.log10(1.5) + 0.5 * math.log10(6)
    assert r.log10_grad_h[0] == pytest.approx(expected, abs=1e-7)
    assert r.verdict == "exploding"

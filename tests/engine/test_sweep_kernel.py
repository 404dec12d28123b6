"""The sweep kernel against computations that share none of its code: torch autograd in
float64 on an explicit loop, one configuration at a time, and numpy's least-squares fit.

Only configurations whose forward pass contracts are compared to 1e-12: in a chaotic
one (tanh at a large scale) a rounding difference of one unit in the last place grows
along the run, so no two implementations agree there beyond a few digits.
"""
import math

import numpy as np
import pytest
import torch

from vgtui.engine import sweep_kernel
from vgtui.engine.flow import run_flow_batch
from vgtui.engine.recurrence import build_weights
from vgtui.engine.sweep import run_sweep, sweep_spec

ACTS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
        "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
        "identity": lambda z: z}


def _reference(config):
    """log10 ||dL/dh_t|| for every t, and the mean f'(z_t) over units and steps 2..T."""
    w = build_weights([config], torch.device("cpu"), torch.float64)
    w_hh = w.w_hh[0].clone()
    w_xh, x = w.w_xh[0], w.inputs[0]
    act = ACTS[config.activation]
    h = torch.zeros(config.hidden, dtype=torch.float64)
    derivs = []
    with torch.enable_grad():
        for t in range(config.steps):
            z = (w_hh @ h + w_xh @ x[t]).detach().requires_grad_(True)
            out = act(z)
            (d,) = torch.autograd.grad(out.sum(), z)
            derivs.append(d.mean().item())
            h = out.detach()
        # The gradient of sum(h_T) with respect to every state, by autograd over the chain.
        leaves = [torch.zeros(config.hidden, dtype=torch.float64, requires_grad=True)
                  for _ in range(config.steps)]
        h = torch.zeros(config.hidden, dtype=torch.float64)
        for t in range(config.steps):
            h = act(w_hh @ h + w_xh @ x[t]) + leaves[t]
        grads = torch.autograd.grad(h.sum(), leaves)
    log10_g = np.array([math.log10(g.norm().item()) for g in grads])
    return log10_g, float(np.mean(derivs[1:]))


def _fitted(log10_g):
    back = np.arange(len(log10_g) - 1, -1, -1)
    return 10 ** np.polyfit(back, log10_g, 1)[0]


SPEC = sweep_spec((0.3, 0.6, 0.9), ("tanh", "sigmoid", "relu", "leaky_relu", "identity"),
                  steps=120, hidden=16, seed=5)


@pytest.fixture(scope="module")
def result():
    return run_sweep(SPEC)


def test_the_kernel_ran(result):
    assert result.threads >= 1  # set by the sweep kernel, not the general loop


@pytest.mark.parametrize("index", range(15))
def test_cells_equal_autograd_to_1e12(result, index):
    cell = result.cells[index]
    log10_g, mean_d = _reference(cell.config)
    assert cell.log10_ratio == pytest.approx(log10_g[0] - log10_g[-1], rel=1e-12, abs=1e-12)
    assert cell.mean_derivative == pytest.approx(mean_d, rel=1e-12)
    assert cell.factor == pytest.approx(_fitted(log10_g), rel=1e-12)
    rho = np.abs(np.linalg.eigvals(build_weights([cell.config], torch.device("cpu"),
                                                 torch.float64).w_hh[0].numpy())).max()
    assert cell.spectral_radius == pytest.approx(rho, rel=1e-12)


def test_sweep_scale_zero_and_an_exploding_identity_row():
    spec = sweep_spec((0.0, 1.5), ("identity", "tanh"), steps=40, hidden=8)
    fast = run_sweep(spec)
    general = run_flow_batch(spec.configs())
    for cell, run in zip(fast.cells, general):
        ref = run.log10_grad_h[0] - run.log10_grad_h[-1]
        if math.isinf(ref):
            assert cell.log10_ratio == ref
        else:
            assert cell.log10_ratio == pytest.approx(ref, rel=1e-12, abs=1e-12)
        assert cell.verdict == run.verdict


def test_relu_rows_past_the_checked_range_go_to_the_general_loop():
    spec = sweep_spec((100.0,), ("relu", "tanh"), steps=80, hidden=8)
    assert sweep_kernel.run_sweep_kernel(spec.configs()) is None
    fast = run_sweep(spec)
    assert fast.threads == 0  # the general loop's result
    general = run_flow_batch(spec.configs())
    assert fast.cells[0].log10_ratio == general[0].log10_grad_h[0] - general[0].log10_grad_h[-1]


def test_float32_sweep_agrees_with_float64():
    spec64 = sweep_spec((0.5, 0.9), ("tanh", "sigmoid", "relu", "identity"), steps=60, hidden=16,
                        dtype="float64", device="cpu")
    spec32 = sweep_spec((0.5, 0.9), ("tanh", "sigmoid", "relu", "identity"), steps=60, hidden=16,
                        dtype="float32", device="cpu")
    a, b = run_sweep(spec64), run_sweep(spec32)
    assert b.dtype == "float32"
    for x, y in zip(a.cells, b.cells):
        assert y.log10_ratio == pytest.approx(x.log10_ratio, rel=1e-4, abs=1e-4)
        assert y.mean_derivative == pytest.approx(x.mean_derivative, rel=1e-5)


@pytest.mark.parametrize("steps", [2, 15, 16, 17, 33])
def test_every_length_against_the_ring_of_slots(steps):
    """The backward's gradients go through a ring of RING_SLOTS slots: lengths below,
    at and just past a multiple of it give the general loop's figures at every step."""
    assert sweep_kernel.RING_SLOTS == 16  # the lengths above straddle it
    spec = sweep_spec((0.5, 1.2), ("tanh", "sigmoid", "relu", "identity"), steps=steps,
                      hidden=8, seed=2)
    fast = sweep_kernel.run_sweep_kernel(spec.configs())
    general = run_flow_batch(spec.configs())
    for b, run in enumerate(general.runs):
        np.testing.assert_allclose(fast.log10_grad_h[:, b], run.log10_grad_h, rtol=1e-12,
                                   atol=1e-12)

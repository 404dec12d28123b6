"""The measured decay table: one batched call, and every cell checked independently."""
import math

import numpy as np
import pytest
import torch

from vgtui.engine import flow
from vgtui.engine.config import RNNConfig
from vgtui.engine.errors import ConfigError
from vgtui.engine.errors import Cancelled
from vgtui.engine.recurrence import build_weights
from vgtui.engine.sweep import SweepSpec, parse_scales, parse_sweep_activations, run_sweep, sweep_spec

SPEC = sweep_spec((0.5, 1.0, 1.5), ("tanh", "sigmoid", "relu", "identity"), steps=30, hidden=8,
                  seed=3)


@pytest.fixture(scope="module")
def result():
    return run_sweep(SPEC)


def test_the_grid_is_one_batched_time_loop(monkeypatch):
    from vgtui.engine import sweep_kernel

    calls = []
    real = sweep_kernel._loops

    def counting(first, base, scales, kinds, *args, **kwargs):
        calls.append((len(scales), tuple(kinds)))
        return real(first, base, scales, kinds, *args, **kwargs)

    monkeypatch.setattr(sweep_kernel, "_loops", counting)
    monkeypatch.setattr(flow, "run_flow_batch", None)  # the general loop is not used
    out = run_sweep(SPEC)
    assert calls == [(3, ("tanh", "sigmoid", "relu"))]  # identity rows need no forward pass
    assert len(out.cells) == 12


def _autograd_cell(config):
    """||dL/dh_1|| / ||dL/dh_T||, spectral radius and mean f' from torch autograd on an
    explicit loop with retain_grad (the same seeded weights)."""
    w = build_weights([config], torch.device("cpu"), torch.float64)
    w_hh, w_xh, b, x = w.w_hh[0].clone().requires_grad_(True), w.w_xh[0], w.bias[0], w.inputs[0]
    act = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
           "identity": lambda z: z}[config.activation]
    h = torch.zeros(config.hidden, dtype=torch.float64)
    states, zs = [], []
    for t in range(config.steps):
        z = w_hh @ h + w_xh @ x[t] + b
        z.retain_grad()
        h = act(z)
        h.retain_grad()
        states.append(h)
        zs.append(z)
    states[-1].sum().backward()
    ratio = states[0].grad.norm().item() / states[-1].grad.norm().item()
    derivs = []
    for z in zs[1:]:
        zz = z.detach().requires_grad_(True)
        act(zz).sum().backward()
        derivs.append(zz.grad.mean().item())
    rho = np.abs(np.linalg.eigvals(w_hh.detach().numpy())).max()
    return ratio, rho, float(np.mean(derivs))


@pytest.mark.parametrize("index", range(12))
def test_every_cell_matches_autograd(result, index):
    cell = result.cells[index]
    ratio, rho, mean_d = _autograd_cell(cell.config)
    assert cell.log10_ratio == pytest.approx(math.log10(ratio), abs=1e-9)
    assert cell.spectral_radius == pytest.approx(rho, rel=1e-10)
    assert cell.mean_derivative == pytest.approx(mean_d, rel=1e-10, abs=1e-14)
    assert cell.multiplier == pytest.approx(rho * mean_d, rel=1e-9)
    assert cell.log10_implied_ratio == pytest.approx((cell.steps - 1) * math.log10(rho * mean_d),
                                                     rel=1e-9)


def test_cells_agree_with_single_engine_runs(result):
    for cell in result.cells:
        single = flow.run_flow(cell.config)
        assert cell.log10_ratio == pytest.approx(single.log10_grad_h[0] - single.log10_grad_h[-1],
                                                 abs=1e-9)
        assert cell.factor == pytest.approx(single.factor, rel=1e-9)
        assert cell.verdict == single.verdict


def test_grid_order_and_lookup(result):
    assert [(c.scale, c.activation) for c in result.cells[:4]] == [
        (0.5, "tanh"), (0.5, "sigmoid"), (0.5, "relu"), (0.5, "identity")]
    assert result.cell("relu", 1.5).config.scale == 1.5
    data = result.to_dict()
    assert len(data["rows"]) == 12
    assert set(data["rows"][0]) >= {"activation", "scale", "ratio", "factor", "multiplier",
                                    "implied_ratio", "log10_ratio"}


def test_progress_and_cancel():
    seen = []
    run_sweep(SPEC, progress=seen.append)
    assert seen and all(0 <= f <= 1 for f in seen) and seen == sorted(seen)
    with pytest.raises(Cancelled):
        run_sweep(SPEC, cancel=lambda: True)


def test_sweep_settings_are_checked():
    with pytest.raises(ConfigError) as info:
        SweepSpec((1.0,), ("tanh",), RNNConfig(steps=1))
    assert info.value.field == "steps"
    with pytest.raises(ConfigError):
        SweepSpec((1.0,) * 1, ("tanh",), RNNConfig(steps=200_000, hidden=2048))
    with pytest.raises(ConfigError):
        parse_scales("0.5,-1")
    with pytest.raises(ConfigError):
        parse_sweep_activations("tanh,softmax")
    assert parse_sweep_activations("tanh, Leaky-ReLU,linear") == ("tanh", "leaky_relu", "identity")

"""The engine's gradient norms against torch autograd through torch.nn.RNN."""
import json
import math

import numpy as np
import pytest
import torch

from vgtui.engine import RNNConfig
from vgtui.engine.flow import run_flow, run_flow_batch


def autograd_norms(rnn: torch.nn.RNN, x: torch.Tensor):
    """||dL/dh_t|| and ||dL/dx_t|| for L = sum(h_T), stepping nn.RNN one step at a
    time so every hidden state can retain its gradient."""
    x = x.clone().requires_grad_(True)
    h = torch.zeros(1, 1, rnn.hidden_size, dtype=x.dtype)
    states = []
    for t in range(x.shape[0]):
        _, h = rnn(x[t:t + 1, None, :], h)
        h.retain_grad()
        states.append(h)
    states[-1].sum().backward()
    grad_h = np.array([s.grad.norm().item() for s in states])
    grad_x = x.grad.norm(dim=1).numpy()
    return grad_h, grad_x


def random_rnn(rng: np.random.Generator, nonlinearity: str):
    n = int(rng.integers(2, 24))
    m = int(rng.integers(1, 8))
    T = int(rng.integers(2, 40))
    torch.manual_seed(int(rng.integers(0, 10_000)))
    rnn = torch.nn.RNN(m, n, nonlinearity=nonlinearity).double()
    x = torch.randn(T, m, dtype=torch.float64) * float(rng.uniform(0.2, 2.0))
    return rnn, x


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("trial", range(4))
def test_cli_model_matches_autograd(tmp_path, run_cli, nonlinearity, trial):
    rng = np.random.default_rng(100 * trial + (nonlinearity == "relu"))
    rnn, x = random_rnn(rng, nonlinearity)
    model, inputs = tmp_path / "m.pt", tmp_path / "x.npy"
    torch.save(rnn.state_dict(), model)
    np.save(inputs, x.numpy())
    code, out, err = run_cli("flow", "--model", str(model), "--inputs", str(inputs),
                             "--activation", nonlinearity, "--dtype", "float64", "--json")
    assert code == 0, err
    data = json.loads(out)
    grad_h, grad_x = autograd_norms(rnn, x)
    assert len(data["grad_h"]) == x.shape[0]
    ours_h = np.array(data["grad_h"])
    ours_x = np.array(data["grad_x"])
    # relu can zero a gradient exactly; compare where autograd is non-zero, and
    # demand exact zeros where it is zero.
    for ours, ref in ((ours_h, grad_h), (ours_x, grad_x)):
        nz = ref > 0
        np.testing.assert_allclose(ours[nz], ref[nz], rtol=1e-9, atol=0)
        assert np.all(ours[~nz] == 0)
    assert data["config"]["hidden"] == rnn.hidden_size
    assert data["config"]["dtype"] == "float64"


def test_log_space_far_below_float_range():
    cfg = RNNConfig(activation="identity", init="orthogonal", scale=0.5, hidden=10, steps=10_000)
    r = run_flow(cfg)
    # Closed form: dL/dh_T = ones (norm sqrt(n)); each step back multiplies by
    # 0.5 times an orthogonal matrix, so ||dL/dh_1|| = 0.5**(T-1) * sqrt(n).
    expected = (cfg.steps - 1) * math.log10(0.5) + 0.5 * math.log10(cfg.hidden)
    assert r.log10_grad_h[0] == pytest.approx(expected, abs=1e-8)
    assert r.log10_grad_h[0] == pytest.approx(-3009.5, abs=0.01)
    assert np.all(np.isfinite(r.log10_grad_h))
    assert r.factor == pytest.approx(0.5, rel=1e-9)
    assert r.vanishing_horizon == 20  # 0.5**20 < 1e-6 <= 0.5**19
    assert r.verdict == "vanishing"


def test_identity_orthogonal_gives_scale_per_step_exactly():
    for scale in (0.7, 1.0, 1.3):
        r = run_flow(RNNConfig(activation="identity", init="orthogonal", scale=scale,
                               hidden=16, steps=60, input_scale=0.0))
        steps_back = np.arange(r.steps - 1, -1, -1)
        expected = steps_back * math.log10(scale) + 0.5 * math.log10(16)
        np.testing.assert_allclose(r.log10_grad_h, expected, atol=1e-9)


def test_float32_agrees_with_float64_in_range():
    base = RNNConfig(activation="tanh", scale=1.1, hidden=24, steps=40)
    r64 = run_flow(base.replace(dtype="float64"))
    r32 = run_flow(base.replace(dtype="float32"))
    assert r32.dtype == "float32" and r64.dtype == "float64"
    np.testing.assert_allclose(r32.log10_grad_h, r64.log10_grad_h, atol=1e-4)
    np.testing.assert_allclose(r32.h_norm, r64.h_norm, rtol=1e-4)


def test_batch_equals_single_runs():
    configs = [RNNConfig(activation=a, scale=s, hidden=12, steps=30, seed=3)
               for a in ("tanh", "sigmoid", "relu", "identity", "leaky_relu")
               for s in (0.5, 1.0, 1.5)]
    batch = run_flow_batch(configs)
    assert len(batch) == len(configs)
    for cfg, run in zip(configs, batch):
        single = run_flow(cfg)
        np.testing.assert_allclose(run.log10_grad_h, single.log10_grad_h, atol=1e-10)
        np.testing.assert_allclose(run.h_norm, single.h_norm, rtol=1e-12)
        assert run.spectral_radius == pytest.approx(single.spectral_radius, rel=1e-12)


def test_spectral_radius_and_norm_match_numpy():
    cfg = RNNConfig(init="gaussian", scale=1.3, hidden=20, steps=5, seed=7)
    r = run_flow(cfg)
    from vgtui.engine.recurrence import recurrent_matrix

    w = recurrent_matrix(cfg).numpy()
    assert r.spectral_radius == pytest.approx(max(abs(np.linalg.eigvals(w))), rel=1e-10)
    assert r.spectral_norm == pytest.approx(np.linalg.norm(w, 2), rel=1e-10)
    assert r.spectral_norm >= r.spectral_radius


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "leaky_relu", "identity"])
def test_every_activation_matches_autograd_on_explicit_loop(activation):
    """An explicit float64 loop with torch.nn.functional activations and retain_grad."""
    cfg = RNNConfig(activation=activation, hidden=9, steps=15, input_size=3, seed=5,
                    scale=0.9, leaky_slope=0.05)
    r = run_flow(cfg)
    from vgtui.engine.recurrence import build_weights

    w = build_weights([cfg], torch.device("cpu"), torch.float64)
    fns = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
           "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.05),
           "identity": lambda z: z}
    f = fns[activation]
    x = w.inputs[0].clone().requires_grad_(True)
    h = torch.zeros(cfg.hidden, dtype=torch.float64)
    states = []
    for t in range(cfg.steps):
        h = f(w.w_hh[0] @ h + w.w_xh[0] @ x[t] + w.bias[0])
        h.retain_grad()
        states.append(h)
    states[-1].sum().backward()
    ref_h = np.array([s.grad.norm().item() for s in states])
    ref_x = x.grad.norm(dim=1).numpy()
    nz = ref_h > 0
    np.testing.assert_allclose(r.grad_h[nz], ref_h[nz], rtol=1e-9)
    np.testing.assert_allclose(r.grad_x[ref_x > 0], ref_x[ref_x > 0], rtol=1e-9)
    ref_norm = np.array([s.detach().norm().item() for s in states])
    np.testing.assert_allclose(r.h_norm, ref_norm, rtol=1e-12)


def test_dead_relu_gives_exact_zero_not_nan():
    # A negative identity W_hh with no input drives every unit dead after one step.
    cfg = RNNConfig(activation="relu", init="identity", scale=0.0, hidden=4, steps=6,
                    input_scale=0.0)
    r = run_flow(cfg)
    assert r.log10_grad_h[-1] == pytest.approx(0.5 * math.log10(4))
    assert np.all(r.log10_grad_h[:-1] == -math.inf)
    assert not np.any(np.isnan(r.log10_grad_h))
    assert r.verdict == "vanishing"

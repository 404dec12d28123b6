"""The shortcuts the sweep takes give what the plain computation gives.

A sweep over scales and activations with one seed runs on one shared base matrix
(the scale folded out of the backward products), one broadcast input drive, a W_hh
stack that is never built, vectorised least-squares factors and norms that only
rescale the rows that need it. Each is checked here against a computation that takes
none of them: torch autograd per row, numpy's polyfit, math.hypot.
"""
import math

import numpy as np
import pytest
import torch

from vgtui.engine import RNNConfig
from vgtui.engine.flow import fitted_factor, fitted_factors, run_flow_batch
from vgtui.engine.recurrence import RNNWeights, build_weights, recurrent_matrix, row_norms

FNS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
       "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
       "identity": lambda z: z}


def autograd_row(cfg: RNNConfig, inputs, w_xh):
    """||dL/dh_t|| by retain_grad on an explicit float64 loop with W_hh built alone."""
    w_hh = recurrent_matrix(cfg)
    x = inputs.clone().requires_grad_(True)
    h = torch.zeros(cfg.hidden, dtype=torch.float64)
    states = []
    for t in range(cfg.steps):
        h = FNS[cfg.activation](w_hh @ h + w_xh @ x[t])
        h.retain_grad()
        states.append(h)
    states[-1].sum().backward()
    return (np.array([s.grad.norm().item() for s in states]), x.grad.norm(dim=1).numpy(),
            np.array([s.detach().norm().item() for s in states]))


def test_shared_sweep_matches_autograd_row_by_row():
    configs = [RNNConfig(activation=a, scale=s, hidden=10, steps=25, seed=4)
               for a in ("identity", "relu", "tanh", "sigmoid", "leaky_relu")
               for s in (0.3, 1.0, 1.6)]
    weights = build_weights(configs, torch.device("cpu"), torch.float64)
    assert weights.shared is not None and weights.same_inputs
    batch = run_flow_batch(configs)
    for b, (cfg, run) in enumerate(zip(configs, batch)):
        ref_h, ref_x, ref_norm = autograd_row(cfg, weights.inputs[b], weights.w_xh[b])
        np.testing.assert_allclose(run.grad_h, ref_h, rtol=1e-9)
        np.testing.assert_allclose(run.grad_x, ref_x, rtol=1e-9)
        np.testing.assert_allclose(run.h_norm, ref_norm, rtol=1e-12)


def test_shared_and_explicit_weights_agree():
    """The same batch through the shared fast path and through explicit, materialised
    per-row weights (the batched matrix-vector path) gives the same numbers."""
    configs = [RNNConfig(activation=a, scale=s, hidden=8, steps=40, seed=2)
               for a in ("tanh", "relu") for s in (0.0, 0.7, 2.5)]
    fast = run_flow_batch(configs)
    w = build_weights(configs, torch.device("cpu"), torch.float64)
    explicit = RNNWeights(w.w_hh.clone(), w.w_xh.contiguous().clone(),
                          w.bias.contiguous().clone(), w.inputs.contiguous().clone())
    slow = run_flow_batch(configs, explicit)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a.log10_grad_h, b.log10_grad_h, atol=1e-10)
        np.testing.assert_allclose(a.log10_grad_x, b.log10_grad_x, atol=1e-10)
        np.testing.assert_allclose(a.log10_h_norm, b.log10_h_norm, atol=1e-12)
        assert a.verdict == b.verdict


def test_lazy_stack_equals_each_rows_matrix():
    configs = [RNNConfig(scale=s, hidden=6, steps=3, seed=9) for s in (0.5, 1.0, 3.0)]
    w = build_weights(configs, torch.device("cpu"), torch.float64)
    for b, cfg in enumerate(configs):
        assert torch.equal(w.w_hh[b], recurrent_matrix(cfg))
    picked = w.select([2, 0])
    assert torch.equal(picked.w_hh[0], recurrent_matrix(configs[2]))
    assert picked.inputs.shape == (2, 3, configs[0].input_size)


def test_mixed_seeds_keep_their_own_inputs():
    configs = [RNNConfig(scale=1.0, hidden=5, steps=4, seed=s) for s in (1, 2, 1)]
    w = build_weights(configs, torch.device("cpu"), torch.float64)
    assert not w.same_inputs
    assert torch.equal(w.inputs[0], w.inputs[2])
    assert not torch.equal(w.inputs[0], w.inputs[1])


def _polyfit_factor(y: np.ndarray) -> float:
    x = np.arange(len(y) - 1, -1, -1, dtype=float)
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return math.nan
    return 10.0 ** np.polyfit(x[ok], y[ok], 1)[0]


def test_fitted_factors_match_polyfit_column_by_column():
    rng = np.random.default_rng(0)
    cols = [np.cumsum(rng.normal(-0.3, 0.05, 50)), np.cumsum(rng.normal(0.2, 0.1, 50)),
            np.linspace(0, -4000, 50)]
    holey = np.cumsum(rng.normal(-1, 0.1, 50))
    holey[:10] = -np.inf  # a gradient that became exactly zero
    cols += [holey, np.full(50, -np.inf), np.r_[np.full(49, np.nan), 1.0]]
    table = np.stack(cols, axis=1)
    got = fitted_factors(table)
    for b, col in enumerate(cols):
        want = _polyfit_factor(col)
        if math.isnan(want):
            assert math.isnan(got[b]) and math.isnan(fitted_factor(col))
        else:
            assert got[b] == pytest.approx(want, rel=1e-9)
            assert fitted_factor(col) == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_row_norms_exact_at_both_ends_of_the_range(dtype):
    big = 1e200 if dtype == torch.float64 else 1e25
    tiny = 1e-200 if dtype == torch.float64 else 1e-25
    rows = [[3.0, 4.0], [big, big], [tiny, tiny], [0.0, 0.0], [tiny, 1.0]]
    v = torch.tensor(rows, dtype=torch.float64).to(dtype)
    got = row_norms(v).to(torch.float64).numpy()
    for g, (a, b) in zip(got, v.to(torch.float64).tolist()):
        assert g == pytest.approx(math.hypot(a, b), rel=1e-6 if dtype == torch.float32 else 1e-14)


def test_results_do_not_depend_on_the_thread_count(monkeypatch):
    """Large loops may run on every core when the machine is idle; the numbers must be
    the same bits as on one thread, or the JSON would depend on the machine's load."""
    configs = [RNNConfig(activation=a, scale=s, hidden=64, steps=30, seed=1)
               for a in ("tanh", "relu") for s in np.linspace(0.5, 1.5, 40)]
    runs = {}
    for threads in ("1", "2"):
        monkeypatch.setenv("VGTUI_THREADS", threads)
        runs[threads] = run_flow_batch(configs)
    for a, b in zip(runs["1"], runs["2"]):
        assert np.array_equal(a.log10_grad_h, b.log10_grad_h)
        assert np.array_equal(a.log10_grad_x, b.log10_grad_x)
        assert np.array_equal(a.log10_h_norm, b.log10_h_norm)


def test_loop_threads_only_for_large_products_on_a_free_machine(monkeypatch):
    from vgtui.engine import device

    monkeypatch.delenv("VGTUI_THREADS", raising=False)
    monkeypatch.setattr(device.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(device, "_others_running", lambda: 0)
    assert device.loop_thread_count(device.PARALLEL_WORK) == 4
    assert device.loop_thread_count(device.PARALLEL_WORK - 1) == 0  # small: one thread
    monkeypatch.setattr(device, "_others_running", lambda: 3)
    assert device.loop_thread_count(10 ** 9) == 0  # the other cores are taken
    monkeypatch.setattr(device, "_others_running", lambda: None)
    assert device.loop_thread_count(10 ** 9) == 0  # unknown: assume busy
    monkeypatch.setattr(device, "_others_running", lambda: 0)
    monkeypatch.setenv("VGTUI_THREADS", "1")
    assert device.loop_thread_count(10 ** 9) == 0  # the user's choice wins


def test_long_runs_index_step_by_step_with_the_same_results(monkeypatch):
    from vgtui.engine import flow

    configs = [RNNConfig(activation=a, scale=1.1, hidden=6, steps=40, seed=2)
               for a in ("tanh", "relu", "identity")]
    views = run_flow_batch(configs)
    monkeypatch.setattr(flow, "VIEWS_AT_ONCE", 10)  # as if T were past the limit
    indexed = run_flow_batch(configs)
    for a, b in zip(views, indexed):
        assert np.array_equal(a.log10_grad_h, b.log10_grad_h)
        assert np.array_equal(a.log10_h_norm, b.log10_h_norm)


def test_the_gpu_style_bookkeeping_gives_the_same_numbers(monkeypatch):
    """On CUDA the forward pass keeps its log-scale bookkeeping at every step instead of
    reading the device; no GPU is lent here, so that branch runs on the CPU and must
    agree with the CPU branch, rescaled exploding rows included."""
    from vgtui.engine import flow

    configs = [RNNConfig(activation=a, scale=s, hidden=8, steps=700, seed=3)
               for a in ("relu", "identity", "tanh") for s in (0.5, 5.0)]
    cpu_style = run_flow_batch(configs)
    monkeypatch.setattr(flow, "_cheap_host_reads", lambda device: False)
    gpu_style = run_flow_batch(configs)
    for a, b in zip(cpu_style, gpu_style):
        np.testing.assert_allclose(a.log10_grad_h, b.log10_grad_h, rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(a.log10_h_norm, b.log10_h_norm, rtol=1e-12, atol=1e-9)
    assert max(r.log10_h_norm[-1] for r in cpu_style) > 300  # rows past float range ran

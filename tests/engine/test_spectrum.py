"""Jacobian products, bound, Lyapunov exponents, spectra and clipping against
independent computations: explicit float64 matrix products in numpy, torch
autograd (functional.jacobian and backward), closed forms."""
import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vgtui.engine import ConfigError, RNNConfig
from vgtui.engine.flow import run_flow
from vgtui.engine.recurrence import RNNWeights, build_weights
from vgtui.engine.articles import ARTICLE_TWO_UNIT
from vgtui.engine.bound import catch22_sweep, max_derivative
from vgtui.engine.clipping import clip_gradients
from vgtui.engine.jacobian import (EFFECTIVE_DIM_RATIO, JACOBIAN_MAX_HIDDEN, JACOBIAN_MAX_STEPS,
                                   jacobian_products, jacobian_run, matrix_powers, parse_matrix)
from vgtui.engine.lists import parse_scale_sweep
from vgtui.engine.lyapunov import lyapunov_sweep
from vgtui.engine.spectrum import init_matrix, spectrum_report

FNS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
       "leaky_relu": lambda z, s=0.05: torch.nn.functional.leaky_relu(z, s),
       "identity": lambda z: z}


def explicit_jacobians(cfg: RNNConfig):
    """Weights, hidden states and J_1..J_T as explicit float64 numpy matrices, from a
    plain loop with autograd computing each f'(z) (no vgtui code beyond the weights)."""
    w = build_weights([cfg], torch.device("cpu"), torch.float64)
    f = FNS[cfg.activation] if cfg.activation != "leaky_relu" else (
        lambda z: torch.nn.functional.leaky_relu(z, cfg.leaky_slope))
    h = torch.zeros(cfg.hidden, dtype=torch.float64)
    jacs = []
    for t in range(cfg.steps):
        z = (w.w_hh[0] @ h + w.w_xh[0] @ w.inputs[0, t] + w.bias[0]).detach().requires_grad_(True)
        out = f(z)
        d = torch.autograd.grad(out.sum(), z)[0]  # elementwise f'(z)
        jacs.append((torch.diag(d) @ w.w_hh[0]).numpy())
        h = out.detach()
    return w, jacs


def explicit_products(jacs):
    """P_t = J_T ... J_(t+1) for t = 1..T (P_T = I), plain matrix products."""
    n = jacs[0].shape[0]
    T = len(jacs)
    products = [None] * T
    p = np.eye(n)
    for t in range(T, 0, -1):  # t = T .. 1
        products[t - 1] = p.copy()
        p = p @ jacs[t - 1]
    return products


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "leaky_relu", "identity"])
def test_products_match_explicit_float64_matrix_products(activation):
    cfg = RNNConfig(activation=activation, hidden=6, steps=14, input_size=3, seed=11,
                    scale=1.1, leaky_slope=0.05)
    r = jacobian_run(cfg)
    _, jacs = explicit_jacobians(cfg)
    for k, p in enumerate(explicit_products(jacs)):
        sv = np.linalg.svd(p, compute_uv=False)
        if sv[0] == 0:
            assert r.log10_product_norm[k] == -math.inf
            assert r.effective_dims[k] == 0
            continue
        assert r.log10_product_norm[k] == pytest.approx(math.log10(sv[0]), abs=1e-10)
        assert r.log10_frobenius[k] == pytest.approx(math.log10(np.linalg.norm(p)), abs=1e-10)
        assert r.effective_dims[k] == int(np.sum(sv >= EFFECTIVE_DIM_RATIO * sv[0]))
        resolved = ~np.isnan(r.log10_singular_values[k])
        big = sv > 1e-10 * sv[0]
        assert np.all(resolved[big])
        np.testing.assert_allclose(r.log10_singular_values[k][big], np.log10(sv[big]), atol=1e-8)
        # dL/dh_t for L = sum(h_T) is P_t^T 1
        g = np.linalg.norm(p.T @ np.ones(cfg.hidden))
        if g > 0:
            assert r.log10_grad_h[k] == pytest.approx(math.log10(g), abs=1e-10)


def test_products_match_torch_autograd_functional_jacobian():
    cfg = RNNConfig(activation="tanh", hidden=5, steps=9, input_size=2, seed=4, scale=1.4)
    r = jacobian_run(cfg)
    w = build_weights([cfg], torch.device("cpu"), torch.float64)
    W, U, b, x = w.w_hh[0], w.w_xh[0], w.bias[0], w.inputs[0]

    h = torch.zeros(cfg.hidden, dtype=torch.float64)
    states = []
    for t in range(cfg.steps):
        h = torch.tanh(W @ h + U @ x[t] + b)
        states.append(h)

    for t in (1, 4, 8, 9):  # dh_T / dh_t
        def rest(ht, t=t):
            out = ht
            for k in range(t, cfg.steps):
                out = torch.tanh(W @ out + U @ x[k] + b)
            return out

        jac = torch.autograd.functional.jacobian(rest, states[t - 1]).numpy()
        sv = np.linalg.svd(jac, compute_uv=False)
        assert r.log10_product_norm[t - 1] == pytest.approx(math.log10(sv[0]), abs=1e-10)
        big = sv > 1e-10 * sv[0]
        np.testing.assert_allclose(r.log10_singular_values[t - 1][big], np.log10(sv[big]),
                                   atol=1e-8)


def test_gradient_cross_check_with_the_flow_engine():
    cfg = RNNConfig(activation="tanh", hidden=10, steps=40, scale=1.3, seed=2)
    np.testing.assert_allclose(jacobian_run(cfg).log10_grad_h, run_flow(cfg).log10_grad_h,
                               atol=1e-9)


def test_identity_activation_orthogonal_init_gives_scale_power_exactly():
    for scale in (0.6, 1.0, 1.7):
        cfg = RNNConfig(activation="identity", init="orthogonal", scale=scale, hidden=8, steps=40)
        r = jacobian_run(cfg)
        expected = np.arange(cfg.steps - 1, -1, -1) * math.log10(scale)
        np.testing.assert_allclose(r.log10_product_norm, expected, atol=1e-10)
        # every singular value equals scale^(T-t): all n directions stay alive
        np.testing.assert_allclose(r.log10_singular_values, expected[:, None] * np.ones((1, 8)),
                                   atol=1e-9)
        assert np.all(r.effective_dims == 8)
        assert np.all(np.isnan(r.alignment))  # the top direction is not unique
        np.testing.assert_allclose(r.log10_bound, expected, atol=1e-10)
        assert r.lyapunov == pytest.approx(math.log(scale), abs=1e-10)


@pytest.mark.slow
def test_long_products_stay_exact_in_log_space():
    cfg = RNNConfig(activation="identity", init="orthogonal", scale=0.1, hidden=4,
                    steps=JACOBIAN_MAX_STEPS)
    r = jacobian_run(cfg)
    assert r.log10_product_norm[0] == pytest.approx(-(cfg.steps - 1), abs=1e-8)
    assert np.all(np.isfinite(r.log10_product_norm))


sizes = st.integers(1, 7)


def normal_floats(high):
    """0 or a float from 1e-300 up: subnormal weights (below ~1e-308) lose their digits in
    the SVD and in products, so neither side of the inequality is meaningful there."""
    return st.one_of(st.just(0.0), st.floats(1e-300, high))


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(activation=st.sampled_from(["tanh", "sigmoid", "relu", "leaky_relu", "identity"]),
       init=st.sampled_from(["gaussian", "orthogonal", "identity"]),
       scale=normal_floats(6.0), noise=normal_floats(1.0), hidden=sizes,
       steps=st.integers(1, 30), input_scale=st.floats(0.0, 3.0), seed=st.integers(0, 10_000),
       slope=st.floats(0.0, 1.0))
def test_measured_norm_never_exceeds_the_bound(activation, init, scale, noise, hidden, steps,
                                               input_scale, seed, slope):
    cfg = RNNConfig(activation=activation, init=init, scale=scale, init_noise=noise,
                    hidden=hidden, steps=steps, input_scale=input_scale, seed=seed,
                    leaky_slope=slope)
    r = jacobian_run(cfg)
    measured = r.log10_product_norm
    ok = np.isfinite(measured)
    slack = np.where(np.isfinite(r.log10_bound), 1e-9 * (1 + np.abs(r.log10_bound)), 0.0)
    assert np.all(measured[ok] <= r.log10_stepwise_bound[ok] + slack[ok])
    assert np.all(r.log10_stepwise_bound <= r.log10_bound + slack)
    assert r.bound_violations == 0


def test_bound_uses_each_activation_sup_derivative():
    assert max_derivative("sigmoid") == 0.25
    assert max_derivative("tanh") == 1.0
    z = torch.linspace(-20, 20, 200001, dtype=torch.float64)
    s = torch.sigmoid(z)
    assert float((s * (1 - s)).max()) == pytest.approx(0.25, abs=1e-12)
    cfg = RNNConfig(activation="sigmoid", init="orthogonal", scale=4.0, hidden=6, steps=10)
    r = jacobian_run(cfg)
    assert r.bound_factor == pytest.approx(1.0, abs=1e-12)  # ||W|| = 4 is the break-even
    assert r.bound_dict()["norm_needed_for_survival"] == 4.0


def test_batch_equals_single_runs():
    configs = [RNNConfig(activation=a, scale=s, hidden=6, steps=20, seed=3)
               for a in ("tanh", "sigmoid", "relu") for s in (0.5, 1.5)]
    batch = jacobian_products(configs)
    for cfg, run in zip(configs, batch):
        single = jacobian_run(cfg)
        np.testing.assert_allclose(run.log10_product_norm, single.log10_product_norm, atol=1e-10)
        np.testing.assert_array_equal(run.effective_dims, single.effective_dims)
        assert run.lyapunov == pytest.approx(single.lyapunov, abs=1e-10)


def test_float32_agrees_with_float64():
    cfg = RNNConfig(activation="tanh", hidden=8, steps=30, scale=1.2)
    a = jacobian_run(cfg.replace(dtype="float64"))
    b = jacobian_run(cfg.replace(dtype="float32"))
    assert b.dtype == "float32"
    np.testing.assert_allclose(a.log10_product_norm, b.log10_product_norm, atol=1e-4)


def test_caps_are_refused_naming_the_setting():
    with pytest.raises(ConfigError) as info:
        jacobian_run(RNNConfig(steps=JACOBIAN_MAX_STEPS + 1))
    assert info.value.field == "steps" and str(JACOBIAN_MAX_STEPS) in str(info.value)
    with pytest.raises(ConfigError) as info:
        jacobian_run(RNNConfig(hidden=JACOBIAN_MAX_HIDDEN + 1))
    assert info.value.field == "hidden"


def _weights_with(w_hh: np.ndarray, steps: int, input_scale: float = 0.0) -> tuple:
    n = w_hh.shape[0]
    cfg = RNNConfig(activation="identity", hidden=n, steps=steps, input_size=1,
                    input_scale=input_scale)
    base = build_weights([cfg], torch.device("cpu"), torch.float64)
    w = RNNWeights(torch.tensor(w_hh)[None], base.w_xh, base.bias, base.inputs)
    return cfg, w


def test_surviving_direction_aligns_with_leading_eigenvectors():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(5, 5))
    lam = np.diag([0.9, 0.5, -0.4, 0.3, 0.1])
    w_hh = v @ lam @ np.linalg.inv(v)
    cfg, w = _weights_with(w_hh, steps=80)
    r = jacobian_run(cfg, w)
    # Independent: leading right eigenvector of W and of W^T from numpy.
    vals, vecs = np.linalg.eig(w_hh)
    right = np.real(vecs[:, np.argmax(abs(vals))])
    vals_t, vecs_t = np.linalg.eig(w_hh.T)
    left = np.real(vecs_t[:, np.argmax(abs(vals_t))])
    p = np.linalg.matrix_power(w_hh, cfg.steps - 1)  # P_1 for a linear RNN
    u, _, vt = np.linalg.svd(p)
    expected_right = abs(u[:, 0] @ right) / np.linalg.norm(right)
    expected_left = abs(vt[0] @ left) / np.linalg.norm(left)
    assert r.alignment[0] == pytest.approx(expected_right, abs=1e-9)
    assert r.alignment_gradient[0] == pytest.approx(expected_left, abs=1e-9)
    assert r.alignment[0] > 0.999999 and r.alignment_gradient[0] > 0.999999
    assert r.effective_dims[0] == 1 and r.effective_dims[-1] == 5
    assert r.leading_eigenvalue.real == pytest.approx(0.9)
    assert r.eigen_gap == pytest.approx(0.5 / 0.9)


def test_complex_leading_pair_uses_the_invariant_plane():
    c, s = math.cos(0.7), math.sin(0.7)
    w_hh = np.zeros((4, 4))
    w_hh[:2, :2] = 0.95 * np.array([[c, -s], [s, c]])
    w_hh[2, 2], w_hh[3, 3] = 0.3, -0.2
    w_hh[0, 3] = 0.4  # not normal, still the plane leads
    cfg, w = _weights_with(w_hh, steps=60)
    r = jacobian_run(cfg, w)
    assert abs(r.leading_eigenvalue.imag) > 0.1
    assert r.alignment[0] > 0.999999  # u_1 lies in the rotating plane
    assert r.eigen_gap == pytest.approx(0.3 / 0.95)


def explicit_lyapunov(jacs, burn_in):
    q = np.ones(jacs[0].shape[0])
    rng = np.random.default_rng(1)
    q = rng.normal(size=q.shape)
    q /= np.linalg.norm(q)
    total = 0.0
    for k, j in enumerate(jacs):
        q = j @ q
        size = np.linalg.norm(q)
        q /= size
        if k >= burn_in:
            total += math.log(size)
    return total / (len(jacs) - burn_in)


@pytest.mark.slow
def test_lyapunov_matches_an_explicit_tangent_iteration():
    cfg = RNNConfig(activation="tanh", hidden=8, steps=400, scale=2.0, seed=6)
    r = jacobian_run(cfg)
    _, jacs = explicit_jacobians(cfg)
    # Different start vector; the exponent forgets it after the burn-in.
    assert r.lyapunov == pytest.approx(explicit_lyapunov(jacs, cfg.steps // 5), abs=2e-3)


def test_lyapunov_of_a_linear_rnn_is_log_spectral_radius():
    cfg = RNNConfig(activation="identity", init="gaussian", hidden=12, steps=1000, seed=9,
                    input_scale=0.0)
    sweep = lyapunov_sweep(cfg, [0.5, 1.0, 2.0])
    w0 = init_matrix("gaussian", 12, 1.0, 9).numpy()
    rho = max(abs(np.linalg.eigvals(w0)))
    for row in sweep.rows:
        assert row.exponent == pytest.approx(math.log(row.scale * rho), abs=0.02)
    # one sign change, where scale * rho = 1
    (cross,) = sweep.crossings
    assert cross == pytest.approx(1 / rho, abs=0.1)


@pytest.mark.parametrize("seed", [0, 2])
def test_edge_of_chaos_of_a_linear_rnn_is_one_over_the_spectral_radius(seed):
    """W_hh = s A with identity activation: the exponent is ln s + lambda(A) exactly, so the
    crossing interpolated in log(scale) is exp(-lambda(A)) on any grid, and lambda(A) is
    ln rho(A) once the run is long (these seeds' A have a real, separated leading
    eigenvalue, so 4,000 steps settle it to ~1e-12). numpy eigenvalues are the reference."""
    cfg = RNNConfig(activation="identity", init="gaussian", hidden=8, steps=4000, seed=seed,
                    device="cpu", dtype="float64")
    w0 = init_matrix("gaussian", 8, 1.0, seed).numpy()
    eig = np.linalg.eigvals(w0)
    lead = eig[np.argmax(abs(eig))]
    assert abs(lead.imag) < 1e-12  # a real leading eigenvalue
    rho = abs(lead)
    fine = lyapunov_sweep(cfg, [0.5 + 0.1 * i for i in range(11)]).crossings
    coarse = lyapunov_sweep(cfg, [0.6, 0.9, 1.3, 1.7]).crossings
    assert len(fine) == len(coarse) == 1
    assert fine[0] == pytest.approx(coarse[0], rel=1e-12)  # the grid does not matter
    assert fine[0] == pytest.approx(1 / rho, rel=1e-9)


def test_edge_of_chaos_with_a_complex_leading_pair_is_close():
    cfg = RNNConfig(activation="identity", init="gaussian", hidden=8, steps=4000, seed=1,
                    device="cpu", dtype="float64")
    rho = max(abs(np.linalg.eigvals(init_matrix("gaussian", 8, 1.0, 1).numpy())))
    (cross,) = lyapunov_sweep(cfg, [0.5 + 0.1 * i for i in range(11)]).crossings
    assert cross == pytest.approx(1 / rho, rel=2e-4)  # the pair's rotation: O(1/T)


@pytest.mark.slow
def test_lyapunov_sweep_is_one_batch_matching_single_runs():
    base = RNNConfig(activation="tanh", hidden=10, steps=200, seed=1)
    sweep = lyapunov_sweep(base, [0.8, 1.6, 2.4])
    for row in sweep.rows:
        single = jacobian_run(base.replace(scale=row.scale))
        assert row.exponent == pytest.approx(single.lyapunov, abs=1e-10)


def test_catch22_counts_match_flow_runs():
    base = RNNConfig(activation="tanh", hidden=8, steps=60, seed=3)
    sweep = catch22_sweep(base, [0.5, 5.0], sequences=4)
    from vgtui.engine.recurrence import random_stream

    for row in sweep.rows:
        cfg = base.replace(scale=row.scale)
        w = build_weights([cfg], torch.device("cpu"), torch.float64)
        exploded = vanished = 0
        for k in range(4):
            x = torch.randn(cfg.steps, cfg.input_size, generator=random_stream(cfg.seed + 1 + k, 2),
                            dtype=torch.float64) * cfg.input_scale
            r = run_flow(cfg, RNNWeights(w.w_hh, w.w_xh, w.bias, x[None]))
            gain = max(r.log10_ratio)
            exploded += gain > 6
            vanished += (r.log10_ratio[0] < -6) and gain <= 6
        assert (row.exploded, row.vanished) == (exploded, vanished)
        assert row.bound_factor == pytest.approx(np.linalg.norm(w.w_hh[0].numpy(), 2))
    assert sweep.rows[0].vanished == 4 and sweep.rows[1].exploded >= 1


def test_two_unit_example_against_numpy_powers():
    m = matrix_powers(parse_matrix("0.5,0.1;0.2,0.4"), 0.8, 20)
    w = np.reshape([0.5, 0.1, 0.2, 0.4], (2, 2))
    j = 0.8 * w
    for n in range(1, 21):
        p = np.linalg.matrix_power(j, n)
        assert m.log10_frobenius[n - 1] == pytest.approx(math.log10(np.linalg.norm(p)), abs=1e-12)
        assert m.log10_spectral[n - 1] == pytest.approx(math.log10(np.linalg.norm(p, 2)), abs=1e-12)
    assert m.spectral_radius == pytest.approx(max(abs(np.linalg.eigvals(j))), abs=1e-14)
    assert m.spectral_radius_w == pytest.approx(max(abs(np.linalg.eigvals(w))), abs=1e-14)
    rows = m.article_rows()
    assert rows[0]["article"] == ARTICLE_TWO_UNIT.spectral_radius
    assert rows[0]["computed"] != pytest.approx(rows[0]["article"], abs=1e-3)
    for row in rows[1:]:
        n = row["n"]
        assert row["computed"] == pytest.approx(np.linalg.norm(np.linalg.matrix_power(j, n)))
        assert row["implied_rate"] == pytest.approx(row["article"] ** (1 / n))
    # not the article's matrix: no comparison rows
    assert matrix_powers(parse_matrix("0.5,0.1;0.2,0.41"), 0.8, 5).article_rows() == []


def test_matrix_powers_far_below_float_range():
    m = matrix_powers(np.array([[0.1]]), 1.0, 5000)
    assert m.log10_spectral[-1] == pytest.approx(-5000, abs=1e-6)


@pytest.mark.parametrize("text,words", [
    ("", "empty"), ("1,2;3", "square"), ("a,b;c,d", "not a number"), ("1,nan;0,1", "finite"),
    (";".join(["1"] * 40), "at most"),
])
def test_bad_matrices_are_refused(text, words):
    with pytest.raises(ConfigError) as info:
        parse_matrix(text)
    assert words in str(info.value) and info.value.field == "matrix"


@pytest.mark.parametrize("text", ["", "1,x", "0.5:2", "1:2:1", "-1,2", "1:2:99999", "inf"])
def test_bad_scale_lists_are_refused(text):
    with pytest.raises(ConfigError) as info:
        parse_scale_sweep(text)
    assert info.value.field == "scales"


def test_scale_lists_parse():
    assert parse_scale_sweep("0.5, 1,1.5") == [0.5, 1.0, 1.5]
    assert parse_scale_sweep("0:1:5") == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_spectrum_against_numpy_and_torch_init_rules():
    rep = spectrum_report(48, 1.3, seed=2, power_steps=30, shear=0.7)
    for e in rep.entries:
        w = init_matrix(e.init, 48, 1.3, 2, 0.7).numpy()
        np.testing.assert_allclose(np.sort(e.magnitudes), np.sort(abs(np.linalg.eigvals(w))),
                                   atol=1e-6 if e.init == "shear" else 1e-9)
        assert e.spectral_norm == pytest.approx(np.linalg.norm(w, 2), rel=1e-12)
        assert e.spectral_norm >= e.spectral_radius * (1 - 1e-12)
        from vgtui.engine.recurrence import random_stream

        v = torch.randn(48, generator=random_stream(2, 5), dtype=torch.float64).numpy()
        v /= np.linalg.norm(v)
        for k in (1, 7, 30):
            expected = np.linalg.norm(np.linalg.matrix_power(w, k) @ v)
            assert e.log10_power[k] == pytest.approx(math.log10(expected), abs=1e-9)
    orth = rep.entry("orthogonal")
    np.testing.assert_allclose(orth.magnitudes, 1.3, atol=1e-9)
    assert orth.departure < 1e-12
    shear = rep.entry("shear")
    np.testing.assert_allclose(shear.magnitudes, 1.3)  # the diagonal
    assert shear.spectral_norm > 1.3 * 1.5  # non-normal: norm well above radius
    # Xavier uniform and torch's RNN default: entry variance 1/n and 1/(3n)
    big = 400
    xv = init_matrix("xavier", big, 1.0, 0).numpy()
    td = init_matrix("torch-default", big, 1.0, 0).numpy()
    ref = torch.empty(big, big, dtype=torch.float64)
    torch.nn.init.xavier_uniform_(ref)
    assert xv.var() == pytest.approx(ref.var().item(), rel=0.02)
    assert abs(xv).max() <= math.sqrt(3 / big)
    assert td.var() == pytest.approx(1 / (3 * big), rel=0.02)
    rnn = torch.nn.RNN(1, big)
    assert abs(rnn.weight_hh_l0.detach()).max().item() <= 1 / math.sqrt(big) + 1e-9
    assert abs(td).max() <= 1 / math.sqrt(big)


def test_shear_example_grows_before_it_decays():
    rep = spectrum_report(16, 0.9, power_steps=200, shear=1.0, inits=("shear",))
    e = rep.entry("shear")
    assert e.spectral_radius == pytest.approx(0.9)
    k, peak = e.power_peak
    assert peak > 1 and 0 < k < 200 and e.log10_power[-1] < peak


def autograd_parameter_grad(cfg: RNNConfig):
    w = build_weights([cfg], torch.device("cpu"), torch.float64)
    W = w.w_hh[0].clone().requires_grad_(True)
    U = w.w_xh[0].clone().requires_grad_(True)
    b = w.bias[0].clone().requires_grad_(True)
    f = FNS[cfg.activation]
    h = torch.zeros(cfg.hidden, dtype=torch.float64)
    for t in range(cfg.steps):
        h = f(W @ h + U @ w.inputs[0, t] + b)
    h.sum().backward()
    return W, U, b


@pytest.mark.parametrize("activation,scale", [("tanh", 1.0), ("tanh", 3.0), ("sigmoid", 1.0),
                                              ("relu", 1.2), ("identity", 1.1)])
def test_clipping_matches_autograd_and_clip_grad_norm(activation, scale):
    cfg = RNNConfig(activation=activation, scale=scale, hidden=7, steps=25, input_size=3, seed=8)
    for tau in (1e-3, 1.0, 1e6):
        (run,) = clip_gradients([cfg], tau)
        W, U, b = autograd_parameter_grad(cfg)
        total = math.sqrt(sum(float(p.grad.norm()) ** 2 for p in (W, U, b)))
        assert run.log10_grad_norm == pytest.approx(math.log10(total), abs=1e-10)
        assert run.log10_grad_w_hh == pytest.approx(math.log10(W.grad.norm().item()), abs=1e-10)
        assert run.log10_grad_w_xh == pytest.approx(math.log10(U.grad.norm().item()), abs=1e-10)
        assert run.log10_grad_b == pytest.approx(math.log10(b.grad.norm().item()), abs=1e-10)
        torch.nn.utils.clip_grad_norm_([W, U, b], max_norm=tau)
        after = math.sqrt(sum(float(p.grad.norm()) ** 2 for p in (W, U, b)))
        # torch divides by (norm + 1e-6), so its result sits a hair below tau
        assert run.log10_grad_norm_after == pytest.approx(math.log10(after), abs=1e-6)
        # clipping rescales every step's share alike
        assert run.log10_first_to_last_after == pytest.approx(run.log10_first_to_last, abs=1e-12)
        assert run.log10_clip_factor <= 0


def test_clipping_cannot_restore_a_vanished_gradient():
    vanishing = RNNConfig(activation="sigmoid", scale=1.0, hidden=16, steps=100)
    (run,) = clip_gradients([vanishing], tau=1e6)
    assert not run.clipped
    assert run.log10_grad_norm_after == run.log10_grad_norm
    assert run.log10_contribution[0] < -20  # step 1's share is tiny ...
    np.testing.assert_array_equal(run.log10_contribution_after, run.log10_contribution)  # ... and stays


def test_contribution_of_one_step_matches_autograd_per_step():
    cfg = RNNConfig(activation="tanh", scale=1.5, hidden=5, steps=12, input_size=2, seed=1)
    (run,) = clip_gradients([cfg], 1.0)
    w = build_weights([cfg], torch.device("cpu"), torch.float64)
    zs, h = [], torch.zeros(cfg.hidden, dtype=torch.float64)
    hs = [h]
    for t in range(cfg.steps):
        z = w.w_hh[0] @ h + w.w_xh[0] @ w.inputs[0, t] + w.bias[0]
        z.requires_grad_(True)
        zs.append(z)
        h = torch.tanh(z)
        hs.append(h)
    grads = torch.autograd.grad(hs[-1].sum(), zs)
    for t in range(cfg.steps):
        size = grads[t].norm().item() * math.sqrt(hs[t].detach().norm().item() ** 2
                                                  + w.inputs[0, t].norm().item() ** 2 + 1)
        assert run.log10_contribution[t] == pytest.approx(math.log10(size), abs=1e-10)


def test_bad_tau_is_refused():
    for bad in (0, -1, float("nan"), "x", 1e20):
        with pytest.raises(ConfigError) as info:
            clip_gradients([RNNConfig(steps=3)], bad)
        assert info.value.field == "tau"


@pytest.mark.slow
def test_training_drift_runs_each_init_independently():
    from vgtui.engine.spectrum import training_drift

    batch = training_drift(8, 1.0, seed=1, steps=6)
    alone = training_drift(8, 1.0, seed=1, steps=6, inits=("orthogonal",))
    row = next(d for d in batch if d.init == "orthogonal")
    assert row.radius_after == pytest.approx(alone[0].radius_after, rel=1e-9)
    assert row.loss_after == pytest.approx(alone[0].loss_after, rel=1e-9)
    for d in batch:
        w = init_matrix(d.init, 8, 1.0, 1).numpy()
        assert d.radius_before == pytest.approx(max(abs(np.linalg.eigvals(w))), rel=1e-9)
        assert d.norm_before == pytest.approx(np.linalg.norm(w, 2), rel=1e-9)
        assert d.change > 0
    with pytest.raises(ConfigError) as info:
        training_drift(200, 1.0, steps=3)
    assert info.value.field == "hidden"


@pytest.mark.parametrize("activation", ["identity", "relu"])
def test_clipping_through_a_rescaled_forward_pass_matches_autograd(activation):
    # h grows past 1e100, where the forward pass carries relu/identity rows rescaled;
    # every value still fits a float64, so autograd can check it directly.
    cfg = RNNConfig(activation=activation, init="orthogonal" if activation == "identity" else
                    "identity", scale=10.0, hidden=4, steps=120, input_size=2, seed=3,
                    input_scale=1.0)
    (run,) = clip_gradients([cfg], 1.0)
    W, U, b = autograd_parameter_grad(cfg)
    assert math.isfinite(W.grad.norm().item()) and W.grad.norm().item() > 1e100
    assert run.log10_grad_w_hh == pytest.approx(math.log10(W.grad.norm().item()), abs=1e-8)
    assert run.log10_grad_w_xh == pytest.approx(math.log10(U.grad.norm().item()), abs=1e-8)
    total = math.sqrt(sum(float(p.grad.norm()) ** 2 for p in (W, U, b)))
    assert run.log10_grad_norm == pytest.approx(math.log10(total), abs=1e-8)


def test_henrici_departure_against_a_known_schur_form():
    """W = Q T Q^T with T upper triangular: Henrici's departure from normality is the
    Frobenius norm of T's strictly upper part, whatever the orthogonal Q."""
    from vgtui.engine.spectrum import henrici_relative

    rng = np.random.default_rng(3)
    n = 12
    t = np.triu(rng.normal(size=(n, n)), 1) * 0.3 + np.diag(rng.uniform(-1, 1, n))
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    w = q @ t @ q.T
    expected = np.linalg.norm(np.triu(t, 1)) / np.linalg.norm(t)
    assert henrici_relative(w, np.linalg.eigvals(w)) == pytest.approx(expected, rel=1e-8)
    assert henrici_relative(t, np.diag(t), triangular=True) == pytest.approx(expected, rel=1e-14)
    # a normal matrix reads 0; the shear's closed form b sqrt(n-1) / ||I + b N||_F
    assert henrici_relative(q, np.linalg.eigvals(q)) == 0.0
    rep = spectrum_report(16, 1.0, seed=0, power_steps=2, shear=0.5, inits=("shear",))
    assert rep.entry("shear").departure == pytest.approx(
        0.5 * math.sqrt(15) / math.sqrt(16 + 0.25 * 15), rel=1e-14)
    assert rep.entry("shear").to_dict()["henrici_departure"] == pytest.approx(0.5 * math.sqrt(15))


def test_ties_are_read_through_rounding_not_by_it():
    """An orthogonal W keeps ||W^k v|| = 1 for every k: every k ties, so the peak is
    k = 0 (where rounding last put the largest value differs between CPUs). Eigenvalues
    of equal magnitude come in an order that a change in the last bits cannot alter."""
    from vgtui.engine.spectrum import by_magnitude

    rep = spectrum_report(16, 1.0, seed=0, power_steps=50, inits=("orthogonal",))
    entry = rep.entry("orthogonal")
    assert np.max(np.abs(entry.log10_power)) < 1e-12  # every norm is 1 up to rounding
    assert entry.power_peak[0] == 0
    # a true peak is still found: values 1e-6 decades apart are not a tie
    entry.log10_power = np.array([0.0, 1e-6, 3e-6, 2e-6])
    assert entry.power_peak == (2, 3e-6)
    # rotations by distinct angles, all |lambda| = 1; nudged by 1e-15 they sort the same
    angles = np.array([0.3, 2.0, 1.1, 0.0, np.pi])
    vals = np.concatenate([np.exp(1j * angles), np.exp(-1j * angles[:3])])
    rng = np.random.default_rng(0)
    nudged = vals * (1 + 1e-15 * rng.standard_normal(vals.size))
    order = by_magnitude(vals)
    assert np.array_equal(by_magnitude(nudged[rng.permutation(vals.size)]).round(12),
                          order.round(12))
    assert list(order.real.round(12)) == sorted(order.real.round(12), reverse=True)
    assert order[0] == 1.0 and order[-1].real == pytest.approx(-1.0)

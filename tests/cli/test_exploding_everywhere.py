"""Exploding configurations (scale 5, T = 10,000, relu) in every lookup that accepts
them: no nan and no silent inf anywhere in the JSON or the table; magnitudes stay
exact in log space (checked against an arbitrary-precision reference); forward
overflow and saturation are reported as such.
"""
from __future__ import annotations

import json
import math
import re
from decimal import Context, Decimal

import numpy as np
import pytest
import torch

from vgtui.engine import RNNConfig

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

BAD_WORDS = re.compile(r"\b(nan|NaN|inf|Infinity)\b")


def _json(run_cli, *args):
    code, out, err = run_cli(*args, "--json")
    assert code == 0, err
    assert "NaN" not in out and "Infinity" not in out
    return json.loads(out)


def _table(run_cli, *args) -> str:
    code, out, err = run_cli(*args)
    assert code == 0, err
    assert err == ""
    bad = BAD_WORDS.findall(out)
    assert not bad, f"{args}: {bad} in\n{out[:3000]}"
    return out


def _finite(values, allow_zero: bool = False):
    arr = np.asarray(values, dtype=float)
    assert not np.isnan(arr).any()
    ok = np.isfinite(arr) | (allow_zero & (arr == -np.inf))
    assert ok.all(), arr[~ok][:5]
    return arr


# -- an independent reference: the same recurrence in 40-digit decimal arithmetic --------
CTX = Context(prec=40, Emax=10**8, Emin=-10**8)


def _decimal_flow(config: RNNConfig):
    """log10 ||h_t|| and log10 ||dL/dh_t|| for a relu RNN by plain loops in Decimal, whose
    exponent range has no float limit. Weights come from the engine's seeded streams
    (they are inputs here, not results)."""
    from vgtui.engine.recurrence import build_weights

    w = build_weights([config], torch.device("cpu"), torch.float64)
    W = [[Decimal(float(v)) for v in row] for row in w.w_hh[0].numpy()]
    U = [[Decimal(float(v)) for v in row] for row in w.w_xh[0].numpy()]
    X = w.inputs[0].numpy()
    n, m = config.hidden, config.input_size
    h = [Decimal(0)] * n
    masks, log_h = [], []
    for t in range(config.steps):
        x = [Decimal(float(v)) for v in X[t]]
        z = [CTX.add(sum((CTX.multiply(W[i][j], h[j]) for j in range(n)), Decimal(0)),
                     sum((CTX.multiply(U[i][k], x[k]) for k in range(m)), Decimal(0)))
             for i in range(n)]
        masks.append([zi > 0 for zi in z])
        h = [zi if zi > 0 else Decimal(0) for zi in z]
        log_h.append(float(CTX.sqrt(sum((CTX.multiply(v, v) for v in h), Decimal(0))).log10(CTX)))
    g = [Decimal(1)] * n  # dL/dh_T for L = sum(h_T)
    log_g = [0.0] * config.steps
    for t in range(config.steps - 1, -1, -1):
        log_g[t] = float(CTX.sqrt(sum((CTX.multiply(v, v) for v in g), Decimal(0))).log10(CTX))
        if t == 0:
            break
        a = [g[i] if masks[t][i] else Decimal(0) for i in range(n)]
        g = [sum((CTX.multiply(W[i][j], a[i]) for i in range(n)), Decimal(0)) for j in range(n)]
    return np.array(log_h), np.array(log_g)


@pytest.mark.slow
def test_flow_relu_scale_5_over_10000_steps_matches_a_decimal_reference(run_cli):
    args = ["flow", "--activation", "relu", "--scale", "5", "--steps", "10000", "--hidden", "4",
            "--input-size", "2", "--seed", "1"]
    d = _json(run_cli, *args)
    log_h, log_g = _decimal_flow(RNNConfig(activation="relu", scale=5.0, steps=10_000, hidden=4,
                                           input_size=2, seed=1))
    assert log_g[0] > 3000 and log_h[-1] > 3000  # far past float range (1e308)
    np.testing.assert_allclose(_finite(d["log10_grad_h"]), log_g, rtol=0, atol=1e-8)
    np.testing.assert_allclose(_finite(d["log10_h_norm"]), log_h, rtol=0, atol=1e-8)
    assert d["forward_overflow_step"] == int(np.argmax(log_h >= 308)) + 1
    assert d["verdict"] == "exploding"
    code, raw, _ = run_cli(*args, "--json")  # the exact literal, not 0 or inf
    assert re.search(r'"grad_h": \[\d\.\d+e\d{4}', raw)
    out = _table(run_cli, *args)
    assert "passes float range" in out and "e+" in out


@pytest.mark.slow
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "identity"])
def test_flow_every_homogeneous_activation_stays_exact(run_cli, activation):
    d = _json(run_cli, "flow", "--activation", activation, "--scale", "5", "--steps", "10000")
    assert _finite(d["log10_grad_h"])[0] > 1000
    assert _finite(d["log10_h_norm"]).max() > 1000
    assert d["forward_overflow_step"] is not None
    _table(run_cli, "flow", "--activation", activation, "--scale", "5", "--steps", "10000")


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_saturating_activations_report_saturation(run_cli, activation):
    d = _json(run_cli, "flow", "--activation", activation, "--scale", "5", "--steps", "10000")
    _finite(d["log10_grad_h"], allow_zero=True)
    assert np.mean(d["saturation"]) > 0.3  # reported per step, as a share of units
    assert d["forward_overflow_step"] is None  # bounded activations never overflow
    _table(run_cli, "flow", "--activation", activation, "--scale", "5", "--steps", "10000")


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["lstm", "gru"])
def test_gated_cells_at_scale_5_over_10000_steps(run_cli, arch):
    args = ["flow", "--arch", arch, "--layers", "2", "--scale", "5", "--steps", "10000",
            "--hidden", "8"]
    d = _json(run_cli, *args)
    _finite(d["log10_grad_h"], allow_zero=True)
    for layer in d["layers"]:
        _finite(layer["log10_grad_h"], allow_zero=True)
    _table(run_cli, *args)
    # relu does not apply to a gated cell: refused, naming the flag
    code, _, err = run_cli("flow", "--arch", arch, "--activation", "relu")
    assert code == 2 and "--activation" in err


def test_jacobian_products_agree_with_the_flow_gradient(run_cli):
    """dh_T/dh_t (T = 1000, its cap) through relu at scale 5: the product's own
    ||P_t^T 1|| must equal the flow engine's ||dL/dh_t|| (a different algorithm)."""
    args = ["--activation", "relu", "--scale", "5", "--steps", "1000", "--hidden", "8"]
    jac = _json(run_cli, "jacobian", *args)
    flow = _json(run_cli, "flow", *args)
    norms = _finite(jac["log10_product_norm"])
    assert norms[0] > 300
    np.testing.assert_allclose(jac["log10_grad_h"], flow["log10_grad_h"], atol=1e-7)
    assert math.isfinite(jac["lyapunov"]) and jac["lyapunov"] > 0
    _table(run_cli, "jacobian", *args)


def test_bound_holds_far_past_float_range(run_cli):
    args = ["--activation", "relu", "--scale", "5", "--steps", "1000", "--hidden", "8"]
    d = _json(run_cli, "bound", *args, "--scales", "1,5", "--sequences", "4")
    measured, bound = _finite(d["log10_measured"]), _finite(d["log10_bound"])
    assert measured[0] > 300
    assert np.all(measured <= bound + 1e-6)  # Bengio et al.'s bound, in log space
    for row in d["sweep"]["rows"]:  # -inf: exactly 0 (dead relu units), never nan
        assert not math.isnan(row["max_log10_gain"]) and not math.isnan(row["median_log10_first"])
    assert d["sweep"]["rows"][-1]["forward_overflowed"] >= 0
    _table(run_cli, "bound", *args, "--scales", "1,5", "--sequences", "4")


@pytest.mark.slow
def test_lyapunov_at_scales_up_to_5_over_10000_steps(run_cli):
    args = ["--activation", "relu", "--steps", "10000", "--scales", "1,3,5"]
    d = _json(run_cli, "lyapunov", *args)
    for row in d["rows"]:
        assert math.isfinite(row["exponent"]) and math.isfinite(row["factor"])
    assert d["rows"][-1]["exponent"] > 0
    _table(run_cli, "lyapunov", *args)


@pytest.mark.slow
def test_clipping_an_exploded_gradient(run_cli):
    args = ["--activation", "relu", "--scale", "5", "--steps", "10000", "--tau", "5"]
    d = _json(run_cli, "clip", *args)
    assert d["log10_grad_norm"] > 1000 and d["clipped"]
    assert d["log10_grad_norm_after"] == pytest.approx(math.log10(5), abs=1e-9)
    assert d["log10_clip_factor"] == pytest.approx(math.log10(5) - d["log10_grad_norm"])
    _finite(d["log10_contribution"])
    # clipping moves every step by the same factor: the early/late ratio is unchanged
    assert d["log10_first_to_last_after"] == pytest.approx(d["log10_first_to_last"])
    _table(run_cli, "clip", *args)


@pytest.mark.slow
def test_six_architectures_at_scale_5_over_10000_steps(run_cli):
    args = ["compare", "--scale", "5", "--steps", "10000", "--radius", "1.5", "--hidden", "8"]
    d = _json(run_cli, *args)
    for summary in d["summary"]:
        assert summary.get("log10_first_over_last") is None or \
            not math.isnan(summary["log10_first_over_last"])
    ssm = [r["log10_grad"] for r in d["rows"] if r["arch"] == "ssm"]
    ssm = _finite(ssm)
    # |lambda| = 1.5 on every mode: 1.5^(T-1), about 1e1761, kept exactly
    assert ssm[0] - ssm[-1] == pytest.approx(9999 * math.log10(1.5), abs=3)
    for arch in ("rnn", "lstm", "gru", "residual", "attention"):
        _finite([r["log10_grad"] for r in d["rows"] if r["arch"] == arch], allow_zero=True)
    out = _table(run_cli, *args)
    assert "exact zeros" in out  # a float64 derivative of exactly 0 is counted, not hidden


@pytest.mark.slow
def test_measured_decay_table_and_longrange_at_scale_5(run_cli):
    d = _json(run_cli, "decay", "--measured", "--activations", "relu,identity,leaky_relu",
              "--scales", "5", "--steps", "10000", "--hidden", "16")
    for row in d["rows"]:
        assert math.isfinite(row["log10_ratio"]) and row["log10_ratio"] > 1000
        assert row["verdict"] == "exploding"
    _table(run_cli, "decay", "--measured", "--activations", "relu,identity,leaky_relu",
           "--scales", "5", "--steps", "10000", "--hidden", "16")
    lr = _json(run_cli, "longrange", "--model", "rnn", "--activation", "relu", "--scale", "5",
               "--filler", "5000", "--hidden", "16", "--gaps", "0,5000")
    _finite([tok["log10_grad"] for tok in lr["tokens"]])
    _finite([p["log10_ratio"] for p in lr["sweep"]])
    _table(run_cli, "longrange", "--model", "rnn", "--activation", "relu", "--scale", "5",
           "--filler", "5000", "--hidden", "16", "--gaps", "0,5000")


@pytest.mark.slow
def test_scalar_chain_and_closed_forms_past_float_range(run_cli):
    d = _json(run_cli, "trace", "--weight", "100", "--steps", "100000")
    w = [r for r in d["rows"]][-1]
    assert w["linear"] is not None
    out = _table(run_cli, "trace", "--weight", "100", "--steps", "100000")
    assert "e+200000" in out  # w^T = 100^100000, exactly
    _table(run_cli, "decay", "--factors", "5,0.2", "--steps", "10000,1000000000")


def test_tiny_weights_give_tiny_gradients_not_zero(run_cli):
    """scale 1e-300: each step back multiplies by about 1e-300, far below float range."""
    for args in (["flow"], ["flow", "--arch", "lstm"], ["clip"]):
        d = _json(run_cli, *args, "--scale", "1e-300", "--steps", "3", "--hidden", "4")
        g = _finite(d["log10_grad_h"])
        assert -620 < g[0] < -280, g  # one or two factors of 1e-300, not -inf

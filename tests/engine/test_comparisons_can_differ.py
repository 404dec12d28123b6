"""Every "measured against predicted" pair that vgtui presents side by side (issue 17.4).

A comparison is only worth showing if its two sides are computed separately and can
disagree. For each pair this finds a setting where they do, so none of them is equal by
construction. The list names where each pair is shown.
"""
import math

import pytest

from vgtui.engine import RNNConfig
from vgtui.engine import closed_form as cf
from vgtui.engine.claims import build_claims
from vgtui.engine.clipping import clip_gradients
from vgtui.engine.flow import run_flow
from vgtui.engine.gated import run_stack
from vgtui.engine.jacobian import jacobian_run, matrix_powers
from vgtui.engine.lyapunov import lyapunov_sweep
from vgtui.engine.sweep import run_sweep, sweep_spec

CPU = {"device": "cpu", "dtype": "float64"}


def _flow_radius_vs_norm():  # Gradient Flow, Spectrum, flow/spectrum JSON
    r = run_flow(RNNConfig(init="gaussian", hidden=16, steps=10, **CPU))
    return math.log10(r.spectral_radius), math.log10(r.spectral_norm)


def _trace_vs_linear():  # Scalar chain, vgtui trace: dh_t/dh_0 against w^t
    t = cf.scalar_trace(1.5, 30, 0.1)
    return float(t.cum_log10[-1]), float(t.lin_log10[-1])


def _measured_vs_shortcut():  # Decay tables (measured), vgtui decay --measured
    cell = run_sweep(sweep_spec((1.5,), ("tanh",), hidden=16, steps=40, **CPU)).cells[0]
    return cell.log10_ratio, cell.log10_implied_ratio


def _measured_vs_bound():  # Pascanu et al. bound screen, vgtui bound
    r = jacobian_run(RNNConfig(activation="tanh", hidden=12, steps=20, **CPU))
    return float(r.log10_product_norm[0]), float(r.log10_bound[0])


def _measured_vs_typical():  # the same screen's typical-derivative curve
    r = jacobian_run(RNNConfig(activation="tanh", hidden=12, steps=20, scale=2.0, **CPU))
    return float(r.log10_product_norm[0]), float(r.log10_typical[0])


def _spectral_vs_frobenius():  # vgtui jacobian --matrix: main figures against the article block
    m = matrix_powers([[0.5, 0.1], [0.2, 0.4]], 0.8, 20)
    return float(m.log10_spectral[0]), float(m.log10_frobenius[0])  # n = 1


def _powers_vs_radius():  # vgtui jacobian --matrix: ||J^n|| against rho(J)^n
    m = matrix_powers([[0.5, 2.0], [0.0, 0.5]], 1.0, 10)
    return float(m.log10_spectral[4]), float(m.log10_radius_power[4])


def _lyapunov_vs_log_radius():  # Exploding & clipping, vgtui lyapunov
    row = lyapunov_sweep(RNNConfig(activation="tanh", hidden=12, steps=200, **CPU), [2.0]).rows[0]
    return row.exponent, math.log(row.spectral_radius)


def _cell_total_vs_cell_only():  # Forget gate, vgtui flow --arch lstm
    layer = run_stack(RNNConfig(arch="lstm", hidden=8, steps=30, scale=2.0, **CPU)).top
    return float(layer.log10_grad_c[0]), float(layer.log10_cell_path[0])


def _cell_total_vs_forget_product():  # Forget gate: the articles' prediction
    layer = run_stack(RNNConfig(arch="lstm", hidden=8, steps=30, scale=2.0, **CPU)).top
    return (float(layer.log10_grad_c[0] - layer.log10_grad_c[-1]),
            float(layer.log10_forget_product[0]))


def _clip_before_vs_after():  # Exploding & clipping, vgtui clip
    run = clip_gradients([RNNConfig(activation="tanh", hidden=12, steps=20, scale=2.0, **CPU)],
                         1.0)[0]
    return run.log10_grad_norm, run.log10_grad_norm_after


def _claim_article_vs_computed():  # Claims, vgtui claims: a stated figure that fails
    failing = [c for c in build_claims(("closed",)).claims if c.verdict == "fails"
               and c.computed is not None and c.stated.number is not None]
    c = failing[0]
    return float(c.stated.number), float(c.computed)


PAIRS = {
    "spectral radius vs spectral norm": _flow_radius_vs_norm,
    "scalar chain vs w^t": _trace_vs_linear,
    "measured decay vs rho x mean f' shortcut": _measured_vs_shortcut,
    "measured ||dh_T/dh_t|| vs the bound": _measured_vs_bound,
    "measured ||dh_T/dh_t|| vs typical-derivative curve": _measured_vs_typical,
    "spectral vs Frobenius norm of J^n": _spectral_vs_frobenius,
    "||J^n|| vs rho(J)^n": _powers_vs_radius,
    "Lyapunov exponent vs ln rho(W_hh)": _lyapunov_vs_log_radius,
    "total dL/dc_t vs cell-only path": _cell_total_vs_cell_only,
    "total dL/dc_t ratio vs product of forget gates": _cell_total_vs_forget_product,
    "gradient norm before vs after clipping": _clip_before_vs_after,
    "article figure vs computed value": _claim_article_vs_computed,
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_each_presented_pair_can_differ(name):
    a, b = PAIRS[name]()
    assert math.isfinite(a) and math.isfinite(b)
    assert abs(a - b) > 1e-3 * max(1.0, abs(a), abs(b)), (name, a, b)

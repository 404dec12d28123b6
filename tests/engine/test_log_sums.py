"""Long sums of per-step logs (issue 17.2) against exact references: Python's Fraction
sums of the very float terms, and Decimal logarithms at 50 digits for closed forms."""
import math
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from vgtui.engine import RNNConfig
from vgtui.engine import closed_form as cf
from vgtui.engine.flow import run_flow
from vgtui.engine.magnitude import json_number, meaningful_digits
from vgtui.engine.sums import RunningSum, exact_cumsum, exact_cumsum_torch


def _exact_prefix_sums(values):
    total, out = Fraction(0), []
    for v in values:
        total += Fraction(float(v))
        out.append(total)
    return out


def _dec_log10(x) -> Decimal:
    return Decimal(x).ln() / Decimal(10).ln()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-700.0, 700.0), min_size=1, max_size=400))
def test_cumulative_sums_are_within_two_ulp_of_the_exact_sums(values):
    exact = _exact_prefix_sums(values)
    for got in (exact_cumsum(values), exact_cumsum_torch(torch.tensor(values, dtype=torch.float64)).numpy()):
        for g, e in zip(got, exact):
            assert abs(Fraction(float(g)) - e) <= 2 * math.ulp(float(e)) + 1e-300


def test_a_long_sum_keeps_its_digits_where_a_plain_running_sum_drifts():
    rng = np.random.default_rng(17)
    terms = rng.normal(-0.69, 0.05, 100_000)
    exact = float(sum(Fraction(float(v)) for v in terms))
    plain = float(np.cumsum(terms)[-1])
    ours = float(exact_cumsum(terms)[-1])
    assert abs(ours - exact) <= 2 * math.ulp(exact)
    assert abs(plain - exact) > 10 * math.ulp(exact)  # the reference really is harder
    backwards = exact_cumsum(terms, reverse=True)
    assert abs(backwards[0] - exact) <= 2 * math.ulp(exact)
    running = RunningSum(0.0)
    for v in terms[:5000]:
        running.add(float(v))
    assert running.value() == float(sum(Fraction(float(v)) for v in terms[:5000]))


def test_infinite_terms_propagate_like_a_plain_sum():
    out = exact_cumsum([1.0, -math.inf, 2.0])
    assert out[0] == 1.0 and out[1] == -math.inf and out[2] == -math.inf
    assert list(exact_cumsum([0.0, 0.0])) == [0.0, 0.0]


@pytest.mark.slow
def test_flow_at_100000_steps_is_exact_to_1e_12():
    """The orthogonal linear chain at scale 0.5: ||dL/dh_1|| = 0.5^(T-1) sqrt(n) exactly."""
    steps, n = 100_000, 64
    run = run_flow(RNNConfig(activation="identity", init="orthogonal", scale=0.5, steps=steps,
                             hidden=n, device="cpu", dtype="float64"))
    with localcontext() as ctx:
        ctx.prec = 50
        exact = (steps - 1) * _dec_log10(Decimal(1) / 2) + _dec_log10(n) / 2
        got = Decimal(float(run.log10_grad_h[0]))
        assert abs((got - exact) / exact) < Decimal("1e-12")
        mid = Decimal(float(run.log10_grad_h[steps // 2]))
        exact_mid = (steps - 1 - steps // 2) * _dec_log10(Decimal(1) / 2) + _dec_log10(n) / 2
        assert abs((mid - exact_mid) / exact_mid) < Decimal("1e-12")


def _trace_reference(weight: str, h0: str, steps: int, exact_steps: int) -> Decimal:
    """log10 |dh_T/dh_0| for h_t = tanh(w h_(t-1)) at 60 digits: the first exact_steps
    local derivatives w (1 - tanh^2) from Decimal exponentials, the rest exactly w (the
    state is then below 1e-150, where 1 - tanh^2 = 1 to far past double precision)."""
    with localcontext() as ctx:
        ctx.prec = 60
        w, h = Decimal(weight), Decimal(h0)
        total = Decimal(0)
        for _ in range(exact_steps):
            z = w * h
            e2 = (2 * z).exp()
            th = (e2 - 1) / (e2 + 1)
            total += _dec_log10(abs(w) * (1 - th * th))
            h = th
        assert abs(h) < Decimal("1e-150")
        return total + (steps - exact_steps) * _dec_log10(abs(w))


def test_scalar_trace_at_100000_steps_is_exact_to_1e_12():
    steps = 100_000
    trace = cf.scalar_trace(0.5, steps, 0.1)
    reference = _trace_reference("0.5", "0.1", steps, 600)
    got = Decimal(float(trace.cum_log10[-1]))
    assert abs((got - reference) / reference) < Decimal("1e-12")


def test_out_of_range_literals_print_only_the_digits_the_log_carries():
    assert json_number(-3009.5) == "3.1622776602e-3010"
    assert meaningful_digits(-3009.5) == 11
    # 0.5 ** 1e9: log10 known to ~1e-7, so a handful of digits
    text = json_number(1e9 * math.log10(0.5))
    mantissa = text.split("e")[0]
    assert len(mantissa.replace(".", "").rstrip("0")) <= 7
    with localcontext() as ctx:
        ctx.prec = 40
        exact_log = Decimal(10**9) * _dec_log10(Decimal("0.5"))
        exact_mantissa = (10 ** (exact_log - exact_log.to_integral_value(rounding="ROUND_FLOOR")))
        assert abs(Decimal(mantissa) - exact_mantissa) / exact_mantissa < Decimal("1e-5")


def _gated_zero_weights(arch: str, n: int, m: int, steps: int, biases: dict):
    """A one-layer LSTM/GRU with every weight 0 and per-gate biases (the same for every
    unit), zero inputs: the state then feeds back only through the gate that keeps it."""
    from vgtui.engine.stack_weights import BLOCK_NAMES, StackWeights

    blocks = BLOCK_NAMES[arch]
    g = len(blocks)
    b_ih = torch.zeros(1, g * n, dtype=torch.float64)
    for k, name in enumerate(blocks):
        b_ih[0, k * n:(k + 1) * n] = biases.get(name, 0.0)
    return StackWeights(arch, [torch.zeros(1, g * n, m, dtype=torch.float64)],
                        [torch.zeros(1, g * n, n, dtype=torch.float64)], [b_ih],
                        [torch.zeros(1, g * n, dtype=torch.float64)],
                        torch.zeros(1, steps, m, dtype=torch.float64))


def _dec_sigmoid(b: float) -> Decimal:
    return 1 / (1 + (-Decimal(b)).exp())


@pytest.mark.slow
def test_gru_at_10000_steps_is_exact_to_1e_12():
    """GRU, every weight 0, update-gate bias 2.5: h_t = z h_(t-1) with z = sigmoid(2.5)
    (the new content tanh(0) is 0), so ||dL/dh_1|| = sqrt(n) z^(T-1) for L = sum(h_T)."""
    from vgtui.engine.gated import run_stack

    steps, n = 10_000, 4  # the gated loop runs step by step: 100,000 steps take minutes
    weights = _gated_zero_weights("gru", n, 2, steps, {"z": 2.5})
    run = run_stack(RNNConfig(arch="gru", hidden=n, input_size=2, steps=steps, device="cpu",
                              dtype="float64"), weights)
    with localcontext() as ctx:
        ctx.prec = 50
        exact = (steps - 1) * _dec_log10(_dec_sigmoid(2.5)) + _dec_log10(n) / 2
        got = Decimal(float(run.log10_grad_h[0]))
        assert abs((got - exact) / exact) < Decimal("1e-12")


@pytest.mark.slow
def test_lstm_cell_gradient_at_10000_steps_is_exact_to_1e_12():
    """LSTM, every weight 0, zero inputs: h_t feeds nothing back, c_t = f c_(t-1) + i g
    settles at c* = i g / (1 - f), and dL/dc_1 = f^(T-1) o (1 - tanh^2 c*) per unit
    for L = sum(h_T) = sum(o tanh(c_T))."""
    from vgtui.engine.gated import run_stack

    steps, n = 10_000, 4
    b = {"i": 0.5, "f": 2.0, "g": 0.3, "o": -0.4}
    weights = _gated_zero_weights("lstm", n, 2, steps, b)
    run = run_stack(RNNConfig(arch="lstm", hidden=n, input_size=2, steps=steps, device="cpu",
                              dtype="float64"), weights)
    with localcontext() as ctx:
        ctx.prec = 50
        f, i, o = (_dec_sigmoid(b[k]) for k in ("f", "i", "o"))
        e2 = (2 * Decimal(b["g"])).exp()
        g = (e2 - 1) / (e2 + 1)
        c = i * g / (1 - f)
        e2c = (2 * c).exp()
        th = (e2c - 1) / (e2c + 1)
        end = Decimal(n).sqrt() * o * (1 - th * th)
        exact = (steps - 1) * _dec_log10(f) + _dec_log10(end)
        got = Decimal(float(run.log10_grad_c[0]))
        assert abs((got - exact) / exact) < Decimal("1e-12")

"""Closed forms against independent computations: plain Python loops, math, Decimal."""
import math
from decimal import Decimal, getcontext, localcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vgtui.engine import closed_form as cf
from vgtui.engine.errors import ConfigError
from vgtui.engine.magnitude import format_log10, json_number

getcontext().prec = 60


# -- factor^T ----------------------------------------------------------------------
@pytest.mark.parametrize("factor,steps", [(0.5, 20), (0.9, 50), (0.7, 13), (1.1, 50), (2.0, 20),
                                          (0.95, 100), (1.0, 100), (0.45, 100)])
def test_power_in_float_range_is_the_plain_power(factor, steps):
    cell = cf.power_cell(factor, steps)
    assert cell.value == factor ** steps
    assert cell.log10_value == pytest.approx(math.log10(factor ** steps), abs=1e-12)


def test_power_far_outside_float_range_is_exact():
    exact_up = Decimal(2) ** 5000
    up = cf.power_cell(2.0, 5000)
    down = cf.power_cell(0.5, 5000)
    assert up.value is None and down.value is None
    assert up.log10_value == pytest.approx(float(exact_up.log10()), abs=1e-9)
    assert down.log10_value == pytest.approx(-float(exact_up.log10()), abs=1e-9)
    # the text and JSON literal carry the real mantissa, never 0 or inf
    mantissa = float(exact_up / Decimal(10) ** 1505)
    assert format_log10(up.log10_value) == f"{mantissa:.3f}e+1505"
    assert json_number(down.log10_value).endswith("e-1506")


def test_regimes_follow_the_stated_thresholds():
    assert cf.power_cell(0.5, 20).regime == "vanishing"
    assert cf.power_cell(0.9, 5).regime == "stable"
    assert cf.power_cell(2.0, 5).regime == "exploding"
    assert cf.power_cell(0.0, 3).log10_value == -math.inf


def _brute_steps(gamma, decades, grow=False):
    """A plain loop in exact rational arithmetic on the decimal as typed."""
    g = Fraction(repr(gamma))
    value, k = Fraction(1), 0
    target = Fraction(10) ** (decades if grow else -decades)
    while k < 100_000:
        value *= g
        k += 1
        if (value >= target) if grow else (value <= target):
            return k
    return None


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0.05, max_value=0.999))
def test_steps_to_lose_match_an_exact_loop(gamma):
    for d in cf.LOSS_DECADES:
        assert cf.steps_to_reach(gamma, d) == _brute_steps(gamma, d)


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=1.001, max_value=20.0))
def test_steps_to_grow_match_an_exact_loop(gamma):
    for d in cf.LOSS_DECADES:
        assert cf.steps_to_reach(gamma, -d) == _brute_steps(gamma, d, grow=True)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 999), st.sampled_from([10, 100, 1000]))
def test_steps_for_short_typed_decimals_match_an_exact_loop(numerator, denominator):
    """Typed decimals such as 0.1, 0.25, 0.001: powers of them land exactly on 10^-d."""
    gamma = numerator / denominator
    if gamma >= 1:
        return
    for d in cf.LOSS_DECADES:
        assert cf.steps_to_reach(gamma, d) == _brute_steps(gamma, d)


def test_powers_of_ten_reach_the_level_exactly_not_one_step_late():
    """The audit's case: 0.1 loses 99.9% in 3 steps (0.1^3 = 1e-3 exactly) and 99.9999%
    in 6; 0.01 loses 99.9999% in 3. A binary-float comparison answers 4, 7 and 4."""
    assert [cf.steps_to_reach(0.1, d) for d in (1, 3, 6)] == [1, 3, 6]
    assert [cf.steps_to_reach(0.01, d) for d in (1, 3, 6)] == [1, 2, 3]
    assert cf.steps_to_reach(10.0, -6) == 6
    assert cf.steps_to_lose_share(0.5, 0.75) == 2  # 0.5^2 = 0.25 exactly
    assert cf.steps_to_lose_share(0.9, 0.19) == 2  # 0.9^2 = 0.81 exactly


def test_steps_for_factors_close_to_one_use_exact_logarithms():
    """k in the billions: the check is on decimal logarithms at 60+ digits."""
    gamma = 0.999999999
    k = cf.steps_to_reach(gamma, 6)
    with localcontext() as ctx:
        ctx.prec = 80
        ln_g = Decimal("0.999999999").ln()
        level = Decimal(10) ** -6
        assert (k * ln_g).exp() <= level < ((k - 1) * ln_g).exp()


def test_products_are_formed_from_the_typed_decimals():
    assert cf.parse_factors("0.1*0.2") == (0.02,)
    assert cf.steps_to_reach(cf.parse_factors("0.1*0.1")[0], 6) == 3


def test_decay_cli_and_quiz_agree_on_steps_to_lose():
    from vgtui.engine import quiz
    for factor in (0.1, 0.01, 0.5, 0.7, 0.9):
        for d, lost in ((1, 0.9), (3, 0.999), (6, 0.999999)):
            summary = dict(cf.gamma_summary(factor, 10).steps_to_lose)
            assert summary[d] == quiz.steps_to_lose(factor, lost) == cf.steps_to_reach(factor, d)


def test_steps_never_for_factors_that_cannot_get_there():
    assert cf.steps_to_reach(1.0, 1) is None
    assert cf.steps_to_reach(1.5, 3) is None
    assert cf.steps_to_reach(0.5, -3) is None
    assert cf.steps_to_reach(0.0, 6) == 1


def test_decay_table_shape_and_summaries():
    table = cf.decay_table((0.5, 0.9), (10, 20, 50))
    assert len(table.cells) == 2 and len(table.cells[0]) == 3
    assert table.cells[1][2].value == 0.9 ** 50
    assert [r["steps"] for r in table.rows()] == [10, 20, 50, 10, 20, 50]
    assert table.summaries[1].steps_to_lose[0][1] == _brute_steps(0.9, 1)


# -- lists ---------------------------------------------------------------------------
def test_factor_lists_parse_products_and_refuse_nonsense():
    assert cf.parse_factors("0.5, 0.9 1.1") == (0.5, 0.9, 1.1)
    assert cf.parse_factors("0.9*0.5") == (0.9 * 0.5,)
    assert cf.parse_factors("0.9 * 0.5,1") == (0.9 * 0.5, 1.0)
    assert cf.parse_factors("0.5,0.5") == (0.5,)
    for bad in ("", "abc", "0.5,x", "-1", "1e7", "nan", "inf", "0.5**2", ","):
        with pytest.raises(ConfigError) as info:
            cf.parse_factors(bad)
        assert info.value.field == "factors"
        assert "\n" not in str(info.value)
    assert cf.parse_lengths("5,10,20") == (5, 10, 20)
    for bad in ("0", "1.5", "-3", "1e10", "ten"):
        with pytest.raises(ConfigError):
            cf.parse_lengths(bad)
    # no fixed count (issue 16): 19 factors parse, and ranges expand; the table's size is
    # checked against the budget instead
    assert len(cf.parse_factors(",".join(str(0.01 * i) for i in range(1, 20)))) == 19
    assert cf.parse_factors("0.5:0.9:3") == (0.5, 0.7, 0.9)
    assert cf.parse_lengths("10:20:3") == (10, 15, 20)
    with pytest.raises(ConfigError) as info:
        cf.decay_table(cf.parse_factors("0.1:0.9:5000"), cf.parse_lengths("1:10000:5000"))
    assert "memory" in str(info.value) or "take about" in str(info.value)


# -- the scalar chain ----------------------------------------------------------------------
def _plain_chain(w, steps, h0):
    h, cum, rows = h0, 1.0, []
    for t in range(1, steps + 1):
        h = math.tanh(w * h)
        local = w * (1.0 - h * h)
        cum *= local
        rows.append((t, h, local, cum, w ** t))
    return rows


def test_article_configuration_matches_a_plain_loop():
    trace = cf.scalar_trace(0.5, 10, 0.1)
    for k, (t, h, local, cum, lin) in enumerate(_plain_chain(0.5, 10, 0.1)):
        assert trace.value("h", k) == pytest.approx(h, rel=1e-13)
        assert trace.value("local", k) == pytest.approx(local, rel=1e-13)
        assert trace.value("cum", k) == pytest.approx(cum, rel=1e-12)
        assert trace.value("lin", k) == pytest.approx(lin, rel=1e-13)


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=-3, max_value=3), st.floats(min_value=-1, max_value=1),
       st.integers(min_value=1, max_value=60))
def test_scalar_chain_matches_a_plain_loop(w, h0, steps):
    trace = cf.scalar_trace(w, steps, h0)
    for k, (t, h, local, cum, lin) in enumerate(_plain_chain(w, steps, h0)):
        assert trace.value("h", k) == pytest.approx(h, rel=1e-10, abs=1e-300)
        assert trace.value("local", k) == pytest.approx(local, rel=1e-7, abs=1e-300)
        assert trace.value("cum", k) == pytest.approx(cum, rel=1e-6, abs=1e-300)
        assert trace.value("lin", k) == pytest.approx(lin, rel=1e-12, abs=1e-300)


def test_long_chain_stays_exact_in_log_space():
    """After 50 steps at w = 0.5, h is below 1e-16 and tanh(x) = x to 1e-33, so the rest
    of the chain is h_t = 0.5^(t-50) h_50 exactly; checked far below float range."""
    head = _plain_chain(0.5, 50, 0.1)
    h50, cum50 = head[-1][1], head[-1][3]
    trace = cf.scalar_trace(0.5, 5000, 0.1)
    k = 4999
    lg = math.log10(0.5)
    assert trace.h_log10[k] == pytest.approx(math.log10(h50) + (5000 - 50) * lg, abs=1e-9)
    assert trace.cum_log10[k] == pytest.approx(math.log10(cum50) + (5000 - 50) * lg, abs=1e-9)
    assert trace.lin_log10[k] == pytest.approx(5000 * lg, abs=1e-9)
    assert trace.h_sign[k] == 1 and trace.cum_sign[k] == 1


def test_saturated_local_derivative_is_exact_not_zero():
    # h0 = 100, w = 100: z = 1e4, 1 - tanh^2 is about 4 e^-20000 (far below float range)
    trace = cf.scalar_trace(100.0, 1, 100.0)
    expected = math.log10(100.0) + math.log10(4) - 2e4 * math.log10(math.e)
    assert trace.local_log10[0] == pytest.approx(expected, abs=1e-9)


def test_negative_and_zero_weights():
    trace = cf.scalar_trace(-0.8, 6, 0.1)
    for k, row in enumerate(_plain_chain(-0.8, 6, 0.1)):
        assert trace.value("cum", k) == pytest.approx(row[3], rel=1e-12)
        assert trace.value("lin", k) == pytest.approx(row[4], rel=1e-12)
    zero = cf.scalar_trace(0.0, 3, 0.5)
    assert zero.value("h", 0) == 0.0 and zero.value("cum", 2) == 0.0 and zero.value("lin", 1) == 0.0


def test_chain_settings_are_checked():
    for name, bad in (("weight", "200"), ("trace_steps", "0"), ("h0", "nan"), ("trace_steps", "1e6")):
        with pytest.raises(ConfigError):
            cf.parse_scalar(name, bad)


# -- activations ----------------------------------------------------------------------------
def _sig(z):
    return 1.0 / (1.0 + math.exp(-z))


PLAIN_F = {
    "tanh": math.tanh,
    "sigmoid": _sig,
    "relu": lambda z: max(z, 0.0),
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
    "identity": lambda z: z,
    "silu": lambda z: z * _sig(z),
}


@pytest.mark.parametrize("kind", cf.ACTIVATION_NAMES)
def test_function_values_match_math(kind):
    for z in (-4.0, -1.3, -0.2, 0.3, 1.0, 2.0, 4.5):
        assert float(cf.activation(kind, z)) == pytest.approx(PLAIN_F[kind](z), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("kind", cf.ACTIVATION_NAMES)
def test_derivatives_match_central_differences(kind):
    h = 1e-6
    for z in (-4.0, -1.3, -0.2, 0.3, 1.0, 2.0, 4.5):  # away from the kink at 0
        numeric = (PLAIN_F[kind](z + h) - PLAIN_F[kind](z - h)) / (2 * h)
        assert float(cf.derivative(kind, z)) == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_derivatives_at_the_chosen_points_match_closed_forms():
    for z in (0.0, 1.0, 2.0, 5.0):
        assert float(cf.derivative("tanh", z)) == pytest.approx(1 - math.tanh(z) ** 2, rel=1e-9)
        assert float(cf.derivative("sigmoid", z)) == pytest.approx(_sig(z) * (1 - _sig(z)), rel=1e-12)
    assert float(cf.derivative("relu", 0.0)) == 0.0  # torch's convention at the kink
    assert float(cf.derivative("leaky_relu", 0.0, 0.2)) == 0.2


def test_log_derivatives_beyond_float_range():
    sign, log = cf.log10_abs_derivative("tanh", 400.0)
    e400 = Decimal(400).exp()
    exact = (Decimal(4) / (e400 + 1 / e400) ** 2).log10()
    assert sign == 1 and log == pytest.approx(float(exact), abs=1e-9)
    sign, log = cf.log10_abs_derivative("silu", -800.0)
    # silu'(z) ~ e^z (1 + z) for very negative z
    assert sign == -1
    assert log == pytest.approx(-800 * math.log10(math.e) + math.log10(799), abs=1e-6)
    for kind in cf.ACTIVATION_NAMES:
        for z in (-3.0, 0.5, 2.0):
            sign, log = cf.log10_abs_derivative(kind, z)
            d = float(cf.derivative(kind, z))
            assert sign * 10 ** log == pytest.approx(d, rel=1e-12)


@pytest.mark.slow
def test_max_derivatives():
    assert cf.max_derivative("tanh").value == 1.0 and cf.max_derivative("tanh").at == 0.0
    assert cf.max_derivative("sigmoid").value == 0.25
    assert cf.max_derivative("relu").where == "z > 0"
    assert cf.max_derivative("identity").where == "every z"
    # SiLU: compare with a fine plain-Python scan around the peak
    best = max(float(cf.derivative("silu", 2.3 + i * 1e-6)) for i in range(200_001))
    scan = max((_silu_d(2.3 + i * 1e-5), 2.3 + i * 1e-5) for i in range(20_001))
    m = cf.max_derivative("silu")
    assert m.value == pytest.approx(scan[0], rel=1e-12)
    assert m.value >= best - 1e-15
    assert m.at == pytest.approx(scan[1], abs=2e-5)


def _silu_d(z):
    s = _sig(z)
    return s * (1 + z * (1 - s))


def _plain_expectation(fun, s, n=2_000_001):
    """E[fun(z)], z ~ N(0, s^2), by the trapezoid rule on a very fine grid (independent)."""
    x = np.linspace(-12.0, 12.0, n)
    dens = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return float(np.trapezoid(fun(s * x) * dens, x))


SMOOTH_ABS_DERIVATIVE = {
    "tanh": lambda z: 1 - np.tanh(z) ** 2,
    "sigmoid": lambda z: (1 / (1 + np.exp(-z))) * (1 - 1 / (1 + np.exp(-z))),
    "identity": lambda z: np.ones_like(z),
    "silu": lambda z: np.abs((1 / (1 + np.exp(-z))) * (1 + z * (1 - 1 / (1 + np.exp(-z))))),
}


@pytest.mark.parametrize("kind", sorted(SMOOTH_ABS_DERIVATIVE))
@pytest.mark.parametrize("spread", [0.5, 1.0, 3.0])
def test_typical_derivative_matches_fine_quadrature(kind, spread):
    expected = _plain_expectation(SMOOTH_ABS_DERIVATIVE[kind], spread)
    assert cf.typical_derivative(kind, spread) == pytest.approx(expected, abs=2e-8)


@pytest.mark.parametrize("slope", [0.0, 0.01, 0.3])
@pytest.mark.parametrize("spread", [0.5, 2.0])
def test_typical_derivative_of_piecewise_activations_is_exact(slope, spread):
    # half of N(0, s^2) lies on each side of 0, whatever s
    assert cf.typical_derivative("leaky_relu", spread, slope) == pytest.approx((1 + slope) / 2,
                                                                               abs=1e-14)
    assert cf.typical_derivative("relu", spread) == pytest.approx(0.5, abs=1e-14)


def test_typical_derivative_special_cases():
    assert cf.typical_derivative("relu", 2.0) == pytest.approx(0.5, abs=1e-14)
    assert cf.typical_derivative("identity", 7.0) == pytest.approx(1.0, abs=1e-14)
    assert cf.typical_derivative("tanh", 0.0) == 1.0
    assert cf.typical_derivative("sigmoid", 0.0) == 0.25


def test_steps_to_shrink_by_a_millionth():
    table = cf.activation_table(spread=1.0)
    for s in table.summaries:
        if s.typical >= 1:
            assert s.steps_to_shrink is None
        else:
            assert s.steps_to_shrink == _brute_steps(s.typical, 6)

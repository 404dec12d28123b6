"""Every numeric claim of the five articles, as data: where it stands, what it states
(exactly as printed), how vgtui computes it, and the screen that demonstrates it.

``SPECS`` lists them in article order and, within an article, in reading order;
``UNCHECKED`` lists the numeric statements left out, and why. ``claims.build_claims``
computes and judges them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from . import closed_form as cf
from .articles import DECAY_FIGURES, DERIVATIVE_FIGURES, TRACE_FIGURES
from .claim_rules import Stated, about, at_least, at_most, between, said
from .claim_values import ClaimInputs, Computed, RadiusStats, median_interval, median_of
from .figure_checks import compute as compute_figure
from .lists import short_number
from .magnitude import format_log10
from .presets import presets_for


@dataclass(frozen=True)
class Unchecked:
    """A numeric statement left out of the list, and why."""

    article: str
    where: str
    what: str
    reason: str
    screen: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)


UNCHECKED = (
    Unchecked("000", "§Jacobian chain code", "for 50 steps back with tanh the product is "
              "'typically ~1e-15'", "the network and its hidden states are not given, so "
              "there is nothing definite to compute; the Jacobian screen measures the product "
              "for any network you set up", "jacobian"),
    Unchecked("000", "§BPTT, §activation shape", "gamma is 'often around 0.3-0.5' and f' "
              "'about 0.3-0.5 on average' in practical or trained RNNs", "a property of "
              "trained networks the article does not specify; the Activations screen computes "
              "the typical f' for any spread of pre-activations", "activations"),
    Unchecked("000", "§Theorem", "the real decay is 'often 2-3x faster per step' than the "
              "bound", "no network is given; the Pascanu et al. (2013) bound screen sets the measured "
              "product beside the bound for any network", "bound"),
    Unchecked("000", "§Experiments", "RNNs failed beyond about 20 steps, with the gradient "
              "below float32 precision", "a report of the 1994 experiments, not a computation "
              "in the article; the Experiments screen runs such tests", "experiments"),
    Unchecked("001", "§Scalar example, §Why gradients shrink", "the last row of the w^T "
              "table and the 'average magnitude after 20 steps' example", "the numbers sat "
              "inside formulas that did not survive in the article's text", "decay"),
    Unchecked("002", "whole note", "its figures (max |f'| of tanh and sigmoid, the per-step "
              "scale)", "every number sat inside a formula that did not survive in the "
              "article's text; the same figures are checked for articles 000 and 003",
              "activations"),
    Unchecked("004", "§Visualizing the problem", "a gradient column 1e-12, 1e-10, ... 1.0 "
              "along a sentence", "an illustration, not a computation: it shrinks 100x per "
              "word at the start and far less later, which no single factor does",
              "longrange"),
    Unchecked("004", "§Long-term dependency", "RNNs learn dependencies of up to about 10-20 "
              "steps", "a report of Bengio et al.'s experiments; the Experiments screen "
              "measures where vanilla RNNs stop learning for a given set-up", "experiments"),
)


@dataclass(frozen=True)
class Spec:
    """A claim before it is computed: everything but the computed value."""

    id: str
    article: str
    where: str
    claim: str
    stated: Stated
    compute: Callable[[ClaimInputs], Computed]
    how: str
    engine: str
    screen: str
    hint: str = ""
    unit: str = ""
    needs: str = "closed"
    note: str = ""
    figure: tuple | None = None  # (article, expression, context) of an ``articles`` figure
    # Values that are equally right by convention, as (name, value): a figure matching one
    # of them while vgtui computes another is judged "convention", not "fails".
    conventions: tuple = ()


def screen_setup(spec: Spec) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(preset, field values as typed) that put ``spec.screen`` in the state that shows
    this claim: a figure's own numbers in the decay table, the forget-gate toy, the
    activation points; the preset a hint names ("preset '4 units, radius ~0.5'")."""
    if spec.figure is not None:
        figure = _fig(*spec.figure)
        kind, args = figure.kind, figure.args
        if kind == "power" and spec.screen == "decay":
            return "", (("factors", f"{args[0]:g}"), ("lengths", str(args[1])))
        if kind == "power" and spec.screen == "forget":
            name = "toy_factor" if args[0] < 0.9 else "toy_gate"
            return "", ((name, f"{args[0]:g}"), ("toy_steps", str(args[1])))
        if kind == "power" and spec.screen == "longrange":
            return "", (("model", "factor"), ("factor", f"{args[0]:g}"))
        if kind == "derivative" and spec.screen == "activations":
            return "", (("points", f"{args[1]:g}"),)
        if kind == "trace" and spec.screen == "chain":
            return "article", ()
        return "", ()
    for preset in presets_for(spec.screen):
        if f"preset '{preset.title}'" in spec.hint or f"({preset.name})" in spec.hint:
            return preset.name, ()
    for words, name in _HINT_PRESETS.items():
        if f"preset '{words}'" in spec.hint:
            return name, ()
    return "", ()


# Hints that name a preset in short words of their own.
_HINT_PRESETS = {"4 units at 1.5": "four-unit-1.5"}


# -- the claims, article by article, in reading order ------------------------------------
def _fig(article: str, expression: str, context: str | None = None):
    """The ``articles`` figure for this article and expression (it must exist)."""
    found = [f for f in DECAY_FIGURES + DERIVATIVE_FIGURES + TRACE_FIGURES
             if f.article == article and f.expression == expression
             and (context is None or f.context == context)]
    if len(found) != 1:
        raise KeyError((article, expression, context))
    return found[0]


def _figure_slug(figure) -> str:
    kind, args = figure.kind, figure.args
    if kind == "power":
        return f"{args[0]:g}^{args[1]}"
    if kind == "derivative":
        return f"d{args[0]}-{args[1]:g}"
    if kind == "max_derivative":
        return f"max-d{args[0]}"
    return f"trace-{args[3]}-t{args[4]}"


def _figure_value(figure) -> Callable[[ClaimInputs], Computed]:
    def compute(_inputs: ClaimInputs) -> Computed:
        m = compute_figure(figure)
        return Computed(float(m), m.log10 if m.sign else None)

    return compute


_FIGURE_SCREENS = {"power": ("decay", "the 'what the articles say' table"),
                   "derivative": ("activations", "the article figures table"),
                   "max_derivative": ("activations", "the article figures table"),
                   "trace": ("chain", "the article's trace (w = 0.5, h0 = 0.1)")}
_FIGURE_ENGINE = {"power": "closed_form.log10_power",
                  "derivative": "closed_form.log10_abs_derivative",
                  "max_derivative": "closed_form.max_derivative",
                  "trace": "closed_form.scalar_trace"}


def _figure_words(figure) -> tuple[str, str]:
    """(claim, how) for an ``articles`` figure."""
    kind, args = figure.kind, figure.args
    if kind == "power":
        f, t = args
        if f < 1:
            what = f"the share of the gradient left after {t} steps at {short_number(f)} per step"
        elif f > 1:
            what = f"the growth after {t} steps at {short_number(f)} per step"
        else:
            what = f"{t} steps at exactly 1 per step"
        return (f"{figure.expression}: {what}",
                f"{short_number(f)}^{t} in closed form (log10 kept exactly)")
    if kind == "derivative":
        name, z = args
        return (f"{figure.expression}: the slope of {name} at z = {short_number(z)}",
                f"{name}'({short_number(z)}) in closed form")
    if kind == "max_derivative":
        return (f"{figure.expression}: the largest slope {args[0]} has anywhere",
                "a dense grid over [-20, 20], refined by golden-section search")
    w, steps, h0, column, t = args
    words = {"h": f"h_{t}", "local": f"the local slope w(1 - h_{t}^2)",
             "cum": f"dh_{t}/dh_0 (the product of the local slopes)"}[column]
    return (f"{words} in the chain h_t = tanh({short_number(w)} h_(t-1)), h_0 = "
            f"{short_number(h0)}", "the chain run step by step in log space")


def figure_spec(article: str, expression: str, *, where: str | None = None,
                screen: str | None = None, hint: str | None = None, claim: str | None = None,
                stated: Stated | None = None, key: str | None = None, note: str = "",
                context: str | None = None) -> Spec:
    figure = _fig(article, expression, context)
    words, how = _figure_words(figure)
    default_screen, default_hint = _FIGURE_SCREENS[figure.kind]
    if stated is None:
        stated = (about(figure.stated, f"≈ {figure.stated}") if figure.order_only
                  else said(figure.stated))
    slug = key or _figure_slug(figure)
    return Spec(f"{article}-{slug}", article, where or f"§{figure.context}", claim or words,
                stated, _figure_value(figure), how, "vgtui.engine." + _FIGURE_ENGINE[figure.kind],
                screen or default_screen, hint or default_hint, "", "closed", note,
                (figure.article, figure.expression, figure.context))


def _training_loss(engine: ClaimInputs, length: int) -> Computed:
    result = engine.experiment
    if result is None:
        return Computed(None)
    losses = [r.final_loss for r in result.runs if r.arch == "rnn" and r.length == length]
    if not losses:
        return Computed(None)
    baselines = [r.baseline for r in result.runs if r.arch == "rnn" and r.length == length]
    return Computed(median_of(losses), note=(
        f"median over {len(losses)} seeds of the held-out loss (each seed: "
        + ", ".join(f"{x:.3g}" for x in losses) + "); the loss of always predicting the mean "
        f"is {median_of(baselines):.3g} here"))


def _percent_lost(factor: float, steps: int) -> Callable[[ClaimInputs], Computed]:
    def compute(engine: ClaimInputs) -> Computed:
        left = engine.power(factor, steps).value
        return Computed(100.0 * (1.0 - left), note=f"{factor:g}^{steps} = {left:.6g} is left")

    return compute


def _steps_to_vanish(gamma: float) -> Callable[[ClaimInputs], Computed]:
    def compute(_engine: ClaimInputs) -> Computed:
        return Computed(cf.steps_to_reach(gamma, 6))

    return compute


def _power_ratio(num: tuple[float, int], den: tuple[float, int]) -> Callable[[ClaimInputs], Computed]:
    def compute(_engine: ClaimInputs) -> Computed:
        lg = cf.log10_power(*num) - cf.log10_power(*den)
        return Computed(10.0 ** lg, lg)

    return compute


def _two_unit_radius(engine: ClaimInputs) -> Computed:
    m = engine.two_unit
    magnitudes = sorted((abs(v) for v in m.eigenvalues_w), reverse=True)
    return Computed(m.spectral_radius, note=(
        f"eigenvalues of W are {', '.join(f'{v:.4g}' for v in magnitudes)}; "
        f"those of J = {m.derivative:g} W are {m.derivative:g} times them, so ρ(J) = "
        f"{m.spectral_radius:.4f} (ρ(W) = {m.spectral_radius_w:.4f})"))


def _two_unit_norm(n: int) -> Callable[[ClaimInputs], Computed]:
    def compute(engine: ClaimInputs) -> Computed:
        m = engine.two_unit
        lg = float(m.log10_frobenius[n - 1])
        spec = float(m.log10_spectral[n - 1])
        rad = float(m.log10_radius_power[n - 1])
        return Computed(10.0 ** lg, lg, note=(
            f"Frobenius norm (np.linalg.norm's default, the article's own code); the spectral "
            f"norm is {format_log10(spec, 3)} and ρ(J)^{n} = {format_log10(rad, 3)}"))

    return compute


def _sigmoid_needed_norm(_engine: ClaimInputs) -> Computed:
    peak = cf.max_derivative("sigmoid").value
    return Computed(1.0 / peak, note=f"max sigmoid' = {peak:g}, so max|f'| ||W|| >= 1 needs "
                    f"||W|| >= {1.0 / peak:g}")


def _sigmoid_loss_share(_engine: ClaimInputs) -> Computed:
    peak = cf.max_derivative("sigmoid").value
    return Computed(100.0 * (1.0 - peak), note=f"max sigmoid' = {peak:g}")


def _relu_at_zero(_engine: ClaimInputs) -> Computed:
    return Computed(float(cf.derivative("relu", 0.0)), note=(
        "relu has no derivative at exactly 0 (the slopes on either side are 0 and 1); torch "
        "autograd and vgtui use 0 there, which is what a network trained with torch sees"))


def _typical_tanh(_engine: ClaimInputs) -> Computed:
    return Computed(cf.typical_derivative("tanh", 1.0), note=(
        "E|tanh'(z)| for pre-activations z ~ N(0, 1), the unit spread that Xavier "
        "initialisation aims for"))


def _capacity_states(engine: ClaimInputs) -> Computed:
    lg = engine.capacity.log10_states
    return Computed(10.0 ** lg, lg)


def _toy_advantage(engine: ClaimInputs) -> Computed:
    toy = engine.toy
    return Computed(10.0 ** toy.log10_advantage, toy.log10_advantage, note=(
        f"0.98^100 / 0.7^100 = {format_log10(toy.log10_final_gate, 3)} / "
        f"{format_log10(toy.log10_final_rnn, 3)}"))


def _compound_pair(_engine: ClaimInputs) -> Computed:
    return Computed(0.95 * 1.05)


def _median_radius(note: Callable[[RadiusStats], str]) -> Callable[[ClaimInputs], Computed]:
    """A claim judged on the median spectral radius of the 64-unit gaussian matrices,
    with its 95% interval, and a note written from their statistics."""
    def compute(engine: ClaimInputs) -> Computed:
        s = engine.gaussian64
        return Computed(s.radius_median, note=note(s), samples=s.seeds,
                        interval=s.radius_interval)

    return compute


_gauss_radius = _median_radius(lambda s: (
    f"median spectral radius of {s.seeds} gaussian N(0, 1/n) matrices, n = {s.hidden} "
    f"(range {s.radius_low:.3f}-{s.radius_high:.3f}); the median spectral norm is "
    f"{s.norm_median:.3f}"))
_gauss_norm_note = _median_radius(lambda s: (
    f"the spectral norm (largest singular value) is what comes out near 2: median "
    f"{s.norm_median:.3f} over {s.seeds} seeds; the eigenvalues fill a disc of radius about "
    f"1 (the circular law)"))


def _orthogonal(engine: ClaimInputs) -> Computed:
    s = engine.gaussian64
    return Computed(s.orthogonal_worst, note=(
        f"the eigenvalue magnitude furthest from 1 over {s.seeds} Haar-orthogonal matrices, "
        f"n = {s.hidden}: off by {abs(s.orthogonal_worst - 1):.1e}"))


def _xavier_table(steps: int) -> Callable[[ClaimInputs], Computed]:
    def compute(engine: ClaimInputs) -> Computed:
        s = engine.gaussian64
        def power(radius: float) -> float:
            return steps * math.log10(radius * 0.65)

        lg = power(s.radius_median)
        plain = steps * math.log10(0.65)
        # (ρ x 0.65)^steps grows with ρ, so the median radius's interval maps onto it
        low, high = (power(r) for r in s.radius_interval)
        return Computed(10.0 ** lg, lg, note=(
            f"(ρ x 0.65)^{steps} with ρ = {s.radius_median:.4f}, the median radius of "
            f"{s.seeds} gaussian 64x64 matrices; the printed figure is 0.65^{steps} = "
            f"{format_log10(plain, 3)}, i.e. ρ taken as exactly 1"), samples=s.seeds,
            interval=(10.0 ** low, 10.0 ** high), interval_log10=(low, high))

    return compute


def _multiplier128(engine: ClaimInputs) -> Computed:
    s = engine.gaussian128
    return Computed(10.0 ** s.log10_power_median, s.log10_power_median, note=(
        f"median over {s.seeds} seeds; median radius {s.radius_median:.3f}, median mean "
        f"tanh' {s.derivative_median:.3f}, so a typical multiplier of about "
        f"{s.radius_median * s.derivative_median:.3f} per step"), samples=s.seeds,
        interval=(10.0 ** s.log10_power_low, 10.0 ** s.log10_power_high),
        interval_log10=(s.log10_power_low, s.log10_power_high))


def _memory(engine: ClaimInputs) -> Computed:
    s = engine.memory
    others = "; ".join(f"at {t:g}: median {m:g} (range {lo}-{hi})"
                       for t, m, lo, hi in s.by_threshold)
    return Computed(s.dims_median, note=(
        f"the article gives no threshold; vgtui counts a direction when its singular value is "
        f"at least 1e-3 of the largest (the Jacobian screen's threshold), and the verdict "
        f"depends on it: {others}. Median over {s.seeds} seeds, {s.steps_back} steps back; "
        f"5 steps back the median is {s.near_median:g} of {s.hidden}"),
        samples=s.seeds, interval=(float(s.dims_low), float(s.dims_high)))


def _torch_rnn_step(t0: int) -> Callable[[ClaimInputs], Computed]:
    """||dL/dx_t|| at the article's 0-based step t0, median over seeds."""
    def compute(engine: ClaimInputs) -> Computed:
        runs = engine.torch_rnn.runs
        logs = [float(r.log10_grad_x[t0]) for r in runs]
        mid, low, high = median_interval(logs)
        return Computed(10.0 ** mid, mid, note=(
            f"median over {len(runs)} seeds (all seeds range {format_log10(min(logs), 2)} to "
            f"{format_log10(max(logs), 2)}); step {t0} counted from 0 as in the article's code, "
            f"which is vgtui's step t = {t0 + 1}"), samples=len(runs),
            interval=(10.0 ** low, 10.0 ** high), interval_log10=(low, high))

    return compute


def _four_unit_step(t: int) -> Callable[[ClaimInputs], Computed]:
    def compute(engine: ClaimInputs) -> Computed:
        lg = float(engine.four_unit.runs[0].log10_grad_h[t - 1])
        return Computed(10.0 ** lg, lg)

    return compute


def _four_unit_ratio(engine: ClaimInputs) -> Computed:
    g = engine.four_unit.runs[0].log10_grad_h
    lg = float(g[-1] - g[0])
    return Computed(10.0 ** lg, lg)


def _four_unit_decades(engine: ClaimInputs) -> Computed:
    g = engine.four_unit.runs[0].log10_grad_h
    gap = float(g[-1] - g[0])
    return Computed(gap, note=f"the ratio ||dL/dh_20|| / ||dL/dh_1|| is {10 ** gap:,.0f}: "
                    "'thousands of times' would fit, 'thousands of orders of magnitude' does not")


def _four_unit_factor(engine: ClaimInputs) -> Computed:
    g = engine.four_unit.runs[0].log10_grad_h
    per = 10.0 ** ((g[0] - g[-1]) / (len(g) - 1))
    return Computed(float(per), note="the geometric mean of ||dL/dh_t|| / ||dL/dh_(t+1)|| over "
                    f"the {len(g) - 1} steps")


def _four_unit_radius(engine: ClaimInputs) -> Computed:
    r = engine.four_unit.runs[0]
    return Computed(r.spectral_radius, note=f"spectral norm {r.spectral_norm:.4f}; 0.5 I plus "
                    "the 0.05 noise of this seed moves the eigenvalues well away from 0.5")


def _four_unit_growth(engine: ClaimInputs) -> Computed:
    g = engine.four_unit.runs[1].log10_grad_h
    k = int(max(range(len(g)), key=lambda i: g[i]))
    return Computed(10.0 ** float(g[0]), float(g[0]), note=(
        f"||dL/dh_1|| with W_hh = 1.5 I + 0.05 noise; the largest ||dL/dh_t|| over all steps "
        f"is {format_log10(float(g[k]), 3)} (t = {k + 1}): tanh saturates within a few steps "
        "and the gradient shrinks instead of growing"))


def _specs() -> list[Spec]:
    """Every claim, in article order and, within an article, in reading order."""
    S = Spec
    cfp = "vgtui.engine.closed_form"
    out: list[Spec] = []
    a = "000"
    out += [
        figure_spec(a, "0.7^10", where="§Opening"),
        S("000-lost-0.7x10", a, "§Opening", "at 0.7 per step, ten steps lose about 97% of the "
          "gradient", said("97", "97% lost"), _percent_lost(0.7, 10), "100 (1 - 0.7^10)",
          f"{cfp}.log10_power", "chain", "γ^T and the share lost", "%"),
        figure_spec(a, "0.7^20", where="§Opening"),
        S("000-lost-0.7x20", a, "§Opening", "at 0.7 per step, twenty steps lose 99.9%",
          said("99.9", "99.9% lost"), _percent_lost(0.7, 20), "100 (1 - 0.7^20)",
          f"{cfp}.log10_power", "chain", "γ^T and the share lost", "%"),
        figure_spec(a, "0.7^50", where="§Opening", stated=said("1.8e-8", "≈ 1.8e-8")),
        S("000-capacity-2^64", a, "§Capacity vs learnability", "a 64-unit hidden state has "
          "2^64 sign patterns, about 1.8e19", said("1.8e19", "≈ 1.8 × 10^19"),
          _capacity_states, "64 log10 2, kept as log10", "vgtui.engine.capacity.compute_capacity",
          "history", "sharing & capacity tab"),
        S("000-compound-two", a, "§BPTT, compound interest", "two factors of 0.95 lose 9.75%",
          said("9.75", "9.75%"), _percent_lost(0.95, 2), "100 (1 - 0.95^2)",
          f"{cfp}.log10_power", "chain", "γ^T and the share lost", "%"),
        figure_spec(a, "0.95^100", where="§BPTT, compound interest"),
        S("000-compound-lost", a, "§BPTT, compound interest", "a hundred factors of 0.95 lose "
          "99.4%", said("99.4", "99.4% lost"), _percent_lost(0.95, 100), "100 (1 - 0.95^100)",
          f"{cfp}.log10_power", "chain", "γ^T and the share lost", "%"),
        S("000-compound-pair", a, "§BPTT, compound interest", "alternating 0.95 and 1.05 "
          "gives 0.9975 per pair", said("0.9975"), _compound_pair, "0.95 × 1.05",
          "float arithmetic", "decay", "factors accept products such as 0.95*1.05"),
        figure_spec(a, "0.9^50", where="§BPTT"),
        S("000-vanish-0.3", a, "§BPTT", "at a per-step factor of 0.3 the gradient is "
          "effectively gone (below 1e-6 of its start) within 10 to 20 steps",
          between("10", "20", "10–20 steps"), _steps_to_vanish(0.3),
          "fewest steps k with 0.3^k ≤ 1e-6 (vgtui's vanishing horizon)",
          f"{cfp}.steps_to_reach", "chain", "steps to lose 99.9999%", "steps"),
        S("000-vanish-0.5", a, "§BPTT", "at 0.5 per step the same happens within 10 to 20 "
          "steps", between("10", "20", "10–20 steps"), _steps_to_vanish(0.5),
          "fewest steps k with 0.5^k ≤ 1e-6", f"{cfp}.steps_to_reach", "chain",
          "steps to lose 99.9999%", "steps"),
        S("000-two-unit-rho", a, "§Worked 2-unit example", "the Jacobian 0.8 W of the 2-unit "
          "example (W = [[0.5, 0.1], [0.2, 0.4]]) has spectral radius 0.46",
          said("0.46", "ρ ≈ 0.46"), _two_unit_radius, "eigenvalues of 0.8 W with numpy",
          "vgtui.engine.spectrum.matrix_powers", "jacobian",
          "matrix W = 0.5,0.1;0.2,0.4, f' = 0.8"),
        figure_spec(a, "0.46^5", where="§Worked 2-unit example", screen="jacobian",
                    hint="the article figures below the matrix panel",
                    note="the article's own 0.46 raised to the power; right as arithmetic, but "
                         "0.46 is not this matrix's radius (see the radius claim)"),
        figure_spec(a, "0.46^10", where="§Worked 2-unit example", screen="jacobian",
                    hint="the article figures below the matrix panel"),
        figure_spec(a, "0.46^20", where="§Worked 2-unit example", screen="jacobian",
                    hint="the article figures below the matrix panel"),
    ]
    for n, fig in ((1, "0.464"), (5, "0.021"), (10, "0.00043"), (20, "1.8e-7")):
        out.append(S(f"000-two-unit-norm-{n}", a, "§Worked 2-unit example, numpy code",
                     f"||J^{n}|| for J = 0.8 W, as the 2-unit code prints it", said(fig),
                     _two_unit_norm(n), f"J^{n} in numpy float64, its Frobenius norm",
                     "vgtui.engine.spectrum.matrix_powers", "jacobian",
                     "matrix W = 0.5,0.1;0.2,0.4, f' = 0.8, steps 20"))
    out += [
        figure_spec(a, "max tanh'", where="§Activation table"),
        figure_spec(a, "max sigmoid'", where="§Activation table"),
        S("000-relu-at-0", a, "§Activation table", "relu's derivative at z = 0 is 1.0",
          said("1.0"), _relu_at_zero, "relu'(0) by the autograd convention",
          f"{cfp}.derivative", "activations", "relu row, z = 0",
          conventions=(("the right derivative", 1.0), ("torch autograd's choice", 0.0),
                       ("the left derivative", 0.0))),
        figure_spec(a, "max relu'", where="§Activation table"),
        S("000-sigmoid-75", a, "§Activation table", "each pass through a sigmoid removes at "
          "least 75% of the gradient", at_least("75", "at least 75%"), _sigmoid_loss_share,
          "100 (1 - max sigmoid')", f"{cfp}.max_derivative", "activations", "sigmoid: max f'",
          "%"),
        figure_spec(a, "sigmoid'(5)", where="§Activation shape"),
    ]
    for expr in ("tanh'(0)", "tanh'(1)", "tanh'(2)", "sigmoid'(0)", "sigmoid'(1)", "sigmoid'(2)"):
        out.append(figure_spec(a, expr, where="§Derivative code"))
    out += [
        figure_spec(a, "0.42^20", where="§Derivative code"),
        figure_spec(a, "0.2^20", where="§Derivative code"),
        S("000-sigmoid-needs-4", a, "§Theorem", "a sigmoid RNN's gradient can only survive if "
          "||W_hh|| exceeds 4 (Pascanu, Mikolov & Bengio 2013)", said("4", "||W_hh|| > 4"),
          _sigmoid_needed_norm, "1 / max sigmoid'", f"{cfp}.max_derivative", "bound",
          "sigmoid: survival needs ||W|| ≥ 4"),
        S("000-xavier-tanh-0.65", a, "§Eigenvalues, Xavier code", "0.65 is a typical tanh "
          "derivative", said("0.65"), _typical_tanh, "Gauss-Legendre quadrature of "
          "E|tanh'(z)|, z ~ N(0, 1)", f"{cfp}.typical_derivative", "activations",
          "typical f' at spread 1"),
        S("000-gauss-radius-sigma", a, "§Eigenvalues", "a random n×n matrix with N(0, σ²/n) "
          "entries has spectral radius about σ (here σ = 1, n = 64)",
          said("1", "≈ σ = 1"), _gauss_radius, "median over seeds of the largest eigenvalue "
          "magnitude (numpy eigvals)", "vgtui.engine.spectrum.spectrum_report", "spectrum",
          "gaussian init, n = 64, scale 1; change the seed", needs="torch"),
        S("000-gauss-radius-mp", a, "§Eigenvalues", "the Marchenko-Pastur law puts that "
          "spectral radius near 2", said("2", "≈ 2"), _gauss_norm_note, "as above",
          "vgtui.engine.spectrum.spectrum_report", "spectrum", "gaussian: radius vs norm",
          needs="torch"),
        S("000-gauss-radius-1.0", a, "§Eigenvalues", "in practice it is close to 1.0",
          said("1.0"), _gauss_radius, "as above", "vgtui.engine.spectrum.spectrum_report",
          "spectrum", "gaussian init, n = 64, scale 1", needs="torch"),
        S("000-orthogonal-1", a, "§Orthogonal init code", "every eigenvalue of an orthogonal "
          "matrix has magnitude 1.000", said("1.000"), _orthogonal, "numpy eigvals of "
          "Haar-orthogonal matrices", "vgtui.engine.spectrum.spectrum_report", "spectrum",
          "orthogonal init", needs="torch"),
        S("000-multiplier-128", a, "§Dynamical systems code", "for a 128-unit W with entries "
          "0.1 N(0, 1) and h ~ N(0, 1), (ρ × mean tanh')^50 is typically 1e-10 or smaller",
          at_most("1e-10", "~1e-10 or smaller"), _multiplier128,
          "ρ of W and mean tanh'(W h), raised to 50; median over seeds",
          "vgtui.engine.spectrum.init_matrix", "spectrum", "gaussian init, n = 128, "
          "scale 1.13", needs="torch"),
    ]
    for t, fig in ((5, "0.116"), (10, "0.013"), (20, "1.8e-4"), (50, "4.4e-10"), (100, "1.9e-19")):
        out.append(S(f"000-xavier-T{t}", a, "§Eigenvalues, Xavier code",
                     f"after {t} steps: the gradient with a Xavier-scaled 64×64 W and "
                     "f' = 0.65",
                     said(fig, f"~{fig}"), _xavier_table(t),
                     f"(ρ × 0.65)^{t}, ρ the median radius of 64×64 gaussian N(0, 1/n) "
                     "matrices",
                     "vgtui.engine.spectrum.spectrum_report", "spectrum",
                     "gaussian init, n = 64: the radius moves from seed to seed",
                     needs="torch"))
    for t, fig in ((5, "0.02"), (10, "0.15"), (20, "0.85"), (50, "1.00"), (100, "1.00")):
        out.append(S(f"000-train-T{t}", a, "§Experiments code",
                     f"T = {t}: final loss of a 32-unit tanh RNN trained (Adam, 500 "
                     "updates) to output its first input at the last step", said(fig),
                     (lambda e, t=t: _training_loss(e, t)),
                     "the Experiments preset article-first (2 seeds, held-out loss)",
                     "vgtui.engine.experiments.run_experiment", "experiments",
                     "preset 'remember the first input' (article-first), r runs it",
                     needs="training",
                     note="the article prints the final training loss on one fixed set of "
                          "100 examples; vgtui measures on held-out examples"))
    out += [
        S("000-memory-dims", a, "§Effective memory", "50 steps back only 2 or 3 of 64 "
          "directions still carry gradient (a direction counted when its singular value is "
          "≥ 1e-3 of the largest: vgtui's threshold, the article gives none)",
          between("2", "3", "2–3 of 64"), _memory,
          "effective dimensions of dh_T/dh_t (singular values ≥ 1e-3 of the largest; also "
          "counted at 1e-2 and 1e-1)",
          "vgtui.engine.spectrum.jacobian_products", "jacobian", "preset tanh-64",
          "dims", needs="torch"),
        figure_spec(a, "0.8^17", where="§Practical consequences"),
        S("000-43-times", a, "§Practical consequences", "after 17 Jacobians of norm 0.8 the "
          "gradient is 43 times smaller than one step before the loss (step 19)",
          said("43", "43× smaller"), _power_ratio((0.8, 1), (0.8, 17)),
          "0.8^1 / 0.8^17 = 0.8^-16", f"{cfp}.log10_power", "chain", "w = 0.8", "×",
          note="43 is close to 1 / 0.8^17 = 44.4, the ratio to the loss step itself (step 20)"),
    ]
    for t0, fig in ((29, "0.5"), (20, "0.01"), (10, "1e-4"), (0, "1e-7")):
        out.append(S(f"000-torch-rnn-t{t0}", a, "§Measuring gradient norms code",
                     f"||dL/dx_t|| at t = {t0} for a default nn.RNN(10, 64) over 30 steps "
                     "(typical)", about(fig), _torch_rnn_step(t0),
                     "torch's nn.RNN initialisation per seed; gradients by the flow engine",
                     "vgtui.engine.flow.run_flow_batch", "flow",
                     "init torch-default is on the Spectrum screen; Gradient Flow measures any "
                     "RNN", needs="torch"))
    out += [
        figure_spec(a, "0.7^100", where="§LSTM carousel code", screen="forget",
                    hint="the toy: 0.7 per step vs forget gate 0.98"),
        figure_spec(a, "0.98^100", where="§LSTM carousel code", screen="forget",
                    hint="the toy: 0.7 per step vs forget gate 0.98"),
        S("000-lstm-advantage", a, "§LSTM carousel code", "over 100 steps a 0.98 forget gate "
          "keeps the gradient about 10^15 times better than 0.7 per step",
          about("1e15", "10^15 times"), _toy_advantage, "0.98^100 / 0.7^100 in log space",
          "vgtui.engine.gated.toy_carousel", "forget", "the toy: 0.7 vs 0.98 over 100 steps",
          "×"),
    ]
    a = "001"
    out += [figure_spec(a, f"0.9^{t}", where="§Scalar example table") for t in (10, 50, 100)]
    out.append(figure_spec(a, "max tanh'", where="§Saturating activations"))
    a = "003"
    out += [figure_spec(a, f"{f}^20", where="§w^20 table", context="w^20 table")
            for f in ("0.5", "0.7", "0.9", "1", "1.1", "1.5", "2")]
    out += [
        S("003-lost-0.9x20", a, "§w^20 table", "at w = 0.9, twenty steps already lose 90% of "
          "the signal", said("90", "90% lost"), _percent_lost(0.9, 20), "100 (1 - 0.9^20)",
          f"{cfp}.log10_power", "chain", "γ^T and the share lost", "%"),
        S("003-0.9-vs-0.5", a, "§w^20 table", "0.9^20 and 0.5^20 differ by a factor of "
          "100,000", about("100000", "100,000×"), _power_ratio((0.9, 20), (0.5, 20)),
          "0.9^20 / 0.5^20 in log space", f"{cfp}.log10_power", "decay",
          "factors 0.5,0.9 over 20 steps", "×"),
        figure_spec(a, "max sigmoid'", where="§Activation table"),
        figure_spec(a, "sigmoid'(1)", where="§Activation table"),
        figure_spec(a, "max tanh'", where="§Activation table"),
        figure_spec(a, "tanh'(1)", where="§Activation table"),
        figure_spec(a, "max relu'", where="§Activation table"),
        figure_spec(a, "max identity'", where="§Activation table"),
        figure_spec(a, "0.25^20", where="§Activation table"),
    ]
    for col, t in (("h", 1), ("local", 1), ("cum", 1), ("h", 5), ("local", 5), ("cum", 5),
                   ("h", 10), ("cum", 10)):
        words = {"h": "h_t", "local": "local w(1-h_t^2)", "cum": "dh_t/dh_0"}[col]
        out.append(figure_spec(a, f"{words} at t={t}", where="§Scalar trace code"))
    out += [
        figure_spec(a, "0.5^10", where="§Scalar trace code"),
        figure_spec(a, "0.5^20", where="§Scalar trace code", context="twenty steps at 0.5",
                    key="0.5^20-order"),
        S("003-four-unit-rho", a, "§PyTorch 4-unit code", "W_hh = 0.5 I + 0.05 noise "
          "(torch.manual_seed(0)) has spectral radius about 0.5", said("0.5", "≈ 0.5"),
          _four_unit_radius, "eigenvalues of the script's own W_hh",
          "vgtui.engine.flow.run_flow_batch", "flow", "preset '4 units, radius ~0.5' "
          "(vgtui's own draw of the same recipe)", needs="torch"),
    ]
    for t, fig in ((1, "2.354e-04"), (2, "3.731e-04"), (5, "1.486e-03"), (10, "1.484e-02"),
                   (15, "1.514e-01"), (19, "1.118"), (20, "2.000")):
        out.append(S(f"003-four-unit-t{t}", a, "§PyTorch 4-unit code",
                     f"||dL/dh_{t}|| as printed by the 4-unit script", said(fig),
                     _four_unit_step(t), "the script's weights and inputs (torch.manual_seed(0), "
                     "float32 draws), gradients by the flow engine in float64",
                     "vgtui.engine.flow.run_flow_batch", "flow",
                     "preset '4 units, radius ~0.5'", needs="torch"))
    out += [
        S("003-four-unit-10000", a, "§PyTorch 4-unit code", "the gradient at t = 1 is roughly "
          "10,000 times smaller than at t = 20", about("10000", "~10,000×"), _four_unit_ratio,
          "||dL/dh_20|| / ||dL/dh_1||", "vgtui.engine.flow.run_flow_batch", "flow",
          "preset '4 units, radius ~0.5'", "×", needs="torch"),
        S("003-four-unit-0.6", a, "§PyTorch 4-unit code", "each step back shrinks the gradient "
          "by a factor of about 0.6", said("0.6", "≈ 0.6"), _four_unit_factor,
          "(||dL/dh_1|| / ||dL/dh_20||)^(1/19)", "vgtui.engine.flow.run_flow_batch", "flow",
          "preset '4 units, radius ~0.5': fitted factor", needs="torch"),
        S("003-four-unit-orders", a, "§PyTorch 4-unit code", "over these 20 steps the first and "
          "last gradients differ by thousands of orders of magnitude",
          at_least("1000", "thousands of decades"), _four_unit_decades,
          "log10 (||dL/dh_20|| / ||dL/dh_1||), in decades", "vgtui.engine.flow.run_flow_batch",
          "flow", "preset '4 units, radius ~0.5'", "decades", needs="torch"),
        S("003-four-unit-1.5", a, "§PyTorch 4-unit code", "changing 0.5 to 1.5 makes the early "
          "gradients explode to about 1e8", about("1e8", "~1e8"), _four_unit_growth,
          "the same script with 1.5 I + 0.05 noise; ||dL/dh_1||",
          "vgtui.engine.flow.run_flow_batch", "exploding", "preset '4 units at 1.5'",
          needs="torch"),
        figure_spec(a, "0.7^13", where="§Long-term dependencies", screen="longrange",
                    hint="factor model at 0.7: a sentence with the key word 13 tokens back "
                         "(s edits the sentence)"),
    ]
    a = "004"
    out += [figure_spec(a, f"(0.9*0.5)^{t}", where="§Eigenvalue code") for t in (10, 20, 50, 100)]
    out += [figure_spec(a, f"1.1^{t}", where="§Exploding code") for t in (10, 20, 50)]
    out += [figure_spec(a, e, where="§Activation functions")
            for e in ("tanh'(0)", "tanh'(2)", "tanh'(5)")]
    out.append(figure_spec(a, "max tanh'", where="§Key takeaways"))
    return out


SPECS: tuple[Spec, ...] = tuple(_specs())
LEVELS = ("closed", "torch", "training")

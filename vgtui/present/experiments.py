"""What a set of training runs shows, in numbers and in a few plain sentences.

Every sentence is built from the runs handed in: which cells beat the baseline
at which lengths, how the step-1 gradient at initialisation falls with T, what
the optimiser, the forget gate and truncation did. Nothing is assumed from the
articles; where the runs disagree with them, the text says so.
"""
from __future__ import annotations

import math
from statistics import median

from ..engine.articles import ARTICLE_RNN_LIMIT, STATED_LOSSES
from ..engine.experiment_config import LEARNED_RATIO, PARTIAL_RATIO
from ..engine.experiments import (ExperimentResult, Group, decay_per_step, median_log10,
                                  summary_groups)
from ..engine.magnitude import format_value
from ..engine.presets import matching_preset
from ..engine.training import RunResult

ARCH_TITLES = {"rnn": "vanilla tanh RNN", "lstm": "LSTM", "gru": "GRU"}
TRAINING_VERDICT_MARKS = {"learned": "✓", "partial": "~", "not learned": "✗", "diverged": "!"}


def training_verdict_text(verdict: str) -> str:
    """A training run's verdict with its marker: '✓ learned', '✗ not learned'."""
    return f"{TRAINING_VERDICT_MARKS.get(verdict, '?')} {verdict}"


GRAD_STEP1_MEANING = ("grad_step1 is ||d loss / d x_1||: the gradient of one example's loss "
                      "with respect to its input at step 1, averaged over the held-out "
                      "examples; grad_step1_init is the same before training")


def verdict_rule_text() -> str:
    return (f"on held-out examples, ✓ learned if the loss is below {LEARNED_RATIO:g} x the "
            f"baseline (the loss of the best constant prediction), ~ partial if below "
            f"{PARTIAL_RATIO:g} x, ✗ not learned otherwise")


def experiment_json(result, curves: bool = True) -> dict:
    """What ``vgtui train --json`` prints: the engine's numbers (``to_dict``) with the
    verdict rule, what grad_step1 means, and the reading in words."""
    numbers = result.to_dict(curves)
    out = {"config": numbers.pop("config"), "rule": "verdict " + verdict_rule_text(),
           "grad_step1_means": GRAD_STEP1_MEANING}
    timing = numbers.pop("timing")
    out.update(numbers)
    out["reading"] = reading(result)
    out["timing"] = timing
    return out


CURVE_BARS = "▁▂▃▄▅▆▇█"
# The loss curve is drawn as loss / baseline on one fixed scale for every run, so
# curves compare across rows: the bottom bar is 0, the top is this ratio or more.
CURVE_TOP = 1.25


def loss_curve_text(run: RunResult, width: int = 12) -> str:
    """The training loss over the updates as ``width`` bars of loss / baseline on a
    fixed 0 .. 1.25 scale (bucket means); '!' where a bucket is not finite."""
    values = [float(v) for v in run.train_loss]
    n = len(values)
    if n == 0 or run.baseline <= 0:
        return ""
    width = min(width, n)
    out = []
    for i in range(width):
        chunk = values[i * n // width:max(i * n // width + 1, (i + 1) * n // width)]
        if not all(math.isfinite(v) for v in chunk):
            out.append("!")
            continue
        ratio = sum(chunk) / len(chunk) / run.baseline
        level = int(min(max(ratio, 0.0), CURVE_TOP) / CURVE_TOP * (len(CURVE_BARS) - 1) + 0.5)
        out.append(CURVE_BARS[level])
    return "".join(out)


def _lengths(ts: list[int]) -> str:
    return ", ".join(str(t) for t in ts) if ts else "none"


def _fmt_log(v: float) -> str:
    if math.isnan(v):
        return "n/a"
    if v == -math.inf:
        return "0"
    return format_value(10.0 ** v, 1) if v > -300 else f"1e{v:.0f}"


def arch_line(arch: str, groups: list[Group]) -> str:
    """Where one architecture learned, partly learned, and stayed at the baseline."""
    all_ok = [g.length for g in groups if g.learned == g.n]
    some = [g.length for g in groups if 0 < g.learned < g.n]
    partial = [g.length for g in groups if g.learned == 0 and g.beat > 0]
    none = [g.length for g in groups if g.beat == 0]
    parts = []
    if all_ok:
        parts.append(f"✓ learned at T = {_lengths(all_ok)} (every seed)")
    if some:
        detail = ", ".join(f"{g.length} ({g.learned}/{g.n})" for g in groups
                           if 0 < g.learned < g.n)
        parts.append(f"✓ learned by some seeds at T = {detail}")
    if partial:
        parts.append(f"~ partly at T = {_lengths(partial)}")
    if none:
        parts.append(f"✗ no better than the baseline at T = {_lengths(none)}")
    return f"{ARCH_TITLES.get(arch, arch)}: " + "; ".join(parts) + "."


def reading(result: ExperimentResult) -> list[str]:
    """A short reading of the runs, every statement computed from them."""
    runs = result.runs
    cfg = result.config
    lines: list[str] = []
    if not runs:
        return ["No run has finished yet."]
    if result.cancelled:
        lines.append(f"Cancelled after {len(runs)} of {result.planned} runs: this reading "
                     "covers the finished runs only.")
    lines.append("Verdict rule: " + verdict_rule_text() + ".")
    groups = summary_groups(runs)
    archs = [a for a in ("rnn", "lstm", "gru") if any(g.arch == a for g in groups)]
    for arch in archs:
        lines.append(arch_line(arch, [g for g in groups if g.arch == arch]))

    # The step-1 gradient at initialisation, and what it says.
    for arch in archs:
        mine = [r for r in runs if r.arch == arch and r.cut_steps == 0]
        if not mine:
            continue
        ts = sorted({r.length for r in mine})
        lo = [g for g in groups if g.arch == arch and g.length == ts[0]][0]
        hi = [g for g in groups if g.arch == arch and g.length == ts[-1]][0]
        gamma = decay_per_step(mine)
        text = (f"{arch} step-1 gradient ||dl/dx_1|| at initialisation: "
                f"{_fmt_log(lo.log10_grad1_init)} at T = {lo.length}")
        if hi is not lo:
            text += f", {_fmt_log(hi.log10_grad1_init)} at T = {hi.length}"
        if gamma is not None:
            text += f" (a factor of about {gamma:.2f} per extra step)"
        lines.append(text + ".")
    beat = [r for r in runs if r.verdict in ("learned", "partial") and r.grad_step1_init > 0]
    stuck = [r for r in runs if r.verdict == "not learned" and r.grad_step1_init > 0]
    if beat and stuck:
        med_beat = median_log10(r.grad_step1_init for r in beat)
        med_stuck = median_log10(r.grad_step1_init for r in stuck)
        lines.append(
            f"Runs that beat the baseline started with a median step-1 gradient of "
            f"{_fmt_log(med_beat)}; runs that did not, {_fmt_log(med_stuck)}.")
        reach = median_log10(10.0 ** r.log10_reach_init for r in stuck
                            if math.isfinite(r.log10_reach_init))
        # within a factor of 10 of the learned runs, and at least 1/1000 of the gradient
        # at step T arriving at step 1: the gradient is not what is missing
        if med_stuck > med_beat - 1 and math.isfinite(reach) and reach > -3:
            lines.append(
                "Here the step-1 gradient at initialisation does not separate the runs that "
                "learned from those that did not, and in the runs that failed a fair share of "
                f"it arrives (median ||dl/dx_1|| / ||dl/dx_T|| = {_fmt_log(reach)}). What is "
                "left is the forward pass: the trace of step 1 must outlast every later input"
                + (", and each noisy input dilutes it." if cfg.task == "adding" or cfg.noise > 0
                   else "."))

    lines.extend(_optimizer_lines(cfg, runs))
    lines.extend(_gate_lines(cfg, runs, groups))
    lines.extend(_truncation_lines(cfg, runs))
    lines.extend(_article_lines(runs, groups))
    lines.extend(_claim_lines(cfg, groups))
    lines.extend(_measurement_notes(cfg, runs))
    return lines


def _optimizer_lines(cfg, runs: list[RunResult]) -> list[str]:
    out = []
    long_rnn = [r for r in runs if r.arch == "rnn" and r.length > ARTICLE_RNN_LIMIT
                and r.cut_steps == 0]
    if cfg.optimizer == "sgd" and long_rnn and not any(r.learned for r in long_rnn):
        tiny = min(r.grad_step1_init for r in long_rnn)
        at = min(long_rnn, key=lambda r: r.grad_step1_init)
        out.append(
            f"SGD moves each weight in proportion to its gradient. What reaches step 1 from "
            f"the loss (||dl/dx_1||) is as small as {format_value(tiny, 1)} at T = {at.length}, "
            f"and the weight changes that would put step 1 to use are scaled by it, so "
            f"{cfg.train_steps} updates barely move the weights toward them.")
    if cfg.optimizer == "adam":
        learned_long = [r for r in long_rnn if r.learned]
        if learned_long:
            r = min(learned_long, key=lambda r: r.grad_step1_init)
            rho = ""
            if r.spectral_radius_init is not None and r.spectral_radius_final is not None:
                rho = (f" Its W_hh spectral radius went from {r.spectral_radius_init:.2f} to "
                       f"{r.spectral_radius_final:.2f}.")
            out.append(
                f"With Adam the vanilla RNN learned at T = {r.length} (seed {r.seed}) although "
                f"its step-1 gradient at initialisation was {format_value(r.grad_step1_init, 1)}. "
                f"Adam divides each weight's step by a running average of that weight's "
                f"gradient size, so the step does not shrink with the gradient: a gradient "
                f"that is tiny but consistent still moves the weights at full speed.{rho}")
        else:
            out.append("Adam's steps do not shrink with the gradient (it divides by a running "
                       "average of each weight's gradient size), yet here no vanilla RNN run "
                       f"longer than {ARTICLE_RNN_LIMIT} steps learned.")
    learned_tiny = [r for r in runs if r.learned and r.grad_step1 > 0 and r.cut_steps == 0
                    and math.isfinite(r.log10_reach) and r.log10_reach < -6]
    if learned_tiny:
        r = min(learned_tiny, key=lambda r: r.log10_reach)
        out.append(
            f"A learned run can still pass almost no gradient back: after training, "
            f"{r.label()} has ||dl/dx_1|| / ||dl/dx_T|| = {_fmt_log(r.log10_reach)}. Holding a "
            f"value robustly means contracting small perturbations of the state, which is "
            f"the same thing as a vanishing gradient (Bengio et al. 1994).")
    if cfg.clip is not None:
        total = sum(r.train_steps for r in runs)
        clipped = sum(r.clipped_steps for r in runs)
        if total:
            share = 100 * clipped / total
            out.append(f"Clipping at {cfg.clip:g} acted on {clipped} of {total} updates "
                       f"({share:.2g}%). Clipping caps large gradients; it cannot make a small "
                       "one larger.")
    return out


def _gate_lines(cfg, runs: list[RunResult], groups: list[Group]) -> list[str]:
    out = []
    lstm = [r for r in runs if r.arch == "lstm" and r.keep_gate_init is not None]
    if not lstm:
        return out
    f0 = median(r.keep_gate_init for r in lstm)
    tmax = max(r.length for r in lstm)
    failing = [g.length for g in groups if g.arch == "lstm" and g.beat == 0]
    where = "torch's default bias" if cfg.forget_bias is None else f"bias {cfg.forget_bias:g}"
    decay = format_value(f0 ** tmax, 1) if f0 > 0 else "0"
    text = (f"LSTM forget gate at rest starts at {f0:.2f} ({where}): with no other help the "
            f"cell state keeps {f0:.2f} of itself per step, {decay} after {tmax} steps.")
    if failing and cfg.forget_bias is None:
        text += (f" A forget bias of 1 to 3 (gate {_sigmoid(1):.2f} to {_sigmoid(3):.2f}) is the "
                 "usual remedy: try it.")
    out.append(text)
    rnn_ok = {g.length for g in groups if g.arch == "rnn" and g.learned}
    lstm_not = {g.length for g in groups if g.arch == "lstm" and g.learned == 0}
    worse = sorted(rnn_ok & lstm_not)
    if worse:
        out.append(f"Against the articles' ranking, the LSTM did worse than the vanilla RNN at "
                   f"T = {_lengths(worse)} with these settings (same data, same updates).")
    return out


def _truncation_lines(cfg, runs: list[RunResult]) -> list[str]:
    k = cfg.truncate
    if k is None:
        return []
    cut = [r for r in runs if r.cut_steps > 0]
    inside = [r for r in runs if r.cut_steps == 0]
    out = []
    if cut:
        worst = max(r.grad_beyond_window for r in cut)
        zero = "exactly 0" if worst == 0.0 else f"at most {format_value(worst)}"
        out.append(
            f"Truncated BPTT, k = {k}: in the {len(cut)} runs longer than k the gradient "
            f"at every step more than {k} steps before T is {zero}, before and after training.")
        learned = sum(r.learned for r in cut)
        out.append(f"Runs with T > k: {learned} of {len(cut)} learned. The gradient cannot "
                   "carry anything from step 1 to the loss, so whatever these runs learn "
                   "comes from the last k steps alone.")
    else:
        out.append(f"Truncation k = {k} is at least every length here, so it changes nothing.")
    if inside:
        out.append(f"Runs with T <= k: {sum(r.learned for r in inside)} of {len(inside)} learned.")
    return out


def _article_lines(runs: list[RunResult], groups: list[Group]) -> list[str]:
    out = []
    rnn_long = [r for r in runs if r.arch == "rnn" and r.length > ARTICLE_RNN_LIMIT
                and r.learned]
    if rnn_long:
        t = max(r.length for r in rnn_long)
        out.append(f"Contrary to the articles (vanilla RNNs fail beyond about 10 to 20 steps), "
                   f"a vanilla RNN learned a {t}-step dependency here.")
    gated_fail = [g for g in groups if g.arch in ("lstm", "gru") and g.beat == 0]
    if any(g.length > ARTICLE_RNN_LIMIT for g in gated_fail):
        for arch in ("lstm", "gru"):
            ts = sorted(g.length for g in gated_fail if g.arch == arch)
            if ts and ts[-1] > ARTICLE_RNN_LIMIT:
                out.append(f"The articles expect gated cells to bridge long gaps; here the "
                           f"{ARCH_TITLES[arch]} stayed at the baseline at T = {_lengths(ts)} "
                           "with these settings.")
    return out


def _claim_lines(cfg, groups: list[Group]) -> list[str]:
    """Where this config is a preset with an article's printed figures: both, side by side."""
    preset = matching_preset("experiments", cfg)
    stated = STATED_LOSSES.get(preset.name) if preset is not None else None
    if stated is None:
        return []
    pairs = []
    for g in groups:
        if g.length in stated.losses:
            measured = median(r.final_loss for r in g.runs)
            pairs.append(f"T={g.length}: {stated.losses[g.length]:.2f} vs {measured:.2g}")
    if not pairs:
        return []
    return [f"{stated.source} prints final losses for this set-up; article vs measured "
            f"here (median over seeds, held-out): " + "; ".join(pairs) + "."]


def _measurement_notes(cfg, runs: list[RunResult]) -> list[str]:
    out = []
    if cfg.task == "adding":
        out.append("Adding task: one marked step lies in the first half and one in the second, "
                   "so the first is at least T/2 steps before the loss; ||dl/dx_1|| still "
                   "measures how much gradient reaches the start.")
    under = [r for r in runs if r.underflow]
    if under:
        out.append(f"{len(under)} runs show a step-1 gradient of 0 inside the BPTT window: the "
                   f"true value is below the range of {runs[0].dtype}, not zero.")
    diverged = [r for r in runs if r.verdict == "diverged"]
    if diverged:
        out.append(f"{len(diverged)} runs diverged (loss not finite): lower the learning rate "
                   "or clip the gradient.")
    if cfg.noise > 0 and cfg.task in ("first", "latch"):
        out.append(f"Inputs after step 1 are noise of std {cfg.noise:g}: the network must keep "
                   "the first input while ignoring the rest. Set noise to 0 to see how much of "
                   "the difficulty is the noise.")
    return out


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))

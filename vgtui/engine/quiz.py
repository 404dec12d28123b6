"""Quiz questions. The numeric ones are computed when the round is built: the
right option and every distractor come out of a calculation here (or from the
flow engine), never from a typed-in figure.

Round 0 uses the figures the articles discuss (0.9 over 50 steps, 0.7 per step,
the sigmoid preset ...); later rounds draw other parameters from a seeded
generator, so the same round always asks the same numbers.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .capacity import CapacityConfig, compute_capacity
from .closed_form import steps_to_lose_share
from .flow import run_flow
from .magnitude import format_log10
from .presets import find_preset, preset_config

ANSWER_KEYS = ("a", "s", "d", "f")


@dataclass(frozen=True)
class Choice:
    text: str
    why: str  # shown after answering: why this option is right, or why it is not


@dataclass
class Question:
    qid: str
    prompt: str
    choices: list[Choice]
    answer: int                  # index of the right choice
    computed: str = ""           # how the engine got the number (numeric questions)
    command: str | None = None   # a vgtui command printing the same number, if one exists
    numeric: bool = False
    value: float | None = None   # the computed value behind the right option

    def to_dict(self) -> dict:
        return {"id": self.qid, "prompt": self.prompt, "numeric": self.numeric,
                "choices": [c.text for c in self.choices], "answer": self.answer,
                "value": self.value, "computed": self.computed, "command": self.command}


@dataclass
class Quiz:
    round: int
    questions: list[Question] = field(default_factory=list)


# -- number formatting and options ------------------------------------------------------

def fmt(x: float) -> str:
    """Two significant figures; scientific form outside 1e-3..1e5."""
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    if 1e-3 <= abs(x) < 1e5:
        text = f"{x:.2g}"
        return text if "e" not in text else f"{x:.0f}"
    return format_log10(math.log10(abs(x)), 1)


def fmt_log10(log10_value: float) -> str:
    if -3 <= log10_value < 5:
        return fmt(10.0 ** log10_value)
    return format_log10(log10_value, 1)


def _pick(right: Choice, candidates: list[Choice], rng: random.Random) -> tuple[list[Choice], int]:
    """The right choice plus the first three candidates whose text differs from every
    choice already taken, shuffled by ``rng``."""
    chosen = [right]
    for c in candidates:
        if all(c.text != k.text for k in chosen):
            chosen.append(c)
        if len(chosen) == 4:
            break
    if len(chosen) < 4:
        raise ValueError(f"not enough distinct options for {right.text!r}")
    order = list(range(4))
    rng.shuffle(order)
    shuffled = [chosen[i] for i in order]
    return shuffled, order.index(0)


def _numeric(qid: str, prompt: str, right: Choice, candidates: list[Choice],
             rng: random.Random, computed: str, value: float,
             command: str | None = None) -> Question:
    choices, answer = _pick(right, candidates, rng)
    return Question(qid, prompt, choices, answer, computed, command, True, value)


def _concept(qid: str, prompt: str, right: Choice, wrong: list[Choice],
             rng: random.Random) -> Question:
    choices, answer = _pick(right, wrong, rng)
    return Question(qid, prompt, choices, answer)


# -- closed forms used by the questions ---------------------------------------------------

def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def sigmoid_prime(z: float) -> float:
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh_prime(z: float) -> float:
    t = math.tanh(z)
    return 1.0 - t * t


def steps_to_lose(factor: float, fraction_lost: float) -> int:
    """Fewest steps k with factor^k <= 1 - fraction_lost, decided exactly for the
    decimals as written (the same function as Decay, Scalar chain and the CLI)."""
    return steps_to_lose_share(factor, fraction_lost)


# -- the questions ------------------------------------------------------------------------

def q_power(rng: random.Random, factor: float, steps: int) -> Question:
    right = factor ** steps
    short, double = factor ** max(1, steps // 10), factor ** (2 * steps)
    linear = max(0.0, 1.0 - (1.0 - factor) * steps)
    return _numeric(
        "power",
        f"The gradient is multiplied by {factor:g} at every step back. What fraction of it "
        f"is left after {steps} steps?",
        Choice(fmt(right), f"{factor:g}^{steps} = {fmt(right)}: the losses compound, so the "
               "fraction left is the factor raised to the number of steps."),
        [Choice(fmt(short), f"That is {factor:g}^{max(1, steps // 10)}, only "
                f"{max(1, steps // 10)} steps; over {steps} steps it is {fmt(right)}."),
         Choice(fmt(double), f"That is {factor:g}^{2 * steps}, twice as many steps."),
         Choice(fmt(linear), f"That subtracts {1 - factor:.2g} per step as if losses added "
                f"up; they multiply, leaving {fmt(right)} (small, never exactly zero)."),
         Choice(fmt(factor * steps), "That multiplies the factor by the number of steps "
                "instead of raising it to that power.")],
        rng, f"{factor:g} ** {steps}", right)


def q_sigmoid_prime(rng: random.Random) -> Question:
    right = sigmoid_prime(0.0)
    return _numeric(
        "sigmoid-prime",
        "What is the derivative of the logistic sigmoid at z = 0, its largest value?",
        Choice(fmt(right), f"σ(0)(1 − σ(0)) = {fmt(sigmoid(0.0))} × {fmt(1 - sigmoid(0.0))} = "
               f"{fmt(right)}: each pass through a sigmoid keeps at most this share."),
        [Choice(fmt(sigmoid(0.0)), "That is σ(0) itself, the value, not the slope."),
         Choice(fmt(tanh_prime(0.0)), "That is tanh'(0); the sigmoid is four times flatter."),
         Choice(fmt(sigmoid_prime(1.0)), "That is σ'(1); the peak is at z = 0."),
         Choice(fmt(sigmoid_prime(2.0)), "That is σ'(2); the peak is at z = 0.")],
        rng, "σ(0)·(1 − σ(0))", right)


def q_tanh_prime(rng: random.Random, z: float) -> Question:
    right = tanh_prime(z)
    return _numeric(
        "tanh-prime",
        f"A tanh unit has pre-activation z = {z:g}. What is tanh'(z), the factor it passes "
        "back?",
        Choice(fmt(right), f"1 − tanh²({z:g}) = {fmt(right)}: away from 0 the curve flattens "
               "and passes little gradient back."),
        [Choice(fmt(tanh_prime(0.0)), "That is tanh'(0), the peak; at larger |z| it is smaller."),
         Choice(fmt(math.tanh(z)), f"That is tanh({z:g}), the output, not the slope."),
         Choice(fmt(tanh_prime(z / 2)), f"That is tanh'({z / 2:g}), half the pre-activation."),
         Choice(fmt(sigmoid_prime(z)), f"That is σ'({z:g}), the sigmoid's slope.")],
        rng, f"1 - tanh({z:g})**2", right)


def q_steps(rng: random.Random, factor: float, lost: float) -> Question:
    right = steps_to_lose(factor, lost)
    pct = f"{100 * lost:g}%"

    def other(frac: float) -> Choice:
        k = steps_to_lose(factor, frac)
        return Choice(str(k), f"{k} steps lose {100 * frac:g}%; {pct} takes {right} "
                      f"({factor:g}^{right} = {fmt(factor ** right)}).")

    return _numeric(
        "steps",
        f"At {factor:g} per step, how many steps back until at least {pct} of the gradient "
        "is gone?",
        Choice(str(right), f"{factor:g}^{right} = {fmt(factor ** right)} is the first power "
               f"at or below {fmt(1 - lost)}; {factor:g}^{right - 1} = "
               f"{fmt(factor ** (right - 1))} is not."),
        [other(f) for f in (0.9, 0.99, 0.9999, 0.5, 0.999999) if abs(f - lost) > 1e-12],
        rng, f"smallest k with {factor:g}**k <= {fmt(1 - lost)}", right)


def q_flow_ratio(rng: random.Random, preset_name: str,
                 cancel: Callable[[], bool] | None = None) -> Question:
    preset = find_preset("flow", preset_name)
    config = preset_config("flow", preset).replace(device="cpu", dtype="float64")
    run = run_flow(config, cancel=cancel)
    log_r = float(run.log10_ratio[0])
    back = run.steps - 1

    def per_step(log_value: float) -> str:
        return fmt(10.0 ** (log_value / back)) if back else "-"

    right = Choice(fmt_log10(log_r), f"Measured: ||dL/dh_1|| / ||dL/dh_{run.steps}|| = "
                   f"{fmt_log10(log_r)}, about {per_step(log_r)} per step back.")
    candidates = []
    for shift in (4, -4, 8, -8, 2, -2):
        v = log_r + shift
        candidates.append(Choice(fmt_log10(v), f"That would mean about {per_step(v)} per step "
                                 f"back; this network loses {per_step(log_r)} per step."))
    return _numeric(
        "flow-ratio",
        f"Preset '{preset.title}' ({config.activation}, {config.init} W_hh × {config.scale:g}, "
        f"n={config.hidden}, T={config.steps}). About how large is ||dL/dh_1|| relative to "
        f"||dL/dh_{config.steps}||?",
        right, candidates, rng, f"run_flow on preset {preset_name}",
        10.0 ** log_r, f"vgtui flow --preset {preset_name} --json")


def q_spectral(rng: random.Random, deriv: float) -> Question:
    top_left, top_right, bottom_left, bottom_right = 0.5, 0.1, 0.2, 0.4  # the 2-unit example
    w = np.array([[top_left, top_right], [bottom_left, bottom_right]])
    eig = np.abs(np.linalg.eigvals(w))
    rho = float(eig.max())
    right = deriv * rho
    norm = float(np.linalg.norm(deriv * w, 2))
    return _numeric(
        "spectral",
        f"W_hh = [[0.5, 0.1], [0.2, 0.4]] and every activation derivative is {deriv:g}. "
        f"What is the spectral radius of one Jacobian step, {deriv:g}·W_hh?",
        Choice(fmt(right), f"The eigenvalues of W_hh have magnitudes {fmt(eig.max())} and "
               f"{fmt(eig.min())}; times {deriv:g} the largest is {fmt(right)}. (The spectral "
               f"norm, the largest singular value, is {fmt(norm)}.)"),
        [Choice(fmt(rho), f"That is ρ(W_hh) alone; the derivative {deriv:g} scales it."),
         Choice(fmt(deriv), "That is the derivative alone; W_hh shrinks the gradient too."),
         Choice(fmt(deriv * float(eig.min())), "That uses the smaller eigenvalue; the largest "
                "one decides the long run."),
         Choice(fmt(deriv * float(np.abs(w).sum() / 2)), "That averages the entries; "
                "eigenvalues are not entry averages."),
         Choice(fmt(deriv * float(np.trace(w))), "That is the trace, the sum of both "
                "eigenvalues; the spectral radius is the largest magnitude."),
         Choice(fmt(deriv * deriv * rho), "That applies the derivative twice.")],
        rng, "numpy.linalg.eigvals", right)


def q_forget(rng: random.Random, gate: float, factor: float, steps: int) -> Question:
    log_ratio = steps * (math.log10(gate) - math.log10(factor))
    linear = gate / factor * steps
    return _numeric(
        "forget",
        f"Over {steps} steps a cell path keeps {gate:g} per step (forget gate) while a vanilla "
        f"RNN keeps {factor:g}. How many times more gradient survives on the cell path?",
        Choice(fmt_log10(log_ratio), f"({gate:g}/{factor:g})^{steps} = {fmt_log10(log_ratio)}: "
               f"{fmt(gate ** steps)} against {fmt_log10(steps * math.log10(factor))}."),
        [Choice(fmt(linear), "That multiplies the per-step ratio by the number of steps; "
                "the ratio compounds."),
         Choice(fmt_log10(log_ratio - 3), "Too small by a factor of a thousand."),
         Choice(fmt_log10(log_ratio + 3), "Too large by a factor of a thousand."),
         Choice(fmt(gate ** steps), f"That is what survives on the cell path alone, "
                f"{gate:g}^{steps}, not the ratio.")],
        rng, f"({gate:g}/{factor:g})**{steps}, in log10", 10.0 ** log_ratio)


def q_params(rng: random.Random, n: int, m: int, steps: int) -> Question:
    r = compute_capacity(CapacityConfig(hidden=n, input_size=m, steps=steps))
    return _numeric(
        "params",
        f"A vanilla RNN has hidden size n = {n} and input size m = {m}. How many parameters do "
        f"W_hh, W_xh and b hold together when it reads a sequence of {steps} steps?",
        Choice(f"{r.recurrent_params:,}", f"n² + nm + n = {r.recurrent_params:,}, the same for "
               "any length: every step shares them."),
        [Choice(f"{r.unshared_params:,}", f"T·n² = {r.unshared_params:,} is what a stack with its "
                "own matrix per step would need; the RNN shares one."),
         Choice(f"{n * n:,}", "That is W_hh alone."),
         Choice(f"{r.unshared_full:,}", "That counts every step's weights separately."),
         Choice(f"{n * n + n * m:,}", "That leaves out the bias b.")],
        rng, "n*n + n*m + n", r.recurrent_params,
        f"vgtui capacity --hidden {n} --input-size {m} --steps {steps} --json")


def _concepts(rng: random.Random) -> list[Question]:
    C = Choice
    return [
        _concept("clipping", "What can gradient clipping by norm do for a recurrent network?",
                 C("Stop exploding gradients from producing huge updates",
                   "It rescales the gradient when its norm passes a threshold."),
                 [C("Bring back a gradient that has vanished",
                    "Clipping only ever shrinks a gradient; a tiny one stays tiny."),
                  C("Make W_hh orthogonal",
                    "Clipping changes the gradient, not the weights' structure."),
                  C("Remove the need for backpropagation through time",
                    "The clipped gradient is still computed by BPTT.")], rng),
        _concept("truncated", "Truncated BPTT backpropagates k = 20 steps. The answer at the "
                 "last step depends on an input 50 steps back. The gradient linking them is:",
                 C("Exactly zero", "The backward pass stops after 20 steps by design, "
                   "so nothing from 50 steps back is ever credited."),
                 [C("Small but not zero", "It would be small with full BPTT; truncation cuts "
                    "it off completely."),
                  C("The same as with full BPTT", "Truncation stops the backward pass at k."),
                  C("Larger, since fewer factors shrink it", "Those factors are never applied: "
                    "the path is cut, so nothing arrives.")], rng),
        _concept("sharing", "Why does a vanilla RNN suffer more than a feedforward net of the "
                 "same depth?",
                 C("The same matrix multiplies the gradient at every step, so nothing cancels",
                   "One W_hh repeated T times shrinks (or stretches) the same way each "
                   "step, while different layers can partly balance out."),
                 [C("It has more parameters", "It has fewer: the weights are shared."),
                  C("Only RNNs use tanh", "Feedforward nets use tanh and sigmoid as well."),
                  C("RNNs are not trained with backpropagation",
                    "They are: BPTT is backpropagation on the unrolled graph.")], rng),
        _concept("norm-vs-radius", "Which number bounds how much one multiplication by W_hh "
                 "can stretch a vector?",
                 C("The spectral norm (largest singular value)",
                   "||W v|| <= ||W||₂ ||v|| for every v."),
                 [C("The spectral radius (largest |eigenvalue|)",
                    "It governs the long-run growth of W^k, but a non-normal matrix can "
                    "stretch a vector by more than its spectral radius in one step."),
                  C("The trace", "The trace is the sum of eigenvalues, not a stretch bound."),
                  C("The smallest singular value", "That bounds the least stretch, not the "
                    "most.")], rng),
        _concept("nan", "Training loss turns into NaN after a few updates. The likelier cause?",
                 C("Exploding gradients", "Huge gradients overflow or throw the weights "
                   "far away; clipping is the usual fix."),
                 [C("Vanishing gradients", "Vanishing is silent: the loss plateaus, it does "
                    "not blow up."),
                  C("A learning rate that is too small", "That makes progress slow, not NaN."),
                  C("Too few hidden units", "Capacity limits accuracy, it does not overflow.")],
                 rng),
        _concept("plateau", "The loss plateaus early and the model ignores words far back, "
                 "while gradient norms at early steps are tiny. What is happening?",
                 C("Vanishing gradients", "No learning signal reaches the early steps."),
                 [C("Exploding gradients", "Those are loud: spikes and NaN, not a quiet "
                    "plateau."),
                  C("Overfitting", "Overfitting needs the model to fit training data well "
                    "first."),
                  C("The hidden state is too small to hold the words", "Capacity is not the "
                    "issue: the information is there, the gradient cannot reach it.")], rng),
        _concept("transformer", "In a Transformer, how long is the gradient path between two "
                 "tokens 1000 positions apart (within one layer)?",
                 C("Constant: attention links them directly",
                   "No chain of 1000 Jacobians, whatever the distance."),
                 [C("About 1000 steps", "That is a recurrent network's path."),
                  C("It grows with the square of the distance", "The cost of attention grows "
                    "with length squared; the path does not."),
                  C("Infinite: they cannot interact", "Every position attends to every "
                    "other.")], rng),
        _concept("orthogonal", "W_hh is initialised orthogonal. Where are its eigenvalues?",
                 C("All on the unit circle (|λ| = 1)",
                   "An orthogonal matrix preserves lengths, so every |λ| = 1."),
                 [C("All zero", "Then W_hh would be nilpotent, not orthogonal."),
                  C("All real and positive", "Rotations have complex eigenvalues."),
                  C("All below 1 in magnitude", "That would shrink every vector; an "
                    "orthogonal matrix keeps lengths.")], rng),
        _concept("capacity", "Hidden size 64 gives 2^64 sign patterns. Why can a vanilla RNN "
                 "still fail to link a word 100 steps back?",
                 C("Gradient descent cannot find the weights: the signal does not reach back",
                   "Capacity is exponential in n, learnability falls exponentially in "
                   "the distance."),
                 [C("64 units cannot store one word", "The capacity is enormous; storing is "
                    "not the problem."),
                  C("RNNs cannot represent such functions", "They can represent them; "
                    "learning them is the hard part."),
                  C("The forward pass loses the word entirely", "The state still carries "
                    "traces of it; the gradient to exploit them is what vanishes.")], rng),
        _concept("lstm-path", "Which path lets an LSTM carry gradient across many steps?",
                 C("The cell state, scaled by the forget gate at each step",
                   "When the forget gate is near 1 the cell path passes the gradient "
                   "almost unchanged."),
                 [C("The output gate", "It scales what the cell shows, not what it keeps."),
                  C("The hidden state through W_hh", "That is the vanilla RNN path that "
                    "vanishes."),
                  C("The input embeddings", "Inputs enter each step; they do not carry "
                    "gradient across steps.")], rng),
    ]


ROUND0 = {"power": (0.9, 50), "tanh_z": 2.0, "steps": (0.7, 0.999), "preset": "sigmoid-20",
          "deriv": 0.8, "forget": (0.98, 0.7, 100), "params": (64, 10, 100)}


def _round_params(round_: int) -> dict:
    if round_ == 0:
        return dict(ROUND0)
    rng = random.Random(f"vgtui-quiz-{round_}")
    return {
        "power": (rng.choice((0.5, 0.7, 0.8, 0.9, 0.95, 0.99)), rng.choice((10, 20, 50, 100))),
        "tanh_z": rng.choice((0.5, 1.0, 1.5, 2.0, 3.0)),
        "steps": (rng.choice((0.5, 0.6, 0.7, 0.8, 0.9)), rng.choice((0.9, 0.99, 0.999))),
        "preset": rng.choice(("sigmoid-20", "tanh-1.0", "tanh-1.2", "four-unit", "default")),
        "deriv": rng.choice((0.5, 0.6, 0.7, 0.8, 0.9, 1.0)),
        "forget": (rng.choice((0.95, 0.98, 0.99)), rng.choice((0.5, 0.7, 0.8)),
                   rng.choice((20, 50, 100))),
        "params": (rng.choice((16, 32, 64, 128, 256)), rng.choice((4, 8, 10, 32)),
                   rng.choice((20, 50, 100, 500))),
    }


def build_quiz(round_: int = 0, cancel: Callable[[], bool] | None = None) -> Quiz:
    """Every question of a round, numbers computed now; options shuffled per round."""
    p = _round_params(round_)
    rng = random.Random(f"vgtui-order-{round_}")
    numeric = [
        q_power(rng, *p["power"]),
        q_sigmoid_prime(rng),
        q_steps(rng, *p["steps"]),
        q_flow_ratio(rng, p["preset"], cancel),
        q_tanh_prime(rng, p["tanh_z"]),
        q_spectral(rng, p["deriv"]),
        q_forget(rng, *p["forget"]),
        q_params(rng, *p["params"]),
    ]
    concepts = _concepts(rng)
    # Alternate numeric and conceptual questions.
    questions: list[Question] = []
    for k in range(max(len(numeric), len(concepts))):
        if k < len(numeric):
            questions.append(numeric[k])
        if k < len(concepts):
            questions.append(concepts[k])
    return Quiz(round_, questions)

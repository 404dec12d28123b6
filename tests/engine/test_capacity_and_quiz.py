"""Parameter sharing, capacity and the quiz's computed answers, each checked
against an independent computation (torch.nn modules, autograd, explicit loops)."""
import math

import pytest
import torch

from vgtui.engine.capacity import CapacityConfig, compute_capacity
from vgtui.engine.errors import ConfigError
from vgtui.engine.quiz import ANSWER_KEYS, build_quiz


@pytest.mark.parametrize("n,m,o,t", [(64, 10, 10, 100), (3, 1, 1, 1), (256, 32, 5, 500)])
def test_parameter_counts_match_torch_modules(n, m, o, t):
    r = compute_capacity(CapacityConfig(hidden=n, input_size=m, output=o, steps=t))
    rnn = torch.nn.RNN(m, n)  # holds two bias vectors; vgtui's model has one
    assert r.recurrent_params == sum(p.numel() for p in rnn.parameters()) - n
    readout = torch.nn.Linear(n, o, bias=False)
    assert r.total_params == r.recurrent_params + readout.weight.numel()
    stack = [torch.nn.Linear(n, n, bias=False) for _ in range(min(t, 4))]
    assert r.unshared_params == t * stack[0].weight.numel()
    assert r.log10_states == pytest.approx(math.log10(2 ** n), rel=1e-12)


@pytest.mark.parametrize("factor,steps", [(0.7, 100), (0.9, 50), (0.5, 3000), (1.3, 10)])
def test_learnability_and_horizon(factor, steps):
    r = compute_capacity(CapacityConfig(factor=factor, steps=steps))
    assert r.log10_gradient == pytest.approx(steps * math.log10(factor))
    if factor < 1:
        k, g = 0, 1.0
        while g >= 1e-6:
            k, g = k + 1, g * factor
        assert r.horizon == k
    else:
        assert r.horizon is None


def test_capacity_refuses_bad_sizes():
    with pytest.raises(ConfigError):
        CapacityConfig(output=0)
    with pytest.raises(ConfigError):
        CapacityConfig(factor=-1)
    with pytest.raises(ConfigError):
        CapacityConfig(hidden=1.5)


@pytest.fixture(scope="module")
def quizzes():
    return {r: build_quiz(r) for r in (0, 1, 2, 3)}


def test_every_round_has_at_least_twelve_well_formed_questions(quizzes):
    for quiz in quizzes.values():
        qs = quiz.questions
        assert len(qs) >= 12
        assert sum(q.numeric for q in qs) >= 5
        assert len({q.qid for q in qs}) == len(qs)
        for q in qs:
            assert len(q.choices) == len(ANSWER_KEYS) == 4
            assert len({c.text for c in q.choices}) == 4, q.qid
            assert 0 <= q.answer < 4
            assert all(c.why.strip() for c in q.choices), q.qid


def _question(quiz, qid):
    return next(q for q in quiz.questions if q.qid == qid)


def _sig2(x):
    return float(f"{x:.2g}")


def test_round_zero_numbers_are_computed(quizzes):
    quiz = quizzes[0]
    power = _question(quiz, "power")
    assert power.value == pytest.approx(0.9 ** 50)
    z = torch.zeros((), dtype=torch.float64, requires_grad=True)
    torch.sigmoid(z).backward()
    assert _question(quiz, "sigmoid-prime").value == pytest.approx(z.grad.item())
    z2 = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    torch.tanh(z2).backward()
    assert _question(quiz, "tanh-prime").value == pytest.approx(z2.grad.item())
    k, g = 0, 1.0
    while g > 1e-3:
        k, g = k + 1, g * 0.7
    assert _question(quiz, "steps").value == k
    # 2x2 spectral radius by the quadratic formula
    a, b, c, d = 0.5, 0.1, 0.2, 0.4
    tr, det = a + d, a * d - b * c
    rho = max(abs((tr + s * math.sqrt(tr * tr - 4 * det)) / 2) for s in (1, -1))
    assert _question(quiz, "spectral").value == pytest.approx(0.8 * rho)
    assert _question(quiz, "forget").value == pytest.approx((0.98 / 0.7) ** 100, rel=1e-9)
    rnn = torch.nn.RNN(10, 64)
    assert _question(quiz, "params").value == sum(p.numel() for p in rnn.parameters()) - 64


def test_the_right_option_shows_the_computed_value(quizzes):
    for quiz in quizzes.values():
        for q in quiz.questions:
            if q.numeric and q.qid not in ("params", "steps"):
                shown = q.choices[q.answer].text
                mantissa = float(shown.replace(",", ""))
                assert mantissa == pytest.approx(q.value, rel=0.06), (q.qid, shown, q.value)


def test_flow_ratio_question_matches_autograd(quizzes):
    from vgtui.engine.recurrence import build_weights
    from vgtui.engine.presets import preset_config

    q = _question(quizzes[0], "flow-ratio")
    config = preset_config("flow", "sigmoid-20").replace(device="cpu", dtype="float64")
    w = build_weights([config], torch.device("cpu"), torch.float64)
    hs = []
    h = torch.zeros(config.hidden, dtype=torch.float64)
    w_hh = w.w_hh[0].clone().requires_grad_(True)
    for t in range(config.steps):
        h = torch.sigmoid(w_hh @ h + w.w_xh[0] @ w.inputs[0, t] + w.bias[0])
        h.retain_grad()
        hs.append(h)
    hs[-1].sum().backward()
    ratio = (hs[0].grad.norm() / hs[-1].grad.norm()).item()
    assert q.value == pytest.approx(ratio, rel=1e-9)
    assert q.command == "vgtui flow --preset sigmoid-20 --json"


def test_new_rounds_change_the_numbers_and_keep_their_own(quizzes):
    values = [tuple(q.value for q in quizzes[r].questions if q.numeric) for r in (0, 1, 2, 3)]
    assert len(set(values)) > 1
    again = build_quiz(2)
    assert [q.to_dict() for q in again.questions] == [q.to_dict() for q in quizzes[2].questions]

"""Learning experiments checked against independent computations.

Task generators and baselines are checked with numpy and closed forms; gradients
with torch autograd on the same torch.nn modules, example by example, and an
explicit loop over time with the state cut by hand.
"""
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from vgtui.engine.errors import ConfigError
from vgtui.engine.experiment_config import ExperimentConfig, RunSpec, parse_experiment_field
from vgtui.engine.experiments import ExperimentCancelled, run_experiment
from vgtui.engine.presets import quick_config
from vgtui.engine.tasks import chance_accuracy, constant_baseline, expected_baseline, make_batch
from vgtui.engine.training import (build_model, chunk_bounds, input_gradient_profile,
                                   keep_gate_at_rest, spectral_radius, task_loss, train_run,
                                   truncation_probe, verdict_for)


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def tiny(**changes):
    base = dict(lengths=(4, 9), archs=("rnn",), seeds=1, train_steps=12, hidden=5, batch=8,
                eval_size=32)
    return ExperimentConfig(**{**base, **changes})


# -- task generators --------------------------------------------------------------------

def test_first_input_task_puts_the_target_at_step_one():
    x, y = make_batch("first", 7, 4000, gen(1), noise=0.3)
    x, y = x.numpy(), y.numpy()
    assert x.shape == (4000, 7, 1)
    assert np.array_equal(x[:, 0, 0], y)
    assert abs(np.std(x[:, 1:, 0]) - 0.3) < 0.01
    assert abs(np.var(y) - 1.0) < 0.06
    quiet, _ = make_batch("first", 7, 10, gen(1), noise=0.0)
    assert np.all(quiet.numpy()[:, 1:] == 0.0)


def test_latch_task_is_a_one_hot_symbol_then_noise():
    x, y = make_batch("latch", 6, 3000, gen(2), noise=0.5, symbols=3)
    x, y = x.numpy(), y.numpy()
    assert x.shape == (3000, 6, 3)
    onehot = np.eye(3)[y]
    assert np.array_equal(x[:, 0, :], onehot)
    assert abs(np.std(x[:, 1:, :]) - 0.5) < 0.01
    assert set(np.unique(y)) == {0, 1, 2}


def test_adding_task_marks_one_step_in_each_half_and_sums_them():
    T = 11
    x, y = make_batch("adding", T, 2000, gen(3))
    x, y = x.numpy(), y.numpy()
    values, marks = x[:, :, 0], x[:, :, 1]
    assert np.all(marks.sum(axis=1) == 2)
    half = T // 2
    assert np.all(marks[:, :half].sum(axis=1) == 1) and np.all(marks[:, half:].sum(axis=1) == 1)
    assert np.allclose(y, (values * marks).sum(axis=1), rtol=0, atol=1e-15)
    assert values.min() >= 0 and values.max() < 1


# -- baselines ----------------------------------------------------------------------------

def test_adding_baseline_is_one_sixth_by_computation():
    # closed form: the sum of two U(0,1) has the triangular density on [0, 2]
    s = np.linspace(0.0, 2.0, 200_001)
    density = np.where(s <= 1.0, s, 2.0 - s)
    mean = np.trapezoid(s * density, s) if hasattr(np, "trapezoid") else np.trapz(s * density, s)
    var = (np.trapezoid if hasattr(np, "trapezoid") else np.trapz)((s - mean) ** 2 * density, s)
    assert var == pytest.approx(1 / 6, abs=1e-8)
    assert expected_baseline("adding") == pytest.approx(var, abs=1e-8)
    # and by sampling the generator itself
    _, y = make_batch("adding", 20, 200_000, gen(4))
    assert constant_baseline("adding", y) == pytest.approx(1 / 6, abs=0.002)


def test_regression_baseline_is_the_variance_of_the_targets():
    _, y = make_batch("first", 5, 5000, gen(5), noise=0.2)
    assert constant_baseline("first", y) == pytest.approx(np.var(y.numpy()), rel=1e-12)
    assert constant_baseline("first", y) == pytest.approx(expected_baseline("first"), abs=0.06)


def test_classification_baseline_is_the_label_entropy_and_chance_the_top_class():
    _, y = make_batch("latch", 5, 6000, gen(6), symbols=4)
    counts = np.bincount(y.numpy(), minlength=4)
    p = counts / counts.sum()
    assert constant_baseline("latch", y) == pytest.approx(-(p * np.log(p)).sum(), rel=1e-12)
    assert constant_baseline("latch", y) == pytest.approx(math.log(4), abs=0.01)
    assert expected_baseline("latch", 4) == pytest.approx(math.log(4))
    assert chance_accuracy("latch", y) == pytest.approx(p.max())
    # the constant prediction of the label frequencies really scores the baseline
    logits = torch.log(torch.tensor(p)).expand(len(y), 4)
    ce = torch.nn.functional.cross_entropy(logits, y)
    assert float(ce) == pytest.approx(constant_baseline("latch", y), rel=1e-10)


def test_verdict_rule():
    assert verdict_for(0.49, 1.0) == "learned"
    assert verdict_for(0.5, 1.0) == "partial"
    assert verdict_for(0.89, 1.0) == "partial"
    assert verdict_for(0.95, 1.0) == "not learned"
    assert verdict_for(math.nan, 1.0) == "diverged"


# -- gradients ------------------------------------------------------------------------------

@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_input_gradient_profile_matches_per_example_autograd(arch):
    model = build_model(arch, 2, 6, 2, seed=3)
    x, y = make_batch("latch", 8, 5, gen(7), noise=0.3)
    profile, _ = input_gradient_profile("latch", model, x, y)
    norms = []
    for b in range(5):
        xb = x[b:b + 1].clone().requires_grad_(True)
        out, _ = model["cell"](xb)
        loss = torch.nn.functional.cross_entropy(model["readout"](out[:, -1]), y[b:b + 1])
        loss.backward()
        norms.append(xb.grad[0].norm(dim=1).numpy())
    assert np.allclose(profile, np.mean(norms, axis=0), rtol=1e-10, atol=0)


def test_chunks_are_counted_back_from_T():
    assert chunk_bounds(10, None) == [0, 10]
    assert chunk_bounds(10, 12) == [0, 10]
    assert chunk_bounds(10, 3) == [0, 1, 4, 7, 10]
    assert chunk_bounds(9, 3) == [0, 3, 6, 9]


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("T,k", [(12, 4), (13, 5), (6, 1)])
def test_truncated_gradient_beyond_k_is_exactly_zero(arch, T, k):
    model = build_model(arch, 2, 5, 2, seed=1)
    x, y = make_batch("latch", T, 6, gen(8), noise=0.4)
    full, _ = input_gradient_profile("latch", model, x, y)
    cut, _ = input_gradient_profile("latch", model, x, y, truncate=k)
    assert np.all(cut[:T - k] == 0.0)
    assert np.all(full[:T - k] > 0.0)
    # inside the window nothing changes: the same paths reach the loss
    assert np.allclose(cut[T - k:], full[T - k:], rtol=1e-12, atol=0)
    assert np.all(cut[T - k:] > 0.0)


def test_truncated_rnn_matches_an_explicit_loop_with_the_state_cut_by_hand():
    T, k = 10, 3
    model = build_model("rnn", 2, 4, 2, seed=2)
    cell = model["cell"]
    x, y = make_batch("latch", T, 3, gen(9), noise=0.5)
    engine, _ = input_gradient_profile("latch", model, x, y, truncate=k)
    xs = x.clone().requires_grad_(True)
    h = torch.zeros(3, 4, dtype=torch.float64)
    for t in range(T):
        if t == T - k:
            h = h.detach()
        h = torch.tanh(xs[:, t] @ cell.weight_ih_l0.T + cell.bias_ih_l0
                       + h @ cell.weight_hh_l0.T + cell.bias_hh_l0)
    loss = torch.nn.functional.cross_entropy(model["readout"](h), y)
    loss.backward()
    explicit = (xs.grad.norm(dim=2) * 3).mean(0).numpy()
    assert np.allclose(engine, explicit, rtol=1e-10, atol=0)
    assert np.all(explicit[:T - k] == 0.0)


@pytest.mark.slow
def test_a_truncated_training_run_never_sends_gradient_beyond_k():
    config = tiny(lengths=(9,), truncate=4, train_steps=15)
    run = run_experiment(config).runs[0]
    assert run.grad_beyond_window == 0.0
    assert np.all(run.grad_profile[:5] == 0.0) and np.all(run.grad_profile_init[:5] == 0.0)
    assert np.all(run.train_grad_step1 == 0.0)
    assert np.all(run.grad_profile[5:] > 0.0)


def test_truncation_probe_reports_zeros_and_equality():
    probe = truncation_probe(tiny(), 3, length=12)
    assert probe.cut_steps == 9
    assert probe.max_beyond == 0.0
    assert probe.inside_equal
    assert probe.full[0] > 0


# -- models -----------------------------------------------------------------------------------

def test_forget_bias_sets_the_lstm_gate_and_its_resting_value():
    model = build_model("lstm", 3, 7, 2, seed=0, forget_bias=2.0)
    cell = model["cell"]
    total = (cell.bias_ih_l0 + cell.bias_hh_l0)[7:14]
    assert torch.all(total == 2.0)
    assert keep_gate_at_rest(model, "lstm", 7) == pytest.approx(1 / (1 + math.exp(-2.0)))
    # the input, cell and output gates keep torch's own init
    default = build_model("lstm", 3, 7, 2, seed=0)
    assert torch.equal(cell.bias_ih_l0[:7], default["cell"].bias_ih_l0[:7])


def test_forget_bias_sets_the_gru_update_gate_that_keeps_the_state():
    """Checked by torch's own GRU step: with the weights zeroed and the new-content bias
    at 0, h_1 = (1 - z) tanh(0) + z h_0 = z h_0, so h_1 / h_0 is the update gate z, which
    must be sigmoid(3) when the bias of 3 went into z (and not into r or n)."""
    model = build_model("gru", 2, 5, 2, seed=1, forget_bias=3.0)
    cell = model["cell"]
    with torch.no_grad():
        cell.weight_ih_l0.zero_()
        cell.weight_hh_l0.zero_()
        cell.bias_ih_l0[10:].zero_()
        cell.bias_hh_l0[10:].zero_()
    h0 = torch.full((1, 1, 5), 0.7, dtype=torch.float64)
    _, h1 = cell(torch.zeros(1, 1, 2, dtype=torch.float64), h0)
    assert torch.allclose(h1 / h0, torch.full_like(h0, 1 / (1 + math.exp(-3.0))), rtol=1e-14)
    assert keep_gate_at_rest(model, "gru", 5) == pytest.approx(1 / (1 + math.exp(-3.0)))


def test_spectral_radius_matches_numpy():
    model = build_model("rnn", 2, 9, 2, seed=4)
    w = model["cell"].weight_hh_l0.detach().numpy()
    assert spectral_radius(model, "rnn") == pytest.approx(np.abs(np.linalg.eigvals(w)).max())
    assert spectral_radius(build_model("gru", 2, 9, 2, seed=4), "gru") is None


def test_models_use_torch_nn_modules():
    assert isinstance(build_model("rnn", 1, 3, 1, 0)["cell"], torch.nn.RNN)
    assert isinstance(build_model("lstm", 1, 3, 1, 0)["cell"], torch.nn.LSTM)
    assert isinstance(build_model("gru", 1, 3, 1, 0)["cell"], torch.nn.GRU)


# -- runs ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_run_is_deterministic_for_a_seed_and_differs_across_seeds():
    config = tiny(archs=("rnn", "lstm"), seeds=2)
    a = run_experiment(config)
    b = run_experiment(config)
    assert len(a.runs) == 8
    for ra, rb in zip(a.runs, b.runs):
        assert np.array_equal(ra.train_loss, rb.train_loss)
        assert ra.final_loss == rb.final_loss
        assert np.array_equal(ra.grad_profile, rb.grad_profile)
    seeds = [r for r in a.runs if r.arch == "rnn" and r.length == 4]
    assert seeds[0].final_loss != seeds[1].final_loss


def test_a_run_does_not_depend_on_the_rest_of_the_plan():
    alone = run_experiment(tiny(lengths=(9,))).runs[0]
    among = [r for r in run_experiment(tiny(lengths=(4, 9))).runs if r.length == 9][0]
    assert alone.final_loss == among.final_loss


def test_run_measurements_are_consistent():
    config = tiny(task="latch", clip=0.05, train_steps=20)
    run = run_experiment(config).runs[0]
    assert run.train_steps == 20 and len(run.train_loss) == 20
    assert run.baseline == pytest.approx(math.log(2), abs=0.05)
    assert 0.0 <= run.accuracy <= 1.0 and run.chance >= 0.5
    assert run.ratio == pytest.approx(run.final_loss / run.baseline)
    assert run.clipped_steps == int(np.sum(run.param_grad_norm > 0.05))
    assert run.eval_steps[0] == 0 and run.eval_steps[-1] == 20
    assert run.eval_loss[0] == pytest.approx(run.initial_loss)
    assert run.eval_loss[-1] == pytest.approx(run.final_loss)
    row = run.to_row()
    for key in ("task", "arch", "steps", "seed", "optimizer", "final_loss", "baseline",
                "learned", "grad_step1"):
        assert key in row
    assert row["steps"] == 4 and row["grad_step1"] == run.grad_profile[0]


def test_progress_and_cancel_keep_finished_runs():
    config = tiny(lengths=(4, 5, 6), train_steps=30)
    seen, finished = [], []

    def cancel():
        return len(finished) >= 1

    with pytest.raises(ExperimentCancelled) as info:
        run_experiment(config, progress=seen.append, on_run=finished.append, cancel=cancel,
                       progress_interval=0.0)
    assert len(info.value.result.runs) == 1 and info.value.result.cancelled
    assert info.value.result.runs[0] is finished[0]
    done = [p.work_done for p in seen]
    assert done == sorted(done) and seen[0].work_done == 0.0
    assert seen[-1].run_index == 1  # stopped inside the second run


@pytest.mark.slow
def test_default_sgd_experiment_learns_at_5_and_not_at_100():
    """The documented defaults: with SGD a vanilla RNN learns T = 5 and stays at
    the baseline at T = 100 (one seed here)."""
    config = ExperimentConfig(lengths=(5, 100), archs=("rnn",), seeds=1)
    runs = {r.length: r for r in run_experiment(config).runs}
    assert runs[5].learned
    assert runs[100].verdict == "not learned"
    assert runs[100].grad_step1_init < 1e-10 < runs[5].grad_step1_init


# -- settings -----------------------------------------------------------------------------------

def test_settings_parse_lists_and_off_words():
    assert parse_experiment_field("lengths", "5, 10,10,20") == (5, 10, 20)
    assert parse_experiment_field("archs", "rnn gru") == ("rnn", "gru")
    assert parse_experiment_field("clip", "off") is None
    assert parse_experiment_field("lr", "auto") is None
    assert parse_experiment_field("truncate", "8") == 8
    assert ExperimentConfig(optimizer="adam").learning_rate == 0.01


@pytest.mark.parametrize("name,text", [("lengths", "5,x"), ("lengths", "1"), ("lengths", ""),
                                       ("archs", "rnn,transformer"), ("seeds", "0"),
                                       ("clip", "-1"), ("truncate", "2.5"), ("noise", "nan"),
                                       ("task", "copy"), ("train_steps", "1e9")])
def test_bad_settings_are_refused_with_the_setting_named(name, text):
    with pytest.raises(ConfigError) as info:
        parse_experiment_field(name, text)
    assert info.value.field == name
    assert "\n" not in str(info.value)


def test_too_many_runs_is_refused():
    with pytest.raises(ConfigError):
        ExperimentConfig(lengths=tuple(range(2, 100)), seeds=50)


def test_quick_config_keeps_explicit_choices():
    c = quick_config(task="adding", seeds=2)
    assert c.task == "adding" and c.seeds == 2 and c.train_steps == 40


def test_importing_the_engine_does_not_import_torch_textual_or_rich():
    code = ("import sys, vgtui.engine.experiments, vgtui.engine.training, "
            "vgtui.present.experiments; "
            "bad = [m for m in ('torch', 'textual', 'rich') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.slow
def test_train_run_runs_one_spec():
    config = tiny()
    run = train_run(config, RunSpec(0, "gru", 6, 3))
    assert run.arch == "gru" and run.length == 6 and run.seed == 3
    assert len(run.grad_profile) == 6
    out = task_loss("first", torch.zeros(3, 1, dtype=torch.float64),
                    torch.ones(3, dtype=torch.float64))
    assert float(out) == 1.0


# -- the reading ------------------------------------------------------------------------------

def _runs_for(config, lengths=(5, 10)):
    """Real (tiny) runs on the same task, to be read as if they came from ``config``."""
    small = tiny(task=config.task, lengths=lengths, archs=("rnn",), train_steps=5)
    return run_experiment(small).runs


def test_reading_compares_with_the_article_figures_for_its_preset():
    from vgtui.engine.articles import ARTICLE_FIRST_LOSSES
    from vgtui.engine.experiments import ExperimentResult
    from vgtui.engine.presets import preset_config
    from vgtui.present.experiments import reading

    config = preset_config("experiments", "article-first")
    runs = _runs_for(config)
    text = "\n".join(reading(ExperimentResult(config, runs, 10, False, 1.0, "cpu", "float64")))
    assert f"{ARTICLE_FIRST_LOSSES.source} prints final losses" in text
    assert f"T=5: 0.02 vs {runs[0].final_loss:.2g}" in text
    other = "\n".join(reading(ExperimentResult(tiny(task="first"), runs, 2, False, 1.0, "cpu",
                                               "float64")))
    assert "prints final losses" not in other


@pytest.mark.slow
def test_reading_states_the_rule_and_counts_from_the_runs():
    from vgtui.engine.experiments import summary_groups
    from vgtui.present.experiments import loss_curve_text, reading

    result = run_experiment(tiny(lengths=(4, 9), archs=("rnn", "gru"), seeds=2))
    lines = reading(result)
    assert lines[0].startswith("Verdict rule")
    groups = summary_groups(result.runs)
    assert [(g.arch, g.length, g.n) for g in groups] == [("rnn", 4, 2), ("rnn", 9, 2),
                                                          ("gru", 4, 2), ("gru", 9, 2)]
    for g in groups:
        assert g.learned == sum(r.learned for r in g.runs)
    assert any(line.startswith("rnn step-1 gradient") for line in lines)
    curve = loss_curve_text(result.runs[0], 5)
    assert len(curve) == 5 and set(curve) <= set("▁▂▃▄▅▆▇█!")


def test_reading_of_a_truncated_experiment_reports_exact_zeros():
    from vgtui.present.experiments import reading

    result = run_experiment(tiny(lengths=(3, 9), truncate=4))
    text = "\n".join(reading(result))
    assert "k = 4" in text and "exactly 0" in text
    assert "Runs with T <= k: " in text

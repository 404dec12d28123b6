"""Every engine entry point a screen or a lookup calls checks its memory and time
estimate before it starts, and refuses past the budget with both numbers.

Each case runs a modest configuration under a tiny VGTUI_MEMORY_MB or VGTUI_SECONDS and
expects a ResourceError naming the estimate and the limit; with the normal budget the
same call succeeds (so the refusal comes from the guard, not from the sizes).
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from vgtui.engine import RNNConfig
from vgtui.engine.budget import ResourceError


def _flow():
    from vgtui.engine.flow import run_flow

    return run_flow(RNNConfig(steps=400, hidden=16))


def _flow_batch():
    from vgtui.engine.flow import run_flow_batch

    return run_flow_batch([RNNConfig(steps=300, hidden=16, scale=s) for s in (0.5, 1, 2)])


def _sweep():
    from vgtui.engine.sweep import run_sweep, sweep_spec

    return run_sweep(sweep_spec((0.5, 1.0), ("tanh", "relu"), steps=300, hidden=16))


def _lstm():
    from vgtui.engine.gated import run_stack

    return run_stack(RNNConfig(arch="lstm", layers=2, steps=200, hidden=16))


def _gru_recurrent():
    from vgtui.engine.gated import run_recurrent

    return run_recurrent(RNNConfig(arch="gru", steps=200, hidden=16))


def _cells():
    from vgtui.engine.cell_comparison import compare_cells

    return compare_cells(RNNConfig(steps=150, hidden=12))


def _compare():
    from vgtui.engine.architectures import run_compare
    from vgtui.engine.config import CompareConfig

    return run_compare(CompareConfig(steps=150, hidden=12))


def _jacobian():
    from vgtui.engine.jacobian import jacobian_run

    return jacobian_run(RNNConfig(steps=200, hidden=24))


def _lyapunov():
    from vgtui.engine.lyapunov import lyapunov_sweep

    return lyapunov_sweep(RNNConfig(steps=400, hidden=16), [0.5, 1.0, 2.0])


def _catch22():
    from vgtui.engine.bound import catch22_sweep

    return catch22_sweep(RNNConfig(steps=200, hidden=16), [0.5, 1.0, 2.0], 8)


def _clip():
    from vgtui.engine.clipping import clip_gradients

    return clip_gradients([RNNConfig(steps=400, hidden=16)], 1.0)


def _spectrum():
    from vgtui.engine.spectrum import spectrum_report

    return spectrum_report(96, 1.0, 0, 50)


def _drift():
    from vgtui.engine.spectrum import training_drift

    return training_drift(16, 1.0, 0, 20)


def _matrix():
    from vgtui.engine.jacobian import matrix_powers

    return matrix_powers(np.eye(8) * 0.9, 1.0, 5000)


def _trace():
    from vgtui.engine.closed_form import scalar_trace

    return scalar_trace(0.5, 100_000)


def _experiment():
    from vgtui.engine.experiment_config import ExperimentConfig
    from vgtui.engine.experiments import run_experiment

    return run_experiment(ExperimentConfig(lengths=(5, 20), archs=("rnn", "lstm"), seeds=1,
                                           train_steps=20, hidden=8, batch=16, eval_size=64))


def _probe():
    from vgtui.engine.experiment_config import ExperimentConfig
    from vgtui.engine.training import truncation_probe

    return truncation_probe(ExperimentConfig(lengths=(200,), archs=("lstm",), hidden=32,
                                             truncate=5))


def _longrange(model):
    def run():
        from vgtui.engine.longrange import LongRangeConfig, run_longrange

        return run_longrange(LongRangeConfig(model=model, hidden=16, filler=300,
                                             gaps=(0, 100, 500)))

    return run


ENTRY_POINTS = {
    "flow": _flow, "flow batch": _flow_batch, "measured decay sweep": _sweep,
    "LSTM stack": _lstm, "run_recurrent (GRU)": _gru_recurrent,
    "forget-gate cell comparison": _cells, "six architectures": _compare,
    "Jacobian products": _jacobian, "Lyapunov sweep": _lyapunov,
    "catch-22 sweep": _catch22, "clipping": _clip, "spectra": _spectrum,
    "spectrum training": _drift, "matrix powers": _matrix, "scalar chain": _trace,
    "training experiment": _experiment, "truncation probe": _probe,
    "long-range closed form": _longrange("factor"), "long-range RNN": _longrange("rnn"),
    "long-range LSTM": _longrange("lstm"),
}
# Fixed, small work whatever the settings (nothing to guard): factor^T for any T
# (closed form, one number per cell), activation quadrature, the parameter counts,
# and the quiz (fixed sizes).


def _numbers(text: str) -> list[str]:
    return re.findall(r"about ([\d.,]+ ?(?:[kMG]?B|s|ms|hours|days))", text)


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_each_entry_point_refuses_past_the_time_budget(name, monkeypatch):
    monkeypatch.setenv("VGTUI_SECONDS", "1e-7")
    with pytest.raises(ResourceError) as info:
        ENTRY_POINTS[name]()
    text = str(info.value)
    assert "would take about" in text and "over the limit of" in text, text
    assert "VGTUI_SECONDS" in text and "\n" not in text
    assert info.value.field  # names the setting to change (its flag / input)


@pytest.mark.parametrize("name", [n for n in ENTRY_POINTS if n != "long-range closed form"])
def test_each_entry_point_refuses_past_the_memory_budget(name, monkeypatch):
    monkeypatch.setenv("VGTUI_MEMORY_MB", "0.01")  # 10 kB
    with pytest.raises(ResourceError) as info:
        ENTRY_POINTS[name]()
    text = str(info.value)
    assert "needs about" in text and "of memory, over the limit of" in text, text
    assert "VGTUI_MEMORY_MB" in text


@pytest.mark.parametrize("name", ["flow", "Jacobian products", "catch-22 sweep", "spectra",
                                  "scalar chain", "long-range closed form", "matrix powers"])
def test_the_same_calls_run_within_the_normal_budget(name, monkeypatch):
    monkeypatch.delenv("VGTUI_SECONDS", raising=False)
    monkeypatch.delenv("VGTUI_MEMORY_MB", raising=False)
    assert ENTRY_POINTS[name]() is not None


def test_catch22_is_refused_before_any_weights_are_built(monkeypatch):
    """Its rows each hold their own n x n copy: the guard must come first."""
    import vgtui.engine.bound as bound

    def boom(*a, **k):
        raise AssertionError("weights built before the budget check")

    monkeypatch.setattr(bound, "build_weights", boom)
    monkeypatch.setenv("VGTUI_MEMORY_MB", "64")
    from vgtui.engine.bound import catch22_sweep

    with pytest.raises(ResourceError) as info:  # 64 x 64 rows of 1024 x 1024 float64
        catch22_sweep(RNNConfig(hidden=1024, steps=10), [1.0 + k / 64 for k in range(64)], 64)
    assert "sequences" == info.value.field


def test_budget_variables_that_are_not_numbers_fall_back_to_the_defaults(monkeypatch):
    from vgtui.engine import budget

    for bad in ("", "abc", "-5", "0", "nan"):
        monkeypatch.setenv("VGTUI_SECONDS", bad)
        monkeypatch.setenv("VGTUI_MEMORY_MB", bad)
        assert budget.time_limit_s() == budget.DEFAULT_SECONDS or bad == "nan"
        assert budget.memory_limit_mb() > 0


def test_closed_forms_cost_the_same_for_any_length(monkeypatch):
    """factor^T with T = 1e9 is one logarithm: it needs no guard and answers at once."""
    monkeypatch.setenv("VGTUI_SECONDS", "1e-7")
    monkeypatch.setenv("VGTUI_MEMORY_MB", "0.01")
    from vgtui.engine.closed_form import decay_table

    table = decay_table((0.5, 0.99), (10**9,))
    assert table.cells[0][0].log10_value == pytest.approx(10**9 * np.log10(0.5))


def test_estimates_grow_with_every_size():
    from vgtui.engine import budget
    from vgtui.engine.experiment_config import ExperimentConfig
    from vgtui.engine.experiments import experiment_estimate
    from vgtui.engine.gated import stack_estimate

    base = budget.jacobian_estimate(1, 128, 100, 4, 8)  # an SVD per step: n^3
    assert budget.jacobian_estimate(1, 256, 100, 4, 8).seconds > 4 * base.seconds
    assert budget.jacobian_estimate(1, 128, 1000, 4, 8).bytes > 2 * base.bytes
    assert budget.lyapunov_estimate(8, 32, 100, 4, 8).seconds > \
        budget.lyapunov_estimate(2, 32, 100, 4, 8).seconds
    assert stack_estimate(RNNConfig(arch="lstm", layers=4)).seconds > \
        stack_estimate(RNNConfig(arch="lstm", layers=1)).seconds
    small = experiment_estimate(ExperimentConfig(seeds=1))
    assert experiment_estimate(ExperimentConfig(seeds=3)).seconds == pytest.approx(
        3 * small.seconds)
    assert experiment_estimate(ExperimentConfig(seeds=1, batch=4096)).bytes > 10 * small.bytes

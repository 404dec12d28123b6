"""Following a probe log (engine/watchlog.py): half-written lines, garbage, restarts,
unknown schemas, missing files, 100,000 records in bounded memory, and the alerts."""
from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
import torch

import vgtui
from vgtui.engine.watchlog import MAX_POINTS, MAX_ROWS, LogError, WatchRun, read_log

HEADER = {"vgtui_watch": 1, "arch": "rnn", "module": "", "module_type": "RNN", "layers": 1,
          "hidden": 4, "input_size": 2, "parameters": 40, "torch": "x", "device": "cpu",
          "started": "today"}


def record(step, grad_h, factor=0.5, horizon=None, verdict="vanishing", loss=1.0,
           exploding=None, lag=None):
    layer = {"log10_grad_h": list(grad_h), "factor": factor, "horizon": horizon,
             "exploding_horizon": exploding, "verdict": verdict, "spectral_radius": 0.9,
             "spectral_norm": 1.1}
    if lag is not None:
        layer["log10_lag"] = list(lag)
        layer["lag_factor"] = factor
        layer["lag_horizon"] = horizon
    return {"step": step, "time": step / 10, "loss": loss, "steps": len(grad_h), "batch": 2,
            "bins": None, "layers": [layer], "log10_grad_x": list(grad_h),
            "lag_steps": 1 if lag is None else len(grad_h), "params": {"w": -1.0}}


def line(obj) -> str:
    return json.dumps(obj) + "\n"


def test_a_real_probe_log_is_read_and_summarised(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.LSTM(2, 4, num_layers=2)
    path = tmp_path / "run.jsonl"
    results = []
    with vgtui.Probe(model, path, every=5) as probe:
        for step in range(16):
            x = torch.randn(7, 3, 2)
            r = probe.observe(step, x)
            if r is not None:
                results.append(r)
    run = read_log(str(path))
    view = run.view()
    assert view.records == 4 and view.garbage == 0 and view.state == "ok"
    assert [r.step for r in view.rows] == [0, 5, 10, 15]
    assert "LSTM x2, n=4, m=2" in view.describe()
    summary = run.summary()
    assert summary["first_step"] == 0 and summary["last_step"] == 15
    for k, layer in enumerate(summary["per_layer"]):
        assert layer["factor"]["first"] == pytest.approx(results[0].layers[k].factor, abs=1e-4)
        assert layer["factor"]["last"] == pytest.approx(results[-1].layers[k].factor, abs=1e-4)
        assert layer["horizon"]["last"] == results[-1].layers[k].vanishing_horizon
    np.testing.assert_allclose(view.latest.layers[1].grad_c, results[-1].layers[1].log10_grad_c,
                               atol=1e-4)


def test_a_half_written_last_line_waits_for_its_end(tmp_path):
    path = tmp_path / "run.jsonl"
    full = line(record(0, [-3, -2, -1, 0]))
    path.write_text(line(HEADER) + full[: len(full) // 2])
    run = WatchRun(str(path))
    run.poll()
    assert run.records == 0 and run.garbage == 0 and run.state == "ok"
    with open(path, "a") as fh:
        fh.write(full[len(full) // 2:])
    assert run.poll()
    assert run.records == 1 and run.garbage == 0 and run.latest.step == 0


def test_garbage_lines_are_skipped_and_counted(tmp_path):
    path = tmp_path / "run.jsonl"
    path.write_text(line(HEADER) + line(record(0, [-2, -1, 0])) + "not json at all\n"
                    + '{"step": "x"}\n' + "[1, 2]\n" + line(record(1, [-2, -1, 0])))
    run = read_log(str(path))
    assert run.records == 2 and run.garbage == 3
    assert run.view().garbage_sample == "[1, 2]"


@pytest.mark.parametrize("how", ["truncate", "replace", "append-header"])
def test_a_restarted_run_is_noticed_and_read_from_its_start(tmp_path, how):
    path = tmp_path / "run.jsonl"
    path.write_text(line(HEADER) + "".join(line(record(s, [-2, -1, 0])) for s in range(5)))
    run = WatchRun(str(path))
    run.poll()
    assert run.records == 5
    second = dict(HEADER, started="later")
    if how == "truncate":
        # a new run opened the file for writing: shorter than what was read
        path.write_text(line(second) + line(record(0, [-4, -2, 0])))
    elif how == "replace":
        new = tmp_path / "new.jsonl"
        new.write_text(line(second) + "".join(line(record(s, [-4, -2, 0])) for s in range(9)))
        os.replace(new, path)
    else:
        with open(path, "a") as fh:
            fh.write(line(second) + line(record(0, [-4, -2, 0])))
    run.poll()
    view = run.view()
    assert view.restarts == 1 and "starting over" in view.restart_note
    assert view.first.step == 0 and view.first.layers[0].grad_h[0] == -4
    assert view.records == (9 if how == "replace" else 1)


def test_a_run_written_over_the_file_is_noticed_even_when_longer(tmp_path):
    path = tmp_path / "run.jsonl"
    path.write_text(line(HEADER) + line(record(0, [-1, 0])))
    run = WatchRun(str(path))
    run.poll()
    # between two polls a new run truncated the file and wrote more than was there
    path.write_text(line(dict(HEADER, started="later"))
                    + "".join(line(record(s, [-5, 0])) for s in range(10)))
    run.poll()
    assert run.restarts == 1 and run.records == 10


def test_an_unknown_schema_gives_one_clear_message(tmp_path):
    path = tmp_path / "future.jsonl"
    path.write_text(line(dict(HEADER, vgtui_watch=7)) + line(record(0, [-1, 0])))
    run = WatchRun(str(path))
    run.poll()
    assert run.state == "unknown-schema" and run.records == 0
    assert "unknown log schema version 7" in run.message and "\n" not in run.message
    with pytest.raises(LogError, match="version 7"):
        read_log(str(path))


def test_a_missing_file_is_waited_for(tmp_path):
    path = tmp_path / "later.jsonl"
    run = WatchRun(str(path))
    run.poll()
    assert run.state == "waiting" and "waiting for" in run.message
    path.write_text("")
    run.poll()
    assert run.state == "empty"
    path.write_text(line(HEADER) + line(record(3, [-1, 0])))
    run.poll()
    assert run.state == "ok" and run.records == 1


def test_files_that_are_not_logs_are_refused_in_one_line(tmp_path):
    for name, content in (("notes.txt", "hello\nworld\n"), ("data.json", '{"a": 1}\n'),
                          ("empty.jsonl", "")):
        path = tmp_path / name
        path.write_text(content)
        with pytest.raises(LogError) as info:
            read_log(str(path))
        assert "not a vgtui watch log" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(LogError, match="no such file"):
        read_log(str(tmp_path / "missing.jsonl"))


@pytest.mark.slow
def test_a_hundred_thousand_records_in_bounded_memory(tmp_path):
    path = tmp_path / "long.jsonl"
    grad = [-3.0, -2.0, -1.0, 0.0]
    one = json.dumps(record(0, grad))
    with open(path, "w") as fh:
        fh.write(line(HEADER))
        for step in range(100_000):
            fh.write(one.replace('"step": 0', f'"step": {step}', 1) + "\n")
    run = WatchRun(str(path))
    while not run.fully_read():
        run.poll()
    view = run.view()
    assert view.records == 100_000
    assert len(run.rows) <= MAX_ROWS and len(run.points) <= MAX_POINTS
    assert view.first.step == 0 and view.latest.step == 99_999
    assert view.rows[0].step == 0 and view.rows[-1].step == 99_999
    # rows are evenly spaced: every stride-th record
    steps = [r.step for r in view.rows[:-1]]
    assert all(b - a == view.stride for a, b in zip(steps, steps[1:]))
    # only the latest record keeps its per-parameter norms
    assert sum(r.params is not None for r in run.rows) <= 2


def test_alerts_horizon_shrinking_exploding_and_early_steps_gone(tmp_path):
    path = tmp_path / "run.jsonl"
    steps = 20
    healthy = [-0.1 * (steps - t) for t in range(1, steps + 1)]  # 1e-1.9 .. 1e-0.1
    vanished = [-1.0 * (steps - t) for t in range(1, steps + 1)]  # 1e-19 .. 1
    path.write_text(line(HEADER) + line(record(0, healthy, factor=0.8, horizon=None))
                    + line(record(100, vanished, factor=0.1, horizon=6)))
    alerts = read_log(str(path)).summary()["alerts"]
    kinds = [a["kind"] for a in alerts]
    assert "horizon-shrinking" in kinds and "early-steps-gone" in kinds
    gone = next(a for a in alerts if a["kind"] == "early-steps-gone")["text"]
    # steps t with 1e-(20 - t) < 1e-8: t = 1..11
    assert "steps 1-11 of 20" in gone
    assert "6 steps at step 100 against 20 at step 0" in next(
        a for a in alerts if a["kind"] == "horizon-shrinking")["text"]
    path.write_text(line(HEADER) + line(record(0, [3.0, 2.0, 1.0, 0.0], factor=10.0,
                                               verdict="exploding", exploding=2)))
    kinds = [a["kind"] for a in read_log(str(path)).summary()["alerts"]]
    assert kinds == ["exploding"]


def test_no_alert_on_a_healthy_run(tmp_path):
    path = tmp_path / "run.jsonl"
    flat = [-0.01 * (10 - t) for t in range(1, 11)]
    path.write_text(line(HEADER) + line(record(0, flat, factor=0.99, verdict="near-stable"))
                    + line(record(9, flat, factor=0.99, verdict="near-stable")))
    assert read_log(str(path)).summary()["alerts"] == []
    assert math.isclose(read_log(str(path)).summary()["loss"]["last"], 1.0)

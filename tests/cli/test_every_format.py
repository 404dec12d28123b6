"""Every lookup in every output format (issue 16): --csv parses with Python's csv module to
the same numbers as --json, and every format ends with exit 0 when the reader of its pipe
has gone (``vgtui LOOKUP ... | head -1``)."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vgtui.cli import build_parser
from vgtui.topics import lookup_names

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [str(ROOT / "vgtui" / "samples" / f"adding-{a}.jsonl") for a in ("rnn", "lstm")]
TRAIN = ["train", "--quick", "--lengths", "5", "--arch", "rnn", "--steps", "3", "--eval-size",
         "16", "--batch", "4", "--hidden", "4"]

# name -> (arguments, where the CSV's rows are in the JSON object)
#   ("rows", key): a list of objects; ("columns",): lists indexed by step;
#   ("dict", key): an object of objects; ("nested", outer, inner): rows of inner lists
CASES: dict[str, tuple[list[str], tuple]] = {
    "flow": (["flow", "--steps", "5", "--hidden", "3"], ("columns",)),
    "flow-lstm": (["flow", "--arch", "lstm", "--steps", "5", "--hidden", "3"], ("columns",)),
    "longrange": (["longrange", "--model", "factor"], ("rows", "tokens")),
    "trace": (["trace", "--steps", "5"], ("rows", "rows")),
    "decay": (["decay", "--factors", "0.5,0.9*0.5,1.1", "--steps", "3,5000"], ("rows", "rows")),
    "decay-measured": (["decay", "--measured", "--scales", "0.5:1.5:3", "--activations",
                        "tanh,relu", "--steps", "6", "--hidden", "3"], ("rows", "rows")),
    "activations": (["activations", "--at", "-1:1:3"], ("rows", "rows")),
    "jacobian": (["jacobian", "--steps", "5", "--hidden", "3"], ("columns",)),
    "jacobian-matrix": (["jacobian", "--matrix", "0.5,0.1;0.2,0.4", "--derivative", "0.8",
                         "--steps", "6"], ("rows", "rows")),
    "spectrum": (["spectrum", "--hidden", "3", "--power-steps", "3"], ("dict", "inits")),
    "bound": (["bound", "--steps", "5", "--hidden", "3"], ("columns",)),
    "lyapunov": (["lyapunov", "--steps", "12", "--hidden", "3", "--scales", "0.5:2:3"],
                 ("rows", "rows")),
    "clip": (["clip", "--steps", "5", "--hidden", "3", "--scale", "2"], ("columns",)),
    "compare": (["compare", "--steps", "5", "--hidden", "3"], ("rows", "rows")),
    "train": (TRAIN, ("rows", "rows")),
    "capacity": (["capacity"], ("rows", "parameters")),
    "claims": (["claims", "--closed-only", "--article", "003"], ("rows", "claims")),
    "watch": (["watch", *SAMPLES], ("nested", "runs", "per_layer")),
}


def test_every_lookup_has_a_case_and_csv():
    parser = build_parser()
    lookups = parser._subparsers._group_actions[0].choices
    assert {args[0] for args, _ in CASES.values()} == set(lookup_names())
    assert set(lookups) == set(lookup_names()) | {"serve"}  # serve starts the app: no rows
    for name in lookup_names():
        assert "--csv" in lookups[name]._option_string_actions, name


def _flat(obj: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}_"))
        elif not isinstance(v, list):
            out[f"{prefix}{k}"] = v
    return out


def _json_rows(data: dict, where: tuple) -> list[dict]:
    kind = where[0]
    if kind == "rows":
        return [_flat(r) for r in data[where[1]]]
    if kind == "dict":
        return [_flat(r) for r in data[where[1]].values()]
    if kind == "nested":
        rows = []
        for outer in data[where[1]]:
            own = _flat(outer)
            for inner in outer[where[2]]:
                rows.append({**own, **{(f"{where[2]}_{k}" if k in own else k): v
                                       for k, v in _flat(inner).items()}})
        return rows
    steps = data["steps"]
    columns = {k: v for k, v in data.items() if isinstance(v, list) and len(v) == steps
               and all(not isinstance(x, (list, dict)) for x in v)}
    return [{"t": i + 1, **{k: v[i] for k, v in columns.items()}} for i in range(steps)]


def _same(text: str, value) -> bool:
    if value is None:
        return text == ""
    if isinstance(value, bool):
        return text == ("true" if value else "false")
    if isinstance(value, (int, float)):
        number = float(text)
        return number == float(value) or (math.isnan(number) and math.isnan(float(value)))
    return text == str(value)


@pytest.mark.parametrize("name", sorted(CASES))
def test_csv_has_the_numbers_of_json(run_cli, name, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    args, where = CASES[name]
    code, out, err = run_cli(*args, "--json")
    assert code == 0, err
    expected = _json_rows(json.loads(out), where)
    code, out, err = run_cli(*args, "--csv")
    assert code == 0, err
    got = list(csv.DictReader(io.StringIO(out)))
    assert len(got) == len(expected) > 0
    compared = 0
    for row, want in zip(got, expected):
        for column, text in row.items():
            if column not in want:  # a column of its own (flow's step factor)
                continue
            assert _same(text, want[column]), (name, column, text, want[column])
            compared += isinstance(want[column], (int, float))
    assert compared >= len(got)  # at least one number per row was checked


def _formats(parser, lookup: str) -> list[str]:
    sub = parser._subparsers._group_actions[0].choices[lookup]
    formats = [] if lookup == "watch" else [""]  # watch's table is the app itself
    return formats + [f for f in ("--json", "--csv", "--plot") if f in sub._option_string_actions]


DRIVER = r"""
import json, os, sys
from vgtui.cli import main
results = []
for args in json.loads(sys.argv[1]):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first write
    saved = sys.stdout
    sys.stdout = os.fdopen(write_end, "w")
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        try:
            sys.stdout.close()
        except OSError:
            pass
        sys.stdout = saved
    results.append(code)
with open(sys.argv[2], "w") as f:
    json.dump(results, f)
"""


@pytest.mark.slow
def test_every_lookup_in_every_format_into_a_closed_pipe_exits_zero(tmp_path):
    parser = build_parser()
    runs = []
    for name, (args, _) in CASES.items():
        for fmt in _formats(parser, args[0]):
            if name == "jacobian-matrix" and fmt == "--plot":
                continue  # refused (a table only): test_plot_with_matrix_is_refused
            runs.append(args + ([fmt] if fmt else []))
    out = tmp_path / "codes.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    done = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(runs), str(out)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    codes = json.loads(out.read_text())
    failed = [(" ".join(a), c) for a, c in zip(runs, codes) if c != 0]
    assert not failed, (failed, done.stderr[-2000:])
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


@pytest.mark.parametrize("fmt", ["--json", "--csv", pytest.param("", marks=pytest.mark.slow)])
def test_head_one_exits_zero(fmt):
    """The shell pipe itself: a long output cut by head -1."""
    cmd = (f"{sys.executable} -m vgtui trace --steps 5000 --every 1 {fmt} | head -1 >/dev/null; "
           "exit ${PIPESTATUS[0]}")
    done = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0 and done.stderr == "", done.stderr


# Lookups whose screen draws a chart; --plot prints it (longrange's token strip is text,
# not a chart, and the table already prints it).
PLOTTED = {"flow", "trace", "activations", "jacobian", "spectrum", "bound", "lyapunov", "clip",
           "compare", "train", "watch"}


def test_lookups_with_a_chart_take_plot():
    parser = build_parser()
    lookups = parser._subparsers._group_actions[0].choices
    assert {name for name, sub in lookups.items()
            if "--plot" in sub._option_string_actions} == PLOTTED


@pytest.mark.parametrize("name", sorted(n for n in CASES
                                        if CASES[n][0][0] in PLOTTED and n != "jacobian-matrix"))
def test_plot_draws_the_screen_chart(run_cli, name, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    args, _ = CASES[name]
    code, out, err = run_cli(*args, "--plot")
    assert code == 0, err
    assert "┤" in out  # an axis tick of the chart widgets' drawing
    assert max(len(line) for line in out.splitlines()) <= 160


def test_plot_draws_what_the_widget_draws(run_cli, monkeypatch):
    """The printed chart is the widget's own drawing at the printed width."""
    from vgtui.engine import closed_form as cf
    from vgtui.widgets.charts import chain_chart

    monkeypatch.setenv("COLUMNS", "100")
    code, out, _ = run_cli("trace", "--steps", "12", "--plot")
    chart = chain_chart(cf.scalar_trace(0.5, 12, 0.1))
    assert code == 0
    drawn = chart.draw(120).plain
    assert drawn.splitlines()[1] in out


def test_watch_plot_is_the_panel_chart_of_each_log(run_cli, monkeypatch):
    """One chart per log: the latest record against the first, as the Watch panel draws
    it; a layer or quantity the log lacks is one line, exit 2."""
    from vgtui.engine.watchlog import read_log
    from vgtui.widgets.charts import watch_chart

    monkeypatch.setenv("COLUMNS", "100")
    code, out, err = run_cli("watch", *SAMPLES, "--plot", "--quantity", "x")
    assert code == 0, err
    for path in SAMPLES:
        chart = watch_chart(read_log(path).view(), 0, "x")
        assert f"{path}: {chart.title}" in out
        assert chart.draw(120).plain.splitlines()[2] in out
    code, out, err = run_cli("watch", SAMPLES[0], "--plot", "--layer", "3")
    assert code == 2 and out == "" and "layer" in err and err.count("\n") == 1
    code, out, err = run_cli("watch", SAMPLES[0], "--plot", "--quantity", "c")
    assert code == 2 and out == "" and err.count("\n") == 1


@pytest.mark.parametrize("args", [["--layer", "abc"], ["--layer", "0"], ["--layer", "-1"],
                                  ["--layer", "1e400"], ["--layer", "99"],
                                  ["--quantity", "zz"], ["--quantity", ""]])
def test_watch_plot_refuses_bad_choices(run_cli, args):
    code, out, err = run_cli("watch", SAMPLES[0], "--plot", *args)
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "Traceback" not in err


def test_plot_with_matrix_is_refused(run_cli):
    code, out, err = run_cli("jacobian", "--matrix", "0.5,0;0,0.5", "--plot")
    assert code == 2 and out == "" and "--plot" in err and err.count("\n") == 1


def test_power_chart_names_the_engine_shear_example():
    from vgtui.engine.spectrum import NON_NORMAL
    from vgtui.widgets.charts import power_chart

    assert power_chart.__defaults__[0][1] == NON_NORMAL


def test_a_sweep_of_64_scales_by_4_activations_runs(run_cli):
    """More scales than the old fixed limit of 12: the budget, not a count, decides."""
    code, out, err = run_cli("decay", "--measured", "--scales", "0.1:4:64", "--activations",
                             "tanh,sigmoid,relu,identity", "--hidden", "64", "--steps", "200",
                             "--csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 64 * 4
    assert {r["activation"] for r in rows} == {"tanh", "sigmoid", "relu", "identity"}


def test_a_sweep_past_the_budget_is_refused_in_one_line(run_cli):
    code, out, err = run_cli("decay", "--measured", "--scales", "0.1:4:2000", "--hidden", "512",
                             "--steps", "2000")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "--scales" in err and "limit" in err

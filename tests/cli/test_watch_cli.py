"""``vgtui watch FILE --json``: the summary against the log's own lines, and
one-line refusals (exit 2) for files that are not vgtui logs."""
from __future__ import annotations

import json

import pytest

from vgtui.screens.watch import sample_paths


def log_lines(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def test_summary_of_the_sample_logs(run_cli):
    paths = sample_paths()
    code, out, err = run_cli("watch", *paths, "--json")
    assert code == 0, err
    runs = json.loads(out)["runs"]
    assert [r["file"] for r in runs] == paths
    for path, run in zip(paths, runs):
        header, *records = log_lines(path)
        assert run["arch"] == header["arch"] and run["layers"] == header["layers"]
        assert run["records"] == len(records) and run["garbage_lines"] == 0
        assert run["first_step"] == records[0]["step"]
        assert run["last_step"] == records[-1]["step"]
        assert run["loss"]["first"] == pytest.approx(records[0]["loss"], abs=1e-4)
        assert run["loss"]["last"] == pytest.approx(records[-1]["loss"], abs=1e-4)
        for k, layer in enumerate(run["per_layer"]):
            first, last = records[0]["layers"][k], records[-1]["layers"][k]
            assert layer["factor"]["first"] == pytest.approx(first["factor"], abs=1e-4)
            assert layer["factor"]["last"] == pytest.approx(last["factor"], abs=1e-4)
            assert layer["horizon"] == {"first": first["horizon"], "last": last["horizon"]}
        assert isinstance(run["alerts"], list)
    # the vanilla RNN never learned: its earliest steps stay far below its last step's
    # gradient, and the summary says so; the LSTM learned, and has no such alert
    by_arch = {r["arch"]: r for r in runs}
    last = log_lines(by_arch["rnn"]["file"])[-1]["layers"][0]["log10_grad_h"]
    assert last[0] < last[-1] - 8
    assert [a["kind"] for a in by_arch["rnn"]["alerts"]] == ["early-steps-gone"]
    last = log_lines(by_arch["lstm"]["file"])[-1]["layers"][0]["log10_grad_h"]
    assert last[0] > last[-1] - 8 and by_arch["lstm"]["alerts"] == []


def test_a_log_with_garbage_and_a_half_line_is_summarised(run_cli, tmp_path):
    source = sample_paths()[1]
    lines = open(source, encoding="utf-8").read().splitlines()
    path = tmp_path / "run.jsonl"
    path.write_text("\n".join(lines[:4] + ["garbage {", lines[4]]) + "\n" + lines[5][:50])
    code, out, err = run_cli("watch", str(path), "--json")
    assert code == 0, err
    run = json.loads(out)["runs"][0]
    assert run["records"] == 4 and run["garbage_lines"] == 1


@pytest.mark.parametrize("content,words", [
    ("hello\n", "not a vgtui watch log"),
    ('{"step": 1}\n', "not a vgtui watch log"),
    ("", "empty"),
    ('{"vgtui_watch": 2, "layers": 1}\n', "unknown log schema version 2"),
])
def test_files_that_are_not_logs_exit_2_with_one_line(run_cli, tmp_path, content, words):
    path = tmp_path / "file.jsonl"
    path.write_text(content)
    code, out, err = run_cli("watch", str(path), "--json")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err and words in err, err
    assert err.startswith("vgtui watch: error:")


def test_missing_files_and_directories_exit_2(run_cli, tmp_path):
    for path, words in ((tmp_path / "nope.jsonl", "no such file"), (tmp_path, "directory")):
        code, out, err = run_cli("watch", str(path), "--json")
        assert code == 2 and out == "" and err.count("\n") == 1 and words in err, err
    # one bad file among good ones is named
    code, _, err = run_cli("watch", sample_paths()[0], str(tmp_path / "nope.jsonl"), "--json")
    assert code == 2 and "nope.jsonl" in err


def test_without_json_and_without_a_terminal_it_says_to_add_json(run_cli):
    code, out, err = run_cli("watch", sample_paths()[0])
    assert code == 2 and out == "" and err.count("\n") == 1 and "--json" in err


def test_help_explains_the_heatmap(run_cli):
    code, out, _ = run_cli("watch", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "How to read the heatmap" in text and "▁▂▃▄▅▆▇█" in text
    assert "one row per record" in text and "one column per timestep" in text


def test_in_a_terminal_it_opens_the_app_on_the_watch_screen_with_the_files(run_cli, monkeypatch):
    import sys

    from vgtui.app import VgtuiApp

    opened = []
    monkeypatch.setattr(VgtuiApp, "run", lambda self, *a, **k: opened.append(self))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    paths = sample_paths()[:2]
    code, _, err = run_cli("watch", *paths)
    assert code == 0, err
    (app,) = opened
    assert app.start_screen == "watch" and app.watch_files == paths

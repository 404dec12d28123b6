"""vgtui train: JSON rows, table, flags, determinism, truncation."""
import json
import math

import pytest


def rows_of(out):
    return json.loads(out)["rows"]


@pytest.mark.slow
def test_quick_json_has_the_promised_rows(run_cli):
    code, out, err = run_cli("train", "--quick", "--json")
    assert code == 0, err
    data = json.loads(out)
    rows = data["rows"]
    assert len(rows) == 4 and data["runs_done"] == 4 and not data["cancelled"]
    for row in rows:
        for key in ("task", "arch", "steps", "seed", "optimizer", "final_loss", "baseline",
                    "learned", "grad_step1", "grad_step1_init", "verdict", "accuracy"):
            assert key in row
        assert row["task"] == "latch" and row["optimizer"] == "sgd"
        assert isinstance(row["learned"], bool)
        assert row["learned"] == (row["final_loss"] < 0.5 * row["baseline"])
        assert row["grad_step1"] >= 0
        assert "train_loss" not in row  # curves only with --curves
    assert sorted({(r["arch"], r["steps"]) for r in rows}) == [("lstm", 5), ("lstm", 20),
                                                              ("rnn", 5), ("rnn", 20)]
    assert data["reading"] and data["summary"]


@pytest.mark.slow
def test_explicit_flags_override_quick(run_cli):
    code, out, err = run_cli("train", "--quick", "--task", "adding", "--lengths", "6",
                             "--arch", "gru", "--optimizer", "adam", "--seeds", "2",
                             "--steps", "15", "--clip", "0.5", "--json", "--curves")
    assert code == 0, err
    data = json.loads(out)
    rows = data["rows"]
    assert [(r["arch"], r["steps"], r["seed"]) for r in rows] == [("gru", 6, 0), ("gru", 6, 1)]
    assert all(r["optimizer"] == "adam" and r["clip"] == 0.5 and r["train_steps"] == 15
               for r in rows)
    assert len(rows[0]["train_loss"]) == 15 and len(rows[0]["grad_profile"]) == 6
    assert rows[0]["accuracy"] is None
    assert data["config"]["learning_rate"] == 0.01


@pytest.mark.slow
def test_same_command_gives_the_same_numbers(run_cli):
    args = ("train", "--quick", "--lengths", "5", "--arch", "rnn,gru", "--json")
    _, first, _ = run_cli(*args)
    _, second, _ = run_cli(*args)
    strip = lambda rows: [{k: v for k, v in r.items() if k != "seconds"} for r in rows]
    assert strip(rows_of(first)) == strip(rows_of(second))


@pytest.mark.slow
def test_truncated_rows_have_zero_gradient_beyond_k(run_cli):
    code, out, err = run_cli("train", "--quick", "--lengths", "4,12", "--arch", "rnn",
                             "--truncate", "5", "--json")
    assert code == 0, err
    rows = {r["steps"]: r for r in rows_of(out)}
    assert rows[12]["grad_beyond_window"] == 0.0
    assert rows[12]["grad_step1"] == 0.0 and rows[12]["grad_step1_init"] == 0.0
    assert rows[4]["grad_beyond_window"] is None and rows[4]["grad_step1"] > 0


@pytest.mark.slow
def test_forget_bias_reaches_the_lstm_gate(run_cli):
    code, out, _ = run_cli("train", "--quick", "--arch", "lstm", "--lengths", "5",
                           "--forget-bias", "3", "--json")
    row = rows_of(out)[0]
    assert row["forget_bias"] == 3.0
    assert row["keep_gate_init"] == pytest.approx(1 / (1 + math.exp(-3)))


@pytest.mark.slow
def test_table_output(run_cli):
    code, out, err = run_cli("train", "--quick")
    assert code == 0, err
    for text in ("final loss", "baseline", "verdict", "|dl/dx1| init", "Verdict rule",
                 "4 of 4 runs"):
        assert text in out
    assert "✓" in out or "✗" in out


@pytest.mark.slow
def test_preset_flag(run_cli):
    code, out, _ = run_cli("train", "--preset", "truncated", "--quick", "--json")
    data = json.loads(out)
    assert data["config"]["truncate"] == 8


@pytest.mark.parametrize("args,flag", [
    (["--lengths", "5,abc"], "--lengths"),
    (["--lengths", "1"], "--lengths"),
    (["--arch", "rnn,transformer"], "--arch"),
    (["--optimizer", "rmsprop"], "--optimizer"),
    (["--task", "copy"], "--task"),
    (["--seeds", "0"], "--seeds"),
    (["--steps", "1.5"], "--steps"),
    (["--clip", "-1"], "--clip"),
    (["--truncate", "0"], "--truncate"),
    (["--forget-bias", "nan"], "--forget-bias"),
    (["--lr", "0"], "--lr"),
    (["--seeds", "50", "--lengths", ",".join(str(t) for t in range(2, 60))], "--seeds"),
    (["--device", "tpu"], "--device"),
])
def test_bad_flags_exit_2_with_one_line_naming_the_flag(run_cli, args, flag):
    code, out, err = run_cli("train", "--quick", *args)
    assert code == 2
    assert err.count("\n") == 1 and flag in err
    assert "Traceback" not in err and out == ""

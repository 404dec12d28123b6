"""vgtui longrange, vgtui capacity, and the app flags --demo, --demo-interval, --ansi."""
import json
import math

import pytest

from vgtui.engine.longrange import EXAMPLES, LongRangeConfig, run_longrange


def test_longrange_table(run_cli):
    code, out, err = run_cli("longrange", "--filler", "2")
    assert code == 0, err
    assert "◆ key" in out and "● loss" in out and "distance" in out and "(filler)" in out


def test_longrange_json_matches_the_python_api(run_cli):
    code, out, err = run_cli("longrange", "--example", "language", "--model", "rnn", "--hidden",
                             "8", "--gaps", "0,10", "--json")
    assert code == 0, err
    data = json.loads(out)
    for key in ("config", "tokens", "sweep", "key_t", "key_token", "key_log10_ratio",
                "distance", "details", "implied_factor"):
        assert key in data
    api = run_longrange(LongRangeConfig(text=EXAMPLES["language"].text,
                                        key=EXAMPLES["language"].key, model="rnn", hidden=8,
                                        gaps=(0, 10)))
    assert [t["log10_ratio"] for t in data["tokens"]] == list(api.log10_ratio)
    assert [p["gap"] for p in data["sweep"]] == [0, 10]
    assert data["key_token"] == "Kraków" and data["config"]["dtype"] == "float64"


def test_longrange_json_writes_tiny_ratios_exactly(run_cli):
    code, out, _ = run_cli("longrange", "--factor", "0.5", "--filler", "5000", "--gaps", "5000",
                           "--json")
    assert code == 0
    data = json.loads(out)
    assert data["key_log10_ratio"] < -1500
    first = out.split('"key_ratio": ', 1)[1].split(",", 1)[0]
    assert "e-15" in first  # a literal such as 3.1e-1510, not 0.0


def test_longrange_own_sentence_and_key(run_cli):
    code, out, err = run_cli("longrange", "--sentence", "the cat that we saw sleeps", "--key",
                             "2", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["key_token"] == "cat" and data["distance"] == 4
    assert data["key_log10_ratio"] == pytest.approx(4 * math.log10(0.7))


@pytest.mark.parametrize("args,flag", [
    (["--factor", "x"], "--factor"),
    (["--factor", "5"], "--factor"),
    (["--filler", "-3"], "--filler"),
    (["--model", "gru"], "--model"),
    (["--gaps", "1,,2"], "--gaps"),
    (["--sentence", "one"], "--sentence"),
    (["--sentence", "a b c", "--key", "9"], "--key"),
    (["--sentence", "a b c", "--key", "3"], "--key"),
    (["--example", "nope"], "--example"),
    (["--example", "keys", "--sentence", "a b"], "--sentence"),
    (["--hidden", "0"], "--hidden"),
    (["--forget-bias", "inf"], "--forget-bias"),
])
def test_longrange_bad_flags_one_line_exit_2(run_cli, args, flag):
    code, _, err = run_cli("longrange", *args)
    assert code == 2, err
    assert err.count("\n") == 1 and flag in err and "Traceback" not in err


def test_capacity_table_and_json(run_cli):
    code, out, err = run_cli("capacity")
    assert code == 0, err
    assert "W_hh" in out and "2^64" in out
    code, out, _ = run_cli("capacity", "--hidden", "32", "--input-size", "4", "--steps", "50",
                           "--factor", "0.9", "--json")
    data = json.loads(out)
    assert data["recurrent_params"] == 32 * 32 + 32 * 4 + 32
    assert data["unshared_params"] == 50 * 32 * 32
    assert data["log10_gradient_after_steps"] == pytest.approx(50 * math.log10(0.9))


@pytest.mark.parametrize("args,flag", [(["--output", "0"], "--output"),
                                       (["--factor", "-1"], "--factor"),
                                       (["--hidden", "x"], "--hidden"),
                                       (["--steps", "0"], "--steps")])
def test_capacity_bad_flags(run_cli, args, flag):
    code, _, err = run_cli("capacity", *args)
    assert code == 2 and err.count("\n") == 1 and flag in err


@pytest.mark.parametrize("args,flag", [(["--demo-interval", "0"], "--demo-interval"),
                                       (["--demo-interval", "abc"], "--demo-interval"),
                                       (["--demo-interval", "inf"], "--demo-interval"),
                                       (["--screen", "nope", "--demo"], "--screen")])
def test_app_flags_refuse_bad_values(run_cli, args, flag):
    code, _, err = run_cli(*args)
    assert code == 2 and err.count("\n") == 1 and flag in err


def test_app_flags_build_the_app_they_ask_for(monkeypatch):
    from vgtui.cli import build_parser, make_app

    monkeypatch.delenv("VGTUI_ANSI", raising=False)
    app = make_app(build_parser().parse_args(["--demo", "--screen", "quiz"]))
    assert app.demo_active and app.start_screen == "quiz" and app.demo_interval is None
    assert not app.start_ansi
    app = make_app(build_parser().parse_args(["--demo-interval", "2.5", "--ansi"]))
    assert app.demo_active and app.demo_interval == 2.5 and app.start_ansi
    monkeypatch.setenv("VGTUI_ANSI", "1")
    assert make_app(build_parser().parse_args([])).start_ansi
    monkeypatch.setenv("VGTUI_ANSI", "0")
    assert not make_app(build_parser().parse_args([])).start_ansi
    app = make_app(build_parser().parse_args(["--screen", "history"]))
    assert app.start_screen == "history" and not app.demo_active


def test_closed_form_lookups_never_import_torch():
    import subprocess
    import sys

    code = ("import sys\nfrom vgtui.cli import main\n"
            "for args in (['longrange', '--json'], ['longrange', '--filler', '40'], "
            "['capacity', '--json']):\n"
            "    assert main(args) == 0\n"
            "assert 'torch' not in sys.modules, 'a closed-form lookup imported torch'\n"
            "print('no-torch')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("no-torch")

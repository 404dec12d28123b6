"""vgtui decay, vgtui activations, vgtui trace: tables, JSON, refusals, no torch."""
import json
import math
import subprocess
import sys

import pytest


def test_decay_default_table(run_cli):
    code, out, err = run_cli("decay")
    assert code == 0, err
    assert "T=100" in out and "▼" in out and "▲" in out and "99.9% lost" in out


def test_decay_json_rows(run_cli):
    code, out, _ = run_cli("decay", "--factors", "0.5,0.9", "--steps", "10,20,50", "--json")
    data = json.loads(out)
    assert [(r["factor"], r["steps"]) for r in data["rows"]] == [
        (0.5, 10), (0.5, 20), (0.5, 50), (0.9, 10), (0.9, 20), (0.9, 50)]
    for r in data["rows"]:
        assert set(r) >= {"factor", "steps", "value", "log10_value", "regime"}
        assert r["value"] == r["factor"] ** r["steps"]
    assert data["factor_summaries"][0]["steps_to_lose"][0] == {"lost": "90%", "decades": 1,
                                                               "steps": 4}


def test_decay_json_is_exact_past_float_range(run_cli):
    code, out, _ = run_cli("decay", "--factors", "0.5,2", "--steps", "5000", "--json")
    assert code == 0
    from decimal import Decimal, getcontext

    getcontext().prec = 40
    exact = {0.5: 1 / Decimal(2) ** 5000, 2.0: Decimal(2) ** 5000}
    for factor, literal in zip((0.5, 2.0), out.split('"value": ')[1:]):
        mantissa, exponent = literal.split(",", 1)[0].split("e")
        value = exact[factor]
        assert int(exponent) == value.adjusted()  # a literal, never 0.0, inf or null
        assert float(mantissa) == pytest.approx(float(value.scaleb(-value.adjusted())), rel=1e-9)
    data = json.loads(out)  # still valid JSON
    assert data["rows"][0]["log10_value"] == pytest.approx(-5000 * math.log10(2), abs=1e-9)


def test_measured_json_rows(run_cli):
    code, out, err = run_cli("decay", "--measured", "--activations", "tanh,sigmoid", "--scales",
                             "0.5,1,1.5", "--steps", "20", "--hidden", "8", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert len(data["rows"]) == 6
    for r in data["rows"]:
        assert set(r) >= {"activation", "scale", "ratio", "factor", "log10_ratio", "multiplier",
                          "implied_ratio", "spectral_radius", "mean_derivative"}
    assert data["config"]["steps"] == 20 and data["config"]["hidden"] == 8


def test_measured_table_agrees_with_single_flow_runs(run_cli):
    """Every cell of the measured table is what `vgtui flow` says for that configuration."""
    code, out, _ = run_cli("decay", "--measured", "--activations", "tanh,sigmoid,relu,identity",
                           "--scales", "0.5,1,1.5", "--steps", "25", "--hidden", "12", "--seed",
                           "4", "--json")
    assert code == 0
    rows = json.loads(out)["rows"]
    for row in rows:
        code, single, err = run_cli("flow", "--activation", row["activation"], "--scale",
                                    str(row["scale"]), "--steps", "25", "--hidden", "12",
                                    "--seed", "4", "--json")
        assert code == 0, err
        run = json.loads(single)
        assert row["log10_ratio"] == pytest.approx(run["log10_ratio"][0], abs=1e-9)
        assert row["factor"] == pytest.approx(run["factor"], rel=1e-9)
        assert row["spectral_radius"] == pytest.approx(run["spectral_radius"], rel=1e-12)
        mean_d = sum(run["mean_derivative"][1:]) / (len(run["mean_derivative"]) - 1)
        assert row["mean_derivative"] == pytest.approx(mean_d, rel=1e-9)
        assert row["verdict"] == run["verdict"]


def test_measured_table_prints(run_cli):
    code, out, err = run_cli("decay", "--measured", "--scales", "0.5,1", "--steps", "10",
                             "--hidden", "4")
    assert code == 0, err
    assert "measured" in out and "shortcut" in out and "sigmoid" in out


def test_activations_table_and_json(run_cli):
    code, out, _ = run_cli("activations")
    assert code == 0 and "SiLU" in out and "typical" in out
    code, out, _ = run_cli("activations", "--at", "0,1", "--spread", "2", "--json")
    data = json.loads(out)
    assert data["spread"] == 2.0
    assert len(data["rows"]) == 6 * 2
    for r in data["rows"]:
        assert set(r) >= {"activation", "z", "derivative", "max_derivative", "typical_derivative"}
    names = [a["activation"] for a in data["activations"]]
    assert names == ["tanh", "sigmoid", "relu", "leaky_relu", "identity", "silu"]
    assert data["activations"][2]["typical_derivative"] == pytest.approx(0.5)


def test_activations_tiny_derivative_is_written_exactly(run_cli):
    code, out, _ = run_cli("activations", "--at", "400", "--activations", "tanh", "--json")
    assert code == 0
    row = json.loads(out)["rows"][0]
    expected = math.log10(4) - 800 * math.log10(math.e)  # tanh'(z) ~ 4 e^(-2z)
    assert row["log10_abs_derivative"] == pytest.approx(expected, abs=1e-9)
    literal = out.split('"derivative": ', 1)[1].split(",", 1)[0]
    mantissa, exponent = literal.split("e")
    assert int(exponent) == math.floor(expected)
    assert float(mantissa) == pytest.approx(10 ** (expected - math.floor(expected)), rel=1e-9)


def test_trace_table_and_json(run_cli):
    code, out, _ = run_cli("trace")
    assert code == 0 and "dh_t/dh_0" in out and "w^t" in out
    code, out, _ = run_cli("trace", "--weight", "1.5", "--steps", "300", "--h0", "0.1")
    assert code == 0 and "showing" in out
    code, out, _ = run_cli("trace", "--weight", "0.5", "--steps", "3000", "--json")
    data = json.loads(out)
    assert len(data["rows"]) == 3000
    last = data["rows"][-1]
    assert set(last) >= {"t", "h", "local", "cumulative", "linear"}
    assert last["log10_abs_linear"] == pytest.approx(3000 * math.log10(0.5), abs=1e-9)
    assert '"linear": 0.0,' not in out


@pytest.mark.parametrize("args,flag", [
    (["decay", "--factors", "abc"], "--factors"),
    (["decay", "--factors", "-1"], "--factors"),
    (["decay", "--factors", ""], "--factors"),
    (["decay", "--steps", "0"], "--steps"),
    (["decay", "--steps", "1.5"], "--steps"),
    (["decay", "--scales", "1"], "--scales"),
    (["decay", "--hidden", "8"], "--hidden"),
    (["decay", "--measured", "--factors", "0.5"], "--factors"),
    (["decay", "--measured", "--steps", "10,20"], "--steps"),
    (["decay", "--measured", "--steps", "1"], "--steps"),
    (["decay", "--measured", "--activations", "softmax"], "--activations"),
    (["decay", "--measured", "--scales", "0.5,x"], "--scales"),
    (["decay", "--measured", "--hidden", "0"], "--hidden"),
    (["activations", "--at", "x"], "--at"),
    (["activations", "--at", "5000"], "--at"),
    (["activations", "--spread", "-1"], "--spread"),
    (["activations", "--activations", "gelu2"], "--activations"),
    (["activations", "--leaky-slope", "2"], "--leaky-slope"),
    (["trace", "--weight", "200"], "--weight"),
    (["trace", "--steps", "0"], "--steps"),
    (["trace", "--h0", "nan"], "--h0"),
    (["trace", "--every", "0"], "--every"),
])
def test_bad_flags_give_one_line_and_exit_2(run_cli, args, flag):
    code, out, err = run_cli(*args)
    assert code == 2, (args, out, err)
    assert err.count("\n") == 1, err
    assert flag in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args", [["decay", "--json"], ["activations", "--json"],
                                  ["trace", "--steps", "50", "--json"], ["decay"]])
def test_closed_form_lookups_never_import_torch(args):
    code = (
        "import sys, io, contextlib\n"
        "from vgtui.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        f"    rc = main({args!r})\n"
        "assert rc == 0, rc\n"
        "assert buf.getvalue().strip()\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_lists_may_start_with_a_negative_number(run_cli):
    code, out, err = run_cli("activations", "--at", "-1,0,1", "--activations", "relu", "--json")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert [r["z"] for r in rows] == [-1.0, 0.0, 1.0]
    assert [r["derivative"] for r in rows] == [0.0, 0.0, 1.0]
    code, _, err = run_cli("trace", "--weight", "-0.5", "--h0", "-0.2", "--json")
    assert code == 0, err

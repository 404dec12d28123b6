"""Every lookup that computes refuses a run past the budget in one line, with the
estimate and the limit, exit code 2; the constant-cost ones always answer."""
import pytest

REFUSED = [
    ["flow", "--steps", "2000"],
    ["flow", "--arch", "lstm", "--layers", "2"],
    ["decay", "--measured", "--steps", "200"],
    ["trace", "--steps", "100000"],
    ["longrange", "--model", "rnn"],
    ["longrange", "--model", "lstm"],
    ["jacobian", "--steps", "300"],
    ["jacobian", "--matrix", "0.5,0.1;0.2,0.4", "--steps", "10000"],
    ["spectrum"],
    ["spectrum", "--hidden", "8", "--train-steps", "50"],
    ["bound", "--scales", "1,2"],
    ["lyapunov"],
    ["clip", "--steps", "500"],
    ["compare"],
    ["train", "--quick"],
]


@pytest.mark.parametrize("args", REFUSED, ids=[" ".join(a) for a in REFUSED])
def test_over_the_time_budget_is_one_line_with_estimate_and_limit(run_cli, monkeypatch, args):
    monkeypatch.setenv("VGTUI_SECONDS", "1e-6")
    code, out, err = run_cli(*args, "--json")
    assert code == 2 and out == "", err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "would take about" in err and "over the limit of" in err and "VGTUI_SECONDS" in err
    assert err.split(": error: ")[1].startswith("--"), err  # names the flag to change


@pytest.mark.parametrize("args", REFUSED, ids=[" ".join(a) for a in REFUSED])
def test_over_the_memory_budget_is_one_line_with_estimate_and_limit(run_cli, monkeypatch, args):
    monkeypatch.setenv("VGTUI_MEMORY_MB", "0.001")
    code, out, err = run_cli(*args, "--json")
    assert code == 2 and out == "", err
    assert err.count("\n") == 1
    assert "needs about" in err and "of memory, over the limit of" in err, err


@pytest.mark.parametrize("args", [["decay", "--steps", "1000000000"], ["activations"],
                                  ["capacity", "--steps", "200000"], ["longrange"]])
def test_constant_cost_lookups_answer_whatever_the_budget(run_cli, monkeypatch, args):
    """factor^T for T = 1e9, quadrature, parameter counts, the closed-form sentence."""
    import json

    monkeypatch.setenv("VGTUI_SECONDS", "1e-6")
    code, out, err = run_cli(*args, "--json")
    if args == ["longrange"]:  # the closed form is estimated too, and tiny
        monkeypatch.setenv("VGTUI_SECONDS", "0.01")
        code, out, err = run_cli(*args, "--json")
    assert code == 0, err
    json.loads(out)

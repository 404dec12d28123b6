import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch


def test_default_table(run_cli):
    code, out, err = run_cli("flow", "--steps", "8")
    assert code == 0, err
    assert "|dL/dh_t|" in out and "verdict" in out and "spectral radius" in out


def test_json_has_the_promised_keys(run_cli):
    code, out, _ = run_cli("flow", "--steps", "12", "--hidden", "6", "--json")
    assert code == 0
    data = json.loads(out)
    for key in ("grad_h", "log10_grad_h", "grad_x", "spectral_radius", "spectral_norm",
                "config", "factor", "verdict", "vanishing_horizon"):
        assert key in data
    assert len(data["grad_h"]) == 12
    assert data["config"]["device"] == "cpu" and data["config"]["dtype"] == "float64"
    # element k is ||dL/dh_{k+1}||: the last one is ||ones(n)|| = sqrt(n)
    assert data["grad_h"][-1] == pytest.approx(math.sqrt(6))
    assert data["log10_grad_h"][0] == pytest.approx(math.log10(data["grad_h"][0]))


def test_json_writes_magnitudes_past_float_range_exactly(run_cli):
    code, out, _ = run_cli("flow", "--preset", "log-space", "--json")
    assert code == 0
    assert '"log10_grad_h": [-3009.49' in out
    first = out.split('"grad_h": [', 1)[1].split(",", 1)[0]
    assert first.endswith("e-3010")  # a literal, not 0.0
    json.loads(out)  # still valid JSON


def test_csv_has_a_row_per_step(run_cli):
    code, out, _ = run_cli("flow", "--steps", "7", "--csv")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("t,grad_h,log10_grad_h")
    assert len(lines) == 8


def test_presets_load(run_cli):
    code, out, _ = run_cli("flow", "--preset", "sigmoid-20", "--json")
    data = json.loads(out)
    assert data["config"]["activation"] == "sigmoid" and data["config"]["steps"] == 20


@pytest.mark.parametrize("args,flag", [
    (["--scale", "abc"], "--scale"),
    (["--scale", "-2"], "--scale"),
    (["--hidden", "0"], "--hidden"),
    (["--steps", "nan"], "--steps"),
    (["--activation", "softmax"], "--activation"),
    (["--device", "tpu"], "--device"),
    (["--model", "/nonexistent/m.pt"], "model"),
    (["--inputs", "x.npy"], "--inputs"),
    (["--preset", "nope"], "--preset"),
    (["--every", "0"], "--every"),
    (["--bogus"], "--bogus"),
])
def test_bad_input_gives_one_line_and_exit_2(run_cli, args, flag):
    code, out, err = run_cli("flow", *args)
    assert code == 2
    assert err.count("\n") == 1, err
    assert flag in err
    assert "Traceback" not in err


def test_cuda_without_cuda_is_a_clear_one_line_error(run_cli):
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    code, _, err = run_cli("flow", "--device", "cuda")
    assert code == 2 and "--device cpu" in err and err.count("\n") == 1


def test_model_files_that_do_not_fit(tmp_path, run_cli):
    rnn = torch.nn.RNN(3, 5)
    good = tmp_path / "m.pt"
    torch.save(rnn.state_dict(), good)
    wrong_inputs = tmp_path / "x.npy"
    np.save(wrong_inputs, np.zeros((10, 4)))
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a torch file at all")
    not_sd = tmp_path / "list.pt"
    torch.save([1, 2, 3], not_sd)
    lstm = tmp_path / "lstm.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), lstm)
    cases = [
        (["--model", str(good), "--inputs", str(wrong_inputs)], "(T, 3)"),
        (["--model", str(empty)], "empty"),
        (["--model", str(garbage)], "could not be read"),
        (["--model", str(not_sd)], "state_dict"),
        (["--model", str(lstm)], "torch.nn.RNN"),
        (["--model", str(tmp_path)], "directory"),
        (["--model", str(good), "--hidden", "7"], "does not match"),
    ]
    for args, words in cases:
        code, _, err = run_cli("flow", *args)
        assert code == 2, (args, err)
        assert words in err and err.count("\n") == 1, (args, err)


def test_malicious_pickle_never_runs(tmp_path, run_cli):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    evil = tmp_path / "evil.pt"
    torch.save({"weight_hh_l0": Evil()}, evil)
    code, _, err = run_cli("flow", "--model", str(evil))
    assert code == 2 and "refused" in err
    assert not marker.exists()


def test_model_with_seeded_inputs(tmp_path, run_cli):
    rnn = torch.nn.RNN(2, 4)
    path = tmp_path / "m.pt"
    torch.save(rnn.state_dict(), path)
    code, out, err = run_cli("flow", "--model", str(path), "--steps", "9", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["steps"] == 9 and data["config"]["hidden"] == 4 and "seeded" in data["source"]


@pytest.mark.slow
def test_console_script_and_module_entry_points():
    out = subprocess.run([sys.executable, "-m", "vgtui", "flow", "--steps", "3", "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["steps"] == 3
    bad = subprocess.run([sys.executable, "-m", "vgtui", "flow", "--scale", "x"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr

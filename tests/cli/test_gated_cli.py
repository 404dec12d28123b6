"""vgtui flow --arch/--layers/--forget-bias, model files of every cell, vgtui compare."""
import json

import pytest
import torch


def test_flow_lstm_json_adds_grad_c_and_layers(run_cli):
    code, out, err = run_cli("flow", "--arch", "lstm", "--layers", "2", "--forget-bias", "1",
                             "--steps", "15", "--hidden", "6", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["arch"] == "lstm" and data["config"]["forget_bias"] == 1.0
    assert len(data["grad_c"]) == 15 and len(data["layers"]) == 2
    assert set(data["gates"]) == {"input", "forget", "output"}
    layer = data["layers"][0]
    assert {"grad_h", "grad_c", "cell_path", "forget_product", "log10_cell_path"} <= set(layer)
    assert data["grad_h"] == data["layers"][-1]["grad_h"]


def test_flow_gru_and_default_rnn_json(run_cli):
    code, out, _ = run_cli("flow", "--arch", "gru", "--steps", "5", "--json")
    data = json.loads(out)
    assert code == 0 and "grad_c" not in data and set(data["gates"]) == {"reset", "update"}
    code, out, _ = run_cli("flow", "--steps", "5", "--json")
    data = json.loads(out)
    assert "layers" not in data and data["config"]["arch"] == "rnn"


def test_flow_stack_table_and_csv(run_cli):
    code, out, err = run_cli("flow", "--arch", "lstm", "--layers", "2", "--steps", "6")
    assert code == 0, err
    assert "|dL/dc_t|" in out and "cell-only path" in out and "layer 2" in out
    code, out, _ = run_cli("flow", "--arch", "lstm", "--layers", "2", "--steps", "6", "--csv")
    lines = out.strip().splitlines()
    assert "log10_grad_c" in lines[0] and "log10_grad_h_layer1" in lines[0] and len(lines) == 7
    assert "np.float64" not in out


@pytest.mark.parametrize("args,flag", [
    (["--arch", "transformer"], "--arch"),
    (["--layers", "0"], "--layers"),
    (["--layers", "17"], "--layers"),
    (["--forget-bias", "x"], "--forget-bias"),
    (["--forget-bias", "100"], "--forget-bias"),
    (["--arch", "lstm", "--activation", "relu"], "--activation"),
])
def test_bad_stack_flags(run_cli, args, flag):
    code, _, err = run_cli("flow", *args)
    assert code == 2 and err.count("\n") == 1 and flag in err


def test_model_files_of_every_cell_and_their_refusals(tmp_path, run_cli):
    lstm = tmp_path / "lstm.pt"
    torch.save(torch.nn.LSTM(3, 5, num_layers=2).state_dict(), lstm)
    bi = tmp_path / "bi.pt"
    torch.save(torch.nn.GRU(3, 5, bidirectional=True).state_dict(), bi)
    proj = tmp_path / "proj.pt"
    torch.save(torch.nn.LSTM(3, 5, proj_size=2).state_dict(), proj)
    two = tmp_path / "two.pt"
    torch.save({**{f"a.{k}": v for k, v in torch.nn.GRU(2, 3).state_dict().items()},
                **{f"b.{k}": v for k, v in torch.nn.GRU(2, 3).state_dict().items()}}, two)
    odd = tmp_path / "odd.pt"
    torch.save({"weight_ih_l0": torch.zeros(10, 3), "weight_hh_l0": torch.zeros(10, 5)}, odd)
    code, out, err = run_cli("flow", "--model", str(lstm), "--steps", "7", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["arch"] == "lstm" and data["config"]["layers"] == 2 and "LSTM, 2 layers" in data["source"]
    cases = [
        (["--model", str(lstm), "--arch", "gru"], "--arch", "torch.nn.LSTM"),
        (["--model", str(lstm), "--layers", "3"], "--layers", "does not match"),
        (["--model", str(lstm), "--forget-bias", "1"], "--forget-bias", "does not apply"),
        (["--model", str(bi)], "model", "bidirectional"),
        (["--model", str(proj)], "model", "proj_size"),
        (["--model", str(two)], "model", "several"),
        (["--model", str(odd)], "model", "(4n, n)"),
    ]
    for args, flag, words in cases:
        code, _, err = run_cli("flow", *args)
        assert code == 2, (args, err)
        assert flag in err and words in err and err.count("\n") == 1, (args, err)


def test_compare_json_rows(run_cli):
    code, out, err = run_cli("compare", "--steps", "12", "--hidden", "5", "--json")
    assert code == 0, err
    data = json.loads(out)
    rows = data["rows"]
    assert len(rows) == 6 * 12
    assert set(rows[0]) == {"arch", "position", "grad", "log10_grad"}
    assert {r["arch"] for r in rows} == {"rnn", "lstm", "gru", "residual", "attention", "ssm"}
    assert [r["position"] for r in rows if r["arch"] == "gru"] == list(range(1, 13))
    for r in rows:
        assert r["grad"] == pytest.approx(10 ** r["log10_grad"], rel=1e-12)
    summary = {s["arch"]: s for s in data["summary"]}
    assert summary["attention"]["path_steps"] == 0 and summary["rnn"]["path_steps"] == 11
    assert summary["attention"]["parallel_training"].startswith("yes")


def test_compare_table_csv_and_only(run_cli):
    code, out, err = run_cli("compare", "--steps", "10")
    assert code == 0, err
    assert "how each carries the gradient" in out and "self-attention" in out
    code, out, _ = run_cli("compare", "--steps", "4", "--only", "ssm,attention", "--csv")
    lines = out.strip().splitlines()
    assert lines[0] == "arch,position,grad,log10_grad" and len(lines) == 9


@pytest.mark.parametrize("args,flag", [
    (["--steps", "0"], "--steps"), (["--radius", "2"], "--radius"),
    (["--only", "rnn,mamba"], "--only"), (["--hidden", "abc"], "--hidden"),
    (["--forget-bias", "nan"], "--forget-bias"), (["--every", "0"], "--every"),
])
def test_compare_bad_flags(run_cli, args, flag):
    code, _, err = run_cli("compare", *args)
    assert code == 2 and err.count("\n") == 1 and flag in err and "Traceback" not in err

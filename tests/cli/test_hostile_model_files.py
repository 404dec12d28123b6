"""Model files that bite, for LSTM, GRU and multi-layer files, through ``vgtui flow``:
each is refused in one line naming --model or --inputs and what is wrong, and the
pickles that would run code never do. The same files go through the app's
Open-model dialog in tests/ui/test_hostile_model_dialog.py."""
import json


def test_every_hostile_file_is_refused_in_one_line(run_cli, hostile_model_files):
    cases, marker, _ = hostile_model_files
    for label, model, inputs, words, flag in cases:
        args = ["flow", "--model", str(model)] + (["--inputs", str(inputs)] if inputs else [])
        code, out, err = run_cli(*args, "--json")
        assert code == 2 and out == "", (label, err)
        assert err.count("\n") == 1 and "Traceback" not in err, (label, err)
        assert flag in err and words in err, (label, err)
    assert not marker.exists(), "a pickle ran code on load"


def test_the_good_files_load(run_cli, hostile_model_files):
    _, _, paths = hostile_model_files
    for name, layers in (("lstm", 2), ("gru", 1), ("rnn3", 3)):
        code, out, err = run_cli("flow", "--model", str(paths[name]), "--steps", "6", "--json")
        assert code == 0, err
        assert json.loads(out)["config"]["layers"] == layers


def test_a_huge_model_file_is_refused_by_the_memory_budget(run_cli, tmp_path, monkeypatch):
    big = tmp_path / "big.pt"
    big.write_bytes(b"\0" * (3 * 2**20))
    monkeypatch.setenv("VGTUI_MEMORY_MB", "2")
    code, _, err = run_cli("flow", "--model", str(big))
    assert code == 2 and "--model" in err and "over the limit" in err, err

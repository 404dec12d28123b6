"""Checkpoint shapes people have on disk: a dict holding the state_dict
under "state_dict" (Lightning, with a "model." style prefix and non-tensor entries
beside it), "model_state_dict" or "model". Each reads exactly like the bare
state_dict, through ``--model`` and the app's Open-model dialog, always with
weights_only=True."""
import json

import pytest
import torch

from vgtui.engine.errors import ModelFileError
from vgtui.engine.models import load_model
from vgtui.widgets.model_dialog import read_model


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Linear(3, 3)
        self.rnn = torch.nn.LSTM(3, 5, num_layers=2)
        self.head = torch.nn.Linear(5, 1)


def lightning_checkpoint(net: Net) -> dict:
    """What pytorch_lightning's Trainer.save_checkpoint writes for a LightningModule that
    holds the network as ``self.model``: prefixed keys and plenty beside them."""
    state = {f"model.{k}": v for k, v in net.state_dict().items()}
    return {
        "epoch": 3, "global_step": 120, "pytorch-lightning_version": "2.4.0",
        "state_dict": state,
        "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 4}}}},
        "callbacks": {"ModelCheckpoint{'monitor': None}": {"best_model_score": None,
                                                            "dirpath": "/tmp/ckpt"}},
        "optimizer_states": [{"state": {0: {"step": torch.tensor(3.0),
                                            "exp_avg": torch.zeros(3, 3)}},
                              "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999),
                                                "params": [0, 1]}]}],
        "lr_schedulers": [],
        "hparams_name": "kwargs",
        "hyper_parameters": {"hidden": 5, "layers": 2},
    }


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(3)
    net = Net()
    lstm_only = tmp_path / "lstm.pt"
    torch.save(net.rnn.state_dict(), lstm_only)
    shapes = {
        "lightning": lightning_checkpoint(net),
        "model_state_dict": {"epoch": 7, "model_state_dict": net.state_dict(),
                             "optimizer_state_dict": {"state": {}, "param_groups": []},
                             "loss": 0.25},
        "model": {"model": net.state_dict(), "step": 10, "note": "best"},
    }
    paths = {}
    for name, obj in shapes.items():
        paths[name] = tmp_path / f"{name}.ckpt"
        torch.save(obj, paths[name])
    return net, lstm_only, paths


def test_every_checkpoint_shape_reads_the_same_weights(saved):
    net, lstm_only, paths = saved
    bare = load_model(str(lstm_only))
    keys = {"lightning": "state_dict", "model_state_dict": "model_state_dict", "model": "model"}
    for name, path in paths.items():
        model = load_model(str(path))
        assert model.arch == "lstm" and model.layers == 2, name
        assert model.checkpoint_key == keys[name], name
        assert model.prefix == ("model.rnn." if name == "lightning" else "rnn."), name
        for mine, theirs in zip(model.w_hh + model.w_ih + model.b_ih + model.b_hh,
                                bare.w_hh + bare.w_ih + bare.b_ih + bare.b_hh):
            assert torch.equal(mine, theirs), name
        assert f"checkpoint[{keys[name]!r}]" in model.describe()


def test_flow_on_a_checkpoint_prints_what_the_bare_state_dict_prints(run_cli, saved):
    _, lstm_only, paths = saved
    code, out, err = run_cli("flow", "--model", str(lstm_only), "--steps", "7", "--json")
    assert code == 0, err
    expected = json.loads(out)["layers"]
    for name, path in paths.items():
        code, out, err = run_cli("flow", "--model", str(path), "--steps", "7", "--json")
        assert code == 0, (name, err)
        assert json.loads(out)["layers"] == expected, name


def test_the_open_model_dialog_reads_a_lightning_checkpoint(saved):
    _, _, paths = saved
    choice = read_model(str(paths["lightning"]), "", None)
    assert choice.model.layers == 2 and "checkpoint['state_dict']" in choice.label()


def test_a_checkpoint_without_a_known_key_is_refused_in_one_line(run_cli, tmp_path):
    path = tmp_path / "odd.ckpt"
    torch.save({"weights": torch.nn.GRU(2, 3).state_dict(), "epoch": 1}, path)
    code, out, err = run_cli("flow", "--model", str(path), "--json")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "'state_dict'" in err and "--model" in err, err


def test_a_checkpoint_holding_objects_is_refused_and_never_runs_them(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            import os
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": torch.nn.RNN(2, 3).state_dict(), "hyper_parameters": Evil()},
               path)
    with pytest.raises(ModelFileError) as info:
        load_model(str(path))
    assert "refused" in str(info.value)
    assert not marker.exists()

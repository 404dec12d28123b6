"""``vgtui.Probe``: training is bit-for-bit unchanged by it, the log it writes,
binning of long sequences, and a failure that switches it off without stopping training.
Also: ``import vgtui`` stays light, and a measurement draws itself (rich, Jupyter)."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

import vgtui
from vgtui.engine.errors import ConfigError


class Regressor(torch.nn.Module):
    """A 2-layer LSTM with dropout between its layers and before the head, so that any
    random number the probe drew would change the training run."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(2, 8, num_layers=2, dropout=0.25, batch_first=True)
        self.drop = torch.nn.Dropout(0.1)
        self.head = torch.nn.Linear(8, 1)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(self.drop(out[:, -1]))


def train(steps: int, probe_path=None, every: int = 3):
    """Adam on fresh random batches drawn from torch's RNG inside the loop."""
    torch.manual_seed(0)
    model = Regressor()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    probe = vgtui.Probe(model, probe_path, every=every) if probe_path else None
    for step in range(steps):
        x = torch.rand(6, 12, 2)
        y = x[..., 0].sum(dim=1, keepdim=True)
        loss_fn = lambda pred: torch.nn.functional.mse_loss(pred, y)  # noqa: E731
        loss = loss_fn(model(x))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if probe is not None:
            probe.observe(step, x, loss_fn)
    if probe is not None:
        probe.close()
    return model


def read_log(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


@pytest.mark.slow
def test_training_with_and_without_a_probe_gives_identical_parameters(tmp_path):
    plain = train(20)
    path = tmp_path / "run.jsonl"
    probed = train(20, path)
    for (name, a), b in zip(plain.named_parameters(), probed.parameters()):
        assert torch.equal(a, b), name
    lines = read_log(path)
    assert lines[0]["vgtui_watch"] == 1
    assert [r["step"] for r in lines[1:]] == list(range(0, 20, 3))


@pytest.mark.slow
def test_the_header_and_records_hold_what_the_watch_screen_reads(tmp_path):
    path = tmp_path / "run.jsonl"
    train(7, path, every=2)
    header, *records = read_log(path)
    for key in ("arch", "layers", "hidden", "input_size", "parameters", "torch", "device",
                "started", "every", "module"):
        assert key in header, key
    assert header["arch"] == "lstm" and header["layers"] == 2 and header["hidden"] == 8
    assert header["parameters"] == sum(p.numel() for p in Regressor().parameters())
    assert header["torch"] == torch.__version__ and header["device"] == "cpu"
    assert [r["step"] for r in records] == [0, 2, 4, 6]
    for r in records:
        assert math.isfinite(r["loss"]) and r["time"] >= 0 and r["steps"] == 12
        assert len(r["layers"]) == 2 and len(r["log10_grad_x"]) == 12
        for layer in r["layers"]:
            assert len(layer["log10_grad_h"]) == 12 and len(layer["log10_grad_c"]) == 12
            for key in ("factor", "horizon", "verdict", "spectral_radius", "spectral_norm",
                        "forget_gate", "log10_lag"):
                assert key in layer, key
        assert set(r["params"]) == {n for n, _ in Regressor().named_parameters()}


def test_a_record_repeats_the_measurement_to_four_decimals(tmp_path):
    torch.manual_seed(1)
    model = torch.nn.GRU(3, 5, num_layers=2)
    x = torch.randn(9, 4, 3)
    path = tmp_path / "gru.jsonl"
    with vgtui.Probe(model, path, every=1) as probe:
        result = probe.observe(0, x)
    record = read_log(path)[1]
    for mine, layer in zip(record["layers"], result.layers):
        np.testing.assert_allclose(mine["log10_grad_h"], layer.log10_grad_h, atol=5e-5)
        assert mine["update_gate"] == pytest.approx(layer.gate_means["update"], abs=5e-5)
    np.testing.assert_allclose(record["log10_grad_x"], result.log10_grad_x, atol=5e-5)


@pytest.mark.slow
def test_long_sequences_are_binned_by_root_mean_square(tmp_path):
    torch.manual_seed(2)
    model = torch.nn.RNN(2, 4).double()
    x = torch.randn(1100, 2, 2, dtype=torch.float64)
    path = tmp_path / "long.jsonl"
    with vgtui.Probe(model, path, every=1) as probe:
        result = probe.observe(0, x, lambda out: out[0].pow(2).sum())
    record = read_log(path)[1]
    edges = record["bins"]
    assert len(edges) == 513 and edges[0] == 0 and edges[-1] == 1100
    assert all(b > a for a, b in zip(edges, edges[1:]))
    full = 10.0 ** result.layers[0].log10_grad_h
    for i in (0, 100, 511):
        chunk = full[edges[i]:edges[i + 1]]
        expected = math.log10(math.sqrt(np.mean(chunk ** 2)))
        assert record["layers"][0]["log10_grad_h"][i] == pytest.approx(expected, abs=5e-5)
    assert len(record["layers"][0]["log10_lag"]) == 512
    assert len(record["log10_grad_x"]) == 512


def test_a_failure_switches_the_probe_off_with_one_warning(tmp_path, capsys):
    torch.manual_seed(3)
    model = torch.nn.LSTM(2, 3)
    path = tmp_path / "run.jsonl"
    probe = vgtui.Probe(model, path, every=1)
    x = torch.randn(5, 2, 2)
    assert probe.observe(0, x) is not None

    def broken(out):
        raise RuntimeError("the loss went wrong\nsecond line")

    assert probe.observe(1, x, broken) is None
    assert probe.observe(2, x) is None  # stays off
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "switched off at step 1" in err and "Traceback" not in err
    assert not probe.active and "the loss went wrong" in repr(probe)
    assert len(read_log(path)) == 2  # the header and step 0 are kept
    probe.close()


def test_bad_probe_arguments_are_refused_at_once(tmp_path):
    module = torch.nn.GRU(2, 3)
    for kwargs in ({"every": 0}, {"every": 2.5}, {"loss_fn": "mse"}, {"lag_batch": 0}):
        with pytest.raises(ConfigError):
            vgtui.Probe(module, tmp_path / "x.jsonl", **kwargs)
    with pytest.raises(ConfigError, match="holds no"):
        vgtui.Probe(torch.nn.Linear(2, 2), tmp_path / "x.jsonl")
    with pytest.raises(ConfigError, match="cannot write"):
        vgtui.Probe(module, tmp_path / "missing-dir" / "x.jsonl")


def test_append_adds_a_second_run_after_a_new_header(tmp_path):
    path = tmp_path / "run.jsonl"
    module = torch.nn.RNN(2, 3)
    x = torch.randn(4, 2)
    with vgtui.Probe(module, path, every=1) as probe:
        probe.observe(0, x)
    with vgtui.Probe(module, path, every=1, append=True) as probe:
        probe.observe(0, x)
    kinds = ["header" if "vgtui_watch" in line else "record" for line in read_log(path)]
    assert kinds == ["header", "record", "header", "record"]


def test_import_vgtui_loads_neither_torch_nor_numpy():
    code = ("import sys, vgtui\n"
            "assert 'torch' not in sys.modules and 'numpy' not in sys.modules\n"
            "assert 'measure' in dir(vgtui) and 'Probe' in dir(vgtui)\n"
            "vgtui.measure\n"
            "assert 'torch' not in sys.modules, 'vgtui.measure imported torch before a call'\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_a_measurement_draws_itself_with_rich_and_in_jupyter():
    from rich.console import Console

    torch.manual_seed(4)
    result = vgtui.measure(torch.nn.LSTM(2, 4, num_layers=2), torch.randn(30, 3, 2))
    console = Console(record=True, width=80, color_system=None)
    console.print(result)
    text = console.export_text()
    assert "LSTM (the model itself), 2 layers" in text
    assert "1e-" in text and "t=30" in text  # the decade axis and the steps
    assert "▼" in text or "■" in text or "▲" in text
    assert "…" not in text  # nothing cut short at 80 columns
    html = result._repr_html_()
    assert html.startswith("<") and "LSTM" in html
    assert "MeasureResult(" in repr(result)

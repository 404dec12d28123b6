import os
import sys

import pytest

# Determinism and no stray GPU use in tests.
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
# No test reads or writes the user's result cache (tests of the cache point it elsewhere).
os.environ["VGTUI_CACHE_DIR"] = "off"


@pytest.fixture(autouse=True)
def own_config_dir(tmp_path_factory, monkeypatch):
    """Every test gets an empty settings folder of its own (the app remembers its theme and
    last screen there), so no test reads or writes the user's ~/.config/vgtui, and no test
    starts where another left off. A folder apart from tmp_path: tests count what lands
    there."""
    folder = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("VGTUI_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def run_cli(capsys):
    """Run ``vgtui ARGS`` in-process; returns (exit code, stdout, stderr)."""
    from vgtui.cli import main

    def run(*args: str):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _dump_async_tasks(signum, frame):  # pragma: no cover - a debugging aid
    """`kill -USR1 <pid>` on a stuck test run prints every asyncio task's stack."""
    import asyncio
    import faulthandler

    faulthandler.dump_traceback(all_threads=True)
    try:
        loop = asyncio.get_event_loop()
        for task in asyncio.all_tasks(loop):
            task.print_stack(file=sys.stderr)
    except RuntimeError:
        pass


if hasattr(os, "getpid"):
    import signal

    if hasattr(signal, "SIGUSR1"):
        signal.signal(signal.SIGUSR1, _dump_async_tasks)


# -- hostile model files, shared by the CLI and the app's Open-model dialog ----------
class _RunsCode:
    """Pickles to a call that would create ``marker``: loading it must never run it."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def hostile_model_files(tmp_path):
    """(label, model path, inputs path or "", words the refusal must contain, the flag it
    names), plus the marker file the malicious pickles would create."""
    import pickle

    import numpy as np
    import torch

    torch.manual_seed(0)
    marker = tmp_path / "pwned"
    good = {"lstm": torch.nn.LSTM(3, 5, num_layers=2), "gru": torch.nn.GRU(3, 4),
            "rnn3": torch.nn.RNN(3, 4, num_layers=3)}
    paths = {}
    for name, module in good.items():
        paths[name] = tmp_path / f"{name}.pt"
        torch.save(module.state_dict(), paths[name])
    cases = []

    def save(name, obj):
        path = tmp_path / name
        torch.save(obj, path)
        return path

    for name, module in good.items():
        sd = module.state_dict()
        raw = paths[name].read_bytes()
        half = tmp_path / f"{name}-half.pt"
        half.write_bytes(raw[: len(raw) // 2])
        empty = tmp_path / f"{name}-empty.pt"
        empty.write_bytes(b"")
        cases += [
            (f"{name}: missing", tmp_path / f"{name}-missing.pt", "", "not found", "--model"),
            (f"{name}: directory", tmp_path, "", "directory", "--model"),
            (f"{name}: empty", empty, "", "empty", "--model"),
            (f"{name}: truncated", half, "", "could not be read", "--model"),
            (f"{name}: a list", save(f"{name}-list.pt", list(sd.values())), "",
             "does not hold a state_dict", "--model"),
            (f"{name}: one tensor", save(f"{name}-tensor.pt", sd["weight_hh_l0"]), "",
             "does not hold a state_dict", "--model"),
            (f"{name}: numbers, not tensors", save(f"{name}-numbers.pt",
                                                   {k: 1.0 for k in sd}), "",
             "non-tensor", "--model"),
            (f"{name}: whole module pickled", save(f"{name}-module.pt", module), "",
             "refused", "--model"),
            (f"{name}: pickle that runs code", save(f"{name}-evil.pt",
                                                    {**sd, "x": _RunsCode(str(marker))}), "",
             "refused", "--model"),
        ]
        g = sd["weight_hh_l0"].shape[0] // sd["weight_hh_l0"].shape[1]
        n = sd["weight_hh_l0"].shape[1]
        cases += [
            (f"{name}: W_hh not (G n, n)", save(f"{name}-wrong-hh.pt",
                                                {**sd, "weight_hh_l0": torch.zeros(g * n + 1, n)}),
             "", "weight_hh_l0 must be", "--model"),
            (f"{name}: W_ih rows do not match", save(f"{name}-wrong-ih.pt",
                                                     {**sd, "weight_ih_l0": torch.zeros(g * n - 1, 3)}),
             "", "weight_ih_l0 must be", "--model"),
            (f"{name}: bias of the wrong size", save(f"{name}-wrong-bias.pt",
                                                     {**sd, "bias_hh_l0": torch.zeros(g * n + 2)}),
             "", "bias_hh_l0 must be", "--model"),
            (f"{name}: 3-D weights", save(f"{name}-3d.pt",
                                          {**sd, "weight_hh_l0": torch.zeros(2, g * n, n)}),
             "", "weight_hh_l0 must be", "--model"),
            (f"{name}: integer weights", save(f"{name}-int.pt",
                                              {**sd, "weight_hh_l0": torch.zeros(g * n, n,
                                                                                 dtype=torch.int64)}),
             "", "floating point", "--model"),
            (f"{name}: nan in the weights", save(f"{name}-nan.pt",
                                                 {**sd, "weight_hh_l0": sd["weight_hh_l0"] * float("nan")}),
             "", "nan or inf", "--model"),
            (f"{name}: a key the module does not have", save(f"{name}-extra.pt",
                                                             {**sd, "weight_xx_l0": torch.zeros(1)}),
             "", "does not", "--model"),
        ]
    lstm = dict(good["lstm"].state_dict())
    cases += [
        ("lstm: layer 1 of another size", save("lstm-layers.pt",
                                               {**lstm, "weight_hh_l1": torch.zeros(24, 6)}), "",
         "unlike layer 0", "--model"),
        ("lstm: layer 1 without W_ih", save("lstm-no-ih.pt",
                                            {k: v for k, v in lstm.items() if k != "weight_ih_l1"}),
         "", "but no", "--model"),
    ]
    plain = tmp_path / "plain-pickle.pkl"
    plain.write_bytes(pickle.dumps({"weight_hh_l0": _RunsCode(str(marker))}))
    cases.append(("a plain pickle that runs code", plain, "", "refused", "--model"))

    # inputs for the 2-layer LSTM (input size 3)
    def npy(name, arr, allow_pickle=False):
        path = tmp_path / name
        np.save(path, arr, allow_pickle=allow_pickle)
        return path

    good_x = np.random.default_rng(0).normal(size=(9, 3))
    half_npy = tmp_path / "x-half.npy"
    half_npy.write_bytes(npy("x-full.npy", good_x).read_bytes()[:100])
    npz = tmp_path / "x.npz"
    np.savez(npz, x=good_x)
    evil_x = np.empty(2, dtype=object)
    evil_x[0] = _RunsCode(str(marker))
    for label, path, words in [
        ("inputs: wrong width", npy("x-wide.npy", np.zeros((9, 2))), "(T, 3)"),
        ("inputs: 3-D", npy("x-3d.npy", np.zeros((1, 9, 3))), "(T, 3)"),
        ("inputs: 1-D", npy("x-1d.npy", np.zeros(9)), "(T, 3)"),
        ("inputs: strings", npy("x-str.npy", np.array([["a", "b", "c"]] * 4)), "numbers"),
        ("inputs: complex", npy("x-complex.npy", np.zeros((9, 3), dtype=complex)), "numbers"),
        ("inputs: objects", npy("x-obj.npy", np.array([[1, "a", None]] * 3, dtype=object),
                                allow_pickle=True), "Python objects"),
        ("inputs: a pickle that runs code", npy("x-evil.npy", evil_x, allow_pickle=True),
         "Python objects"),
        ("inputs: no steps", npy("x-empty.npy", np.zeros((0, 3))), "between 1 and"),
        ("inputs: nan", npy("x-nan.npy", np.full((9, 3), np.nan)), "nan or inf"),
        ("inputs: an .npz archive", npz, "one array"),
        ("inputs: truncated", half_npy, "could not be read"),
        ("inputs: a torch file", paths["gru"], "does not hold one array"),
        ("inputs: missing", tmp_path / "nope.npy", "not found"),
        ("inputs: directory", tmp_path, "directory"),
    ]:
        cases.append((label, paths["lstm"], path, words, "--inputs"))
    return cases, marker, paths


def pytest_collection_modifyitems(config, items):
    """The slow tests first: run in parallel (pytest-xdist hands tests out in this order),
    a long test started last keeps one worker busy while the others have finished; started
    first, the short ones fill in around it. The order within each group is unchanged."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)

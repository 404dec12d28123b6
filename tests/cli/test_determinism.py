"""The same configuration and seed give identical JSON across runs and processes (CPU),
for every lookup. Wall-clock timings are the one part that differs by design:
the lookups that report them (train, decay --measured) keep them under a separate
"timing" key, left out of the comparison; no other field carries a time."""
import json
import os
import subprocess
import sys

import pytest

from vgtui.screens.watch import sample_paths
from vgtui.topics import lookup_names

LOOKUPS = lookup_names()

CASES = {
    "flow": ["--steps", "60", "--hidden", "8", "--seed", "3"],
    "flow-lstm": ["--arch", "lstm", "--layers", "2", "--steps", "40", "--hidden", "6"],
    "flow-relu-exploding": ["--activation", "relu", "--scale", "5", "--steps", "2000",
                            "--hidden", "8"],
    "decay": ["--factors", "0.5,0.9*0.99", "--steps", "10,5000"],
    "decay-measured": ["--measured", "--steps", "30", "--hidden", "8", "--scales", "0.5,1.5"],
    "activations": ["--at", "0,1,2.5", "--spread", "1.5"],
    "trace": ["--weight", "1.5", "--steps", "40"],
    "longrange": ["--model", "rnn", "--hidden", "8", "--gaps", "0,5"],
    "longrange-lstm": ["--model", "lstm", "--hidden", "8", "--gaps", "0,5"],
    "capacity": ["--hidden", "32"],
    "jacobian": ["--steps", "30", "--hidden", "8"],
    "jacobian-matrix": ["--matrix", "0.5,0.1;0.2,0.4", "--derivative", "0.8"],
    "spectrum": ["--hidden", "12", "--train-steps", "3"],
    "bound": ["--steps", "30", "--hidden", "8", "--scales", "0.5,2", "--sequences", "3"],
    "lyapunov": ["--steps", "60", "--hidden", "8", "--scales", "0.5:2:4"],
    "clip": ["--steps", "40", "--hidden", "8", "--tau", "0.5"],
    "compare": ["--steps", "30", "--hidden", "8"],
    "train": ["--quick", "--steps", "5", "--hidden", "4"],
    "claims": ["--closed-only"],
    "watch": sample_paths(),
}
TIMING_KEYS = {"timing"}

DRIVER = r"""
import contextlib, io, json, os, sys
from vgtui.cli import main
cases = json.loads(sys.argv[1])
out = {}
for name, args in cases.items():
    lookup = name.split("-")[0]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main([lookup, *args, "--json"])
    out[name] = [code, buf.getvalue()]
print(json.dumps(out))
"""


def _strip(obj):
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _run(hash_seed: str) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(CASES)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_every_lookup_is_covered():
    assert {name.split("-")[0] for name in CASES} == set(LOOKUPS)


@pytest.fixture(scope="module")
def two_processes():
    return _run("1"), _run("12345")


@pytest.mark.slow
def test_identical_json_across_processes_for_every_lookup(two_processes):
    first, second = two_processes
    for name in CASES:
        code_a, text_a = first[name]
        code_b, text_b = second[name]
        assert code_a == code_b == 0, name
        a, b = json.loads(text_a), json.loads(text_b)
        assert _strip(a) == _strip(b), name
        if not TIMING_KEYS & set(a):
            assert text_a == text_b, name  # byte for byte where nothing is a timing


@pytest.mark.slow
def test_identical_json_twice_in_one_process(run_cli):
    for name, args in CASES.items():
        lookup = name.split("-")[0]
        outs = []
        for _ in range(2):
            code, out, err = run_cli(lookup, *args, "--json")
            assert code == 0, err
            outs.append(_strip(json.loads(out)))
        assert outs[0] == outs[1], name


@pytest.mark.slow
def test_timings_are_kept_apart(two_processes):
    """Only the "timing" object holds wall-clock seconds in the JSON."""
    data = two_processes[0]
    for name in ("train", "decay-measured"):
        obj = json.loads(data[name][1])
        assert set(obj["timing"]) >= {"seconds"}

        def walk(o, path=""):
            if isinstance(o, dict):
                for k, v in o.items():
                    if k == "timing":
                        continue
                    assert "second" not in k, f"{name}: {path}/{k}"
                    walk(v, f"{path}/{k}")
            elif isinstance(o, list):
                for v in o:
                    walk(v, path)

        walk(obj)

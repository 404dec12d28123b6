"""examples/train_adding.py: a short run writes the three logs the Watch screen reads;
asking for CUDA where there is none is one clear line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "train_adding.py"
ENV = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1"}


@pytest.mark.slow
def test_a_short_run_writes_three_logs(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--steps", "4", "--every", "2",
                           "--length", "12", "--hidden", "6", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300, env=ENV)
    assert done.returncode == 0, done.stderr
    for arch in ("rnn", "lstm", "gru"):
        lines = [json.loads(x) for x in (tmp_path / f"{arch}.jsonl").read_text().splitlines()]
        header, records = lines[0], lines[1:]
        assert header["vgtui_watch"] == 1 and header["arch"] == arch
        assert [r["step"] for r in records] == [0, 2, 4]
        assert all(r["steps"] == 12 and len(r["layers"][0]["log10_grad_h"]) == 12
                   for r in records)


@pytest.mark.slow
def test_cuda_without_a_gpu_is_refused_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--device", "cuda", "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=300, env=ENV)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "not available" in done.stderr
    assert "--device cpu" in done.stderr and "Traceback" not in done.stderr

"""The README's "Your own model" section: every Python snippet in it runs, in order, as a
user would paste them (one fresh interpreter, an empty working directory)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Your own model"


def section_snippets() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    body = text[start:end if end > 0 else None]
    return re.findall(r"```python\n(.*?)```", body, re.S)


def test_the_section_has_the_measure_and_probe_snippets():
    code = "\n".join(section_snippets())
    assert "vgtui.measure(" in code and "vgtui.Probe(" in code and "probe.observe(" in code
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION):]
    assert "tmux" in section and "vgtui watch runs/*.jsonl" in section


@pytest.mark.slow
def test_the_snippets_run(tmp_path):
    script = tmp_path / "snippets.py"
    script.write_text("\n\n".join(section_snippets()), encoding="utf-8")
    # one torch thread: on a busy two-core machine a second one mostly spins
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "LSTM (the model itself), 2 layers, n=32, m=8, T=100, batch 16" in out
    assert "GRU at 'encoder'" in out
    assert '{"vgtui_watch":1' in out
    lines = (tmp_path / "runs" / "tagger.jsonl").read_text().splitlines()
    assert len(lines) == 4  # the header and steps 0, 50, 100


def test_ci_runs_the_readme_test_command():
    """`.ci/run` and the README's "Install and run the tests" are one command."""
    text = README.read_text(encoding="utf-8")
    after = text[text.index("Install and run the tests"):]
    readme_command = re.search(r"```sh\n(.*?)\n```", after, re.S).group(1).strip()
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci.strip() == readme_command
    assert "-n auto" in readme_command  # in parallel (pytest-xdist)

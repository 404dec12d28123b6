"""Unix manners of the command line (issue 16): a closed pipe is an ordinary end of
output (exit 0), the app refuses to start without a terminal, and a missing torch is
one line naming the lookups that need it."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100", **extra}
    env.pop("VGTUI_ANSI", None)
    return env


def run_into_closed_pipe(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    """``vgtui ARGS`` writing into a pipe whose reader has already gone: the harshest
    form of ``| head -1`` (the very first write fails)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "vgtui", *args], stdout=write_end,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=_env(),
                              timeout=timeout, text=True, cwd=ROOT)
    finally:
        os.close(write_end)


def test_table_into_head_exits_zero():
    """The command of the report: a rich table piped to head -1, several times."""
    cmd = (f"{sys.executable} -m vgtui decay --factors 0.5,0.9 --steps 10,20,50 | head -1; "
           "exit ${PIPESTATUS[0]}")
    for _ in range(3):
        done = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, env=_env(),
                              cwd=ROOT, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("factor^T")
        assert done.stderr == ""


@pytest.mark.parametrize("args", [["decay", "--factors", "0.5", "--steps", "10"],
                                  ["decay", "--json"], ["--help"], ["trace", "--help"]])
def test_closed_pipe_exits_zero_quietly(args):
    done = run_into_closed_pipe(args)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_app_without_a_terminal_exits_two_at_once(tmp_path):
    started = time.monotonic()
    with open(tmp_path / "out.txt", "w") as out:
        done = subprocess.run([sys.executable, "-m", "vgtui"], stdin=subprocess.DEVNULL,
                              stdout=out, stderr=subprocess.PIPE, text=True, env=_env(),
                              cwd=ROOT, timeout=30)
    took = time.monotonic() - started
    assert done.returncode == 2
    assert took < 2.0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "terminal" in lines[0] and "lookup" in lines[0]
    assert (tmp_path / "out.txt").read_text() == ""  # no escape codes written blind


def test_app_flags_without_a_terminal_exit_two(run_cli, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    code, out, err = run_cli("--screen", "flow")
    assert code == 2 and out == ""
    assert "terminal" in err and len(err.strip().splitlines()) == 1


@pytest.fixture
def no_torch(tmp_path):
    """A sitecustomize that makes ``import torch`` fail as in a venv where it is absent."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\nsys.modules['torch'] = None  # import torch -> ModuleNotFoundError\n")
    return _env(PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}")


@pytest.mark.parametrize("args", [["flow", "--steps", "3"],
                                  ["decay", "--measured", "--steps", "5", "--hidden", "4"],
                                  ["spectrum", "--hidden", "4"]])
def test_missing_torch_is_one_line(no_torch, args):
    done = subprocess.run([sys.executable, "-m", "vgtui", *args], capture_output=True,
                          text=True, env=no_torch, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "needs PyTorch" in lines[0] and "pip install torch" in lines[0]
    assert "download.pytorch.org/whl/cpu" in lines[0] and "Traceback" not in done.stderr


@pytest.mark.parametrize("args", [["decay", "--factors", "0.5", "--steps", "10", "--json"],
                                  ["activations", "--json"], ["trace", "--json"],
                                  ["jacobian", "--matrix", "0.5,0.1;0.2,0.4", "--json"],
                                  ["longrange", "--model", "factor", "--json"],
                                  ["capacity", "--json"], ["claims", "--closed-only", "--json"]])
def test_torch_free_lookups_work_without_torch(no_torch, args):
    done = subprocess.run([sys.executable, "-m", "vgtui", *args], capture_output=True,
                          text=True, env=no_torch, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip().startswith("{")


def test_broken_torch_is_recognised():
    """A torch that is installed but fails while loading (a missing shared library)."""
    from vgtui.cli.torch_check import torch_failed

    namespace: dict = {}
    code = compile("raise OSError('libtorch_cpu.so: cannot open shared object file')",
                   os.path.join("site-packages", "torch", "__init__.py"), "exec")
    try:
        exec(code, namespace)
    except OSError as exc:
        assert torch_failed(exc)
    assert not torch_failed(OSError("disk full"))
    assert not torch_failed(ModuleNotFoundError("No module named 'scipy'", name="scipy"))

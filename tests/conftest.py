import os
import sys

import pytest

# Determinism and no stray GPU use in tests.
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


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

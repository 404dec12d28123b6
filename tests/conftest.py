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

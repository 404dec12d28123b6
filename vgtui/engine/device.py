"""Choosing where and in what precision torch computes, with clear refusals."""
from __future__ import annotations

import functools
import os
import threading
from contextlib import contextmanager

from .errors import DeviceError

_THREADS_LOCK = threading.Lock()
_THREADS_USERS = [0, 0]  # [active users, thread count to restore]


def engine_thread_count() -> int:
    """Torch CPU threads for engine work: VGTUI_THREADS, default 1 (0 keeps torch's own).

    The engine's work is many small products in a time loop; on a shared 2-core machine
    torch's second thread waits for a busy core at every step and made runs 5-10x
    slower, while on an idle one it gained little. One thread is also bit-for-bit
    repeatable."""
    try:
        return max(0, int(os.environ.get("VGTUI_THREADS", "1")))
    except ValueError:
        return 1


@contextmanager
def engine_threads():
    """Torch on ``engine_thread_count()`` CPU threads while inside; nested and
    concurrent uses share the setting (the first in saves the old count, the last out
    restores it)."""
    import torch

    wanted = engine_thread_count()
    if wanted == 0:
        yield
        return
    with _THREADS_LOCK:
        if _THREADS_USERS[0] == 0:
            _THREADS_USERS[1] = torch.get_num_threads()
            torch.set_num_threads(wanted)
        _THREADS_USERS[0] += 1
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _THREADS_USERS[0] -= 1
            if _THREADS_USERS[0] == 0:
                torch.set_num_threads(_THREADS_USERS[1])


def on_engine_threads(fn):
    """Decorator form of ``engine_threads`` for engine entry points."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with engine_threads():
            return fn(*args, **kwargs)

    return wrapper


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def resolve_device(name: str):
    """'cpu', 'cuda' or 'auto' -> torch.device; DeviceError if CUDA is missing."""
    import torch

    if name == "auto":
        return torch.device("cuda" if cuda_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda":
        if not cuda_available():
            build = torch.__version__
            why = "this torch build has no CUDA support" if torch.version.cuda is None else \
                "torch sees no CUDA device"
            raise DeviceError(
                f"device cuda is not available ({why}, torch {build}); "
                "use --device cpu (or device 'cpu' in the app), or --device auto to pick "
                "CUDA only when present",
                "device",
            )
        return torch.device("cuda")
    raise DeviceError(f"device must be one of auto, cpu, cuda (got {name!r})", "device")


def resolve_dtype(name: str, device):
    """'float32', 'float64' or 'auto' (float64 on CPU, float32 on CUDA)."""
    import torch

    if name == "auto":
        return torch.float64 if device.type == "cpu" else torch.float32
    if name == "float32":
        return torch.float32
    if name == "float64":
        return torch.float64
    raise DeviceError(f"dtype must be one of auto, float32, float64 (got {name!r})", "dtype")


def dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "")

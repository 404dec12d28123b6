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
    torch's second thread waits for a busy core at every step (the 256-configuration
    sweep took 120-400 ms on two threads against 67 ms on one while another program kept
    one core busy), and small products gain nothing from it. One thread also makes the
    linear algebra (eigenvalues, singular values, QR) bit-for-bit repeatable, which it
    is not across thread counts. Large time loops may still use every core: see
    ``loop_threads``."""
    try:
        return max(0, int(os.environ.get("VGTUI_THREADS", "1")))
    except ValueError:
        return 1


@contextmanager
def engine_threads():
    """Torch on ``engine_thread_count()`` CPU threads while inside; nested and
    concurrent uses share the setting (the first in saves the old count, the last out
    restores it)."""
    import torch  # torch: loaded on first use

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


# A time loop whose per-step product has at least this many multiply-adds (batch x n x n)
# runs faster on every core: the sweep of 256 configurations with n = 64 (about 1e6) in
# 50 ms against 66 ms on one thread. Below it, waking a second thread costs more than
# it saves.
PARALLEL_WORK = 2 ** 18


def loop_thread_count(work: int) -> int:
    """Threads for a vectorised time loop of per-step size ``work``: every core when the
    products are large and no other program is running right now, else 0 (keep the
    engine's count). VGTUI_THREADS, when set, always wins."""
    if os.environ.get("VGTUI_THREADS", "").strip():
        return 0
    cores = os.cpu_count() or 1
    if work < PARALLEL_WORK or cores < 2:
        return 0
    others = _others_running()
    return cores if others is not None and others <= cores - 2 else 0


def _others_running() -> float | None:
    """How many threads of other programs are running now: Linux's count of runnable
    threads less this process's own (the load average would lag by a minute and count
    this process's work, torch's spinning pool threads included); elsewhere the load
    average less one; None when neither is known."""
    try:
        with open("/proc/loadavg") as f:
            running = int(f.read().split()[3].split("/")[0])
        own = 0
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/stat") as f:
                    own += f.read().rsplit(")", 1)[1].split()[0] == "R"
            except (OSError, IndexError):
                continue
        return max(0, running - max(own, 1))
    except (OSError, ValueError, IndexError):
        pass
    try:
        return max(0.0, os.getloadavg()[0] - 1)
    except (OSError, AttributeError):
        return None


@contextmanager
def loop_threads(work: int):
    """Every core for the inside of a large time loop (see ``loop_thread_count``), never
    more than torch's own count. Only matrix products and row-wise operations run
    inside, and those give the same bits on any number of threads (tested), so the
    results do not depend on the machine's load."""
    import torch  # torch: loaded on first use

    wanted = loop_thread_count(work)
    if wanted <= 1:
        yield
        return
    with _THREADS_LOCK:
        before = torch.get_num_threads()
        ceiling = _THREADS_USERS[1] if _THREADS_USERS[0] else before
        torch.set_num_threads(max(1, min(wanted, ceiling)))
    try:
        yield
    finally:
        with _THREADS_LOCK:
            torch.set_num_threads(before)


def on_engine_threads(fn):
    """Decorator form of ``engine_threads`` for engine entry points."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with engine_threads():
            return fn(*args, **kwargs)

    return wrapper


def cuda_available() -> bool:
    import torch  # torch: loaded on first use

    return bool(torch.cuda.is_available())


def resolve_device(name: str):
    """'cpu', 'cuda' or 'auto' -> torch.device; DeviceError if CUDA is missing."""
    import torch  # torch: loaded on first use

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
    import torch  # torch: loaded on first use

    if name == "auto":
        return torch.float64 if device.type == "cpu" else torch.float32
    if name == "float32":
        return torch.float32
    if name == "float64":
        return torch.float64
    raise DeviceError(f"dtype must be one of auto, float32, float64 (got {name!r})", "dtype")


def dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "")


def bytes_per_number(device: str, dtype: str) -> int:
    """Bytes per number of the dtype a (device, dtype) setting runs in, for the resource
    guard's estimates."""
    return resolve_dtype(dtype, resolve_device(device)).itemsize

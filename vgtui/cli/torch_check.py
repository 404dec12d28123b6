"""Telling a missing or broken PyTorch apart from other failures, and saying what to do.

The closed-form lookups never import torch; the others import it when they first need
it, so a venv whose torch install failed still answers those, and the rest say in one
line what is missing and how to install it.
"""
from __future__ import annotations

import os

# Which lookups need torch (the rest, and the parts named here, work without it).
NEEDS_TORCH = ("flow, decay --measured, jacobian (without --matrix), spectrum, bound, "
               "lyapunov, clip, compare, train, longrange --model rnn|lstm, claims "
               "(without --closed-only)")
TORCH_FREE = ("decay, activations, trace, jacobian --matrix, longrange --model factor, "
              "capacity, claims --closed-only, watch")
INSTALL = ("pip install torch --index-url https://download.pytorch.org/whl/cpu "
           "(the CPU build; README: Install)")


def torch_failed(exc: BaseException) -> bool:
    """True when ``exc`` comes from importing torch: torch absent (ModuleNotFoundError
    naming torch), or present but broken (an ImportError or OSError raised while torch's
    own modules were loading, e.g. a missing shared library)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ImportError):
            name = exc.name or ""
            if name == "torch" or name.startswith("torch."):
                return True
        if isinstance(exc, (ImportError, OSError)) and _raised_inside_torch(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _raised_inside_torch(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        parts = os.path.normpath(tb.tb_frame.f_code.co_filename).split(os.sep)
        if "torch" in parts[:-1]:
            return True
        tb = tb.tb_next
    return False


def torch_missing_text(exc: BaseException) -> str:
    what = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return (f"this lookup needs PyTorch, which could not be imported ({what}); lookups that "
            f"need it: {NEEDS_TORCH}; without it: {TORCH_FREE}; install it with {INSTALL}")

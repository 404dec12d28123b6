"""Choosing where and in what precision torch computes, with clear refusals."""
from __future__ import annotations

from .errors import DeviceError


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

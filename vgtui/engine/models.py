"""Reading a user's own model (a torch.nn.RNN state_dict) and input sequence.

Files are opened with ``torch.load(weights_only=True)`` so a pickle cannot run
code, and every shape is checked before anything is computed.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .errors import ModelFileError


@dataclass
class LoadedRNN:
    """A single-layer vanilla RNN's weights in float64 on the CPU."""

    path: str
    w_hh: object  # (n, n)
    w_xh: object  # (n, m)
    bias: object  # (n,)

    @property
    def hidden(self) -> int:
        return int(self.w_hh.shape[0])

    @property
    def input_size(self) -> int:
        return int(self.w_xh.shape[1])


def _check_path(path: str, what: str) -> None:
    if not path:
        raise ModelFileError(f"{what} path is empty", what)
    if not os.path.exists(path):
        raise ModelFileError(f"{what} file not found: {path}", what)
    if os.path.isdir(path):
        raise ModelFileError(f"{what} path is a directory, not a file: {path}", what)
    if os.path.getsize(path) == 0:
        raise ModelFileError(f"{what} file is empty: {path}", what)


def _unpickling_message(path: str, text: str) -> str:
    """torch's safe-loader errors are paragraphs; keep the part a user can act on."""
    import re

    found = re.search(r"Unsupported global: GLOBAL (\S+)", text)
    if found:
        return (f"model file {path} was refused: it asks to run {found.group(1)} on load, which "
                "the safe loader (weights_only=True) never does")
    return f"model file {path} could not be read: not a torch.save file (or it is damaged)"


def load_state_dict(path: str) -> dict:
    import pickle
    import zipfile

    import torch

    _check_path(path, "model")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ModelFileError(_unpickling_message(path, str(exc)), "model") from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(f"model file {path} could not be read: {first[:160]}", "model") from None
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise ModelFileError(f"model file {path} does not hold a state_dict "
                             f"(found {type(state).__name__})", "model")
    if not all(torch.is_tensor(v) for v in state.values()):
        raise ModelFileError(f"model file {path} holds non-tensor values; save "
                             "module.state_dict()", "model")
    return state


def load_rnn(path: str) -> LoadedRNN:
    """A torch.nn.RNN state_dict (one layer, unidirectional) as explicit weights."""
    import torch

    state = load_state_dict(path)
    needed = ["weight_ih_l0", "weight_hh_l0"]
    missing = [k for k in needed if k not in state]
    if missing:
        keys = ", ".join(sorted(state)[:6]) or "nothing"
        raise ModelFileError(f"model file {path} is not a torch.nn.RNN state_dict: missing "
                             f"{', '.join(missing)} (has {keys})", "model")
    extra_layers = sorted(k for k in state if k.endswith("_l1") or "_reverse" in k)
    if extra_layers:
        raise ModelFileError(f"model file {path} has more than one layer or direction "
                             f"({extra_layers[0]}); only single-layer, one-direction RNNs "
                             "are read", "model")
    w_ih = state["weight_ih_l0"].to(torch.float64)
    w_hh = state["weight_hh_l0"].to(torch.float64)
    if w_hh.dim() != 2 or w_hh.shape[0] != w_hh.shape[1]:
        raise ModelFileError(f"weight_hh_l0 must be square (n, n), found {tuple(w_hh.shape)}", "model")
    n = w_hh.shape[0]
    if w_ih.dim() != 2 or w_ih.shape[0] != n:
        raise ModelFileError(f"weight_ih_l0 must be ({n}, input_size) to match weight_hh_l0, "
                             f"found {tuple(w_ih.shape)}", "model")
    if n > 2048 or w_ih.shape[1] > 1024:
        raise ModelFileError(f"model is too large for vgtui (hidden {n}, input {w_ih.shape[1]}; "
                             "limits 2048 and 1024)", "model")
    bias = torch.zeros(n, dtype=torch.float64)
    for key in ("bias_ih_l0", "bias_hh_l0"):
        if key in state:
            b = state[key].to(torch.float64)
            if tuple(b.shape) != (n,):
                raise ModelFileError(f"{key} must have shape ({n},), found {tuple(b.shape)}", "model")
            bias = bias + b
    for name, t in (("weight_ih_l0", w_ih), ("weight_hh_l0", w_hh), ("bias", bias)):
        if not torch.isfinite(t).all():
            raise ModelFileError(f"model file {path}: {name} contains nan or inf", "model")
    return LoadedRNN(path, w_hh, w_ih, bias)


def load_inputs(path: str, input_size: int, max_steps: int = 200_000) -> np.ndarray:
    """A (T, input_size) float array from a .npy file (pickles refused)."""
    _check_path(path, "inputs")
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as exc:
        msg = str(exc).splitlines()[0] if str(exc) else "unreadable"
        if "pickle" in msg.lower():
            msg = "it holds Python objects, which are refused"
        raise ModelFileError(f"inputs file {path} could not be read as .npy: {msg[:160]}", "inputs") from None
    except (OSError, EOFError) as exc:
        raise ModelFileError(f"inputs file {path} could not be read as .npy: {str(exc)[:160]}", "inputs") from None
    if not isinstance(arr, np.ndarray):
        raise ModelFileError(f"inputs file {path} does not hold one array (an .npz?)", "inputs")
    if arr.dtype.kind not in "fiub":
        raise ModelFileError(f"inputs must be numbers, found dtype {arr.dtype}", "inputs")
    if arr.ndim == 1 and input_size == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != input_size:
        raise ModelFileError(f"inputs must have shape (T, {input_size}) to match the model, "
                             f"found {arr.shape}", "inputs")
    if arr.shape[0] < 1 or arr.shape[0] > max_steps:
        raise ModelFileError(f"inputs must have between 1 and {max_steps} steps, found {arr.shape[0]}",
                             "inputs")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ModelFileError(f"inputs file {path} contains nan or inf", "inputs")
    return arr


def model_weights(model: LoadedRNN, inputs: np.ndarray):
    """A batch-of-one RNNWeights from a loaded model and an input array."""
    import torch

    from .flow import RNNWeights

    return RNNWeights(model.w_hh[None], model.w_xh[None], model.bias[None],
                      torch.from_numpy(np.ascontiguousarray(inputs))[None])

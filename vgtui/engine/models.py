"""Reading a user's own model (a torch.nn.RNN state_dict) and input sequence.

Files are opened with ``torch.load(weights_only=True)`` so a pickle cannot run
code, and every shape is checked before anything is computed.
"""
from __future__ import annotations

import os
import pickle
import re
import warnings
import zipfile
from dataclasses import dataclass

import numpy as np

from .budget import Estimate, check
from .config import FIELD_SPECS, RNNConfig
from .errors import ConfigError, ModelFileError
from .gated import run_recurrent
from .recurrence import RNNWeights
from .stack_weights import GATE_COUNT, StackWeights, seeded_inputs


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
    size = os.path.getsize(path)
    if size == 0:
        raise ModelFileError(f"{what} file is empty: {path}", what)
    # Reading holds the file and its tensors at once: about twice its size.
    check(Estimate(2 * size, size / 500e6, f"reading the {what} file {path}", what,
                   "use a smaller file"))


def _torch_file_kind(path: str) -> str | None:
    """None when the file starts the way torch.save writes (a zip archive, or the legacy
    format's pickle); otherwise a few words on what it looks like instead."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError:
        return None  # torch.load will say what is wrong with reading it
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\x80"):
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "it holds other binary data"
    if not all(c.isprintable() or c.isspace() for c in text):
        return "it holds other binary data"
    words = " ".join(text.split())
    if not words:
        return "it holds only blank text"
    return f"it holds the text {words[:24]!r}{'...' if len(words) > 24 else ''}"


def _unpickling_message(path: str, text: str) -> str:
    """torch's safe-loader errors are paragraphs; keep the part a user can act on."""
    found = re.search(r"GLOBAL ([\w.]+)", text)
    if found:
        return (f"model file {path} was refused: it asks to run {found.group(1)} on load, which "
                "the safe loader (weights_only=True) never does; save module.state_dict()")
    try:
        with open(path, "rb") as fh:
            pickled = fh.read(1) == b"\x80"  # a pickle (protocol 2+) starts with PROTO
    except OSError:
        pickled = False
    if "Weights only load failed" in text and (pickled or "Unsupported operand" not in text):
        return (f"model file {path} was refused: it holds Python objects beyond tensors, which "
                "the safe loader (weights_only=True) never builds; save module.state_dict()")
    return f"model file {path} could not be read: not a torch.save file (or it is damaged)"


# Where training scripts keep the weights inside a checkpoint dict, in the order tried:
# Lightning's "state_dict", the tutorials' "model_state_dict", and plain "model".
CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model")


def load_state_dict(path: str) -> dict:
    """The state_dict in ``path``: a file saved with ``torch.save(module.state_dict())``,
    or a checkpoint dict holding one under a CHECKPOINT_KEYS key."""
    return read_weights(path)[0]


def read_weights(path: str) -> tuple[dict, str]:
    """(state_dict, the checkpoint key it was under or "" for a bare state_dict).

    Always ``torch.load(weights_only=True)``: a file that would build Python objects is
    refused and nothing in it runs. A checkpoint's other entries (epoch, optimizer
    state, hyper-parameters, Lightning's loops and callbacks) are read by the same safe
    loader and then ignored; so are non-tensor entries inside its state_dict."""
    import torch  # torch: loaded on first use

    _check_path(path, "model")
    kind = _torch_file_kind(path)
    if kind is not None:  # torch's legacy reader fails on such files with KeyError, IndexError...
        raise ModelFileError(f"model file {path} could not be read: it is not a file written "
                             f"by torch.save ({kind}); save the model with "
                             "torch.save(module.state_dict(), path)", "model")
    try:
        with warnings.catch_warnings():  # torch's notes on pickle protocols are not for users
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ModelFileError(_unpickling_message(path, str(exc)), "model") from None
    except MemoryError:
        raise
    except Exception as exc:  # a damaged file fails deep in torch's reader, any which way
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        if not isinstance(exc, (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile)):
            first = "the file is damaged or was not written by torch.save"
        raise ModelFileError(f"model file {path} could not be read: {first[:160]}",
                             "model") from None
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise ModelFileError(f"model file {path} does not hold a state_dict "
                             f"(found {type(state).__name__})", "model")
    if all(torch.is_tensor(v) for v in state.values()):
        return state, ""
    for key in CHECKPOINT_KEYS:
        inner = state.get(key)
        if isinstance(inner, dict) and all(isinstance(k, str) for k in inner):
            tensors = {k: v for k, v in inner.items() if torch.is_tensor(v)}
            if tensors:
                return tensors, key
    raise ModelFileError(f"model file {path} holds non-tensor values and no state_dict under "
                         f"{', '.join(repr(k) for k in CHECKPOINT_KEYS)}; save "
                         "module.state_dict()", "model")


def load_rnn(path: str) -> LoadedRNN:
    """A torch.nn.RNN state_dict (one layer, unidirectional) as explicit weights."""
    import torch  # torch: loaded on first use

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
        if hasattr(arr, "close"):  # an .npz (or any zip) archive: let go of the file
            arr.close()
        raise ModelFileError(f"inputs file {path} does not hold one array (an .npz or zip "
                             "archive?); save one (T, input_size) array with numpy.save",
                             "inputs")
    if arr.dtype.kind not in "fiub":
        raise ModelFileError(f"inputs must be real numbers (float, int or bool), found dtype "
                             f"{arr.dtype}", "inputs")
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
    import torch  # torch: loaded on first use

    return RNNWeights(model.w_hh[None], model.w_xh[None], model.bias[None],
                      torch.from_numpy(np.ascontiguousarray(inputs))[None])


# -- any torch.nn.RNN / LSTM / GRU, any number of layers ----------------------------------
ARCH_BY_GATES = {1: "rnn", 4: "lstm", 3: "gru"}
ARCH_MODULES = {"rnn": "torch.nn.RNN", "lstm": "torch.nn.LSTM", "gru": "torch.nn.GRU"}
MAX_LAYERS = 16


@dataclass
class LoadedModel:
    """A unidirectional torch.nn.RNN, LSTM or GRU read from a state_dict, in float64
    on the CPU. Per layer: w_ih (G n, m_l), w_hh (G n, n), b_ih and b_hh (G n,), with
    G = 1 (RNN), 4 (LSTM: i, f, g, o) or 3 (GRU: r, z, n), in torch.nn's layout."""

    path: str
    arch: str
    w_ih: list
    w_hh: list
    b_ih: list
    b_hh: list
    prefix: str = ""
    has_bias: bool = True
    checkpoint_key: str = ""  # "state_dict" etc. when read from a checkpoint dict

    @property
    def layers(self) -> int:
        return len(self.w_hh)

    @property
    def hidden(self) -> int:
        return int(self.w_hh[0].shape[1])

    @property
    def input_size(self) -> int:
        return int(self.w_ih[0].shape[1])

    def describe(self) -> str:
        """'LSTM, 2 layers, n=32, m=4' (the module name as torch calls it)."""
        name = ARCH_MODULES[self.arch].split(".")[-1]
        layers = f"{self.layers} layer" + ("s" if self.layers > 1 else "")
        where = f", keys {self.prefix}*" if self.prefix else ""
        if self.checkpoint_key:
            where += f" of checkpoint[{self.checkpoint_key!r}]"
        return f"{name}, {layers}, n={self.hidden}, m={self.input_size}{where}"

    def as_rnn(self) -> LoadedRNN:
        """A single vanilla layer in the vanilla engine's form (biases summed)."""
        return LoadedRNN(self.path, self.w_hh[0], self.w_ih[0], self.b_ih[0] + self.b_hh[0])


def _recurrent_prefix(path: str, state: dict) -> str:
    """The key prefix of the recurrent module ('' for module.state_dict() of the module
    itself, 'rnn.' when it was saved as part of a larger model)."""
    found = sorted({k[: -len("weight_hh_l0")] for k in state if k.endswith("weight_hh_l0")})
    found = [p for p in found if p == "" or p.endswith(".")]
    if not found:
        keys = ", ".join(sorted(state)[:6]) or "nothing"
        missing = [k for k in ("weight_ih_l0", "weight_hh_l0") if k not in state]
        raise ModelFileError(f"model file {path} is not a torch.nn.RNN, LSTM or GRU state_dict: "
                             f"missing {', '.join(missing) or 'weight_hh_l0'} (has {keys})", "model")
    if len(found) > 1:
        names = ", ".join(repr(p.rstrip(".")) for p in found[:4])
        raise ModelFileError(f"model file {path} holds several recurrent modules ({names}); save "
                             "the one to inspect with its own state_dict()", "model")
    return found[0]


def load_model(path: str, arch: str | None = None) -> LoadedModel:
    """A torch.nn.RNN / LSTM / GRU state_dict of any depth, its cell read from the
    parameter shapes (W_hh is (G n, n)); ``arch`` names the cell explicitly and a
    file that does not fit it is refused. Loaded with weights_only=True."""
    import torch  # torch: loaded on first use

    state, checkpoint_key = read_weights(path)
    prefix = _recurrent_prefix(path, state)
    sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    odd = sorted(k for k in sub if "_reverse" in k or k.startswith("weight_hr_l"))
    if odd:
        what = "bidirectional" if "_reverse" in odd[0] else "projected (proj_size > 0)"
        raise ModelFileError(f"model file {path} is a {what} module ({prefix}{odd[0]}); only "
                             "one-direction modules without projections are read", "model")
    layers = 0
    while f"weight_hh_l{layers}" in sub:
        layers += 1
    if layers > MAX_LAYERS:
        raise ModelFileError(f"model has {layers} layers; vgtui reads at most {MAX_LAYERS}", "model")
    w_ih, w_hh, b_ih, b_hh = [], [], [], []
    gates = None
    has_bias = "bias_ih_l0" in sub or "bias_hh_l0" in sub
    for layer in range(layers):
        name_ih, name_hh = f"{prefix}weight_ih_l{layer}", f"{prefix}weight_hh_l{layer}"
        if f"weight_ih_l{layer}" not in sub:
            raise ModelFileError(f"model file {path} has {name_hh} but no {name_ih}", "model")
        hh, ih = sub[f"weight_hh_l{layer}"], sub[f"weight_ih_l{layer}"]
        for name, t in ((name_hh, hh), (name_ih, ih)):
            if not t.is_floating_point():
                raise ModelFileError(f"{name} must hold floating point numbers, found {t.dtype}",
                                     "model")
        if hh.dim() != 2 or hh.shape[1] == 0 or hh.shape[0] % hh.shape[1] != 0 \
                or hh.shape[0] // hh.shape[1] not in ARCH_BY_GATES:
            raise ModelFileError(f"{name_hh} must be (n, n) for an RNN, (4n, n) for an LSTM or "
                                 f"(3n, n) for a GRU, found {tuple(hh.shape)}", "model")
        n = int(hh.shape[1])
        g = int(hh.shape[0]) // n
        if gates is None:
            gates = g
            found_arch = ARCH_BY_GATES[g]
            if arch is not None and arch != found_arch:
                want = GATE_COUNT[arch]
                shape = "(n, n)" if want == 1 else f"({want}n, n)"
                raise ModelFileError(
                    f"a {ARCH_MODULES[arch]} needs {name_hh} of shape {shape}; the file's "
                    f"{tuple(hh.shape)} is a {ARCH_MODULES[found_arch]} with n={n}", "arch")
            hidden = n
        elif g != gates or n != hidden:
            raise ModelFileError(f"{name_hh} is {tuple(hh.shape)}, unlike layer 0's "
                                 f"({gates * hidden}, {hidden})", "model")
        m_expected = None if layer == 0 else hidden
        if ih.dim() != 2 or ih.shape[0] != g * n or (m_expected and ih.shape[1] != m_expected):
            want = f"({g * n}, {m_expected})" if m_expected else f"({g * n}, input_size)"
            raise ModelFileError(f"{name_ih} must be {want} to match {name_hh}, found "
                                 f"{tuple(ih.shape)}", "model")
        if n > 2048 or ih.shape[1] > 1024:
            raise ModelFileError(f"model is too large for vgtui (hidden {n}, input "
                                 f"{ih.shape[1]}; limits 2048 and 1024)", "model")
        biases = []
        for kind in ("ih", "hh"):
            key = f"bias_{kind}_l{layer}"
            if key in sub:
                b = sub[key]
                if not b.is_floating_point() or tuple(b.shape) != (g * n,):
                    raise ModelFileError(f"{prefix}{key} must be ({g * n},) floats, found "
                                         f"{tuple(b.shape)} {b.dtype}", "model")
                biases.append(b.to(torch.float64))
            else:
                biases.append(torch.zeros(g * n, dtype=torch.float64))
        tensors = (hh.to(torch.float64), ih.to(torch.float64), *biases)
        for name, t in zip((name_hh, name_ih, f"{prefix}bias_ih_l{layer}",
                            f"{prefix}bias_hh_l{layer}"), tensors):
            if not torch.isfinite(t).all():
                raise ModelFileError(f"model file {path}: {name} contains nan or inf", "model")
        w_hh.append(tensors[0])
        w_ih.append(tensors[1])
        b_ih.append(tensors[2])
        b_hh.append(tensors[3])
    known = {f"{w}_l{layer}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
             for layer in range(layers)}
    extra = sorted(k for k in sub if k not in known and "." not in k)
    if extra:
        raise ModelFileError(f"model file {path} has keys a torch.nn.{ARCH_BY_GATES[gates].upper()} "
                             f"does not ({extra[0]}); save the recurrent module's own state_dict()",
                             "model")
    return LoadedModel(path, ARCH_BY_GATES[gates], w_ih, w_hh, b_ih, b_hh, prefix, has_bias,
                       checkpoint_key)


def model_config(model: LoadedModel, base, given: dict, inputs: np.ndarray | None):
    """An RNNConfig for running ``model``: sizes, cell and depth come from the file and
    any setting that contradicts them is refused, naming it."""
    given = dict(given)
    actual = {"hidden": model.hidden, "input_size": model.input_size, "layers": model.layers,
              "arch": model.arch}
    for name, value in actual.items():
        if name in given and given[name] != value:
            raise ConfigError(f"{FIELD_SPECS[name].label} {given[name]} does not match the "
                              f"model's {value}", name)
        given[name] = value
    if inputs is not None:
        if "steps" in given and given["steps"] != inputs.shape[0]:
            raise ConfigError(f"steps {given['steps']} does not match the {inputs.shape[0]} rows "
                              "of the inputs file", "steps")
        given["steps"] = int(inputs.shape[0])
    return RNNConfig(**{**base.to_dict(), **given})


def model_run_weights(model: LoadedModel, config, inputs: np.ndarray | None):
    """Weights for the engine: RNNWeights for one vanilla layer (the vanilla engine),
    StackWeights otherwise. Without an inputs array the seeded inputs are used."""
    import torch  # torch: loaded on first use

    if inputs is None:
        x = seeded_inputs(config)
    else:
        x = torch.from_numpy(np.ascontiguousarray(inputs, dtype=np.float64))
    if model.arch == "rnn" and model.layers == 1:
        return model_weights(model.as_rnn(), x.numpy())
    return StackWeights(model.arch, [w[None] for w in model.w_ih], [w[None] for w in model.w_hh],
                        [b[None] for b in model.b_ih], [b[None] for b in model.b_hh], x[None])


def model_source(model: LoadedModel, inputs_path: str | None, config) -> str:
    where = f"inputs {inputs_path}" if inputs_path else f"seeded inputs (seed {config.seed})"
    return f"model {model.path} ({model.describe()}), {where}"


def run_model(model: LoadedModel, config, inputs: np.ndarray | None = None,
              inputs_path: str | None = None, **kwargs):
    """Measure a loaded model: a FlowRun for one vanilla layer, a StackRun otherwise."""
    weights = model_run_weights(model, config, inputs)
    return run_recurrent(config, weights, source=model_source(model, inputs_path, config), **kwargs)

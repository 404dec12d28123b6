"""Validated configurations: every setting is checked once, here.

The CLI and the TUI both turn user text into values through ``parse_field`` and
build a frozen ``RNNConfig`` (one recurrent run) or ``CompareConfig`` (the six
architectures on one sequence); whatever passes here is safe to compute. Each config
also writes the command-line flags that rebuild it (``to_flags``), so the command a
screen shows comes from the config, not from the CLI.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .errors import ConfigError

ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "identity")
INITS = ("gaussian", "orthogonal", "identity")
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "float32", "float64")
# Recurrent cells with torch.nn's conventions: RNN, LSTM (gates i, f, g, o), GRU (r, z, n).
ARCHES = ("rnn", "lstm", "gru")
# The settings of a single vanilla layer, in the order of their flags (the lookups that
# run the vanilla RNN take exactly these).
RNN_FLAG_FIELDS = ("activation", "init", "scale", "init_noise", "hidden", "steps", "input_size",
                   "input_scale", "seed", "leaky_slope", "device", "dtype")


@dataclass(frozen=True)
class FieldSpec:
    """How one setting is parsed and bounded (shared by flags and inputs)."""

    name: str
    kind: type
    label: str
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def describe_range(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        what = "an integer" if self.kind is int else "a number"
        return f"{what} from {limit_text(self.low)} to {limit_text(self.high)}"


def limit_text(x: float | None) -> str:
    """A range's end as a message writes it: 1000, 0.5 (? where there is none)."""
    if x is None:
        return "?"
    return str(int(x)) if float(x).is_integer() else repr(x)


# Limits are generous but finite: past them a run would take minutes or
# gigabytes, which no interactive lookup should do by accident.
FIELD_SPECS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("activation", str, "activation", "nonlinearity f", choices=ACTIVATIONS),
        FieldSpec("init", str, "init", "initialisation of W_hh", choices=INITS),
        FieldSpec("scale", float, "weight scale", "multiplier on W_hh", 0.0, 100.0),
        FieldSpec("init_noise", float, "init noise", "std of gaussian noise added to W_hh", 0.0, 10.0),
        FieldSpec("hidden", int, "hidden size n", "units in the hidden state", 1, 2048),
        FieldSpec("steps", int, "steps T", "sequence length", 1, 200_000),
        FieldSpec("input_size", int, "input size m", "features per input step", 1, 1024),
        FieldSpec("input_scale", float, "input scale", "std of the random inputs", 0.0, 1000.0),
        FieldSpec("seed", int, "seed", "random seed for weights and inputs", 0, 2**31 - 1),
        FieldSpec("leaky_slope", float, "leaky slope", "negative slope of leaky relu", 0.0, 1.0),
        FieldSpec("device", str, "device", "where torch computes", choices=DEVICES),
        FieldSpec("dtype", str, "dtype", "floating point precision", choices=DTYPES),
        FieldSpec("arch", str, "cell", "recurrent cell: rnn, lstm or gru", choices=ARCHES),
        FieldSpec("layers", int, "layers", "stacked recurrent layers", 1, 16),
        FieldSpec("forget_bias", float, "forget bias",
                  "bias of the LSTM forget gate (GRU: update gate)", -20.0, 20.0),
        FieldSpec("radius", float, "eigen radius",
                  "|eigenvalue| of the diagonal linear recurrence", 0.0, 1.5),
        FieldSpec("toy_factor", float, "RNN factor", "toy: per-step factor of a plain RNN",
                  0.0, 10.0),
        FieldSpec("toy_gate", float, "forget gate", "toy: a constant forget gate", 0.0, 1.0),
        FieldSpec("toy_steps", int, "toy steps", "toy: steps back", 1, 1_000_000),
    )
}


def parse_field(name: str, text: Any) -> Any:
    """Turn text (or a value) into a checked value for setting ``name``.

    Raises ConfigError with a one-line message naming the setting and its range.
    """
    return parse_value(FIELD_SPECS[name], text)


def parse_value(spec: FieldSpec, text: Any) -> Any:
    """``parse_field`` for any FieldSpec, including ones outside FIELD_SPECS."""
    name = spec.name
    raw = text.strip() if isinstance(text, str) else text
    if spec.choices:
        value = str(raw).strip().lower().replace("-", "_") if raw is not None else ""
        aliases = {"leakyrelu": "leaky_relu", "linear": "identity", "normal": "gaussian",
                   "f32": "float32", "f64": "float64", "double": "float64", "float": "float32",
                   "vanilla": "rnn"}
        value = aliases.get(value, value)
        if value not in spec.choices:
            raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {raw!r})", name)
        return value
    if raw is None or raw == "":
        raise ConfigError(f"{spec.label} is empty: enter {spec.describe_range()}", name)
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{spec.label} must be {spec.describe_range()} (got {given_text(raw)})", name
        ) from None
    if not math.isfinite(number):
        raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {given_text(raw)})", name)
    if spec.kind is int:
        if not float(number).is_integer():
            raise ConfigError(f"{spec.label} must be {spec.describe_range()}, a whole number (got "
                              f"{given_text(raw)})", name)
        number = int(number)
    if (spec.low is not None and number < spec.low) or (spec.high is not None and number > spec.high):
        raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {given_text(raw)})", name)
    return number


def given_text(raw: Any) -> str:
    """What the user gave, as a refusal quotes it: a string in quotes, cut at 24 characters."""
    text = repr(raw) if isinstance(raw, str) else str(raw)
    return text if len(text) <= 24 else text[:21] + "..."


class CheckedConfig:
    """Base of vgtui's frozen settings dataclasses. On construction every field goes
    through ``check_field`` (the parser the CLI and the app share, so a config that
    exists is valid), then ``check`` for rules that span fields."""

    def check_field(self, name: str, value: Any) -> Any:
        return parse_field(name, value)

    def check(self) -> None:
        """Rules across fields; raises ConfigError naming the field to fix."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            object.__setattr__(self, f.name, self.check_field(f.name, getattr(self, f.name)))
        self.check()

    def replace(self, **changes: Any):
        return replace(self, **changes)  # type: ignore[type-var]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True)
class RNNConfig(CheckedConfig):
    """One recurrent run, h_0 = 0 (and c_0 = 0), loss L = sum(h_T) of the top layer.

    The default is a single vanilla layer, h_t = f(b + W_hh h_{t-1} + W_xh x_t).
    ``arch`` picks an LSTM or GRU cell instead (``activation`` then does not apply),
    ``layers`` stacks cells, and ``forget_bias`` starts the LSTM forget gate (the
    GRU update gate) at that bias; it does nothing for the vanilla cell.
    """

    activation: str = "tanh"
    init: str = "gaussian"
    scale: float = 1.0
    hidden: int = 32
    steps: int = 50
    input_size: int = 4
    input_scale: float = 1.0
    seed: int = 0
    init_noise: float = 0.0
    leaky_slope: float = 0.01
    device: str = "auto"
    dtype: str = "auto"
    arch: str = "rnn"
    layers: int = 1
    forget_bias: float = 0.0

    def replace(self, **changes: Any) -> "RNNConfig":
        """A copy with ``changes``; only the changed settings are checked again (this
        config's own were checked when it was made), so a sweep building hundreds of
        variants does not re-parse every field of each."""
        if not changes.keys() <= FIELD_SPECS.keys():
            return replace(self, **changes)  # raises the usual TypeError for the odd name
        return self.replace_checked(**{name: parse_field(name, value)
                                       for name, value in changes.items()})

    def replace_checked(self, **checked: Any) -> "RNNConfig":
        """``replace`` with values already checked (``parse_field``): a grid of 64 scales
        by 4 activations checks 68 values instead of 512."""
        out = object.__new__(type(self))  # copy.copy's state, without its protocol's cost
        out.__dict__.update(self.__dict__)
        out.__dict__.update(checked)
        return out

    def to_flags(self, always: tuple[str, ...] = ("activation", "scale", "steps"),
                 skip: tuple[str, ...] = (),
                 names: tuple[str, ...] = RNN_FLAG_FIELDS) -> list[str]:
        """The flags that rebuild this config ('--scale 1.2', ...), in the order of
        ``names``: every setting that differs from the defaults, plus ``always``, less
        ``skip``."""
        d = RNNConfig()
        parts = []
        for name in names:
            if name in skip:
                continue
            value = getattr(self, name)
            if value != getattr(d, name) or name in always:
                parts.append(f"--{name.replace('_', '-')} {value}")
        return parts

    @classmethod
    def from_texts(cls, texts: dict[str, Any], base: "RNNConfig | None" = None) -> "RNNConfig":
        """Build from user text per field; raises ConfigError on the first bad one."""
        values = {name: parse_field(name, text) for name, text in texts.items()}
        return replace(base or cls(), **values)


def same_shape_key(config: RNNConfig) -> tuple:
    """Configs sharing this key can run in one vectorised batch."""
    return (config.hidden, config.steps, config.input_size, config.device, config.dtype,
            config.arch, config.layers)


COMPARE_FIELDS = ("steps", "hidden", "input_size", "input_scale", "seed", "scale",
                  "forget_bias", "radius", "device", "dtype")


@dataclass(frozen=True)
class CompareConfig(CheckedConfig):
    """One comparison: shared sizes, inputs and weights for all six architectures."""

    steps: int = 100
    hidden: int = 32
    input_size: int = 4
    input_scale: float = 1.0
    seed: int = 0
    scale: float = 1.0
    forget_bias: float = 1.0
    radius: float = 1.0
    device: str = "auto"
    dtype: str = "auto"

    def to_flags(self) -> list[str]:
        """The ``vgtui compare`` flags that rebuild this config: --steps, then every
        setting that differs from the defaults."""
        d = CompareConfig()
        parts = [f"--steps {self.steps}"]
        for name in COMPARE_FIELDS:
            value = getattr(self, name)
            if name != "steps" and value != getattr(d, name):
                parts.append(f"--{name.replace('_', '-')} {value}")
        return parts

    def rnn_config(self, arch: str) -> RNNConfig:
        return RNNConfig(arch=arch, activation="tanh", init="gaussian", scale=self.scale,
                         hidden=self.hidden, steps=self.steps, input_size=self.input_size,
                         input_scale=self.input_scale, seed=self.seed,
                         forget_bias=self.forget_bias, device=self.device, dtype=self.dtype)


def compare_config_from(values: dict, base: CompareConfig | None = None) -> CompareConfig:
    """Build from parsed values, naming the field at fault."""
    unknown = [k for k in values if k not in COMPARE_FIELDS]
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r}", unknown[0])
    return replace(base or CompareConfig(), **values)

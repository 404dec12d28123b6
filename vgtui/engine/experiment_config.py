"""What a training experiment runs: task x lengths x architectures x seeds, and how.

Every setting is parsed once, here, by ``parse_experiment_field`` (numbers, choices,
comma-separated lists, 'off' / 'auto' for the optional ones); the CLI flags of
``vgtui train`` and the Experiments screen's inputs both go through it, and
``ExperimentConfig.to_flags`` writes the flags back. No numpy or torch here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .config import CheckedConfig, FieldSpec, given_text, limit_text
from .errors import ConfigError
from .lists import expand_ranges

TASKS = ("first", "latch", "adding")
ARCHS = ("rnn", "lstm", "gru")
OPTIMIZERS = ("sgd", "adam")
DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "float32", "float64")

# SGD uses momentum 0.9, as in the 1990s experiments; learning rates when none is given.
MOMENTUM = 0.9
DEFAULT_LR = {"sgd": 0.1, "adam": 0.01}
# The verdict rule, on held-out data: learned below half the constant-prediction
# baseline, partly learned below 0.9 of it, otherwise not learned.
LEARNED_RATIO = 0.5
PARTIAL_RATIO = 0.9
# Work per step grows with the number of gate blocks each cell computes; used to
# weigh runs for the overall progress bar (and so its ETA).
GATE_BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}
MAX_RUNS = 2000


@dataclass(frozen=True)
class ExperimentField(FieldSpec):
    """How one experiment setting is parsed: a number, a choice, or a list of them."""

    many: bool = False          # a comma-separated list
    none_word: str = ""         # text meaning "not set" (off / auto / default)

    @property
    def flag(self) -> str:
        return flag_for(self.name)

    def describe_range(self) -> str:
        if not self.many:
            text = super().describe_range()
        elif self.choices:
            text = "one or more of " + ", ".join(self.choices) + " (comma-separated)"
        else:
            what = "integers" if self.kind is int else "numbers"
            text = f"{what} from {limit_text(self.low)} to {limit_text(self.high)}, comma-separated"
        if self.none_word:
            text += f", or {self.none_word}"
        return text


EXPERIMENT_FIELDS: dict[str, ExperimentField] = {f.name: f for f in (
    ExperimentField("task", str, "task", "what the network must remember", choices=TASKS),
    ExperimentField("lengths", int, "lengths T", "sequence lengths to try", 2, 1000, many=True),
    ExperimentField("archs", str, "architectures", "recurrent cells to try", choices=ARCHS,
                    many=True),
    ExperimentField("optimizer", str, "optimizer", "sgd (momentum 0.9) or adam",
                    choices=OPTIMIZERS),
    ExperimentField("seeds", int, "seeds", "runs per length and architecture", 1, 50),
    ExperimentField("first_seed", int, "first seed", "seed of the first run", 0, 2**31 - 1),
    ExperimentField("train_steps", int, "training steps", "optimizer updates per run", 1,
                    100_000),
    ExperimentField("lr", float, "learning rate", "step size (auto: 0.1 sgd, 0.01 adam)",
                    1e-6, 10.0, none_word="auto"),
    ExperimentField("clip", float, "clip norm", "clip the gradient norm at this value",
                    1e-6, 1e6, none_word="off"),
    ExperimentField("forget_bias", float, "forget bias", "bias at init of the gate that keeps "
                    "the state (LSTM forget gate, GRU update gate; default: torch's own init)",
                    -20.0, 20.0, none_word="default"),
    ExperimentField("truncate", int, "truncate k", "backpropagate only k steps back from T",
                    1, 1000, none_word="off"),
    ExperimentField("hidden", int, "hidden size", "units in the recurrent state", 1, 512),
    ExperimentField("batch", int, "batch size", "fresh examples per update", 1, 4096),
    ExperimentField("noise", float, "noise", "std of the distractor inputs after step 1 "
                    "(first, latch)", 0.0, 100.0),
    ExperimentField("symbols", int, "symbols", "latch: how many symbols", 2, 32),
    ExperimentField("eval_size", int, "held-out size", "held-out examples for the verdict",
                    16, 16_384),
    ExperimentField("device", str, "device", "where torch computes", choices=DEVICES),
    ExperimentField("dtype", str, "dtype", "floating point precision", choices=DTYPES),
)}

_NONE_WORDS = {"", "none", "off", "auto", "default", "no", "-"}


def _parse_one(spec: ExperimentField, raw: Any) -> Any:
    if spec.choices:
        value = str(raw).strip().lower() if raw is not None else ""
        if value not in spec.choices:
            raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {given_text(raw)})",
                              spec.name)
        return value
    if isinstance(raw, bool):
        raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {raw})", spec.name)
    try:
        number = float(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {given_text(raw)})",
                          spec.name) from None
    if not math.isfinite(number):
        raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {given_text(raw)})",
                          spec.name)
    if spec.kind is int:
        if not number.is_integer():
            raise ConfigError(f"{spec.label} must be {spec.describe_range()}, whole numbers "
                              f"(got {given_text(raw)})" if spec.many else
                              f"{spec.label} must be {spec.describe_range()}, a whole number "
                              f"(got {given_text(raw)})", spec.name)
        number = int(number)
    if (spec.low is not None and number < spec.low) or (spec.high is not None and number > spec.high):
        raise ConfigError(f"{spec.label} must be {spec.describe_range()} (got {given_text(raw)})",
                          spec.name)
    return number


def parse_experiment_field(name: str, text: Any) -> Any:
    """User text (or a value) -> a checked value; ConfigError names the setting."""
    spec = EXPERIMENT_FIELDS[name]
    if spec.none_word and (text is None or (isinstance(text, str)
                                            and text.strip().lower() in _NONE_WORDS)):
        return None
    if spec.many:
        text = expand_ranges(text, spec.label, name, whole=spec.kind is int)
        if isinstance(text, str):
            parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
        elif isinstance(text, (list, tuple)):
            parts = list(text)
        else:
            parts = [text]
        if not parts:
            raise ConfigError(f"{spec.label} is empty: enter {spec.describe_range()}", name)
        values = []
        for part in parts:
            value = _parse_one(spec, part)
            if value not in values:  # a repeated entry would only repeat a run
                values.append(value)
        return tuple(values)
    if text is None or (isinstance(text, str) and not text.strip()):
        raise ConfigError(f"{spec.label} is empty: enter {spec.describe_range()}", name)
    return _parse_one(spec, text)


@dataclass(frozen=True)
class ExperimentConfig(CheckedConfig):
    """What to train: task x lengths x architectures x seeds, and how."""

    # The default makes the screen's point: a vanilla RNN that learns T = 5 and 20 and
    # fails at 50 beside an LSTM and a GRU whose keep gates start at sigmoid(3) = 0.95 and
    # learn all three (Adam, clipped at 1). The 1990s SGD set-up, where the gated cells
    # with torch's own init do no better, is the "sgd-torch-init" preset.
    task: str = "latch"
    lengths: tuple[int, ...] = (5, 20, 50)
    archs: tuple[str, ...] = ("rnn", "lstm", "gru")
    optimizer: str = "adam"
    seeds: int = 1  # the "full" preset runs three (about two minutes on two cores)
    first_seed: int = 0
    train_steps: int = 400
    lr: float | None = None
    clip: float | None = 1.0
    forget_bias: float | None = 3.0
    truncate: int | None = None
    hidden: int = 16
    batch: int = 32
    noise: float = 0.2
    symbols: int = 2
    eval_size: int = 256
    device: str = "auto"
    dtype: str = "auto"

    def check_field(self, name: str, value: Any) -> Any:
        return parse_experiment_field(name, value)

    def check(self) -> None:
        if self.runs > MAX_RUNS:
            raise ConfigError(f"{self.runs} runs is too many (at most {MAX_RUNS}): use fewer "
                              "lengths, architectures or seeds", "seeds")

    @property
    def runs(self) -> int:
        return len(self.lengths) * len(self.archs) * self.seeds

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.first_seed, self.first_seed + self.seeds))

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["lengths"] = list(self.lengths)
        d["archs"] = list(self.archs)
        d["learning_rate"] = self.learning_rate
        d["momentum"] = MOMENTUM if self.optimizer == "sgd" else None
        return d

    def to_flags(self) -> list[str]:
        """The ``vgtui train`` flags that rebuild this config: the settings that differ
        from the defaults, plus always the task, lengths, arch, optimizer, seeds, clipping
        and gate bias (the last two decide whether gated cells beat the vanilla RNN)."""
        d = ExperimentConfig()
        always = ("task", "lengths", "archs", "optimizer", "seeds", "clip", "forget_bias")
        parts = []
        for name in FLAG_ORDER:
            value = getattr(self, name)
            if value == getattr(d, name) and name not in always:
                continue
            if isinstance(value, tuple):
                text = ",".join(str(v) for v in value)
            elif value is None:
                text = EXPERIMENT_FIELDS[name].none_word
            else:
                text = str(value)
            parts.append(f"{flag_for(name)} {text}")
        return parts

    def plan(self) -> list["RunSpec"]:
        """Every run, seeds outermost: a cancelled experiment has whole sweeps done."""
        out = []
        for seed in self.seed_list:
            for arch in self.archs:
                for length in self.lengths:
                    out.append(RunSpec(len(out), arch, length, seed))
        return out

    def work(self, spec: "RunSpec") -> float:
        return float(self.train_steps * spec.length * GATE_BLOCKS[spec.arch])


@dataclass(frozen=True)
class RunSpec:
    index: int
    arch: str
    length: int
    seed: int

    @property
    def label(self) -> str:
        return f"{self.arch} T={self.length} seed {self.seed}"


# setting -> flag of ``vgtui train`` where they differ from --setting-name
EXPERIMENT_FLAGS = {"archs": "--arch", "train_steps": "--steps"}
FLAG_ORDER = ["task", "lengths", "archs", "optimizer", "seeds", "first_seed", "train_steps",
              "lr", "clip", "forget_bias", "truncate", "hidden", "batch", "noise", "symbols",
              "eval_size", "device", "dtype"]


def flag_for(name: str) -> str:
    return EXPERIMENT_FLAGS.get(name, "--" + name.replace("_", "-"))


def command_line(config: ExperimentConfig) -> str:
    """The ``vgtui train`` command that runs this config."""
    return " ".join(["vgtui train"] + config.to_flags())

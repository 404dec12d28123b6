"""Named starting points: one ``Preset`` type and one table of them per topic.

A preset is a set of values for a topic's settings, taken from the experiments the
source articles suggest trying, with a note on what to look for. Its name is the one
name everywhere: ``vgtui flow --preset NAME``, ``vgtui train --preset NAME``, the
command palette and each screen's picker. Values are written as a user would type
them or pass them to the flag, and go through the topic's own field parsers, over
the topic's defaults: a preset can never hold a value the flags would refuse.

The table, presets.json, is keyed by topic id (vgtui/topics.py). The Long-range
screen's presets are its example sentences, read from the long-range engine.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Callable, Mapping

from .config import FIELD_SPECS, CompareConfig, RNNConfig, parse_field
from .errors import ConfigError
from .experiment_config import ExperimentConfig, parse_experiment_field
from .longrange import EXAMPLES
from .packaged import load_json


@dataclass(frozen=True)
class Preset:
    name: str                 # the one name everywhere: --preset NAME, palette, picker
    title: str                # short label shown in pickers
    note: str                 # why it is interesting
    values: Mapping[str, Any] = field(default_factory=dict)  # setting -> value as typed

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    @property
    def label(self) -> str:
        """Its name first (what --preset takes), then its title: "log-space · linear, T=10,000"."""
        if self.title.startswith(self.name):
            return self.title
        return f"{self.name} · {self.title}"


# The Forget gate screen starts from these settings; its presets hold them too, so a
# preset reads the same applied over these or over RNNConfig's own defaults. The bias
# of 4 puts the untrained forget gate at sigmoid(4) = 0.982, the toy's 0.98: the state
# in which the LSTM's cell path carries the gradient while the vanilla RNN beside it
# loses it, which is what the screen is about.
FORGET_BASE = {"forget_bias": 4.0, "steps": 100, "hidden": 32}

# What a topic's rows in presets.json are written over (the rest are written in full).
_ROW_BASES: dict[str, Mapping[str, Any]] = {"forget": FORGET_BASE}


def _load_presets() -> dict[str, tuple[Preset, ...]]:
    """presets.json: per topic, its presets in picker order (and a line on what they set)."""
    table = load_json(__package__, "presets.json")
    return {topic: tuple(Preset(row["name"], row["title"], row["note"],
                                {**_ROW_BASES.get(topic, {}), **row["values"]})
                         for row in entry["presets"])
            for topic, entry in table.items()}


PRESETS: dict[str, tuple[Preset, ...]] = _load_presets()


# The config a topic's presets are applied over (device and dtype come from the
# config in use, so a preset never moves a run off the chosen device).
_DEFAULTS: dict[str, Callable[[], Any]] = {
    "flow": RNNConfig,
    "forget": lambda: RNNConfig(**FORGET_BASE),
    "architectures": CompareConfig,
    "experiments": ExperimentConfig,
}


def _closed_form_field(name: str, value: Any) -> Any:
    """The scalar chain's and the decay table's settings (closed_form's parsers)."""
    from . import closed_form as cf  # imports numpy; the preset table stays numpy-free

    if name == "factors":
        return cf.parse_factors(value)
    if name == "lengths":
        return cf.parse_lengths(value)
    return cf.parse_scalar(name, value)


def _rnn_screen_field(name: str, value: Any) -> Any:
    """The RNN screens' settings: the network's (parse_field) and their own inputs."""
    from .extras import parse_extra  # imports numpy; the preset table stays numpy-free

    return parse_field(name, value) if name in FIELD_SPECS else parse_extra(name, value)


def _activation_field(name: str, value: Any) -> Any:
    from . import closed_form as cf  # imports numpy; the preset table stays numpy-free

    if name == "points":
        return cf.parse_points(value)
    return cf.parse_scalar(name, value) if name == "spread" else parse_field(name, value)


_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "flow": parse_field, "forget": parse_field, "architectures": parse_field,
    "experiments": parse_experiment_field, "chain": _closed_form_field,
    "decay": _closed_form_field, "jacobian": _rnn_screen_field, "bound": _rnn_screen_field,
    "exploding": _rnn_screen_field, "spectrum": _rnn_screen_field,
    "activations": _activation_field,
}


def presets_for(topic: str) -> tuple[Preset, ...]:
    """A topic's presets in the order pickers show them (empty for a topic without)."""
    if topic == "longrange":
        return _example_presets()
    return PRESETS.get(topic, ())


def _example_presets() -> tuple[Preset, ...]:
    """The Long-range screen's example sentences: each sets the sentence and its key
    word, and (on that screen) leaves the model and the gap as they are."""

    return tuple(Preset(e.name, f"{e.name}: {e.title}", e.note,
                        {"text": " ".join(e.text.split()), "key": e.key})
                 for e in EXAMPLES.values())


def presets_by_name(topic: str) -> dict[str, Preset]:
    return {p.name: p for p in presets_for(topic)}


def preset_names(topic: str) -> list[str]:
    return [p.name for p in presets_for(topic)]


def find_preset(topic: str, name: str) -> Preset:
    """The preset of that name; ConfigError (naming the setting 'preset') otherwise."""
    key = name.strip().lower()
    for p in presets_for(topic):
        if p.name == key:
            return p
    raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(preset_names(topic))}",
                      "preset")


def _resolve(topic: str, preset: Preset | str) -> Preset:
    return preset if isinstance(preset, Preset) else find_preset(topic, preset)


def preset_changes(topic: str, preset: Preset | str) -> dict[str, Any]:
    """The preset's values, each parsed by the topic's field parser."""
    parse = _PARSERS[topic]
    return {name: parse(name, value) for name, value in _resolve(topic, preset).values.items()}


def preset_config(topic: str, preset: Preset | str, base: Any = None):
    """The topic's config for a preset: the topic's defaults with the preset's values,
    device and dtype kept from ``base`` when given."""
    if topic not in _DEFAULTS:
        raise ConfigError(f"the {topic} presets set values, not a config: use preset_changes",
                          "preset")
    keep = {k: getattr(base, k) for k in ("device", "dtype")} if base is not None else {}
    return replace(_DEFAULTS[topic](), **keep, **preset_changes(topic, preset))


def matching_preset(topic: str, config: Any) -> Preset | None:
    """The preset ``config`` is (device and dtype aside), if any."""
    for p in presets_for(topic):
        if preset_config(topic, p, config) == config:
            return p
    return None


def quick_config(base: ExperimentConfig | None = None, **given: Any) -> ExperimentConfig:
    """The experiments' --quick settings, with anything given explicitly taking precedence."""
    start = dict(base.to_dict()) if base else {}
    names = set(ExperimentConfig.__dataclass_fields__)
    start = {k: v for k, v in start.items() if k in names}
    return ExperimentConfig(**{**start, **preset_changes("experiments", "quick"), **given})

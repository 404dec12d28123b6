"""Named starting points for the Gradient Flow screen and ``vgtui flow --preset``.

Each preset is a set of changes to the default RNNConfig, taken from the
experiments the source articles suggest trying, plus a note on what to look for.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .config import RNNConfig
from .errors import ConfigError


@dataclass(frozen=True)
class FlowPreset:
    name: str
    title: str
    note: str
    changes: dict[str, Any] = field(default_factory=dict)

    def config(self, base: RNNConfig | None = None) -> RNNConfig:
        defaults = RNNConfig().to_dict()
        keep = {k: v for k, v in (base.to_dict() if base else {}).items() if k in ("device", "dtype")}
        return RNNConfig(**{**defaults, **keep, **self.changes})


FLOW_PRESETS: dict[str, FlowPreset] = {p.name: p for p in (
    FlowPreset("default", "default: tanh, scale 1.0",
               "A plain tanh RNN at the usual N(0, 1/n) initialisation.", {}),
    FlowPreset("sigmoid-20", "sigmoid 1.0, T=20",
               "sigmoid' is at most 0.25, so each step back can keep at most a quarter "
               "of the gradient unless ||W_hh|| is above 4.",
               {"activation": "sigmoid", "scale": 1.0, "steps": 20}),
    FlowPreset("tanh-1.2", "tanh 1.2",
               "Spectral radius above 1: the linear part stretches, saturation of tanh "
               "pulls back. Which one wins here is measured, not assumed.",
               {"activation": "tanh", "scale": 1.2, "steps": 50}),
    FlowPreset("tanh-1.0", "tanh 1.0",
               "The nearest a vanilla tanh RNN comes to stable; nudge the scale by "
               "0.05 either way and watch the horizon move.",
               {"activation": "tanh", "scale": 1.0, "steps": 50}),
    FlowPreset("four-unit", "4 units, radius ~0.5",
               "A small tanh network with spectral radius near 0.5 and tiny inputs "
               "(0.05), so tanh stays nearly linear: the gradient shrinks by roughly the "
               "spectral radius per step.",
               {"activation": "tanh", "init": "identity", "scale": 0.5, "init_noise": 0.05,
                "hidden": 4, "input_size": 2, "input_scale": 0.05, "steps": 20}),
    FlowPreset("orthogonal-relu", "relu, orthogonal 1.0",
               "Orthogonal W_hh keeps every eigenvalue on the unit circle; relu' is 0 or 1, "
               "so what is lost is lost to dead units.",
               {"activation": "relu", "init": "orthogonal", "scale": 1.0, "steps": 100}),
    FlowPreset("log-space", "linear, T=10,000",
               "Linear and orthogonal: the gradient shrinks by exactly 0.5 per step, to "
               "about 1e-3009.5 at step 1, far below float range, shown exactly.",
               {"activation": "identity", "init": "orthogonal", "scale": 0.5, "hidden": 10,
                "steps": 10_000}),
)}


def flow_preset(name: str) -> FlowPreset:
    key = name.strip().lower()
    if key not in FLOW_PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(FLOW_PRESETS)}", "preset")
    return FLOW_PRESETS[key]


@dataclass(frozen=True)
class Preset:
    """A named starting point of a topic: field values applied over its defaults."""

    name: str  # the one name: --preset NAME, the palette, the picker
    title: str
    note: str
    values: dict[str, Any] = field(default_factory=dict)


def presets_for(topic: str) -> tuple[Preset, ...]:
    """The presets of a topic, in the order ``p`` cycles them."""
    if topic == "flow":
        return tuple(Preset(p.name, p.title, p.note, dict(p.changes)) for p in FLOW_PRESETS.values())
    if topic == "forget":
        from .gated import FORGET_BASE, FORGET_PRESETS

        return tuple(Preset(name, title, title, {**FORGET_BASE, **changes})
                     for name, (title, changes) in FORGET_PRESETS.items())
    if topic == "chain":
        from .closed_form import CHAIN_PRESETS

        return tuple(Preset(p.name, p.title, p.note,
                            {"weight": p.weight, "trace_steps": p.steps, "h0": p.h0})
                     for p in CHAIN_PRESETS.values())
    if topic == "decay":
        from .closed_form import DECAY_PRESETS

        return tuple(Preset(p.name, p.title, p.note, {"factors": p.factors, "lengths": p.lengths})
                     for p in DECAY_PRESETS.values())
    if topic == "experiments":
        from .experiments import EXPERIMENT_PRESETS

        return tuple(Preset(p.name, p.title, p.note, dict(p.changes))
                     for p in EXPERIMENT_PRESETS.values())
    if topic == "architectures":
        from .architectures import COMPARE_PRESETS

        return tuple(Preset(name, title, title, dict(changes))
                     for name, (title, changes) in COMPARE_PRESETS.items())
    return ()

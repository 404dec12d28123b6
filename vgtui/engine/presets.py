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
class Preset:
    """A named starting point of a topic: field values applied over its defaults."""

    name: str  # the one name: --preset NAME, the palette, the picker
    title: str
    note: str
    values: dict[str, Any] = field(default_factory=dict)


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




# -- the RNN screens' presets: network settings plus each screen's own inputs ---------
def _rnn(name: str, title: str, note: str, changes: dict[str, Any],
         extras: dict[str, str] | None = None) -> Preset:
    return Preset(name, title, note, {**changes, **(extras or {})})


TANH_SWEEP = "0.25:4:16"  # catch-22 sweep scales for tanh
SIGMOID_SWEEP = "1:16:16"  # and for sigmoid, whose derivative is at most 0.25
LYAPUNOV_SCALES = "0.5:3:11"

_JACOBIAN = (
    _rnn("tanh-64", "tanh, gaussian x 1.0, n=64, T=60",
           "The articles' 64-unit picture: how many of the 64 directions still carry gradient "
           "as the distance T-t grows.",
           {"activation": "tanh", "init": "gaussian", "scale": 1.0, "hidden": 64, "steps": 60}),
    _rnn("linear-gauss", "identity, gaussian x 0.9, n=16",
           "A linear RNN: the product is W^(T-t), so the direction of the largest eigenvalue "
           "wins and the alignment climbs to 1.",
           {"activation": "identity", "init": "gaussian", "scale": 0.9, "hidden": 16, "steps": 60}),
    _rnn("linear-orth", "identity, orthogonal x 0.9, n=16",
           "Every singular value is exactly 0.9^(T-t): all 16 directions shrink alike, none "
           "wins, so the top direction is a tie.",
           {"activation": "identity", "init": "orthogonal", "scale": 0.9, "hidden": 16,
            "steps": 60}),
    _rnn("sigmoid", "sigmoid, gaussian x 1.0, n=32, T=40",
           "sigmoid' is at most 0.25: the product shrinks fast and the directions die off.",
           {"activation": "sigmoid", "init": "gaussian", "scale": 1.0, "hidden": 32, "steps": 40}),
    _rnn("tanh-2", "tanh, gaussian x 2.0, n=32, T=100",
           "Near the edge of chaos: the norm neither collapses nor blows up, but only a few "
           "directions survive.",
           {"activation": "tanh", "init": "gaussian", "scale": 2.0, "hidden": 32, "steps": 100}),
)

_BOUND = (
    _rnn("sigmoid", "sigmoid, gaussian x 1.0, n=32, T=40",
           "sigmoid' never exceeds 0.25, so the bound shrinks by 0.25 ||W_hh|| per step: "
           "nothing can survive unless ||W_hh||_2 > 4.",
           {"activation": "sigmoid", "init": "gaussian", "scale": 1.0, "hidden": 32, "steps": 40},
           {"scales": SIGMOID_SWEEP, "sequences": "16"}),
    _rnn("sigmoid-4", "sigmoid, orthogonal x 4 (||W|| = 4)",
           "Exactly at the break-even: ||W_hh||_2 = 4 makes the bound flat. The measured "
           "norm still falls, because the derivatives are below their 0.25 peak.",
           {"activation": "sigmoid", "init": "orthogonal", "scale": 4.0, "hidden": 32, "steps": 40},
           {"scales": SIGMOID_SWEEP, "sequences": "16"}),
    _rnn("tanh", "tanh, gaussian x 1.0, n=32, T=60",
           "tanh' peaks at 1, so here the bound already allows growth (||W_hh||_2 is near 2), "
           "yet the measured norm vanishes: the bound is far from tight.",
           {"activation": "tanh", "init": "gaussian", "scale": 1.0, "hidden": 32, "steps": 60},
           {"scales": TANH_SWEEP, "sequences": "16"}),
    _rnn("tanh-orth", "tanh, orthogonal x 1.0, n=32, T=60",
           "Orthogonal W_hh has ||W||_2 = 1: the bound is exactly 1 at every t, and the "
           "measured norm falls below it as units saturate.",
           {"activation": "tanh", "init": "orthogonal", "scale": 1.0, "hidden": 32, "steps": 60},
           {"scales": TANH_SWEEP, "sequences": "16"}),
)

_EXPLODING = (
    _rnn("tanh-orth-3", "tanh, orthogonal x 3.0, n=32, T=100",
           "Every eigenvalue has modulus 3: going back, the gradient grows until saturation "
           "pushes back, and clipping has real work to do.",
           {"activation": "tanh", "init": "orthogonal", "scale": 3.0, "hidden": 32, "steps": 100},
           {"tau": "5", "scales": LYAPUNOV_SCALES}),
    _rnn("linear-1.1", "identity, gaussian x 1.1, n=32, T=100",
           "A linear RNN with spectral radius above 1: nothing saturates, so the gradient grows "
           "by about the radius at every step back.",
           {"activation": "identity", "init": "gaussian", "scale": 1.1, "hidden": 32, "steps": 100},
           {"tau": "5", "scales": "0.5:1.5:11"}),
    _rnn("four-unit-1.5", "4 units, W_hh = 1.5 I + noise, T = 20",
           "The 4-unit network of seed 003 with its 0.5 changed to 1.5, as that article "
           "suggests trying; compare what it says you will see with what is measured.",
           {"activation": "tanh", "init": "identity", "scale": 1.5, "init_noise": 0.05,
            "hidden": 4, "input_size": 2, "input_scale": 0.05, "steps": 20},
           {"tau": "5", "scales": LYAPUNOV_SCALES}),
    _rnn("tanh-1", "tanh, gaussian x 1.0, n=32, T=100",
           "The usual initialisation: the exponent is negative, gradients vanish, and clipping "
           "does nothing useful.",
           {"activation": "tanh", "init": "gaussian", "scale": 1.0, "hidden": 32, "steps": 100},
           {"tau": "5", "scales": LYAPUNOV_SCALES}),
)

_SPECTRUM = (
    _rnn("n64", "n=64, scale 1.0",
           "The articles' 64-unit matrices: gaussian and Xavier sit near the unit circle, "
           "orthogonal exactly on it, torch's default well inside.",
           {"hidden": 64, "scale": 1.0}, {"power_steps": "50", "shear": "0.5"}),
    _rnn("n256", "n=256, scale 1.0",
           "Larger n: the gaussian eigenvalues fill a disc of radius close to the scale "
           "(the circular law), while the norm is about twice that.",
           {"hidden": 256, "scale": 1.0}, {"power_steps": "50", "shear": "0.5"}),
    _rnn("shrink", "n=64, scale 0.9, shear b=1",
           "Every init below the unit circle; the shear example still has norm above 1, so "
           "||W^k v|| climbs for a while before the spectral radius wins.",
           {"hidden": 64, "scale": 0.9}, {"power_steps": "200", "shear": "1"}),
    _rnn("small", "n=8, scale 1.0",
           "Few eigenvalues: easy to count them against the unit circle.",
           {"hidden": 8, "scale": 1.0}, {"power_steps": "50", "shear": "0.5"}),
)


_ACTIVATIONS = (
    Preset("spread-1", "spread 1: the usual pre-activations",
           "z ~ N(0, 1): tanh's typical derivative is already well below its peak of 1.",
           {"spread": 1.0, "points": "0,1,2,5", "leaky_slope": 0.01}),
    Preset("near-linear", "spread 0.1: nearly linear",
           "Small pre-activations: every curve is almost straight near 0, so the typical "
           "derivative is close to f'(0) (1 for tanh, 0.25 for sigmoid).",
           {"spread": 0.1, "points": "0,0.1,0.2", "leaky_slope": 0.01}),
    Preset("saturated", "spread 3: saturation",
           "Wide pre-activations: tanh and sigmoid spend most of their time flat, and the "
           "typical derivative collapses; ReLU still passes half.",
           {"spread": 3.0, "points": "0,1,2,5", "leaky_slope": 0.01}),
    Preset("silu-asymmetry", "SiLU: not symmetric",
           "SiLU's derivative at -1 and at 1 differ, and it goes slightly above 1.",
           {"spread": 1.0, "points": "-1,0,1", "leaky_slope": 0.01}),
    Preset("leaky-0.2", "leaky slope 0.2",
           "The dead half of ReLU partly comes back: below 0 the derivative is 0.2, not 0.",
           {"spread": 1.0, "points": "-1,0,1", "leaky_slope": 0.2}),
)


def presets_for(topic: str) -> tuple[Preset, ...]:
    """The presets of a topic, in the order ``p`` cycles them."""
    own = {"jacobian": _JACOBIAN, "bound": _BOUND, "exploding": _EXPLODING,
           "spectrum": _SPECTRUM}
    if topic in own:
        return own[topic]
    if topic == "activations":
        return _ACTIVATIONS
    if topic == "longrange":
        from .longrange import EXAMPLES

        return tuple(Preset(e.name, f"{e.name}: {e.title}", e.note,
                            {"text": " ".join(e.text.split()), "key": e.key})
                     for e in EXAMPLES.values())
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

"""Named starting points: one ``Preset`` type and one table of them per topic.

A preset is a set of values for a topic's settings, taken from the experiments the
source articles suggest trying, with a note on what to look for. Its name is the one
name everywhere: ``vgtui flow --preset NAME``, ``vgtui train --preset NAME``, the
command palette and each screen's picker. Values are written as a user would type
them or pass them to the flag, and go through the topic's own field parsers, over
the topic's defaults: a preset can never hold a value the flags would refuse.

The table is keyed by topic id (vgtui/topics.py). The Long-range screen's presets are
its example sentences, read from the long-range engine.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Callable, Mapping

from .config import FIELD_SPECS, CompareConfig, RNNConfig, parse_field
from .errors import ConfigError
from .experiment_config import ExperimentConfig, parse_experiment_field
from .longrange import EXAMPLES


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


def _p(name: str, title: str, note: str, **values: Any) -> Preset:
    return Preset(name, title, note, values)


# The Forget gate screen starts from these settings; its presets hold them too, so a
# preset reads the same applied over these or over RNNConfig's own defaults. The bias
# of 4 puts the untrained forget gate at sigmoid(4) = 0.982, the toy's 0.98: the state
# in which the LSTM's cell path carries the gradient while the vanilla RNN beside it
# loses it, which is what the screen is about.
FORGET_BASE = {"forget_bias": 4.0, "steps": 100, "hidden": 32}


def _forget(name: str, title: str, note: str, **values: Any) -> Preset:
    return Preset(name, title, note, {**FORGET_BASE, **values})

PRESETS: dict[str, tuple[Preset, ...]] = {
    # Gradient Flow and ``vgtui flow --preset``: changes to the default RNNConfig.
    "flow": (
        _p("default", "default: tanh, scale 1.0",
           "A plain tanh RNN at the usual N(0, 1/n) initialisation."),
        _p("sigmoid-20", "sigmoid 1.0, T=20",
           "sigmoid' is at most 0.25, so each step back can keep at most a quarter "
           "of the gradient unless ||W_hh|| is above 4.",
           activation="sigmoid", scale=1.0, steps=20),
        _p("tanh-1.2", "tanh 1.2",
           "Spectral radius above 1: the linear part stretches, saturation of tanh "
           "pulls back. Which one wins here is measured, not assumed.",
           activation="tanh", scale=1.2, steps=50),
        _p("tanh-1.0", "tanh 1.0",
           "The nearest a vanilla tanh RNN comes to stable; nudge the scale by "
           "0.05 either way and watch the horizon move.",
           activation="tanh", scale=1.0, steps=50),
        _p("four-unit", "4 units, radius ~0.5",
           "A small tanh network with spectral radius near 0.5 and tiny inputs "
           "(0.05), so tanh stays nearly linear: the gradient shrinks by roughly the "
           "spectral radius per step.",
           activation="tanh", init="identity", scale=0.5, init_noise=0.05, hidden=4,
           input_size=2, input_scale=0.05, steps=20),
        _p("orthogonal-relu", "relu, orthogonal 1.0",
           "Orthogonal W_hh keeps every eigenvalue on the unit circle; relu' is 0 or 1, "
           "so what is lost is lost to dead units.",
           activation="relu", init="orthogonal", scale=1.0, steps=100),
        _p("log-space", "linear, T=10,000",
           "Linear and orthogonal: the gradient shrinks by exactly 0.5 per step, to "
           "about 1e-3009.5 at step 1, far below float range, shown exactly.",
           activation="identity", init="orthogonal", scale=0.5, hidden=10, steps=10_000),
    ),
    # Forget gate: FORGET_BASE and the preset's changes to it.
    "forget": (
        _forget("bias-4", "bias 4: the cell path carries it",
           "The forget gate starts near sigmoid(4) = 0.98, the toy's gate: over 100 steps "
           "the LSTM's gradient stays within a few decades (■ near-stable) while the "
           "vanilla RNN's vanishes.", forget_bias=4.0),
        _forget("bias-0", "bias 0 (no head start)",
           "The forget gate starts at sigmoid(0) = 0.5: the cell keeps about half of "
           "itself per step.", forget_bias=0.0),
        _forget("bias-1", "bias 1: still vanishing",
           "The usual advice, a forget bias of 1, starts the gate near sigmoid(1) = 0.73, "
           "and 0.73 per step still vanishes over 100 steps (▼). Honest, and worth "
           "knowing: the advice helps training get started; on its own, in an untrained "
           "LSTM, it does not carry a gradient across 100 steps.",
           forget_bias=1.0),
        _forget("bias-3", "bias 3 (f near 0.95)",
           "The gate starts near 0.95, so the cell path keeps most of the gradient.",
           forget_bias=3.0),
        _forget("long", "T = 1000, bias 1",
           "A thousand steps: where the cell path and the vanilla RNN part ways.",
           forget_bias=1.0, steps=1000),
        _forget("deep", "3 layers, bias 1",
           "Three stacked layers: every layer's own gradient, one below the other.",
           forget_bias=1.0, layers=3),
    ),
    # Architectures and ``vgtui compare``: changes to the default CompareConfig.
    "architectures": (
        _p("default", "default (T = 100)", "Six architectures on one sequence of 100 steps."),
        _p("long", "T = 1000: the distance grows",
           "A thousand steps: the recurrences fall behind attention's single hop.",
           steps=1000),
        _p("radius-0.99", "radius 0.99 over T = 1000",
           "A linear recurrence just inside the unit circle: 0.99^1000 is about 4e-5.",
           steps=1000, radius=0.99),
        _p("radius-1.01", "radius 1.01: a linear recurrence explodes",
           "Just outside the unit circle: 1.01^300 is about 20 and keeps growing.",
           steps=300, radius=1.01),
        _p("scale-0.5", "weight scale 0.5: contracting recurrences",
           "Half the usual weight scale: every nonlinear recurrence contracts.", scale=0.5),
        _p("bias-3", "forget bias 3: gated cells keep more",
           "The LSTM forget gate (the GRU update gate) starts near 0.95.", forget_bias=3.0),
    ),
    # Experiments and ``vgtui train --preset``: changes to the default ExperimentConfig.
    "experiments": (
        _p("default", "latch, SGD, T = 5..100, one seed (under a minute)",
           "The 1990s set-up: SGD with momentum 0.9, lr 0.1, 300 updates of 32 fresh "
           "examples, 16 units, noise 0.2 after the symbol, one seed. Chosen so that a "
           "vanilla RNN learns at T = 5 and 10 and stays at chance from T = 20, while the "
           "LSTM and GRU (torch's initialisation) already fail at T = 10."),
        _p("adam-clip", "latch, Adam + clipping at 1",
           "Same task with Adam (lr 0.01) and the gradient norm clipped at 1. Adam's step "
           "does not shrink with the gradient, which changes what a vanilla RNN can reach.",
           optimizer="adam", clip=1.0),
        _p("forget-bias", "LSTM with forget bias 0 vs 3 (SGD)",
           "torch starts the LSTM forget gate near sigmoid(0) = 0.5. Run this, then set the "
           "forget bias to 0 and compare.",
           archs="lstm", forget_bias=3.0, lengths="5,10,20,50,100"),
        _p("truncated", "truncated BPTT, k = 8",
           "Backpropagate only 8 steps back from T: lengths up to 8 can be learned, longer "
           "ones cannot, because the gradient beyond k is exactly zero.",
           archs="rnn,gru", lengths="5,8,10,20", truncate=8, seeds=2),
        _p("article-first", "remember the first input, Adam, no noise (the Bengio walkthrough's test)",
           "Close to the code of the Bengio et al. (1994) walkthrough: a 32-unit tanh RNN, Adam lr 0.01, 500 updates of "
           "100 examples, inputs zero after step 1. The article prints final losses of "
           "0.02, 0.15, 0.85, 1.00 and 1.00 for T = 5, 10, 20, 50, 100; here they are "
           "measured (on fresh and held-out data, not one fixed set of 100).",
           task="first", archs="rnn", optimizer="adam", hidden=32, batch=100,
           train_steps=500, noise=0.0, seeds=2),
        _p("adding", "adding problem, Adam + clipping",
           "Two marked values among T uniform ones; the baseline (always guess 1) has mean "
           "squared error 1/6.",
           task="adding", optimizer="adam", clip=1.0, lengths="5,10,20,50", seeds=2,
           train_steps=400),
        _p("quick", "quick check (seconds)",
           "Two lengths, two cells, one seed, 40 updates: enough to see the machinery work, "
           "not enough to learn much.",
           lengths="5,20", archs="rnn,lstm", seeds=1, train_steps=40, hidden=8, batch=16,
           eval_size=64),
        _p("full", "the same study over three seeds (about two minutes)",
           "The default set-up repeated for seeds 0, 1 and 2: each verdict becomes a count "
           "out of three (f on the Experiments screen loads and runs it).", seeds=3),
    ),
    # Scalar chain: the weight w, the length T (``vgtui trace --steps``) and h_0.
    "chain": (
        _p("article", "w = 0.5, T = 10, h0 = 0.1 (the article's trace)",
           "Small h keeps tanh almost linear: every local derivative is close to w, so "
           "dh_t/dh_0 follows w^t and halves at every step.",
           weight=0.5, trace_steps=10, h0=0.1),
        _p("slow", "w = 0.9, T = 50",
           "A factor just under one still compounds: compare dh_t/dh_0 at t = 10 and "
           "t = 50.", weight=0.9, trace_steps=50, h0=0.1),
        _p("edge", "w = 1.0, T = 1000 (the edge)",
           "w^t stays exactly 1, yet dh_t/dh_0 still drifts down: every local "
           "derivative 1 - h_t^2 is a little below one.", weight=1.0, trace_steps=1000, h0=0.1),
        _p("saturating", "w = 1.1, T = 100",
           "w^t grows without bound, but h_t settles where tanh is bent, the local "
           "derivative sits below one, and dh_t/dh_0 vanishes instead.",
           weight=1.1, trace_steps=100, h0=0.1),
        _p("large", "w = 1.5, T = 50",
           "The linear guess w^t explodes; the true derivative vanishes. Linear "
           "intuition fails once tanh saturates.", weight=1.5, trace_steps=50, h0=0.1),
        _p("negative", "w = -0.8, T = 20",
           "A negative weight flips the sign of h_t and of the derivative at every "
           "step; the magnitude still shrinks like 0.8^t.", weight=-0.8, trace_steps=20, h0=0.1),
    ),
    # Decay tables: the factors and lengths of the closed-form table (``vgtui decay
    # --factors F --steps L``).
    "decay": (
        _p("default", "factors 0.5 to 2.0 over 5 to 100 steps",
           "The usual grid: three factors below one, one at the edge, three above.",
           factors="0.5,0.7,0.9,1,1.1,1.5,2", lengths="5,10,20,50,100"),
        _p("w20", "w^20 for w from 0.5 to 2.0 (Chapter 16)",
           "The scalar intuition table: one sentence of 20 words.",
           factors="0.5,0.7,0.9,1,1.1,1.5,2", lengths="20"),
        _p("slow", "0.9 over 10, 50, 100 steps (textbook section)",
           "Even mild contraction becomes severe over long sequences.",
           factors="0.9", lengths="10,50,100"),
        _p("seven-tenths", "0.7 per step (Bengio walkthrough)",
           "A typical per-step factor; 13 is the subject-verb gap of the cats sentence.",
           factors="0.7", lengths="10,13,20,50,100"),
        _p("product", "eigenvalue x derivative (RNN lesson)",
           "An eigenvalue of 0.9 times a tanh derivative of 0.5 per step, and an "
           "eigenvalue of 1.1 alone.", factors="0.9*0.5,1.1", lengths="10,20,50,100"),
        _p("derivatives", "typical derivatives over 20 steps (Bengio walkthrough, Chapter 16)",
           "sigmoid's maximum 0.25, sigmoid'(1) and tanh'(1) rounded, and 0.5.",
           factors="0.25,0.2,0.42,0.5", lengths="20"),
        _p("forget", "RNN 0.7 against a forget gate at 0.98 (Bengio walkthrough)",
           "The additive cell path of an LSTM keeps a factor near one.",
           factors="0.7,0.98", lengths="10,50,100"),
        _p("long", "0.5 and 2.0 over 5000 steps (log space)",
           "Far outside float range, still exact: the engine keeps log10.",
           factors="0.5,2", lengths="1000,5000"),
    ),
}

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
           "nothing can survive unless ||W_hh||_2 > 4 (Pascanu, Mikolov & Bengio 2013).",
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
           "The 4-unit network of Chapter 16 with its 0.5 changed to 1.5, as that chapter "
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


PRESETS.update({"jacobian": _JACOBIAN, "bound": _BOUND, "exploding": _EXPLODING,
                "spectrum": _SPECTRUM, "activations": _ACTIVATIONS})


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

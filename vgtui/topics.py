"""The one registry: every topic of vgtui, with its screen, lookups and presets.

A topic is one concept (gradient flow, the Jacobian, the forget gate...). The app builds
its modes, number keys, screen list and palette entries from this list; the command
line builds its subcommands from the lookups named here and gives every lookup of a
topic with presets a ``--preset`` flag. Adding a screen means one entry here and one
module in ``vgtui/screens/``; adding a lookup, one name here and one module in
``vgtui/cli/``.

Nothing here imports textual, torch or numpy: the app's first screen and the quick
lookups import this module, and a screen's module is imported only when it is opened.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Callable

from .engine.presets import presets_for


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    key: str  # the number key that opens it ("" for none)
    screen: str  # "module:Class" of its screen
    summary: str
    lookups: tuple[str, ...] = ()  # modules of vgtui.cli that print its figures

    def load(self) -> type:
        module, cls = self.screen.split(":")
        return getattr(import_module(module), cls)

    def factory(self) -> Callable[[], object]:
        return lambda: self.load()()

    @property
    def presets(self) -> tuple:
        """Its named starting points (engine Presets), in the order ``p`` cycles them."""

        return presets_for(self.id)


TOPICS: tuple[Topic, ...] = (
    Topic("longrange", "Long-range dependency", "1", "vgtui.screens.longrange:LongRangeScreen",
          "a sentence whose last word hinges on a distant one: the share of gradient "
          "reaching each token (closed form, RNN or LSTM) and its collapse as the gap grows",
          ("longrange",)),
    Topic("flow", "Gradient Flow", "2", "vgtui.screens.flow:FlowScreen",
          "gradient norm per step back through a vanilla RNN, forward saturation, "
          "spectral radius and norm, horizon and verdict", ("flow",)),
    Topic("chain", "Scalar chain", "3", "vgtui.screens.chain:ChainScreen",
          "h_t = tanh(w h_(t-1)) step by step: local derivative, dh_t/dh_0 against w^t; "
          "gamma^T and steps to lose 90% / 99.9% / 99.9999%", ("trace",)),
    Topic("decay", "Decay tables", "4", "vgtui.screens.decay:DecayScreen",
          "factor^T for lists of factors and lengths, and the measured table of real "
          "RNNs (scales x activations) beside the eigenvalue x derivative shortcut", ("decay",)),
    Topic("activations", "Activations", "5", "vgtui.screens.activations:ActivationsScreen",
          "f and f' of tanh, sigmoid, ReLU, leaky ReLU, identity and SiLU; max and "
          "typical derivative for z ~ N(0, s^2); steps to shrink a gradient by 1e-6",
          ("activations",)),
    Topic("jacobian", "Jacobian", "6", "vgtui.screens.jacobian:JacobianScreen",
          "the product dh_T/dh_t: its norm, singular values, surviving directions and "
          "alignment; the two-unit worked example checked", ("jacobian",)),
    Topic("spectrum", "Spectrum & init", "7", "vgtui.screens.spectrum:SpectrumScreen",
          "eigenvalues of W_hh for gaussian, orthogonal, identity, Xavier and torch inits; "
          "radius vs norm; a non-normal example; ||W^k v||", ("spectrum",)),
    Topic("bound", "Pascanu et al. (2013) bound", "8", "vgtui.screens.bound:BoundScreen",
          "measured ||dh_T/dh_t|| against Pascanu, Mikolov & Bengio's (2013) bound "
          "(max|f'| ||W||)^(T-t); sigmoid needs ||W|| > 4; the catch-22 sweep (Bengio, Simard "
          "& Frasconi 1994)", ("bound",)),
    Topic("exploding", "Exploding & clipping", "9", "vgtui.screens.exploding:ExplodingScreen",
          "growing gradients, the Lyapunov exponent and the edge of chaos, clipping by "
          "norm, vanishing vs exploding symptoms", ("lyapunov", "clip")),
    Topic("forget", "Forget gate", "0", "vgtui.screens.forget:ForgetScreen",
          "0.7 per step against a 0.98 forget gate, then RNN, LSTM and GRU on the same "
          "inputs; forget bias; the total cell gradient against the cell-only path and the "
          "product of forget gates"),
    Topic("architectures", "Architectures", "", "vgtui.screens.architectures:ArchitecturesScreen",
          "gradient at every input position: RNN, LSTM, GRU, residual, self-attention, "
          "diagonal linear recurrence; how each carries it", ("compare",)),
    Topic("experiments", "Experiments", "", "vgtui.screens.experiments:ExperimentsScreen",
          "train RNN / LSTM / GRU on long-range tasks: verdicts against the baseline, "
          "step-1 gradients, truncated BPTT", ("train",)),
    Topic("history", "History & remedies", "", "vgtui.screens.history:HistoryScreen",
          "timeline from backpropagation to state-space models; the remedies, what each "
          "fixes and cannot; parameter sharing and capacity 2^n vs learnability",
          ("capacity",)),
    Topic("quiz", "Quiz", "", "vgtui.screens.quiz:QuizScreen",
          "questions with explanations; several ask you to predict a number the engine "
          "then computes"),
    Topic("watch", "Watch training", "", "vgtui.screens.watch:WatchScreen",
          "follow the logs vgtui.Probe writes while your own model trains: gradient per "
          "timestep x training step as a heatmap, horizon and factor over training, alerts",
          ("watch",)),
    Topic("claims", "Claims", "", "vgtui.screens.claims:ClaimsScreen",
          "every number the articles state beside the value computed now: holds, holds "
          "approximately or does not hold, with the difference and the screen that shows it",
          ("claims",)),
)


def topic_ids() -> list[str]:
    return [t.id for t in TOPICS]


def topic(name: str) -> Topic:
    """The topic with this id, or with this number key ("7" is Spectrum & init)."""
    for t in TOPICS:
        if name in (t.id, t.key) and name:
            return t
    raise KeyError(name)


def title_and_key(topic_id: str) -> tuple[str, str]:
    """(title, number key) of a topic; an id not in the registry is shown as it is."""
    try:
        found = topic(topic_id)
    except KeyError:
        return topic_id, ""
    return found.title, found.key


def lookup_names() -> list[str]:
    """Every CLI lookup, in topic order."""
    return [name for t in TOPICS for name in t.lookups]


def topic_of_lookup(name: str) -> Topic:
    for t in TOPICS:
        if name in t.lookups:
            return t
    raise KeyError(name)

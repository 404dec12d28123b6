"""The one list of screens: id, title, key, where the class lives, what it covers.

The app builds its modes, number keys and palette entries from this list, and
imports a screen's module only when the screen is first opened, so start-up
stays fast and no screen ever imports another.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Callable


@dataclass(frozen=True)
class ScreenEntry:
    id: str
    title: str
    key: str
    module: str
    cls: str
    summary: str

    def load(self) -> type:
        return getattr(import_module(self.module), self.cls)

    def factory(self) -> Callable[[], object]:
        return lambda: self.load()()


SCREENS: tuple[ScreenEntry, ...] = (
    ScreenEntry("longrange", "Long-range dependency", "1", "vgtui.screens.longrange",
                "LongRangeScreen",
                "a sentence whose last word hinges on a distant one: the share of gradient "
                "reaching each token (closed form, RNN or LSTM) and its collapse as the gap grows"),
    ScreenEntry("flow", "Gradient Flow", "2", "vgtui.screens.flow", "FlowScreen",
                "gradient norm per step back through a vanilla RNN, forward saturation, "
                "spectral radius and norm, horizon and verdict"),
    ScreenEntry("chain", "Scalar chain", "3", "vgtui.screens.chain", "ChainScreen",
                "h_t = tanh(w h_(t-1)) step by step: local derivative, dh_t/dh_0 against w^t; "
                "gamma^T and steps to lose 90% / 99.9% / 99.9999%"),
    ScreenEntry("decay", "Decay tables", "4", "vgtui.screens.decay", "DecayScreen",
                "factor^T for lists of factors and lengths, and the measured table of real "
                "RNNs (scales x activations) beside the eigenvalue x derivative shortcut"),
    ScreenEntry("activations", "Activations", "5", "vgtui.screens.activations",
                "ActivationsScreen",
                "f and f' of tanh, sigmoid, ReLU, leaky ReLU, identity and SiLU; max and "
                "typical derivative for z ~ N(0, s^2); steps to shrink a gradient by 1e-6"),
    ScreenEntry("jacobian", "Jacobian", "6", "vgtui.screens.jacobian", "JacobianScreen",
                "the product dh_T/dh_t: its norm, singular values, surviving directions and "
                "alignment; the two-unit worked example checked"),
    ScreenEntry("spectrum", "Spectrum & init", "7", "vgtui.screens.spectrum", "SpectrumScreen",
                "eigenvalues of W_hh for gaussian, orthogonal, identity, Xavier and torch inits; "
                "radius vs norm; a non-normal example; ||W^k v||"),
    ScreenEntry("bound", "Bengio bound", "8", "vgtui.screens.bound", "BoundScreen",
                "measured ||dh_T/dh_t|| against (max|f'| ||W||)^(T-t); sigmoid needs ||W|| > 4; "
                "the catch-22 sweep"),
    ScreenEntry("exploding", "Exploding & clipping", "9", "vgtui.screens.exploding",
                "ExplodingScreen",
                "growing gradients, the Lyapunov exponent and the edge of chaos, clipping by "
                "norm, vanishing vs exploding symptoms"),
    ScreenEntry("forget", "Forget gate", "0", "vgtui.screens.forget", "ForgetScreen",
                "0.7 per step against a 0.98 forget gate, then RNN, LSTM and GRU on the same "
                "inputs; forget bias; cell path = product of forget gates"),
    ScreenEntry("architectures", "Architectures", "", "vgtui.screens.architectures",
                "ArchitecturesScreen",
                "gradient at every input position: RNN, LSTM, GRU, residual, self-attention, "
                "diagonal linear recurrence; how each carries it"),
    ScreenEntry("experiments", "Experiments", "", "vgtui.screens.experiments",
                "ExperimentsScreen",
                "train RNN / LSTM / GRU on long-range tasks: verdicts against the baseline, "
                "step-1 gradients, truncated BPTT"),
    ScreenEntry("history", "History & remedies", "", "vgtui.screens.history", "HistoryScreen",
                "timeline from backpropagation to state-space models; the remedies, what each "
                "fixes and cannot; parameter sharing and capacity 2^n vs learnability"),
    ScreenEntry("quiz", "Quiz", "", "vgtui.screens.quiz", "QuizScreen",
                "questions with explanations; several ask you to predict a number the engine "
                "then computes"),
    ScreenEntry("claims", "Claims", "", "vgtui.screens.claims", "ClaimsScreen",
                "every number the articles state beside the value computed now: holds, holds "
                "approximately or does not hold, with the difference and the screen that shows it"),
    ScreenEntry("watch", "Watch training", "", "vgtui.screens.watch", "WatchScreen",
                "follow the logs vgtui.Probe writes while your own model trains: gradient per "
                "timestep x training step as a heatmap, horizon and factor over training, alerts"),
)


def screen_ids() -> list[str]:
    return [s.id for s in SCREENS]


def entry(screen_id: str) -> ScreenEntry:
    for s in SCREENS:
        if s.id == screen_id:
            return s
    raise KeyError(screen_id)

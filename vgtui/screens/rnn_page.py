"""RNNPage: a ConfigPage whose fields are the vanilla RNN's settings plus a few extras.

Shared by the Jacobian, bound, Exploding and Spectrum screens (a base class, not a
screen). The configuration is an ``RNNSettings``: the RNNConfig the settings describe
and the screen's extra inputs (a matrix, sweep scales, a clipping threshold...), each
parsed by the engine parser its PanelField names.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Mapping

from ..engine.config import RNNConfig
from ..engine.extras import EXTRA_SPECS, TEXT_EXTRAS, parse_extra
from ..widgets.controls import PanelField
from .config_page import PRESETS_HERE, ConfigPage, Job, Nudge, Section

RNN_FIELDS = ("activation", "init", "scale", "init_noise", "hidden", "steps", "input_size",
              "input_scale", "seed", "leaky_slope", "device", "dtype")

SCALE_NUDGES = (
    Nudge("+,=", "scale", step=0.05, label="scale+", group="scale",
          tooltip="Raise the weight scale by 0.05"),
    Nudge("-,_", "scale", step=-0.05, label="scale-", group="scale",
          tooltip="Lower the weight scale by 0.05"),
)


def extra_field(name: str, label: str, tip: str = "") -> PanelField:
    """A field for one of the RNN screens' own inputs (engine/extras.py parses it)."""
    spec = EXTRA_SPECS.get(name)
    if spec is None:  # a matrix or a scale list: kept as typed
        return PanelField(name, label, partial(parse_extra, name), tip or TEXT_EXTRAS[name])
    return PanelField(name, label, partial(parse_extra, name),
                      tip or f"{spec.help}: {spec.describe_range()}", low=spec.low,
                      high=spec.high, whole=spec.kind is int)


@dataclass(frozen=True)
class RNNSettings:
    """What an RNNPage computes from: the network and the screen's extra inputs."""

    rnn: RNNConfig
    extra: tuple[tuple[str, Any], ...] = ()

    def __getitem__(self, name: str) -> Any:
        return dict(self.extra)[name]


class RNNPage(ConfigPage):
    FIELDS: ClassVar[tuple[str | PanelField, ...]] = RNN_FIELDS
    EXTRAS: ClassVar[tuple[PanelField, ...]] = ()
    EXTRAS_TITLE: ClassVar[str] = "inputs"
    EXTRA_DEFAULTS: ClassVar[dict[str, str]] = {}  # field text when no preset sets it
    NUDGES = SCALE_NUDGES

    def __init_subclass__(cls, **kwargs) -> None:
        if "CONTROLS" not in cls.__dict__:
            sections: list = [PRESETS_HERE]
            if cls.EXTRAS:
                sections.append(Section(cls.EXTRAS_TITLE, tuple(cls.EXTRAS), "extras"))
            sections.append(Section("settings", tuple(cls.FIELDS)))
            cls.CONTROLS = tuple(sections)
        if "NUDGES" not in cls.__dict__:
            cls.NUDGES = SCALE_NUDGES
        super().__init_subclass__(**kwargs)

    def default_values(self) -> dict[str, Any]:
        return {**RNNConfig().to_dict(), **self.EXTRA_DEFAULTS}

    def make_config(self, values: Mapping[str, Any]) -> RNNSettings:
        rnn_names = set(RNNConfig().to_dict())
        rnn = RNNConfig(**{**RNNConfig().to_dict(),
                           **{k: v for k, v in values.items() if k in rnn_names}})
        extra = tuple((e.name, values[e.name]) for e in self.EXTRAS if e.name in values)
        return RNNSettings(rnn, extra)

    def working_label(self, settings: RNNSettings) -> str:
        return f"computing T={settings.rnn.steps}, n={settings.rnn.hidden}"

    def compute(self, settings: RNNSettings, job: Job) -> Any:
        return self.compute_rnn(settings.rnn, dict(settings.extra), job)

    def compute_rnn(self, config: RNNConfig, extras: dict[str, Any], job: Job) -> Any:
        """The engine call for this network and these extras (every subclass defines it)."""
        raise NotImplementedError(f"{type(self).__name__} defines no compute_rnn()")

    @property
    def extras(self) -> dict[str, Any]:
        return dict(self.config.extra)


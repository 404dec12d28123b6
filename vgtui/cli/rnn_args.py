"""Flags shared by the lookups that run the vanilla RNN (jacobian, bound, lyapunov,
clip): every RNNConfig setting, validated by the engine's own field rules."""
from __future__ import annotations

import argparse
from typing import Any

from ..engine.config import RNNConfig
from .common import add_field

RNN_FIELDS = ["activation", "init", "scale", "init_noise", "hidden", "steps", "input_size",
              "input_scale", "seed", "leaky_slope", "device", "dtype"]


def add_rnn_fields(parser: argparse.ArgumentParser, skip: tuple[str, ...] = ()) -> None:
    for name in RNN_FIELDS:
        if name not in skip:
            add_field(parser, name)


def given_fields(args, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {name: getattr(args, name) for name in RNN_FIELDS
            if name not in skip and getattr(args, name, None) is not None}


def config_from(args, defaults: dict[str, Any] | None = None,
                skip: tuple[str, ...] = ()) -> RNNConfig:
    base = {**RNNConfig().to_dict(), **(defaults or {})}
    return RNNConfig(**{**base, **given_fields(args, skip)})


def positive_int(low: int, high: int):
    def convert(text: str) -> int:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {low} to {high} (got {text[:20]!r})") from None
        if not value.is_integer() or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {low} to {high} (got {text[:20]!r})")
        return int(value)

    convert.__name__ = "count"
    return convert


def number(low: float, high: float):
    def convert(text: str) -> float:
        import math

        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be a number from {low:g} to {high:g} (got {text[:20]!r})") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must be a number from {low:g} to {high:g} (got {text[:20]!r})")
        return value

    convert.__name__ = "number"
    return convert


def cli_flags(config: RNNConfig, always: tuple[str, ...] = ("activation", "scale", "steps"),
              skip: tuple[str, ...] = ()) -> list[str]:
    """Flags that rebuild ``config``: the ones that differ from the defaults, plus
    ``always``."""
    d = RNNConfig()
    parts = []
    for name in RNN_FIELDS:
        if name in skip:
            continue
        value = getattr(config, name)
        if value != getattr(d, name) or name in always:
            parts.append(f"--{name.replace('_', '-')} {value}")
    return parts

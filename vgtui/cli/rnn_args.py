"""Flags shared by the lookups that run the vanilla RNN (jacobian, bound, lyapunov,
clip): every RNNConfig setting, validated by the engine's own field rules."""
from __future__ import annotations

import argparse
from typing import Any

from ..engine.config import RNNConfig, RNN_FLAG_FIELDS
from .common import add_field, real, whole


def add_rnn_fields(parser: argparse.ArgumentParser, skip: tuple[str, ...] = (),
                   limits: dict[str, int] | None = None) -> None:
    """Every RNNConfig flag; ``limits`` lowers a flag's upper bound for this lookup."""
    for name in RNN_FLAG_FIELDS:
        if name not in skip:
            add_field(parser, name, high=(limits or {}).get(name))


def given_fields(args, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {name: getattr(args, name) for name in RNN_FLAG_FIELDS
            if name not in skip and getattr(args, name, None) is not None}


def config_from(args, defaults: dict[str, Any] | None = None,
                skip: tuple[str, ...] = ()) -> RNNConfig:
    base = {**RNNConfig().to_dict(), **(defaults or {})}
    return RNNConfig(**{**base, **given_fields(args, skip)})


def positive_int(low: int, high: int):
    return whole(low, high)


def number(low: float, high: float):
    return real(low, high)

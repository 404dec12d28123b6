"""The inputs the RNN screens take beside the network's own settings.

The Jacobian screen's two-unit example (a matrix, a constant derivative, how many
powers), the bound's catch-22 sweep (scales, sequences), Exploding's clipping threshold
and Lyapunov scales, and Spectrum's powers, shear and training steps. Each is parsed
here, once, for the screens' fields, the presets and the lookups' flags alike.

A matrix and a scale list are kept as the text a person typed (the command line shows
it back as typed); parsing only checks them.
"""
from __future__ import annotations

from typing import Any

from .clipping import TAU_RANGE
from .config import FieldSpec, parse_value
from .jacobian import MATRIX_MAX_STEPS, parse_matrix
from .lists import parse_scale_sweep
from .spectrum import POWER_MAX_STEPS, TRAIN_MAX_STEPS

EXTRA_SPECS: dict[str, FieldSpec] = {s.name: s for s in (
    FieldSpec("derivative", float, "f' (constant)",
              "constant activation derivative of the two-unit example: J = f' x W", 0.0, 10.0),
    FieldSpec("powers", int, "powers n", "compute ||J^n|| for n = 1..N", 1, MATRIX_MAX_STEPS),
    FieldSpec("sequences", int, "sequences K", "input sequences per scale in the sweep", 1, 256),
    FieldSpec("tau", float, "clip tau", "clip the gradient norm at tau", *TAU_RANGE),
    FieldSpec("power_steps", int, "powers K", "||W^k v|| for k = 0..K", 1, POWER_MAX_STEPS),
    FieldSpec("shear", float, "shear b",
              "superdiagonal of the non-normal example scale x (I + b N)", 0.0, 10.0),
    FieldSpec("train_steps", int, "train steps",
              "Adam steps on the long-range task for each init (0 = off)", 0, TRAIN_MAX_STEPS),
)}

TEXT_EXTRAS = {
    "matrix": "rows split by ';', entries by ','; square, at most 32 x 32",
    "scales": "weight scales: '0.5,1,2' or from:to:count",
}


def parse_extra(name: str, value: Any) -> Any:
    """One extra input from text (or a value); ConfigError names it and its range."""
    if name == "matrix":
        parse_matrix(str(value))
        return str(value).strip()
    if name == "scales":
        parse_scale_sweep(str(value))
        return str(value).strip()
    return parse_value(EXTRA_SPECS[name], value)

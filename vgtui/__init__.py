"""vgtui: a terminal explorer of vanishing and exploding gradients in RNNs.

``vgtui.measure(model, inputs, loss_fn=None)`` and ``vgtui.Probe(model, path)`` measure
your own torch.nn RNN / LSTM / GRU; they are loaded on first use, so ``import vgtui``
imports neither torch nor numpy.
"""

from importlib import import_module

__version__ = "0.1.0"

# Public names loaded on first use (PEP 562), from the module that defines them.
_LAZY = {"measure": "api", "Probe": "api", "MeasureResult": "api"}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

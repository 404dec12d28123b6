"""The Python API for your own model: ``vgtui.measure`` and ``vgtui.Probe``.

``import vgtui`` stays light: this module is imported on first use of those names
(``vgtui/__init__.py``'s ``__getattr__``), and torch only inside the calls.
"""
from __future__ import annotations

from dataclasses import fields
from io import StringIO
from typing import Callable

from .engine.magnitude import format_log10
from .engine.measure import measure_model
from .engine.measure_results import Measurement
from .engine.probe import Probe
from .engine.unrolled import NORMS
from .present.styles import CLI_PALETTE
from .present.watch import chart_lines, measure_summary_rows

__all__ = ["measure", "MeasureResult", "Probe"]


def measure(model, inputs, loss_fn: Callable | None = None, rnn: str | None = None, *,
            lag: bool | None = None, lag_batch: int | None = None,
            dtype: str | None = None) -> "MeasureResult":
    """The gradient of a loss with respect to every hidden state, input position and (LSTM)
    cell state of a torch.nn.RNN / LSTM / GRU, on your own model and data.

    ``model``: an nn.RNN, nn.LSTM or nn.GRU (any num_layers, batch_first either way, with
    or without bias, LSTM projections too), or any nn.Module holding one; ``rnn`` names it
    ("encoder.lstm") when there are several. ``inputs``: whatever ``model(inputs)`` takes
    (tensor or numpy array). ``loss_fn(output) -> scalar`` is applied to what
    ``model(inputs)`` returns; None means the sum of the top layer's last hidden state.

    Measured in float64 with the model's own weights, exactly (see vgtui/engine/measure.py
    for how); norms over a batch are Frobenius norms over batch and units. The model is
    left exactly as it was. ``lag``, ``lag_batch``, ``dtype``: see ``measure_model``
    (vgtui/engine/measure.py). Bad arguments
    raise ``vgtui.engine.VgtuiError`` with one readable line.
    """

    found = measure_model(model, inputs, loss_fn, rnn, lag=lag, lag_batch=lag_batch,
                          dtype=dtype)
    return MeasureResult(**{f.name: getattr(found, f.name) for f in fields(Measurement)})


class MeasureResult(Measurement):
    """A measurement that also draws itself: ``rich.print(result)`` gives a chart and a
    table, Jupyter shows the same as HTML; ``to_dict()`` gives the numbers."""

    def __repr__(self) -> str:
        top = self.top
        return (f"MeasureResult({self.describe()}; loss {self.loss:.6g}; top layer "
                f"dL/dh_1 {_fmt(top.log10_grad_h[0])}, dL/dh_T {_fmt(top.log10_grad_h[-1])}, "
                f"{top.verdict})")

    def _renderables(self, width: int):
        from rich.table import Table  # rich: loaded when first needed
        from rich.text import Text  # rich: loaded when first needed


        out = [Text.assemble(("vgtui.measure ", "bold"), self.describe()),
               Text(f"loss {self.loss:.6g} ({self.loss_name}); norms {NORMS}; "
                    f"{self.dtype} on {self.device}", style="dim")]
        markers = "123456789"
        series = [(f"layer {layer.index} ‖dL/dh_t‖", markers[(layer.index - 1) % 9],
                   _STYLES[(layer.index - 1) % len(_STYLES)], list(layer.log10_grad_h))
                  for layer in self.layers]
        series.append(("‖dL/dx_t‖", "x", "series2", list(self.log10_grad_x)))
        # no app here: the terminal's (or the notebook's) colours, as the CLI prints them
        for line in chart_lines(series, width=min(width, 100), height=10):
            out.append(Text.assemble(*[(text, CLI_PALETTE.style(role)) for text, role in line]))
        table = Table(box=None, header_style="bold", pad_edge=False)
        for name in ("L", "‖dL/dh_1‖", "‖dL/dh_T‖", "factor", "horizon", "verdict", "ρ(W)",
                     "gate mean"):
            table.add_column(name, justify="right" if name != "verdict" else "left",
                             no_wrap=True)
        for row in measure_summary_rows(self):
            table.add_row(*row)
        out.append(table)
        if self.top.log10_lag is not None and len(self.lag_steps) > 1:
            lag = self.top
            out.append(Text(f"lag profile (top layer, {len(self.lag_steps)} loss steps): "
                            f"k=0 {_fmt(lag.log10_lag[0])}, k={self.steps - 1} "
                            f"{_fmt(lag.log10_lag[-1])}, {lag.lag_factor:.4f}/step"))
        elif self.lag_note:
            out.append(Text(self.lag_note, style="dim"))
        return out

    def __rich_console__(self, console, options):
        yield from self._renderables(options.max_width)

    def _repr_html_(self) -> str:
        from rich.console import Console  # rich: loaded when first needed

        console = Console(file=StringIO(), record=True, width=100, color_system="truecolor",
                          force_terminal=True)
        for item in self._renderables(100):
            console.print(item)
        return console.export_html(inline_styles=True,
                                   code_format="<pre style=\"font-family: monospace; "
                                               "line-height: 1.2\">{code}</pre>")


_STYLES = ("series1", "series3", "series6", "series5", "series4")  # roles: present/styles.py


def _fmt(log10_value: float) -> str:

    return format_log10(log10_value)

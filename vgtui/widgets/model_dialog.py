"""The "Open model" dialog: a state_dict path, an optional inputs .npy, the cell.

The files are read in a thread worker (torch.load with weights_only=True, then
every shape checked by the engine). A missing, malformed or mismatched file
keeps the dialog open with the engine's one-line reason under the fields; the
screen behind it keeps its last good result. On success the dialog returns a
``ModelChoice`` holding the loaded weights and inputs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from textual.content import Content
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static
from textual.worker import get_current_worker

from ..engine.errors import VgtuiError
from .overlay import Overlay, on_top


@dataclass(eq=False)  # compared and hashed by identity: each load is a new choice
class ModelChoice:
    """A model read from disk, checked, and ready for the engine."""

    model: object  # engine.models.LoadedModel
    inputs: object | None  # (T, m) float64 array, or None for seeded inputs
    model_path: str
    inputs_path: str | None

    def label(self) -> str:
        inputs = f", inputs {self.inputs_path}" if self.inputs_path else ", seeded inputs"
        return f"{self.model.describe()} from {self.model_path}{inputs}"


def read_model(model_path: str, inputs_path: str, arch: str | None) -> ModelChoice:
    """Load and check both files (raises VgtuiError with a one-line reason)."""

    # numpy and torch load only when a model is opened
    from ..engine.models import load_inputs, load_model

    model_path = os.path.expanduser(model_path.strip())
    inputs_path = os.path.expanduser(inputs_path.strip()) if inputs_path.strip() else ""
    model = load_model(model_path, arch=arch)
    inputs = load_inputs(inputs_path, model.input_size) if inputs_path else None
    return ModelChoice(model, inputs, model_path, inputs_path or None)


class OpenModelDialog(Overlay[ModelChoice | None]):
    DEFAULT_CSS = """
    OpenModelDialog { align: center middle; }
    OpenModelDialog > Vertical { width: 80; max-width: 96%; height: auto; max-height: 96%;
                                 border: round $accent; background: $surface; padding: 0 1; }
    OpenModelDialog .hint { color: $text-muted; height: auto; }
    OpenModelDialog Label { margin-top: 1; color: $text-accent; }
    OpenModelDialog Input, OpenModelDialog Select { width: 1fr; }
    OpenModelDialog #model-error { color: $text-error; height: auto; margin-top: 1; }
    OpenModelDialog #model-state { color: $text-muted; height: auto; }
    OpenModelDialog Horizontal { height: auto; margin-top: 1; }
    OpenModelDialog Button { margin-right: 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel", id="model.cancel",
                        tooltip="Close without loading; the screen keeps what it shows")]

    def __init__(self, title: str = "Open model", model_path: str = "", inputs_path: str = "") -> None:
        super().__init__()
        self.dialog_title = title
        self.initial_model = model_path
        self.initial_inputs = inputs_path

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"[b]{self.dialog_title}[/b]: a state_dict of torch.nn.RNN, LSTM or GRU "
                         "(torch.save(module.state_dict(), path)); any number of layers, one "
                         "direction. Read with weights_only=True.", classes="hint")
            yield Label("model file (.pt), e.g. runs/model.pt")
            yield Input(self.initial_model, id="model-path", compact=True)
            yield Label("inputs (.npy of shape (T, input_size); empty: seeded random inputs)")
            yield Input(self.initial_inputs, id="inputs-path", compact=True)
            yield Label("cell")
            yield Select([("read from the parameter shapes", "auto"), ("RNN", "rnn"),
                          ("LSTM", "lstm"), ("GRU", "gru")], value="auto", allow_blank=False,
                         compact=True, id="model-arch")
            yield Static("", id="model-error")
            yield Static("Enter or Open loads · Tab moves · Esc cancels", id="model-state")
            with Horizontal():
                yield Button("Open", variant="primary", id="model-open", compact=True)
                yield Button("Cancel", id="model-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#model-path", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#model-open")
    def _submit(self) -> None:
        model_path = self.query_one("#model-path", Input).value
        if not model_path.strip():
            self.show_error("model path is empty: type the path of a .pt file")
            return
        inputs_path = self.query_one("#inputs-path", Input).value
        arch = self.query_one("#model-arch", Select).value
        self.query_one("#model-state", Static).update("reading...")
        self._load(model_path, inputs_path, None if arch == "auto" else arch)

    @on(Button.Pressed, "#model-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="open-model", exit_on_error=False)
    def _load(self, model_path: str, inputs_path: str, arch: str | None) -> None:
        worker = get_current_worker()
        try:
            choice = read_model(model_path, inputs_path, arch)
        except VgtuiError as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self.show_error, str(exc), exc.field)
            return
        except Exception as exc:  # anything else still gets one readable line
            if not worker.is_cancelled:
                self.app.call_from_thread(self.show_error, f"{type(exc).__name__}: {exc}")
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self.dismiss, choice)

    def show_error(self, message: str, field: str | None = "model") -> None:
        """Say what is wrong under the fields and put the cursor where to fix it."""
        if not on_top(self):
            return  # closed (or its screen left) while the file was being read
        # paths and file contents are the user's: plain text, never read as markup
        self.query_one("#model-error", Static).update(Content(f"✗ {message}"))
        self.query_one("#model-state", Static).update("fix it and press Enter again · Esc cancels")
        target = {"inputs": "#inputs-path", "arch": "#model-arch"}.get(field or "", "#model-path")
        self.query_one(target).focus()

"""Long-range dependency: the opening screen.

A sentence whose last word depends on a word far back, split into tokens; each
token shows how much of the last token's gradient reaches it, from a per-step
factor (closed form), a vanilla RNN or an LSTM. Filler tokens inserted after
the key word lengthen the gap; a sweep table shows the key word's share
collapsing as the gap grows.
"""
from __future__ import annotations

from functools import partial

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Input, Label, Select, Static

from ..engine.errors import ConfigError
from ..engine.longrange import (EXAMPLES, LR_SPECS, LongRangeConfig, MODELS, MODEL_TITLES,
                                example_config, parse_gaps, parse_lr_field, parse_text,
                                run_longrange, tokenize)
from ..engine.magnitude import format_log10
from ..present.longrange import glyph_legend, percent_text, signal_bar, summary_lines, token_glyph
from ..present.rows import shown_steps
from ..widgets.controls import ControlPanel
from ..widgets.entry import ParseValidator
from ..widgets.token_strip import TokenStrip
from .base import PageScreen, Requests, next_name

PANEL_FIELDS = ["activation", "init", "scale", "hidden", "input_size", "seed"]
LSTM_HIDDEN = ("activation", "init")  # settings an LSTM does not use
FILLER_STEPS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
TOKEN_ROWS = 80

HELP = """\
**What it shows.** A sentence whose last word depends on a word far back (the *key word*,
marked ◆). A model reads the sentence one token at a time; the loss is read at the last
token (●), `L = sum(h_T)`. Under each token: how much of the gradient that the last token
receives reaches that token, `||dL/dx_t|| / ||dL/dx_T||`. Learning that the last word
depends on the key word needs exactly this signal to arrive at the key word.

**Three sources for the numbers.**
- *per-step factor (closed form)*: each step back multiplies the gradient by one factor
  gamma, so a token k steps before the end gets gamma^k. No network at all.
- *vanilla RNN (engine)*: `h_t = f(W_hh h_(t-1) + W_xh x_t)` from the Gradient Flow engine;
  every word gets a fixed random embedding (the same word, the same vector).
- *LSTM (engine)*: torch.nn.LSTM's equations and initialisation, its backward pass kept in
  log space so tiny shares stay exact. *forget bias* is added to the forget gate: raise it
  and the cell state keeps more of the gradient.

**How to read it.**
- Glyphs: █ means 1e-1 to 1 of the last token's signal, each step down one decade less,
  ▁ is 1e-8 to 1e-7, · is less than that, ▲ ten times the last token's signal or more. The
  number under the glyph is the ratio itself (3e-4 means 0.0003).
- *key word vs gap*: filler words are inserted after the key word; the table shows the key
  word's share for each gap, the sentence's length control.
- *every token*: `||dL/dx_t||`, the ratio to the last token, and the token's share of all
  the gradient reaching the sentence.

**Things to try.**
- With the factor at 0.7, press `]` until the gap is 50 and read the key word's share in
  the sweep table; then set the factor to 0.98 (a forget gate close to 1) and compare.
- Switch the model with `m`: a tanh RNN at weight scale 1.0, then an LSTM; raise the
  LSTM's forget bias to 3 and watch the sweep table.
- Type your own sentence (`s` edits it, Enter or Esc leaves the field); move the key word
  with `<` and `>`, or press Enter on a row of the token table.
- Put 5000 in the sweep gaps: shares far below 1e-308 are still shown exactly.

The same numbers: `vgtui longrange --example keys --model rnn --json`.
"""


def lr_parser(name: str):
    """The engine's own parser for one long-range setting (for the inputs' validators)."""
    if name == "text":
        return parse_text
    if name == "gaps":
        return parse_gaps
    return partial(parse_lr_field, name)


INPUTS = {  # input id -> (config field, label)
    "lr-factor": ("factor", "factor γ"),
    "lr-filler": ("filler", "gap (filler)"),
    "lr-key": ("key", "key word #"),
    "lr-forget": ("forget_bias", "forget bias"),
    "lr-gaps": ("gaps", "sweep gaps"),
}


class LongRangeScreen(PageScreen):
    SCREEN_ID = "longrange"
    TITLE = "Long-range dependency"
    HELP = HELP
    DEMO = ("Long-range dependency: the last word 'were' must agree with 'keys' far back. "
            "Each token shows how much of the gradient from the last word reaches it in a tanh "
            "RNN; the key word gets a small fraction, and the table below shows that share "
            "collapsing as filler words widen the gap.")
    AUTO_FOCUS = "#lr-results"

    BINDINGS = [
        Binding("m", "next_model", "model", id="longrange.model",
                tooltip="Cycle the model: per-step factor, vanilla RNN, LSTM"),
        Binding("e", "next_example", "example", id="longrange.example",
                tooltip="Load the next example sentence"),
        Binding("right_square_bracket", "nudge_filler(1)", "gap+", id="longrange.gap_up",
                tooltip="Insert more filler words after the key word"),
        Binding("left_square_bracket", "nudge_filler(-1)", "gap-", id="longrange.gap_down",
                tooltip="Insert fewer filler words after the key word"),
        Binding("plus,equals_sign", "nudge(0.05)", "γ/scale+", id="longrange.up",
                tooltip="Raise the per-step factor (or the weight scale) by 0.05"),
        Binding("minus,underscore", "nudge(-0.05)", "γ/scale-", id="longrange.down",
                tooltip="Lower the per-step factor (or the weight scale) by 0.05"),
        Binding("greater_than_sign,full_stop", "move_key(1)", "key→", id="longrange.key_right",
                tooltip="Move the key word one token to the right"),
        Binding("less_than_sign,comma", "move_key(-1)", "key←", id="longrange.key_left",
                tooltip="Move the key word one token to the left"),
        Binding("s", "edit_sentence", "sentence", id="longrange.edit",
                tooltip="Type your own sentence"),
        Binding("escape", "leave_field", "leave field", show=False, id="longrange.leave_field"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.config = example_config("keys")
        self.result = None
        self.requests = Requests(self, self._launch)
        self._shown: LongRangeConfig | None = None

    # -- layout ------------------------------------------------------------------
    def compose_page(self) -> ComposeResult:
        c = self.config
        values = {"lr-factor": f"{c.factor:g}", "lr-filler": str(c.filler),
                  "lr-key": str(c.resolved_key()), "lr-forget": f"{c.forget_bias:g}",
                  "lr-gaps": ",".join(str(g) for g in c.gaps)}
        with Horizontal(id="lr-body"):
            with VerticalScroll(id="lr-controls", classes="controls"):
                yield Label("sentence", classes="section")
                yield Select([(f"{e.name}: {e.title}", e.name) for e in EXAMPLES.values()],
                             value="keys", allow_blank=True, prompt="(your own sentence)",
                             compact=True, id="lr-example")
                yield Input(c.text, id="lr-sentence", compact=True, validate_on=["changed"],
                            validators=[ParseValidator(lr_parser("text"))], select_on_focus=False,
                            tooltip="Type any sentence (2 to 400 tokens); Esc leaves the field")
                yield Static("", classes="field-error lr-error", id="error-lr-sentence")
                yield Static(EXAMPLES["keys"].note, id="lr-note", classes="note")
                yield Label("model", classes="section")
                yield Select([(MODEL_TITLES[m], m) for m in MODELS], value=c.model,
                             allow_blank=False, compact=True, id="lr-model")
                yield Label("settings", classes="section")
                for input_id, (name, label) in INPUTS.items():
                    spec = LR_SPECS.get(name)
                    tip = (f"{spec.help}: {spec.describe_range()}" if spec else
                           "comma-separated gaps for the sweep table, e.g. 0,5,10,20,50")
                    with Horizontal(classes="lr-row", id=f"row-{input_id}"):
                        yield Label(label, classes="lr-label")
                        yield Input(values[input_id], id=input_id, compact=True,
                                    validators=[ParseValidator(lr_parser(name))], validate_on=["changed"],
                                    select_on_focus=True, tooltip=tip)
                    yield Static("", classes="field-error lr-error", id=f"error-{input_id}")
                yield ControlPanel(PANEL_FIELDS, {
                    "activation": c.activation, "init": c.init, "scale": c.scale,
                    "hidden": c.hidden, "input_size": c.input_size, "seed": c.seed},
                    labels={"input_size": "embedding m"}, id="lr-panel")
            with VerticalScroll(id="lr-results", classes="results"):
                yield Static("computing...", id="lr-summary")
                yield Label("gradient share reaching each token", classes="section")
                yield TokenStrip(id="lr-strip")
                yield Static(glyph_legend() + "\n◆ key word · ● last token (the loss is read "
                             "there) · filler in italics", id="lr-legend", classes="note")
                yield Label("key word vs gap (filler words inserted after it)", classes="section",
                            id="lr-sweep-label")
                yield DataTable(id="lr-sweep", zebra_stripes=True, cursor_type="row")
                yield Label("every token (Enter makes the row the key word)", classes="section")
                yield DataTable(id="lr-tokens", zebra_stripes=True, cursor_type="row")

    def has_result(self) -> bool:
        return self.result is not None

    def on_mount(self) -> None:
        sweep = self.query_one("#lr-sweep", DataTable)
        for label in ("gap", "distance", "key/last", "signal"):
            sweep.add_column(label, key=label)
        tokens = self.query_one("#lr-tokens", DataTable)
        for label in ("t", "token", "", "|dL/dx_t|", "ratio", "share", "signal"):
            tokens.add_column(label, key=label or "glyph")
        self._show_fields(self.config.model)
        # After the first paint, so the opening screen draws as early as it can.
        self.call_after_refresh(self.request, self.config, True)

    # -- reading the controls ----------------------------------------------------
    def _read(self) -> tuple[LongRangeConfig | None, dict[str, str]]:
        errors: dict[str, str] = {}
        values: dict = {}
        sentence = self.query_one("#lr-sentence", Input).value
        try:
            values["text"] = parse_text(sentence)
        except ConfigError as exc:
            errors["lr-sentence"] = str(exc)
        for input_id, (name, _) in INPUTS.items():
            raw = self.query_one(f"#{input_id}", Input).value
            try:
                values[name] = parse_gaps(raw) if name == "gaps" else parse_lr_field(name, raw)
            except ConfigError as exc:
                errors[input_id] = str(exc)
        model = self.query_one("#lr-model", Select).value
        values["model"] = model if model in MODELS else self.config.model
        panel_values, panel_errors = self.query_one("#lr-panel", ControlPanel).parsed()
        if panel_errors:
            errors["lr-panel"] = next(iter(panel_errors.values()))
        values.update(panel_values)
        if errors:
            return None, errors
        try:
            return self.config.replace(**values), {}
        except ConfigError as exc:
            where = {"key": "lr-key", "text": "lr-sentence", "sentence": "lr-sentence",
                     "gaps": "lr-gaps"}.get(exc.field or "", "lr-key")
            return None, {where: str(exc)}

    def _controls_changed(self) -> None:
        config, errors = self._read()
        for input_id in list(INPUTS) + ["lr-sentence"]:
            label = self.query_one(f"#error-{input_id}", Static)
            label.update(errors.get(input_id, ""))
            label.set_class(input_id in errors, "-shown")
        if config is None:
            first = next(iter(errors.values()))
            self.status.show(message=f"✗ {first} (last good result kept)", error=True)
            return
        self._show_fields(config.model)
        self._sync_example(config)
        self.request(config)

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "lr-sentence":
            self._keep_key_in_range(event.value)
        if event.input.id in INPUTS or event.input.id == "lr-sentence":
            self._controls_changed()

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        self.action_leave_field()

    @on(ControlPanel.Changed, "#lr-panel")
    def _panel_changed(self, event: ControlPanel.Changed) -> None:
        self._controls_changed()

    @on(Select.Changed, "#lr-model")
    def _model_changed(self, event: Select.Changed) -> None:
        self._controls_changed()

    @on(Select.Changed, "#lr-example")
    def _example_changed(self, event: Select.Changed) -> None:
        name = event.value
        if name is Select.NULL or name not in EXAMPLES:
            self.query_one("#lr-note", Static).update(
                "your own sentence: choose the key word with < and >, or Enter on a token row")
            return
        example = EXAMPLES[name]
        self.query_one("#lr-note", Static).update(example.note)
        if " ".join(example.text.split()) != self.query_one("#lr-sentence", Input).value:
            self._set_input("lr-sentence", example.text)
            self._set_input("lr-key", str(example.key))

    def _keep_key_in_range(self, text: str) -> None:
        count = len(tokenize(text))
        try:
            key = int(self.query_one("#lr-key", Input).value)
        except ValueError:
            return
        if count >= 2 and key >= count:
            self._set_input("lr-key", "1")

    def _set_input(self, input_id: str, text: str) -> None:
        widget = self.query_one(f"#{input_id}", Input)
        if widget.value != text:
            widget.value = text
            widget.cursor_position = len(text)

    def _sync_example(self, config: LongRangeConfig) -> None:
        name = config.example_name()
        select = self.query_one("#lr-example", Select)
        if name is None and select.value is not Select.NULL:
            select.clear()
        elif name is not None and select.value != name:
            select.value = name

    def _show_fields(self, model: str) -> None:
        self.query_one("#row-lr-factor").display = model == "factor"
        self.query_one("#row-lr-forget").display = model == "lstm"
        panel = self.query_one("#lr-panel", ControlPanel)
        panel.display = model != "factor"
        for name in LSTM_HIDDEN:
            panel.query_one(f"#field-{name}").parent.display = model == "rnn"

    # -- actions -------------------------------------------------------------------
    def set_model(self, model: str) -> None:
        self.query_one("#lr-model", Select).value = model

    def load_example(self, name: str) -> None:
        self.query_one("#lr-example", Select).value = name

    def set_filler(self, filler: int) -> None:
        self._set_input("lr-filler", str(int(filler)))

    def action_next_model(self) -> None:
        self.set_model(MODELS[(MODELS.index(self.config.model) + 1) % len(MODELS)])

    def action_next_example(self) -> None:
        self.load_example(next_name(EXAMPLES, self.config.example_name()))

    def _field(self, input_id: str, default):
        """The value now in a field (the config may lag behind rapid key presses)."""
        name = INPUTS[input_id][0]
        try:
            return parse_lr_field(name, self.query_one(f"#{input_id}", Input).value)
        except ConfigError:
            return default

    def action_nudge_filler(self, direction: int) -> None:
        now = self._field("lr-filler", self.config.filler)
        if int(direction) > 0:
            nxt = next((s for s in FILLER_STEPS if s > now), FILLER_STEPS[-1])
        else:
            nxt = next((s for s in reversed(FILLER_STEPS) if s < now), 0)
        self.set_filler(nxt)

    def action_nudge(self, delta: float) -> None:
        c = self.config
        if c.model == "factor":
            spec = LR_SPECS["factor"]
            now = self._field("lr-factor", c.factor)
            value = min(spec.high, max(spec.low, round(now + float(delta), 6)))
            self._set_input("lr-factor", f"{value:g}")
        else:
            panel = self.query_one("#lr-panel", ControlPanel)
            now = panel.parsed()[0].get("scale", c.scale)
            value = min(100.0, max(0.0, round(now + float(delta), 6)))
            panel.set_values({"scale": value})

    def action_move_key(self, delta: int) -> None:
        count = len(self.config.tokens)
        now = self._field("lr-key", self.config.resolved_key()) or self.config.resolved_key()
        key = min(count - 1, max(1, now + int(delta)))
        self._set_input("lr-key", str(key))

    def action_edit_sentence(self) -> None:
        self.query_one("#lr-sentence", Input).focus()

    def action_leave_field(self) -> None:
        self.query_one("#lr-results").focus()

    @on(DataTable.RowSelected, "#lr-tokens")
    def _token_chosen(self, event: DataTable.RowSelected) -> None:
        r = self.result
        if r is None:
            return
        k = int(event.row_key.value)
        position = r.positions[k]
        if position is None:
            self.notify("A filler word cannot be the key word.", severity="warning")
        elif position >= len(r.config.tokens):
            self.notify("The last token is where the loss is read; pick an earlier one.",
                        severity="warning")
        else:
            self._set_input("lr-key", str(position))

    def cli_command(self) -> str:
        return " ".join(["vgtui longrange"] + self.config.to_flags())

    def demo_prepare(self) -> None:
        self.load_example("keys")
        self.set_model("rnn")
        self.set_filler(0)

    def palette_commands(self):
        cmds = [(f"Long-range example: {e.title}", e.note, lambda n=e.name: self.load_example(n))
                for e in EXAMPLES.values()]
        cmds += [(f"Long-range model: {MODEL_TITLES[m]}", "where the per-token gradient comes "
                  "from", lambda m=m: self.set_model(m)) for m in MODELS]
        cmds += [(f"Long-range gap: {n} filler words", "insert filler after the key word",
                  lambda n=n: self.set_filler(n)) for n in (0, 10, 50, 200)]
        cmds += [("Long-range: type your own sentence", "focus the sentence field",
                  self.action_edit_sentence)]
        return cmds

    # -- computing -------------------------------------------------------------------
    def request(self, config: LongRangeConfig, immediate: bool = False) -> None:
        self.config = config
        self.requests.ask(config, immediate)

    def _launch(self, config: LongRangeConfig) -> None:
        self.compute(lambda cancelled: run_longrange(config, cancel=cancelled), self.show_result,
                     label=f"computing {MODEL_TITLES[config.model]}")

    def show_compute_error(self, message: str) -> None:
        self.requests.launched_was(self._shown)
        super().show_compute_error(message)

    def show_result(self, result) -> None:
        self.result = result
        self._shown = result.config
        self._draw(result)
        self.status.show(device=result.device, dtype=result.dtype, seconds=result.seconds,
                         message="up to date", error=False)

    # -- drawing ------------------------------------------------------------------------
    def _draw(self, r) -> None:
        lines = summary_lines(r)
        lines[1] = f"[b]{lines[1]}[/b]"
        self.query_one("#lr-summary", Static).update("\n".join(lines))
        self.query_one("#lr-strip", TokenStrip).show(r.tokens, r.filler, r.key_index,
                                                     r.log10_ratio)
        self.query_one("#lr-sweep-label", Label).update(
            f"key word '{r.tokens[r.key_index]}' vs gap (filler words inserted after it)")
        sweep = self.query_one("#lr-sweep", DataTable)
        sweep.clear()
        for p in r.sweep:
            sweep.add_row(str(p.gap), str(p.distance), format_log10(p.log10_ratio),
                          signal_bar(p.log10_ratio, width=12), key=str(p.gap))
        table = self.query_one("#lr-tokens", DataTable)
        table.clear()
        ratio, share = r.log10_ratio, r.log10_share
        rows = [k for k in range(r.steps) if not r.filler[k]]
        fill = [k for k in range(r.steps) if r.filler[k]]
        if fill:
            rows += [fill[i] for i in shown_steps(len(fill), target=TOKEN_ROWS // 4)]
        for k in sorted(set(rows)):
            mark = "◆ key" if k == r.key_index else ("● last" if k == r.steps - 1 else "")
            word = r.tokens[k] + (" (filler)" if r.filler[k] else "")
            table.add_row(str(k + 1), word, mark, format_log10(r.log10_grad[k]),
                          format_log10(ratio[k]), percent_text(share[k]),
                          token_glyph(ratio[k]) + " " + signal_bar(ratio[k], width=10),
                          key=str(k))

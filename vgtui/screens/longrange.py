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
from textual.widgets import DataTable, Label, Static

from ..engine.config import FIELD_SPECS
from ..engine.longrange import (
    LR_SPECS,
    MODEL_TITLES,
    MODELS,
    LongRangeConfig,
    parse_gaps,
    parse_lr_field,
    parse_text,
    run_longrange,
    tokenize,
)
from ..engine.magnitude import format_log10
from ..present.longrange import glyph_legend, percent_text, signal_bar, summary_lines, token_glyph
from ..present.rows import shown_steps
from ..topics import topic
from ..widgets.tables import FitTable
from ..widgets.controls import PanelField
from ..widgets.token_strip import TokenStrip
from ..widgets.keys import HIDDEN, footer_pair, key_table
from .config_page import PRESETS_HERE, ConfigPage, Job, Section

NETWORK_FIELDS = ("activation", "init", "scale", "hidden", "input_size", "seed")
RNN_ONLY = ("activation", "init")  # settings an LSTM does not use
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


def lr_field(name: str, label: str | None = None) -> PanelField:
    """A long-range setting, parsed by the engine's own long-range parser."""
    spec = LR_SPECS.get(name) or FIELD_SPECS[name]
    return PanelField(name, label or spec.label, partial(parse_lr_field, name),
                      f"{spec.help}: {spec.describe_range()}", spec.choices, spec.low, spec.high,
                      spec.kind is int)


SENTENCE = PanelField("text", "sentence", parse_text,
                      "Type any sentence (2 to 400 tokens); Esc leaves the field", wide=True)
MODEL = PanelField("model", "model", partial(parse_lr_field, "model"),
                   "where the per-token gradient comes from", MODELS,
                   titles=tuple(MODEL_TITLES[m] for m in MODELS))
GAPS = PanelField("gaps", "sweep gaps", parse_gaps,
                  "comma-separated gaps for the sweep table, e.g. 0,5,10,20,50")
SETTINGS = (lr_field("factor", "factor γ"), lr_field("filler", "gap (filler)"),
            lr_field("key", "key word #"), lr_field("forget_bias", "forget bias"), GAPS,
            *(lr_field(n, "embedding m" if n == "input_size" else None) for n in NETWORK_FIELDS))

_GAP = footer_pair("gap")  # ] and [ widen and narrow the gap


class LongRangeScreen(ConfigPage):
    SCREEN_ID = "longrange"
    TITLE = "Long-range dependency"
    HELP = HELP
    DEMO = ("Long-range dependency: the last word 'were' must agree with 'keys' far back. "
            "Each token shows how much of the gradient from the last word reaches it in a tanh "
            "RNN; the key word gets a small fraction, and the gap table further down "
            "(PageDown) shows that share collapsing as filler words widen the gap.")
    DEMO_SHOWS = "#lr-strip"
    AUTO_FOCUS = "#lr-results"
    PREFIX = "lr"
    PRESETS_LABEL = "sentence"
    CONTROLS = (PRESETS_HERE, Section("", (SENTENCE,), "sentence"),
                Section("model", (MODEL,), "model"), Section("settings", SETTINGS))
    PRESETS = topic("longrange").presets  # the example sentences
    DEFAULT_PRESET = "keys"
    PRESET_OVER = "current"  # an example changes the sentence, not the model or the gap
    BINDINGS = key_table(
        "longrange",
        ("m", "next_model", "model", "model", "Cycle the model: per-step factor, vanilla RNN, LSTM"),
        ("e", "next_preset", "example", "example", "Load the next example sentence (also p)",
         HIDDEN),
        ("right_square_bracket", "nudge_filler(1)", "gap+", "gap_up",
         "Insert more filler words after the key word", {"key_display": "]", "group": _GAP}),
        ("left_square_bracket", "nudge_filler(-1)", "gap-", "gap_down",
         "Insert fewer filler words after the key word", {"key_display": "[", "group": _GAP}),
        ("plus,equals_sign", "nudge_model(0.05)", "γ/scale+", "up",
         "Raise the per-step factor (or the weight scale) by 0.05",
         {"key_display": "+", "show": False}),
        ("minus,underscore", "nudge_model(-0.05)", "γ/scale-", "down",
         "Lower the per-step factor (or the weight scale) by 0.05",
         {"key_display": "-", "show": False}),
        ("greater_than_sign,full_stop", "move_key(1)", "key→", "key_right",
         "Move the key word one token to the right", {"key_display": ">", "show": False}),
        ("less_than_sign,comma", "move_key(-1)", "key←", "key_left",
         "Move the key word one token to the left", {"key_display": "<", "show": False}),
        ("s", "edit_sentence", "sentence", "edit", "Type your own sentence"),
    )

    # -- what the page computes ------------------------------------------------------
    def default_values(self) -> dict:
        return LongRangeConfig().to_dict()

    def make_config(self, values) -> LongRangeConfig:
        return LongRangeConfig(**{**LongRangeConfig().to_dict(), **values})

    def working_label(self, config: LongRangeConfig) -> str:
        return f"computing {MODEL_TITLES[config.model]}"

    def compute(self, config: LongRangeConfig, job: Job):
        return run_longrange(config, cancel=job.cancelled)

    def custom_note(self) -> str:
        return "your own sentence: choose the key word with < and >, or Enter on a token row"

    # -- layout ------------------------------------------------------------------
    def compose_results(self) -> ComposeResult:
        yield Static("computing...", id="lr-summary")
        yield Label("gradient share reaching each token", classes="section")
        yield TokenStrip(id="lr-strip")
        yield Static(glyph_legend() + "\n◆ key word · ● last token (the loss is read "
                     "there) · filler in italics", id="lr-legend", classes="note")
        yield Label("key word vs gap (filler words inserted after it)", classes="section",
                    id="lr-sweep-label")
        yield FitTable(id="lr-sweep")
        yield Label("every token (Enter makes the row the key word)", classes="section")
        yield FitTable(id="lr-tokens")

    def setup_tables(self) -> None:
        self.query_one("#lr-sweep", FitTable).add_keyed_columns(
            "gap", "distance", "key/last", "signal")
        self.query_one("#lr-tokens", FitTable).add_keyed_columns(
            "t", "token", "", "|dL/dx_t|", "ratio", "share", "signal", blank="glyph")
        self._show_fields(self.config.model)

    def on_fields_edited(self, field: str) -> None:
        values, errors = self.values()
        if field == "text" and "text" not in errors:
            self._keep_key_in_range(values["text"], values.get("key"))
        if "model" in values:
            self._show_fields(values["model"])

    def load_preset(self, name: str) -> None:
        super().load_preset(name)
        self._show_fields(self.config.model)

    def _keep_key_in_range(self, text: str, key) -> None:
        count = len(tokenize(text))
        if isinstance(key, int) and count >= 2 and key >= count:
            self.set_values({"key": 1})

    def _show_fields(self, model: str) -> None:
        panel = self.query_one("#lr-panel")
        panel.show_fields(["factor"], model == "factor")
        panel.show_fields(["forget_bias"], model == "lstm")
        panel.show_fields(NETWORK_FIELDS, model != "factor")
        panel.show_fields(RNN_ONLY, model == "rnn")

    # -- actions -------------------------------------------------------------------
    def _now(self, name: str, default):
        """The value a field shows now (the config may lag behind rapid key presses)."""
        values, _ = self.values()
        return values.get(name, default)

    def set_model(self, model: str) -> None:
        self.apply({"model": model})
        self._show_fields(model)

    def load_example(self, name: str) -> None:
        self.load_preset(name)

    def set_filler(self, filler: int) -> None:
        self.apply({"filler": int(filler)})

    def action_next_model(self) -> None:
        now = self._now("model", self.config.model)
        self.set_model(MODELS[(MODELS.index(now) + 1) % len(MODELS)])

    def action_nudge_filler(self, direction: int) -> None:
        now = self._now("filler", self.config.filler)
        if int(direction) > 0:
            nxt = next((s for s in FILLER_STEPS if s > now), FILLER_STEPS[-1])
        else:
            nxt = next((s for s in reversed(FILLER_STEPS) if s < now), 0)
        self.set_filler(nxt)

    def action_nudge_model(self, delta: float) -> None:
        model = self._now("model", self.config.model)
        self.action_nudge("factor" if model == "factor" else "scale", float(delta))

    def action_move_key(self, delta: int) -> None:
        count = len(tokenize(self._now("text", self.config.text)))
        now = self._now("key", self.config.key) or self.config.resolved_key()
        self.apply({"key": min(count - 1, max(1, now + int(delta)))})

    def action_edit_sentence(self) -> None:
        self.query_one("#field-text").focus()

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
            self.apply({"key": position})

    def command(self, c: LongRangeConfig) -> str:
        return " ".join(["vgtui longrange", *c.to_flags()])

    def demo_prepare(self) -> None:
        self.apply({**dict(self.preset("keys").values), "model": "rnn", "filler": 0})
        self._show_fields("rnn")

    def extra_commands(self):
        cmds = [(f"Long-range model: {MODEL_TITLES[m]}", "where the per-token gradient comes "
                 "from", lambda m=m: self.set_model(m)) for m in MODELS]
        cmds += [(f"Long-range gap: {n} filler words", "insert filler after the key word",
                  lambda n=n: self.set_filler(n)) for n in (0, 10, 50, 200)]
        cmds += [("Long-range: type your own sentence", "focus the sentence field",
                  self.action_edit_sentence)]
        return cmds

    # -- drawing ------------------------------------------------------------------------
    def draw(self, r) -> None:
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

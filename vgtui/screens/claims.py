"""Claims: every numeric claim of the source articles beside the value the engine
computes now, with a verdict (holds, holds approximately, does not hold) and the
difference; filter by article, verdict or words; Enter opens the screen that
demonstrates the highlighted claim.
"""
from __future__ import annotations

import shlex
import threading
import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.widgets import DataTable, Input, Select, Static
from textual.worker import get_current_worker

from ..engine.articles import ARTICLE_PHRASES, ARTICLE_SHORT, ARTICLE_TITLES
from ..engine.claim_rules import RULES, VERDICT_MARKS, VERDICT_WORDS, VERDICTS
from ..engine.claim_specs import UNCHECKED
from ..engine.claim_values import cached_training, measure_training
from ..engine.claims import build_claims, filter_claims
from ..engine.errors import VgtuiError
from ..engine.experiments import ExperimentCancelled
from ..present.claims import MODE_WORDS, claim_verdict_text
from ..present.styles import CLAIM_ROLES
from ..topics import title_and_key
from ..widgets.keys import HIDDEN, LEAVE_FIELD, key_table
from ..widgets.tables import FitTable
from .base import PageScreen

COUNT_WORDS = {"holds": "hold", "approx": "approx.", "convention": "convention", "fails": "fail",
               "pending": "unmeasured"}
ALL = "all"
CONFIRM_SECONDS = 5.0
ARTICLE_OPTIONS = [("all articles", ALL)] + [(ARTICLE_TITLES[k], k) for k in ARTICLE_TITLES]
VERDICT_OPTIONS = [("all verdicts", ALL)] + [(claim_verdict_text(v), v) for v in VERDICTS]

HELP = """\
**What it shows.** Every number the five source articles state that can be checked (decay
figures, derivative values, the worked examples, the printed output of their code), each
beside the value vgtui computes when the list is built, with a verdict:

- `✓ holds`: the computed value, rounded to the precision the article prints, is the
  article's figure (an order of magnitude such as "~1e-12" holds within half a decade; a
  range when the value is inside it);
- `≈ holds approximately`: within 10% (one decade for an order of magnitude);
- `◇ a matter of convention`: the figure is one of several equally right values and vgtui
  uses another (relu'(0): 1 is the right derivative, 0 is torch autograd's choice);
- `✗ does not hold`: further off; the difference says by how much;
- `? not measured yet`: the five training losses of the Bengio walkthrough's test need a training
  run of about half a minute: press `m` twice (or run the Experiments preset
  article-first).

**How to read it.** The table lists marker, article, claim, the article's figure and the
computed value. The panel below explains the highlighted claim: both values, the
difference, how it was computed (and by which engine function), and the screen that
demonstrates it. The closed-form claims appear at once; the claims about torch networks
and random matrices follow a second or two later.

**Keys.** ↑/↓ move; Tab reaches the panel below (↑/↓ scroll it); Enter or `o` opens the
claim's screen; `a` cycles the article, `v`
the verdict; `/` types search words (Esc leaves the field); `r` shows every claim again;
`m` `m` measures the training losses, `x` cancels that; `n` lists what was not checked.

**Things to try.**
- `v` until "does not hold": the two-unit example's norms, the (0.9·0.5)^T table of the RNN
  lesson, the 4-unit network's "radius 0.5", 0.42^20. Open each one's screen and see why.
- Search `four-unit` and compare the script's printed gradients with the recomputed ones:
  the same seed gives numbers within half a percent.
- Press `c` for the command line that prints the same list (`--json` for every field).

**Not checked.** A few statements have no definite number to recompute (they are about
unspecified trained networks, or their formulas did not survive in the text): `n` lists
them with the reason for each (and the screen where you can measure the idea yourself);
`vgtui claims --json` has them under `not_checked`.
""" + f"\n**Verdict rules.** {RULES}.\n"


class ClaimsScreen(PageScreen):
    SCREEN_ID = "claims"
    TITLE = "Claims"
    HELP = HELP
    DEMO = ("Claims: every number the articles state, recomputed by the engine. Shown here: "
            "the ones that do not hold, each with the difference and the screen that "
            "demonstrates it (Enter opens it).")
    AUTO_FOCUS = "#claims-table"

    BINDINGS = key_table(
        "claims",
        ("a", "cycle_article", "article", "article", "Show the next article's claims (then all)"),
        ("v", "cycle_verdict", "verdict", "verdict", "Show the next verdict (then all)"),
        ("slash", "focus_search", "search", "search", "Type words to search the claims"),
        ("o", "open_screen", "open screen", "open",
         "Open the screen that demonstrates the highlighted claim"),
        ("r", "reset_filters", "all claims", "reset", "Clear the filters: every claim"),
        ("m", "measure", "measure losses", "measure",
         "Press twice: train the Bengio walkthrough's test network (about 30 s) for its losses"),
        ("n", "toggle_unchecked", "not checked", "unchecked",
         "Show the statements left out of the list, and why"),
        ("x", "cancel_measure", "cancel", "cancel", "Stop the training started by m", HIDDEN),
        LEAVE_FIELD,
    )

    def __init__(self) -> None:
        super().__init__()
        self.result = None  # ClaimsList on screen
        self.shown: list = []
        self.experiment = None
        self.article = ALL
        self.verdict = ALL
        self.search = ""
        self.measuring = False
        self.torch_pending = True
        self.show_unchecked = False
        self._measure_armed_until = 0.0
        self._cancel_event = threading.Event()
        self._claim_width = 36

    def compose_page(self) -> ComposeResult:
        with Vertical(id="claims-body"):
            with Horizontal(id="claims-filters"):
                yield Select(ARTICLE_OPTIONS, value=ALL, allow_blank=False, compact=True,
                             id="claims-article", tooltip="which article's claims (a cycles)")
                yield Select(VERDICT_OPTIONS, value=ALL, allow_blank=False, compact=True,
                             id="claims-verdict", tooltip="which verdict (v cycles)")
                yield Input("", placeholder="/ search words", compact=True, id="claims-search",
                            tooltip="claims whose text holds every word typed here")
            yield Static("building the list...", id="claims-counts")
            yield FitTable(id="claims-table")
            with VerticalScroll(id="claims-detail-box"):
                yield Static("", id="claims-detail")

    def has_result(self) -> bool:
        return self.result is not None and not self.torch_pending

    def on_mount(self) -> None:
        table = self.query_one("#claims-table", DataTable)
        table.add_column("", key="mark")
        table.add_column("article", key="article")
        table.add_column("claim", key="claim")
        table.add_column("article says", key="stated")
        table.add_column("computed", key="computed")
        self._build(levels=("closed", "training"), then_torch=True)

    # -- building ----------------------------------------------------------------------
    def _build(self, levels, then_torch: bool = False) -> None:
        experiment = self.experiment

        def job(j):
            found = experiment
            if found is None and "torch" in levels:
                found = cached_training()  # measured in an earlier session: shown at once
            return build_claims(levels, experiment=found, cancel=j.cancelled)

        def done(result) -> None:
            self._show_result(result)
            if then_torch:
                self._build(("closed", "torch", "training"))

        label = ("computing the claims that need torch" if "torch" in levels
                 else "computing the closed-form claims")
        self.run_job(job, done, label=label)

    def _show_result(self, result) -> None:
        self.result = result
        self.torch_pending = "torch" not in result.levels
        if self.torch_pending:
            message = "closed-form claims shown; the torch claims follow..."
        else:
            message = f"{len(result.claims)} claims computed now"
        if not self.measuring:
            self.status.show(device="cpu", dtype="float64", seconds=result.seconds,
                             message=message, error=False)
        self._refresh()

    # -- filters and table ---------------------------------------------------------------
    def _filtered(self) -> list:
        if self.result is None:
            return []
        return filter_claims(self.result.claims, None if self.article == ALL else self.article,
                             None if self.verdict == ALL else self.verdict, self.search)

    def redraw(self) -> None:
        if self.result is not None:
            self._refresh()

    def _refresh(self) -> None:
        table = self.query_one("#claims-table", DataTable)
        current = self.current_claim()
        keep = current.id if current is not None else None
        self.shown = self._filtered()
        table.clear()
        width = self._claim_width
        palette = self.palette
        for c in self.shown:
            text = c.claim if len(c.claim) <= width else c.claim[:width - 1] + "…"
            stated = c.stated.text if len(c.stated.text) <= 16 else c.stated.text[:15] + "…"
            style = palette.style(CLAIM_ROLES[c.verdict])
            table.add_row(Text(c.mark, style=style), ARTICLE_SHORT.get(c.article, c.article),
                          text, stated,
                          Text(c.value_text(), style=style, justify="right"), key=c.id)
        if keep is not None:
            for i, c in enumerate(self.shown):
                if c.id == keep:
                    table.move_cursor(row=i)
                    break
        self._draw_counts()
        self._draw_detail()

    def _draw_counts(self) -> None:
        counts_widget = self.query_one("#claims-counts", Static)
        if self.result is None:
            counts_widget.update("building the list...")
            return
        counts = self.result.counts(self.shown)
        parts = [f"{VERDICT_MARKS[v]} {counts[v]} {COUNT_WORDS[v]}" for v in VERDICTS]
        line = "  ".join(parts) + (f" [dim]· {len(self.shown)}/{len(self.result.claims)} · "
                                    f"{len(UNCHECKED)} unchecked (n)[/dim]")
        if self.torch_pending:
            line += " [dim]· torch claims computing…[/dim]"
        counts_widget.update(line)

    def current_claim(self):
        table = self.query_one("#claims-table", DataTable)
        if not self.shown or table.row_count == 0:
            return None
        row = min(max(table.cursor_row, 0), len(self.shown) - 1)
        return self.shown[row]

    def _draw_detail(self) -> None:
        detail = self.query_one("#claims-detail", Static)
        if self.show_unchecked:
            self._draw_unchecked(detail)
            return
        c = self.current_claim()
        if c is None:
            words = " ".join(x for x in (
                "" if self.article == ALL else ARTICLE_PHRASES.get(self.article, self.article),
                "" if self.verdict == ALL else VERDICT_WORDS[self.verdict],
                f"'{self.search}'" if self.search.strip() else "") if x)
            detail.update(Text(f"No claim matches {words or 'these filters'}; r shows every "
                               "claim."))
            return
        style = self.palette.style(CLAIM_ROLES[c.verdict]) or "b"
        title, key = title_and_key(c.screen)
        key_text = f" (key {key})" if key else ""
        log_text = (f"  [dim]log10 {c.log10_computed:.4f}[/dim]"
                    if c.log10_computed is not None else "")
        lines = [
            f"[{style}]{escape(claim_verdict_text(c.verdict))}[/] · "
            f"{escape(ARTICLE_TITLES.get(c.article, c.article))} {escape(c.where)} · "
            f"[dim]{escape(c.id)}[/dim]",
            f"[b]{escape(c.claim)}[/b]",
            f"article: [b]{escape(c.stated.text)}[/b] [dim]({MODE_WORDS[c.stated.mode]})[/dim]"
            f" · computed: [b]{escape(c.value_text(6))}[/b]{log_text}",
            f"difference: {escape(c.difference)}",
            f"judged at: {escape(c.stated.precision)}"
            + (f" [dim]· median of {c.samples} seeds with its 95% interval[/dim]"
               if c.samples else ""),
            f"how: {escape(c.how)} [dim]· {escape(c.engine)}[/dim]",
        ]
        if c.note:
            lines.append(f"note: {escape(c.note)}")
        if c.verdict == "pending":
            lines.append("m twice trains the network here (about half a minute; x cancels)")
        lines.append(f"shown on: [b]{escape(title)}[/b]{key_text} (Enter opens it)"
                     + (f" — {escape(c.hint)}" if c.hint else ""))
        detail.update("\n".join(lines))

    def _draw_unchecked(self, detail: Static) -> None:
        lines = [f"[b]Not checked ({len(UNCHECKED)})[/b]: statements with no definite number "
                 "to recompute · n returns to the claim"]
        for u in UNCHECKED:
            title, _ = title_and_key(u.screen)
            lines.append(f"• {escape(ARTICLE_SHORT.get(u.article, u.article))} "
                         f"{escape(u.where)}: {escape(u.what)}. "
                         f"[dim]Why: {escape(u.reason)} ({escape(title)})[/dim]")
        detail.update("\n".join(lines))

    def action_toggle_unchecked(self) -> None:
        self.show_unchecked = not self.show_unchecked
        self._draw_detail()

    @on(DataTable.RowHighlighted, "#claims-table")
    def _moved(self, event: DataTable.RowHighlighted) -> None:
        self.show_unchecked = False
        self._draw_detail()

    @on(DataTable.RowSelected, "#claims-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        self.action_open_screen()

    @on(Select.Changed, "#claims-article")
    def _article_chosen(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.article:
            self.article = str(event.value)
            self._refresh()

    @on(Select.Changed, "#claims-verdict")
    def _verdict_chosen(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.verdict:
            self.verdict = str(event.value)
            self._refresh()

    @on(Input.Changed, "#claims-search")
    def _search_changed(self, event: Input.Changed) -> None:
        text = event.value[:200]
        if text != self.search:
            self.search = text
            self._refresh()

    @on(Input.Submitted, "#claims-search")
    def _search_done(self, event: Input.Submitted) -> None:
        self.query_one("#claims-table").focus()

    def on_resize(self, event) -> None:
        super().on_resize(event)
        # The detail panel scrolls (Tab reaches it); on tall terminals it shows everything.
        self.query_one("#claims-detail-box").styles.max_height = \
            7 if event.size.height < 36 else 14
        width = max(20, min(90, event.size.width - 53))
        if width != self._claim_width:
            self._claim_width = width
            if self.result is not None:
                self._refresh()

    # -- actions -----------------------------------------------------------------------
    def set_filters(self, article: str | None = None, verdict: str | None = None,
                    search: str | None = None) -> None:
        """Set any of the filters (the widgets follow) and redraw."""
        if article is not None:
            self.article = article
            self.query_one("#claims-article", Select).value = article
        if verdict is not None:
            self.verdict = verdict
            self.query_one("#claims-verdict", Select).value = verdict
        if search is not None:
            self.search = search
            self.query_one("#claims-search", Input).value = search
        self._refresh()

    def action_cycle_article(self) -> None:
        values = [v for _, v in ARTICLE_OPTIONS]
        self.set_filters(article=values[(values.index(self.article) + 1) % len(values)])

    def action_cycle_verdict(self) -> None:
        values = [v for _, v in VERDICT_OPTIONS]
        self.set_filters(verdict=values[(values.index(self.verdict) + 1) % len(values)])

    def action_reset_filters(self) -> None:
        self.set_filters(article=ALL, verdict=ALL, search="")

    def action_focus_search(self) -> None:
        self.query_one("#claims-search", Input).focus()

    def action_leave_field(self) -> None:
        self.query_one("#claims-table").focus()

    def action_open_screen(self) -> None:
        c = self.current_claim()
        if c is not None:  # set up for this claim, not as the screen was last left
            self.app.open_set_up(c.screen, c.preset, c.setup)

    # -- measuring the training claims ---------------------------------------------------
    def action_measure(self) -> None:
        """The first m asks, a second m within a few seconds starts: the training takes
        about half a minute of CPU, too much to start by a stray key."""
        if self.measuring:
            self.status.show(message="already training (x cancels)", error=False)
            return
        now = time.monotonic()
        if now > self._measure_armed_until:
            self._measure_armed_until = now + CONFIRM_SECONDS
            self.status.show(message=f"m again within {CONFIRM_SECONDS:g} s trains the Bengio walkthrough's "
                             "test network (about half a minute; x cancels)", error=False)
            return
        self.start_measure()

    def start_measure(self) -> None:
        if self.measuring:
            self.status.show(message="already training (x cancels)", error=False)
            return
        self._measure_armed_until = 0.0
        self.measuring = True
        self._cancel_event = threading.Event()
        self.status.show(message="training the Bengio walkthrough's test network: starting (x cancels)",
                         error=False)
        self._measure(self._cancel_event)

    def action_cancel_measure(self) -> None:
        if not self.measuring:
            self.status.show(message="nothing is training", error=False)
            return
        self._cancel_event.set()
        self.status.show(message="cancelling the training...", error=False)

    @work(thread=True, exclusive=True, group="claims-measure", exit_on_error=False)
    def _measure(self, cancel_event: threading.Event) -> None:
        worker = get_current_worker()

        def stop() -> bool:
            return cancel_event.is_set() or worker.is_cancelled

        def post(callback, *args) -> None:
            if not worker.is_cancelled:
                self.app.call_from_thread(callback, *args)

        try:
            result = measure_training(progress=lambda p: post(self._on_progress, p), cancel=stop)
        except ExperimentCancelled as exc:
            post(self._on_measured, exc.result)
            return
        except VgtuiError as exc:
            post(self._on_measure_error, str(exc))
            return
        except Exception as exc:  # keep the app alive and say what happened
            post(self._on_measure_error, f"internal error: {type(exc).__name__}: {exc}")
            return
        post(self._on_measured, result)

    def _on_progress(self, p) -> None:
        if self._cancel_event.is_set():
            return
        self.status.show(message=f"training for the loss claims: run {p.run_index + 1}/{p.runs} "
                         f"({p.label}), {100 * p.work_done / p.work_total:.0f}% · "
                         f"{p.elapsed:.0f} s · x cancels", error=False)

    def _on_measure_error(self, message: str) -> None:
        self.measuring = False
        self.status.show(message=f"✗ training failed: {message} (last list kept)", error=True)

    def _on_measured(self, result) -> None:
        self.measuring = False
        if result is None or not result.runs:
            self.status.show(message="training cancelled before any run finished; the losses "
                             "stay not measured", error=False)
            return
        if result.cancelled:
            self.status.show(message=f"training cancelled: {len(result.runs)} of "
                             f"{result.planned} runs measured and used", error=False)
        self.experiment = result
        self._build(("closed", "torch", "training"))

    # -- shared hooks -------------------------------------------------------------------
    def cli_command(self) -> str:
        parts = ["vgtui claims"]
        if self.article != ALL:
            parts.append(f"--article {self.article}")
        if self.verdict != ALL:
            parts.append(f"--verdict {self.verdict}")
        if self.search.strip():
            parts.append(f"--search {shlex.quote(self.search.strip())}")
        if self.experiment is not None:
            parts.append("--measure")
        return " ".join(parts)

    def demo_prepare(self) -> None:
        self.set_filters(article=ALL, verdict="fails", search="")
        self.query_one("#claims-table").focus()

    def palette_commands(self):
        cmds = [("Claims: every claim", "clear the filters", self.action_reset_filters)]
        cmds += [(f"Claims: only '{VERDICT_WORDS[v]}'",
                  f"claims whose verdict is {claim_verdict_text(v)}",
                  lambda v=v: self.set_filters(verdict=v)) for v in VERDICTS]
        cmds += [(f"Claims: article {k}", v, lambda k=k: self.set_filters(article=k))
                 for k, v in ARTICLE_TITLES.items()]
        cmds += [("Claims: measure the training losses", "train the Bengio walkthrough's test network "
                  "(about 30 s) so its five losses get verdicts", self.start_measure),
                 ("Claims: open the highlighted claim's screen", "the screen that demonstrates "
                  "it", self.action_open_screen),
                 ("Claims: what was not checked, and why", "statements with no definite number",
                  self.action_toggle_unchecked)]
        return cmds

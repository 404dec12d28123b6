"""Spectrum & init: what the eigenvalues of W_hh say, for several initialisations.

Left: n, scale, seed, K (powers) and the shear of the non-normal example. Right: a
table of spectral radius against spectral norm per init, the sorted eigenvalue
magnitudes as sparklines, the eigenvalues of one init in the complex plane against
the unit circle, and ||W^k v|| for k = 0..K on a log scale.
"""
from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Label, Select, Static

from ..engine.config import RNNConfig
from ..engine.magnitude import format_log10
from ..engine.spectrum import (
    INIT_TITLES,
    NON_NORMAL,
    SPECTRUM_INITS,
    SPECTRUM_MAX_HIDDEN,
    TRAIN_BATCH,
    TRAIN_LR,
    TRAIN_SEQUENCE,
    spectrum_report,
    training_drift,
)
from ..topics import topic
from ..widgets.charts import eigenvalue_chart, power_chart
from ..widgets.keys import key_table
from ..widgets.log_chart import LogChart
from ..widgets.plane import EIGHTHS, PlotCanvas, bucket_means
from ..widgets.tables import FitTable
from .config_page import Job
from .rnn_page import RNNPage, RNNSettings, extra_field

ALL_INITS = SPECTRUM_INITS + (NON_NORMAL,)


def bars(values: list[float], top: float, width: int) -> str:
    """One row of eighth-blocks for sorted values on a shared 0..top scale (bucket means
    when there are more values than cells; '·' where a mean rounds to nothing)."""
    out = []
    for mean in bucket_means(values, width):
        level = 0 if top <= 0 else int(round(8 * min(1.0, max(0.0, mean / top))))
        out.append(EIGHTHS[level] if level > 0 else "·")
    return "".join(out)








PRESETS = topic("spectrum").presets

HELP = f"""\
**What it shows.** Six recurrent matrices `W_hh` at the chosen size n and scale:
gaussian `N(0, 1/n)`, orthogonal (Haar), identity, Xavier uniform `U(±sqrt(3/n))`
(variance 1/n), the default of `torch.nn.RNN` `U(±1/sqrt(n))` (variance 1/(3n)), and a
non-normal *shear* `I + b N` (N: ones just above the diagonal), each times the scale.
The gaussian, orthogonal and identity matrices are exactly those the RNN screens use for
the same seed.

**How to read it.**
- *spectral radius* `rho`: the largest |eigenvalue|, the long-run growth rate of `W^k`.
  *spectral norm* `||W||_2`: the largest singular value, the most `W` can stretch any
  vector in one step. `rho <= ||W||_2`, equal for normal matrices (orthogonal, identity);
  *Henrici* is Henrici's departure from normality, `sqrt(||W||_F^2 - sum |λ|^2)`,
  over `||W||_F`: 0 when normal, up to 1 for a nilpotent matrix (the shear's is
  `b sqrt(n-1) / ||I + b N||_F`).
- *sorted |eigenvalue|*: one sparkline per init, largest on the left.
- *complex plane*: the eigenvalues (●) of the chosen init against the unit circle; axes
  at 0. Inside the circle, repeated multiplication shrinks; outside, it grows. Press `v`
  to show the next init.
- *||W^k v||*: a seeded random unit vector pushed through W k times, log scale. For the
  shear matrix every eigenvalue equals the scale, yet `||W^k v||` can climb far above 1
  before the radius takes over: the spectral norm sets the short run, the radius the
  long run. The Pascanu et al. (2013) bound uses the norm; the eigenvalue rule of thumb uses the radius.
- Eigenvalues are computed in float64 on the CPU (n ≤ {SPECTRUM_MAX_HIDDEN}); those of the
  identity and shear matrices are their diagonals (triangular matrices), exactly.

**Things to try.**
- Scale 1.0, n 64: orthogonal `|lambda|` all exactly 1; gaussian radius near 1 but norm near 2.
- Preset *n=64, scale 0.9, shear b=1*: the orthogonal, identity and shear matrices have
  radius exactly 0.9; the random ones have 0.9 times their own radius (gaussian and Xavier
  a little below 1, torch's default near 0.55 at seed 0), so every init is inside the
  circle. Yet the shear example's `||W^k v||` climbs far above 1 before it falls.
- Raise n to 256: the gaussian disc fills in up to radius about the scale.

Keys: `+`/`-` nudge the scale by 0.05, `v` next init in the plane, `p` cycles presets.
The same numbers: `vgtui spectrum --hidden 64 --scale 1.0 --json`.
"""


class SpectrumScreen(RNNPage):
    SCREEN_ID = "spectrum"
    TITLE = "Spectrum & init"
    HELP = HELP
    DEMO = ("Spectrum and initialisation: gaussian eigenvalues scatter across a disc, "
            "orthogonal ones sit exactly on the unit circle (the complex plane and ||W^k v|| "
            "are further down, PageDown), and a sheared matrix with every eigenvalue inside "
            "the circle still stretches vectors for a while.")
    AUTO_FOCUS = "#spec-results"
    PREFIX = "spec"
    FIELDS = ("hidden", "scale", "seed")
    PRESETS = PRESETS
    DEFAULT_PRESET = "n64"
    LIMITS_NOTE = f"Spectra: n ≤ {SPECTRUM_MAX_HIDDEN}, float64 on the CPU"
    EXTRAS_TITLE = "powers and shear"
    EXTRA_DEFAULTS = {"power_steps": "50", "shear": "0.5", "train_steps": "0"}
    DEMO_PRESET = "n64"
    EXTRAS = (
        extra_field("power_steps", "powers K"),
        extra_field("shear", "shear b"),
        extra_field("train_steps", "train steps"),
    )
    BINDINGS = key_table(
        "spectrum",
        ("t", "train", "train 50", "train",
         "Train each init for 50 steps and show how its spectrum moved"),
        ("v", "next_init", "next init", "next_init",
         "Show the next initialisation in the complex plane"),
    )


    def __init__(self) -> None:
        super().__init__()
        self.plane_init = "gaussian"

    def compose_results(self) -> ComposeResult:
        yield Static("computing the first result (torch is loading)...", id="spec-summary")
        yield FitTable(id="spec-table")
        yield Label("sorted |eigenvalue| per init (largest first)", classes="section",
                    id="spec-spark-label")
        for init in ALL_INITS:
            with Horizontal(classes="spec-spark-row"):
                yield Label(init, id=f"spec-name-{init}")
                yield Static("", classes="spec-bars", id=f"spec-spark-{init}")
                yield Label("", classes="spec-range", id=f"spec-range-{init}")
        with Horizontal(classes="field-row extra-row"):
            yield Label("complex plane", classes="field-label")
            yield Select([(INIT_TITLES[i], i) for i in ALL_INITS], value="gaussian",
                         allow_blank=False, compact=True, id="spec-plane-init")
        yield PlotCanvas(id="spec-plane")
        yield Label("||W^k v|| for k = 0..K (log scale)", classes="section", id="spec-power-label")
        yield LogChart(id="spec-power", x_label="k")
        yield Static("", id="spec-notes")
        yield Label("after a few training steps (press t, or set train steps)", classes="section",
                    id="spec-train-label")
        yield Static("", id="spec-train-note")
        yield FitTable(id="spec-train")

    def setup_tables(self) -> None:
        self.query_one("#spec-train", FitTable).add_keyed_columns(
            "init", "ρ before", "ρ after", "||W||₂ before", "||W||₂ after", "moved",
            "loss before", "loss after")
        self.query_one("#spec-table", FitTable).add_keyed_columns(
            "init", "radius ρ", "norm ||W||₂", "norm/ρ", "Henrici", "min |λ|", "||W^K v||",
            "peak (k)")

    # -- computing ----------------------------------------------------------------
    def compute_rnn(self, config: RNNConfig, extras: dict[str, Any], job: Job):
        n, scale, seed = config.hidden, config.scale, config.seed
        k, shear, train = extras["power_steps"], extras["shear"], extras["train_steps"]
        previous = self.result  # a training run already done is kept, not redone
        rep = spectrum_report(n, scale, seed, k, shear, cancel=job.cancelled)
        drift = None
        if train:
            same = (previous is not None and previous.drift is not None
                    and previous.drift_key == (n, scale, seed, train))
            drift = previous.drift if same else training_drift(n, scale, seed, train,
                                                               cancel=job.cancelled)
        rep.drift, rep.drift_key = drift, (n, scale, seed, train)
        return rep

    def action_train(self) -> None:
        if self.extras.get("train_steps", 0) == 0:
            self.set_values({"train_steps": "50"})
            self.request(immediate=True)

    def result_status(self, result):
        # no "seconds": the status shows the whole job's time (spectra and training),
        # not the spectra's alone
        return {"device": "cpu", "dtype": "float64"}

    def command(self, settings: RNNSettings) -> str:
        c, train = settings.rnn, settings["train_steps"]
        return (f"vgtui spectrum --hidden {c.hidden} --scale {c.scale:g} "
                f"--seed {c.seed} --power-steps {settings['power_steps']} "
                f"--shear {settings['shear']:g}" + (f" --train-steps {train}" if train else ""))

    def extra_commands(self):
        return [(f"Spectrum: show {INIT_TITLES[i]} in the complex plane",
                 "eigenvalues vs unit circle", lambda i=i: self.show_plane(i)) for i in ALL_INITS]

    # -- the plane ------------------------------------------------------------------
    @on(Select.Changed, "#spec-plane-init")
    def _plane_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if event.value in ALL_INITS:
            self.plane_init = event.value
            if self.result is not None:
                self._draw_plane(self.result)
                self._draw_power(self.result)

    def show_plane(self, init: str) -> None:
        self.query_one("#spec-plane-init", Select).value = init

    def action_next_init(self) -> None:
        i = ALL_INITS.index(self.plane_init)
        self.show_plane(ALL_INITS[(i + 1) % len(ALL_INITS)])

    # -- drawing ------------------------------------------------------------------
    def draw(self, rep) -> None:
        self.query_one("#spec-summary", Static).update(
            f"[b]n = {rep.hidden}, scale {rep.scale:g}, seed {rep.seed}[/b] · v = a seeded random "
            f"unit vector · K = {rep.power_steps} · shear b = {rep.shear:g}")
        table = self.query_one("#spec-table", DataTable)
        table.clear()
        for e in rep.entries:
            k, peak = e.power_peak
            ratio = (f"{e.spectral_norm / e.spectral_radius:.3f}" if e.spectral_radius > 0 else "∞")
            table.add_row(e.init, f"{e.spectral_radius:.4f}", f"{e.spectral_norm:.4f}", ratio,
                          f"{e.departure:.1e}", f"{e.magnitudes.min():.4f}",
                          format_log10(e.log10_power[-1]), f"{format_log10(peak)} ({k})")
        top = max(max(1.0, e.spectral_radius) for e in rep.entries)
        width = max(8, self.query_one("#spec-results").size.width - 14 - 16 - 3)
        for e in rep.entries:
            mags = [float(m) for m in e.magnitudes]
            self.query_one(f"#spec-spark-{e.init}", Static).update(bars(mags, top, width))
            self.query_one(f"#spec-range-{e.init}", Label).update(
                f"{max(mags):.3f} … {min(mags):.3f}")
        self.query_one("#spec-spark-label", Label).update(
            f"sorted |eigenvalue| per init, largest first; full bar = {top:.3f} for every row "
            "(1 = the unit circle unless a radius is larger)")
        self._draw_plane(rep)
        self._draw_power(rep)
        self._draw_notes(rep)
        self._draw_training(rep)

    def _draw_plane(self, rep) -> None:
        plane = dict(eigenvalue_chart(rep, self.plane_init).plane)
        self.query_one("#spec-plane", PlotCanvas).set_plot(*plane.pop("series"), **plane)

    def _draw_power(self, rep) -> None:
        self.query_one("#spec-power", LogChart).set_series(
            *power_chart(rep, self.plane_init).series, x_start=0)

    def _draw_notes(self, rep) -> None:
        lines = []
        g = rep.entry("gaussian")
        if rep.scale > 0:
            lines.append(f"gaussian: ρ / scale = {g.spectral_radius / rep.scale:.3f} and "
                         f"||W||₂ / scale = {g.spectral_norm / rep.scale:.3f} (random-matrix "
                         "theory: for large n the radius tends to the scale, the norm to twice it)")
        o = rep.entry("orthogonal")
        lines.append(f"orthogonal: |λ| from {o.magnitudes.min():.6f} to {o.magnitudes.max():.6f} "
                     f"(all equal to the scale); ||W^K v|| = {format_log10(o.log10_power[-1])}")
        x = rep.entry("xavier")
        t = rep.entry("torch-default")
        lines.append(f"Xavier uniform: ρ = {x.spectral_radius:.3f}; torch.nn.RNN default: "
                     f"ρ = {t.spectral_radius:.3f} (its entries have a third of the variance)")
        s = rep.entry(NON_NORMAL)
        k, peak = s.power_peak
        if peak > 0 and k > 0:
            trend = (f"peaks at {format_log10(peak)} at k = {k}"
                     + (f" and is {format_log10(s.log10_power[-1])} at k = {rep.power_steps}"
                        if k < rep.power_steps else " (still rising at k = K)"))
        else:
            trend = f"never rises above 1 (is {format_log10(s.log10_power[-1])} at k = K)"
        lines.append(f"shear: ρ = {s.spectral_radius:.4f} but ||W||₂ = {s.spectral_norm:.4f}; "
                     f"||W^k v|| {trend}")
        self.query_one("#spec-notes", Static).update("\n".join(lines))

    def _draw_training(self, rep) -> None:
        table = self.query_one("#spec-train", DataTable)
        table.clear()
        drift = rep.drift
        note = self.query_one("#spec-train-note", Static)
        if not drift:
            note.update("off: press t (or set train steps) to train each init and measure how "
                        "its spectrum moves")
            return
        steps = rep.drift_key[3]
        note.update(f"{steps} Adam steps (lr {TRAIN_LR:g}, batch {TRAIN_BATCH}) of a tanh RNN per "
                    f"init on the long-range task: the output after {TRAIN_SEQUENCE} steps must "
                    "repeat the first input (the readout starts at 0, so every loss starts at "
                    "the same value). 'moved' = ||W_after − W_before||_F / ||W_before||_F.")
        for d in drift:
            table.add_row(d.init, f"{d.radius_before:.4f}", f"{d.radius_after:.4f}",
                          f"{d.norm_before:.4f}", f"{d.norm_after:.4f}", f"{100 * d.change:.1f}%",
                          f"{d.loss_before:.4f}", f"{d.loss_after:.4f}")

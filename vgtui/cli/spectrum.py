"""``vgtui spectrum``: eigenvalues, spectral radius and norm of W_hh per initialisation."""
from __future__ import annotations

from ..engine.magnitude import format_log10
from ..engine.spectrum import (NON_NORMAL, POWER_MAX_STEPS, SPECTRUM_INITS, SPECTRUM_MAX_HIDDEN,
                               spectrum_report, training_drift)
from .common import add_field
from .output import PLOT_HELP, add_formats, console, print_charts, print_data
from .tables import figure_table
from .rnn_args import number, positive_int

NAME = "spectrum"
HELP = "eigenvalues, spectral radius vs spectral norm and ||W^k v|| for each W_hh initialisation"


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, allow_abbrev=False, description=(
        HELP + ". Inits: " + ", ".join(SPECTRUM_INITS) + f", and {NON_NORMAL} "
        "(scale x (I + b N), N ones above the diagonal: a non-normal matrix whose norm "
        "exceeds its spectral radius). Non-normality is Henrici's departure from normality, "
        "sqrt(||W||_F^2 - sum |lambda|^2), in JSON as henrici_departure and relative to "
        "||W||_F as henrici_departure_relative. Float64 on the CPU."))

    add_field(p, "hidden", 64, high=SPECTRUM_MAX_HIDDEN)
    add_field(p, "scale", 1.0)
    add_field(p, "seed", 0)
    p.add_argument("--init", choices=list(SPECTRUM_INITS) + [NON_NORMAL, "all"], default="all",
                   help="one initialisation, or all (default)")
    p.add_argument("--power-steps", type=positive_int(1, POWER_MAX_STEPS), default=50,
                   metavar="K", dest="power_steps", help=f"||W^k v|| for k = 0..K "
                   f"(1 to {POWER_MAX_STEPS}; default 50)")
    p.add_argument("--shear", type=number(0.0, 10.0), default=0.5, metavar="B",
                   help="superdiagonal b of the shear example (0 to 10; default 0.5)")
    p.add_argument("--train-steps", type=positive_int(0, 500), default=0, metavar="S",
                   dest="train_steps", help="also train a tanh RNN per init for S Adam steps on "
                   "the long-range task and report the spectrum before and after (0 = off; n <= 128)")
    add_formats(p, csv_help="print one CSV row per initialisation (--json also lists every eigenvalue)",
                plot=PLOT_HELP)
    p.set_defaults(run=run)


def run(args) -> int:
    inits = SPECTRUM_INITS + (NON_NORMAL,) if args.init == "all" else (args.init,)
    rep = spectrum_report(args.hidden, args.scale, args.seed, args.power_steps, args.shear, inits)
    if args.train_steps:
        rep.drift = training_drift(args.hidden, args.scale, args.seed, args.train_steps,
                                   [i for i in inits if i in SPECTRUM_INITS])
        rep.drift_key = (args.hidden, args.scale, args.seed, args.train_steps)
    if print_data(args, rep.to_dict(), "inits"):
        return 0
    if args.plot:
        from ..widgets.charts import eigenvalue_chart, power_chart  # textual: only --plot

        print_charts([*(eigenvalue_chart(rep, e.init) for e in rep.entries),
                      power_chart(rep, rep.entries[0].init)])
        return 0

    out = console()
    table = figure_table(f"W_hh spectra: n={rep.hidden}, scale {rep.scale:g}, seed {rep.seed}",
                         "init", "radius", "norm", "norm/radius", "Henrici", "min |lambda|",
                         f"||W^{rep.power_steps} v||", "peak (k)")
    for e in rep.entries:
        k, peak = e.power_peak
        ratio = e.spectral_norm / e.spectral_radius if e.spectral_radius > 0 else float("inf")
        table.add_row(e.init, f"{e.spectral_radius:.4f}", f"{e.spectral_norm:.4f}", f"{ratio:.3f}",
                      f"{e.departure:.2e}", f"{e.magnitudes.min():.4f}",
                      format_log10(e.log10_power[-1]), f"{format_log10(peak)} ({k})")
    out.print(table)
    for e in rep.entries:
        out.print(f"{e.init}: {e.title}")
    if rep.drift:
        tt = figure_table(f"after {args.train_steps} Adam steps on the long-range task",
                          "init", "radius before", "after", "norm before", "after", "moved",
                          "loss before", "after")
        for d in rep.drift:
            tt.add_row(d.init, f"{d.radius_before:.4f}", f"{d.radius_after:.4f}",
                       f"{d.norm_before:.4f}", f"{d.norm_after:.4f}", f"{100 * d.change:.1f}%",
                       f"{d.loss_before:.4f}", f"{d.loss_after:.4f}")
        out.print(tt)
    out.print("radius: spectral radius (largest |eigenvalue|); norm: spectral norm (largest "
              "singular value); Henrici: Henrici's departure from normality "
              "sqrt(||W||_F^2 - sum |lambda|^2) over ||W||_F, 0 for a normal matrix (where norm = "
              "radius), up to 1 for a nilpotent one; v is a seeded random unit vector; --json lists every "
              "eigenvalue")
    return 0

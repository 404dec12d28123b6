"""``vgtui claims``: every numeric claim of the source articles, recomputed, with a verdict."""
from __future__ import annotations

import sys

from ..engine.articles import ARTICLE_IDS, ARTICLE_SHORT
from ..engine.claim_rules import RULES, VERDICTS, VERDICT_MARKS, VERDICT_WORDS
from ..engine.claim_values import measure_training
from ..engine.claims import build_claims, filter_claims, parse_choices
from ..present.styles import CLAIM_ROLES, CLI_PALETTE
from .common import list_type
from .output import add_formats, console, print_data
from .tables import figure_table

NAME = "claims"
HELP = "the articles' numeric claims beside the values the engine computes, with verdicts"


def _articles(text: str) -> tuple[str, ...]:
    return parse_choices(text, ARTICLE_IDS, "article", "article")


def _verdicts(text: str) -> tuple[str, ...]:
    return parse_choices(text, VERDICTS, "verdict", "verdict")


def add_parser(sub) -> None:
    p = sub.add_parser(NAME, help=HELP, description=HELP + ". Verdicts: " + RULES + ".")
    p.add_argument("--article", type=list_type(_articles, "article"), metavar="LIST",
                   help="only these articles: " + ", ".join(ARTICLE_IDS) + " (comma-separated)")
    p.add_argument("--verdict", type=list_type(_verdicts, "verdict"), metavar="LIST",
                   help="only these verdicts: holds, approx, convention, fails, pending "
                   "(comma-separated)")
    p.add_argument("--search", metavar="WORDS", default="",
                   help="only claims whose text contains every one of these words")
    p.add_argument("--closed-only", action="store_true",
                   help="only the closed-form claims: no torch is loaded, so it answers at once")
    p.add_argument("--measure", action="store_true",
                   help="also train the network of the Bengio walkthrough's test (the Experiments preset "
                        "article-first, about half a minute on a small CPU) so its five loss "
                        "claims get verdicts")
    add_formats(p, csv_help="print one CSV row per claim (the same fields as --json)")
    p.set_defaults(run=run)


def _progress(p) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\rtraining for the loss claims: run {p.run_index + 1}/{p.runs}, "
                         f"{100 * p.work_done / p.work_total:3.0f}% ")
        sys.stderr.flush()


def run(args) -> int:
    experiment = None
    if args.measure:
        experiment = measure_training(progress=_progress)
        if sys.stderr.isatty():
            sys.stderr.write("\n")
    levels = ("closed", "training") if args.closed_only else ("closed", "torch", "training")
    result = build_claims(levels, experiment=experiment)
    shown = filter_claims(result.claims, args.article, args.verdict, args.search)
    if not print_data(args, result.to_dict(shown), "claims"):
        _print(result, shown)
    return 0


def _print(result, shown) -> None:
    from rich.text import Text  # rich: only the table output needs it

    out = console()
    title = ("claims of the source articles, recomputed now "
             "(✓ holds · ≈ holds approximately · ◇ a matter of convention · ✗ does not hold · "
             "? not measured)")
    table = figure_table(title)
    table.add_column("", no_wrap=True)
    table.add_column("id", no_wrap=True)
    table.add_column("claim", ratio=3)
    table.add_column("article", no_wrap=True)
    table.add_column("computed", justify="right", no_wrap=True)
    table.add_column("difference", ratio=2)
    for c in shown:
        style = CLI_PALETTE.style(CLAIM_ROLES[c.verdict])
        table.add_row(Text(c.mark, style=style), c.id, c.claim, c.stated.text, c.value_text(6),
                      Text(f"{c.difference} [judged at {c.stated.precision}]", style=style))
    out.print(table)
    counts = result.counts(shown)
    out.print(" · ".join(f"{VERDICT_MARKS[v]} {counts[v]} {VERDICT_WORDS[v]}" for v in VERDICTS)
              + f"   ({len(shown)} of {len(result.claims)} claims shown)")
    if "torch" not in result.levels:
        out.print("closed-form claims only (--closed-only): the claims about torch networks "
                  "and random matrices are left out")
    if not result.measured and counts["pending"]:
        out.print("? the training losses are measured with --measure (about half a minute), "
                  "or on the Experiments screen, preset article-first")
    out.print(f"rules: {RULES}")
    out.print(f"not checked ({len(result.unchecked)}): "
              + "; ".join(f"{ARTICLE_SHORT.get(u.article, u.article)} {u.where}: {u.what}"
                          for u in result.unchecked)
              + " (--json gives the reasons)")

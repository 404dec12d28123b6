"""The lookups' tables: one rich style for every table a lookup prints."""
from __future__ import annotations


def figure_table(title: str, *numbers: str):
    """A lookup's table (title at the left, bold header, one rule under it), with a
    right-aligned column that never wraps for each of ``numbers``; columns of another
    kind are added by the caller."""
    from rich import box  # rich: only the table output needs it
    from rich.table import Table  # rich: only the table output needs it

    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for name in numbers:
        table.add_column(name, justify="right", no_wrap=True)
    return table


def print_steps_shown(out, shown: int, steps: int, full: str) -> None:
    """Under a table that shows some of the steps: how many, and where the rest are
    (``full``: "--json gives", "--csv or --json give")."""
    if shown < steps:
        out.print(f"showing {shown} of {steps} steps; --every 1 shows all, {full} every step")

"""Activations screen driven through Textual's Pilot."""
import math

import numpy as np
import pytest

from vgtui.app import VgtuiApp
from vgtui.screens.activations import ActivationsScreen
from vgtui.widgets.line_plot import LinePlot

from .helpers import cell_text, on_screen, open_help, page, refused, set_field, text_of, wait_until


def plain_typical_tanh(s):
    x = np.linspace(-12, 12, 400_001)
    dens = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return float(np.trapezoid((1 - np.tanh(s * x) ** 2) * dens, x))


async def test_table_plots_and_number_key():
    app = VgtuiApp()
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.press("5")
        screen = await on_screen(pilot, ActivationsScreen)
        table = screen.query_one("#act-table")
        assert table.row_count == 6
        assert cell_text(table, 0, 0) == "tanh"
        assert cell_text(table, 0, 2) == f"{1 - math.tanh(1) ** 2:.4e}"
        assert cell_text(table, 1, 1) == f"{0.25:.4e}"
        assert cell_text(table, 0, 7) == f"{plain_typical_tanh(1.0):.4f}"
        plot = screen.query_one("#act-df", LinePlot)
        assert plot.curve is not None and max(plot.curve.ys) == pytest.approx(1.0, abs=1e-3)
        drawn = text_of(plot)
        assert any(0x2801 <= ord(ch) <= 0x28FF for ch in drawn)  # braille dots on screen
        assert "max f' = 1" in text_of(screen.query_one("#act-summary"))


@pytest.mark.slow
async def test_spread_points_and_slope_change_the_table():
    async with page(ActivationsScreen, size=(120, 45)) as (app, pilot, screen):
        table = screen.query_one("#act-table")
        await set_field(pilot, screen, "spread", "2")
        await wait_until(pilot, lambda: screen.table.spread == 2)
        assert cell_text(table, 0, 7) == f"{plain_typical_tanh(2.0):.4f}"
        await set_field(pilot, screen, "points", "-1,0,1")
        await wait_until(pilot, lambda: list(screen.table.points) == [-1, 0, 1])
        assert len(table.columns) == 1 + 3 + 4
        assert cell_text(table, 2, 1) == "0"  # relu'(-1)
        await set_field(pilot, screen, "leaky_slope", "0.2")
        await wait_until(pilot, lambda: screen.table.leaky_slope == 0.2)
        assert cell_text(table, 3, 1) == f"{0.2:.4e}"  # leaky relu'(-1)
        assert "--leaky-slope 0.2" in screen.cli_command()
        assert "--at -1,0,1 --spread 2" in screen.cli_command()


@pytest.mark.slow
@pytest.mark.parametrize("name,bad", [("spread", "-1"), ("spread", "abc"), ("points", "0,x"),
                                      ("points", ""), ("leaky_slope", "2")])
async def test_bad_entries_show_inline_error_and_keep_the_table(name, bad):
    async with page(ActivationsScreen, size=(120, 45)) as (app, pilot, screen):
        kept = screen.table
        rows = [screen.query_one("#act-table").get_row_at(i) for i in range(6)]
        await set_field(pilot, screen, name, bad)
        await refused(pilot, screen, name)
        assert "last good result kept" in text_of(screen.status)
        assert screen.table is kept
        assert [screen.query_one("#act-table").get_row_at(i) for i in range(6)] == rows


@pytest.mark.slow
async def test_keys_cycle_plots_and_nudge_the_spread():
    async with page(ActivationsScreen, size=(80, 24)) as (app, pilot, screen):
        await pilot.press("a", "a", "a", "a", "a")
        await pilot.pause()
        assert screen.kind == "silu"
        assert "SiLU" in text_of(screen.query_one("#act-summary"))
        ys = screen.query_one("#act-df", LinePlot).curve.ys
        assert min(ys) < 0 < max(ys) and max(ys) > 1  # SiLU' dips below 0 and rises above 1
        await pilot.press("plus")
        await wait_until(pilot, lambda: screen.spread == 1.1)
        await pilot.press("minus", "minus")
        await wait_until(pilot, lambda: screen.spread == 0.9)
        articles = screen.query_one("#act-articles")
        assert articles.row_count > 5 and "✓" in cell_text(articles, 0, 0)
        await open_help(pilot)

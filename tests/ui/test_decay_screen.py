"""Decay tables screen driven through Textual's Pilot."""
import math

import pytest
from textual.widgets import ProgressBar, TabbedContent

from vgtui.app import VgtuiApp
from vgtui.engine.magnitude import format_log10
from vgtui.screens.base import Progress
from vgtui.screens.decay import DecayScreen

from .helpers import (cell_text, error_cleared, on_screen, open_help, page, refused, set_field,
                      text_of, wait_until)


async def test_default_table_matches_plain_powers():
    app = VgtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        screen = await on_screen(pilot, DecayScreen)
        grid = screen.query_one("#decay-table")
        assert grid.row_count == 7 and len(grid.columns) == 6
        factors = (0.5, 0.7, 0.9, 1.0, 1.1, 1.5, 2.0)
        lengths = (5, 10, 20, 50, 100)
        for i, f in enumerate(factors):
            for j, t in enumerate(lengths):
                text = cell_text(grid, i, j + 1)
                assert format_log10(math.log10(f ** t)) in text
                mark = "▼" if f ** t <= 0.1 else "▲" if f ** t >= 10 else "■"
                assert text.startswith(mark)


@pytest.mark.slow
async def test_editing_the_lists_including_bad_entries():
    async with page(DecayScreen) as (app, pilot, screen):
        grid = screen.query_one("#decay-table")
        await set_field(pilot, screen, "factors", "0.5, 0.9*0.5")
        await set_field(pilot, screen, "lengths", "10 20 5000")
        await wait_until(pilot, lambda: screen.table.factors == (0.5, 0.45)
                         and screen.table.lengths == (10, 20, 5000))
        assert grid.row_count == 2 and len(grid.columns) == 4
        assert format_log10(math.log10(0.45 ** 20)) in cell_text(grid, 1, 2)
        assert cell_text(grid, 0, 3).endswith("e-1506")  # 0.5^5000, exact, not 0
        kept = screen.table
        rows = [grid.get_row_at(i) for i in range(grid.row_count)]
        for name, bad in (("factors", "0.5,abc"), ("factors", "-1"), ("factors", ""),
                          ("lengths", "0"), ("lengths", "1.5"), ("lengths", "10,x")):
            field = await set_field(pilot, screen, name, bad)
            await refused(pilot, screen, name)
            assert field.has_class("-invalid")
            assert "last good result kept" in text_of(screen.status)
            assert screen.table is kept
            assert [grid.get_row_at(i) for i in range(grid.row_count)] == rows
            field.value = "0.5, 0.9*0.5" if name == "factors" else "10 20 5000"
            await error_cleared(pilot, screen, name)
        assert screen.cli_command() == "vgtui decay --factors 0.5,0.45 --steps 10,20,5000"


@pytest.mark.slow
async def test_steps_table_and_article_figures():
    async with page(DecayScreen, size=(160, 50)) as (app, pilot, screen):
        await set_field(pilot, screen, "factors", "0.7")
        await wait_until(pilot, lambda: screen.table.factors == (0.7,))
        steps = screen.query_one("#decay-steps")
        k, v = 0, 1.0
        while v > 1e-3:
            v *= 0.7
            k += 1
        assert cell_text(steps, 0, 3) == str(k)  # 99.9% lost
        articles = screen.query_one("#decay-articles")
        verdicts = [cell_text(articles, i, 5) for i in range(articles.row_count)]
        figures = [cell_text(articles, i, 2) for i in range(articles.row_count)]
        said = [cell_text(articles, i, 3) for i in range(articles.row_count)]
        # every row where an independent computation is more than 10% from the article
        # says so on screen
        for fig, s, verdict in zip(figures, said, verdicts):
            base, t = fig.replace("(0.9*0.5)", "0.45").split("^")
            truth = float(base) ** int(t)
            off = abs(float(s.replace(",", "")) - truth) / truth
            if off > 0.1 and "1e-12" != s:
                assert "differs" in verdict, (fig, s, verdict)
        assert any("differs" in v for v in verdicts)


@pytest.mark.slow
async def test_measured_table_and_its_controls():
    async with page(DecayScreen, size=(160, 50)) as (app, pilot, screen):
        await pilot.press("m")
        assert screen.query_one("#decay-tabs", TabbedContent).active == "tab-measured"
        measured = screen.query_one("#decay-measured")
        assert measured.row_count == 6 and len(measured.columns) == 5
        first = screen.sweep
        for name, text in (("scales", "0.5,1"), ("activations", "tanh,sigmoid"), ("steps", "12"),
                           ("hidden", "6"), ("seed", "2")):
            await set_field(pilot, screen, name, text)
        await wait_until(pilot, lambda: screen.sweep.spec.base.seed == 2
                         and screen.sweep.spec.base.hidden == 6)
        r = screen.sweep
        assert r is not first and r.spec.scales == (0.5, 1.0) and r.spec.activations == ("tanh", "sigmoid")
        assert r.spec.base.steps == 12
        assert measured.row_count == 2 and len(measured.columns) == 3
        assert screen.query_one("#decay-multiplier").row_count == 2
        assert screen.query_one("#decay-compare").row_count == 4
        cell = r.cell("sigmoid", 1.0)
        assert format_log10(cell.log10_ratio, 1) in cell_text(measured, 1, 2)
        shortcut = cell_text(screen.query_one("#decay-multiplier"), 1, 2)
        assert f"{cell.spectral_radius * cell.mean_derivative:.3f}" in shortcut
        assert screen.cli_command() == ("vgtui decay --measured --activations tanh,sigmoid "
                                        "--scales 0.5,1 --steps 12 --hidden 6 --seed 2")


@pytest.mark.slow
@pytest.mark.parametrize("name,bad", [("scales", "0.5,-2"), ("activations", "softmax"),
                                      ("steps", "1"), ("hidden", "0"), ("steps", "abc")])
async def test_measured_bad_entries_keep_the_last_table(name, bad):
    async with page(DecayScreen) as (app, pilot, screen):
        await pilot.press("m")
        kept = screen.sweep
        await set_field(pilot, screen, name, bad)
        await refused(pilot, screen, name)  # T = 1 too: the field's range starts at 2
        assert "last good result kept" in text_of(screen.status)
        assert screen.sweep is kept


@pytest.mark.slow
async def test_progress_indicator_follows_the_sweep():
    async with page(DecayScreen) as (app, pilot, screen):
        bar = screen.query_one("#decay-progress", ProgressBar)
        assert not bar.display  # hidden once the result is in
        screen.post_message(Progress(screen._serial, 0.4))
        await pilot.pause()
        assert bar.progress == pytest.approx(0.4)
        screen._serial += 1  # a launch whose result has not arrived
        screen._show_progress()
        assert bar.display
        screen._hide_progress()
        assert not bar.display


@pytest.mark.slow
async def test_keys_presets_defaults_help_and_small_terminal():
    async with page(DecayScreen, size=(80, 24)) as (app, pilot, screen):
        await pilot.press("p")  # the preset after "default"
        await wait_until(pilot, lambda: screen.table.lengths == (20,))
        await pilot.press("d")
        await wait_until(pilot, lambda: screen.table.lengths == (5, 10, 20, 50, 100))
        await pilot.press("m")
        assert screen.query_one("#decay-tabs", TabbedContent).active == "tab-measured"
        await pilot.press("a")
        assert screen.query_one("#decay-tabs", TabbedContent).active == "tab-closed"
        await pilot.press("f")
        assert screen.focused is screen.query_one("#field-factors")
        await pilot.press("escape")
        assert screen.focused is screen.query_one("#decay-table")
        await open_help(pilot)


@pytest.mark.slow
async def test_palette_presets_reach_the_tables():
    async with page(DecayScreen) as (app, pilot, screen):
        commands = {name: callback for name, _, callback in screen.palette_commands()}
        assert any(name.startswith("Decay tables preset") for name in commands)
        commands["Decay tables preset slow · 0.9 over 10, 50, 100 steps (textbook section)"]()
        await wait_until(pilot, lambda: screen.table.factors == (0.9,)
                         and screen.table.lengths == (10, 50, 100))
        commands["Decay tables: measured on real RNNs"]()
        await pilot.pause()
        assert screen.query_one("#decay-tabs", TabbedContent).active == "tab-measured"
        assert screen.cli_command().startswith("vgtui decay --measured")

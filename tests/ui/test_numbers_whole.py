"""No number is ever shown cut (issue 14, "Numbers and text at 80x24").

For every screen of the registry, at 80x24 and then 100x30, in its default state and after
each of its presets, the whole page is read as text (scrolled a page at a time, so what
lies below the fold is read too) and no number may be cut: no mantissa without its
exponent ("1.476e-"), no number running into a scrollbar or a frame ("2.376▄▄"), none
ending open at the terminal's edge ("3."). Tables are whole by construction (every table
is a FitTable: a column that does not fit is left out, with a "+N ›" marker), and the
status line wraps a long message instead of cutting it.
"""
from __future__ import annotations

import pytest
from textual.widgets import DataTable

from vgtui.app import VgtuiApp
from vgtui.topics import TOPICS
from vgtui.widgets.status_line import STABLE_ENV, StatusLine
from vgtui.widgets.tables import FitTable

from .helpers import cut_numbers, every_screen, screen_pages, settled, wait_until

SIZES = [(80, 24), (100, 30)]
READY_TIMEOUT = 120.0


@pytest.fixture(autouse=True)
def stable_environment(monkeypatch):
    monkeypatch.setenv(STABLE_ENV, "1")


def _problems(app, label: str, pages: list[list[str]]) -> list[str]:
    out = []
    seen = set()
    for page in pages:
        for problem in cut_numbers(page):
            if problem not in seen:
                seen.add(problem)
                out.append(f"{label}: {problem}")
    for table in app.screen.query(DataTable):
        if not isinstance(table, FitTable):
            out.append(f"{label}: table #{table.id} is a plain DataTable (use FitTable)")
    return out


async def _states(pilot, screen):
    """("default", None), then every preset by name: the screen is put in each in turn."""
    yield "default"
    for preset in getattr(screen, "PRESETS", ()):
        screen.load_preset(preset.name)
        await settled(pilot, screen, timeout=READY_TIMEOUT)
        yield preset.name


@pytest.mark.parametrize("screen_id", every_screen(t.id for t in TOPICS))
async def test_no_number_is_cut(screen_id):
    """Each size in turn in one app: started at the first, then back to the defaults
    and resized to the next (one page build per screen instead of one per size)."""
    app = VgtuiApp(start_screen=screen_id)
    problems: list[str] = []
    async with app.run_test(size=SIZES[0]) as pilot:
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_ID", "") == screen_id
                         and app.screen.is_ready(), timeout=READY_TIMEOUT)
        screen = app.screen
        for size in SIZES:
            if size != SIZES[0]:
                if getattr(screen, "PRESETS", ()):  # back to the default state
                    screen.action_defaults()
                await pilot.resize_terminal(*size)
                await wait_until(pilot, lambda: app.size == size)
                await settled(pilot, screen, timeout=READY_TIMEOUT)
            async for state in _states(pilot, screen):
                await pilot.pause()
                pages = await screen_pages(pilot)
                problems += _problems(app, f"{screen_id} {size[0]}x{size[1]} {state}", pages)
    assert not problems, "\n".join(problems[:40])


async def test_a_long_status_message_wraps_whole():
    """A refusal naming a range is read to its end at 80 columns: the status line wraps
    (device and timing step aside) instead of cutting "...from 0 to"."""
    app = VgtuiApp(start_screen="flow")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen.is_ready(), timeout=READY_TIMEOUT)
        status = app.screen.query_one(StatusLine)
        message = ("✗ weight scale must be a number from 0 to 1000 (you typed 'abc'); "
                   "the last good result is kept on screen")
        status.show(message=message, error=True)
        await pilot.pause()
        rows = _status_rows(app)
        joined = " ".join(r.strip() for r in rows)
        assert "the last good result is kept on screen" in joined, rows
        assert status.region.height >= 2


def _status_rows(app) -> list[str]:
    from .helpers import screen_lines

    status = app.screen.query_one(StatusLine)
    lines = screen_lines(app)
    r = status.region
    return [lines[y][r.x:r.right] for y in range(r.y, r.bottom)]


def fit_table_app():
    """An app holding one empty FitTable."""
    from textual.app import App

    class One(App):
        def compose(self):
            yield FitTable(id="t")

    return One()


async def test_fit_table_leaves_out_a_column_that_does_not_fit():
    """A column cut by the table's right edge is blank, not half drawn, and the header
    says how many columns lie beyond."""
    app = fit_table_app()
    async with app.run_test(size=(24, 6)) as pilot:
        table = app.query_one(FitTable)
        table.add_column("a", key="a")
        table.add_column("value", key="b")
        table.add_column("other value", key="c")
        table.add_row("1", "7.0656e-01", "1.4760e-05")
        table.add_row("2", "3.2500e+00", "9.9999e-01")
        from .helpers import screen_lines

        # the header's marker is drawn once the table knows its width (later under load)
        await wait_until(pilot, lambda: "+1›" in screen_lines(app)[0])
        lines = screen_lines(app)
        assert "7.0656e-01" in lines[1]
        assert "1.476" not in "".join(lines), lines  # the third column is left out whole
        assert "+1›" in lines[0], lines
        assert not cut_numbers(lines)


async def test_a_frame_drawn_before_idle_shows_new_cells_whole():
    """DataTable measures changed cells when the app is next idle; on a busy machine a
    frame can come first. A FitTable measures before it draws, so a cell that grew is
    shown whole at once ("never", not "neve"; "3.25", not "3.")."""
    from rich.style import Style

    app = fit_table_app()
    async with app.run_test(size=(40, 6)) as pilot:
        table = app.query_one(FitTable)
        table.add_column("×1e1", key="a")
        table.add_column("x", key="b")
        table.add_row("4", "3", key="r")
        await wait_until(pilot, lambda: not table.widths_pending())
        # no await between the change and the drawing: the app cannot go idle
        table.clear()
        table.add_row("never", "3.25", key="r")
        assert table.widths_pending()
        line = table._render_line(table.header_height, 0, 40, Style()).text
        assert "never" in line and "3.25" in line, line


async def test_fit_table_measures_columns_as_data_table_does():
    """FitTable measures plain one-line cells itself (DataTable's own pass parses every
    cell as markup); the column widths come out as DataTable's, for every kind of cell,
    and a table of both kinds in one column is measured right too."""
    from rich.text import Text
    from textual.app import App

    rows = [
        ("1", "7.0656e-01", Text("λ₂ ≈ 0.5", style="bold"), None),
        ("1000", "-1e-412", "[b]bold[/b] words", "漢字 wide"),
        ("2", "3", Text("two\nlines"), ""),
        ("33", "9.9999e-01", 4.25, "never"),
    ]

    class Both(App):
        def compose(self):
            yield DataTable(id="plain")
            yield FitTable(id="fit")

    app = Both()
    async with app.run_test(size=(100, 30)) as pilot:
        plain, fit = app.query_one("#plain", DataTable), app.query_one("#fit", FitTable)
        for table in (plain, fit):
            for key in "abcd":
                table.add_column(key, key=key)
            for k, row in enumerate(rows):
                table.add_row(*row, key=str(k))
            table.add_row("short", "x", height=None, key="auto")  # an auto-height row
        await wait_until(pilot, lambda: not FitTable.widths_pending(plain)
                         and not fit.widths_pending())
        widths = [[c.content_width for c in t.ordered_columns] for t in (plain, fit)]
        assert widths[0] == widths[1]
        assert widths[1] == [len("short"), len("7.0656e-01"), len("bold words"), 9]
        assert fit.virtual_size == plain.virtual_size


async def test_field_text_is_repeated_below_only_when_it_does_not_fit():
    """Decay's measured tab at 80 columns: the default activations list fills its field
    exactly, so it is not repeated below; a longer list is shown whole under the field."""
    from .helpers import page, set_field

    async with page("decay", size=(80, 24)) as (app, pilot, screen):
        screen.action_show_tab("tab-measured")
        field = screen.query_one("#field-activations")
        await wait_until(pilot, lambda: field.content_region.width > 0)
        full = screen.query_one("#full-activations")
        assert len(field.value) <= field.content_region.width
        assert not full.has_class("-shown")
        await set_field(pilot, screen, "activations", "tanh,sigmoid,relu,identity,tanh,relu")
        await wait_until(pilot, lambda: full.has_class("-shown"))
        assert "tanh,sigmoid,relu,identity,tanh,relu" in str(full.render())

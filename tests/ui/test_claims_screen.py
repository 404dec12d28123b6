"""The Claims screen driven through Pilot: filters, detail, Enter opens a screen,
measuring the training claims, help, command line."""
from types import SimpleNamespace

import pytest
from textual.widgets import DataTable, Input, Select

from vgtui.app import VgtuiApp
from vgtui.engine import claim_rules as R
from vgtui.screens.claims import ClaimsScreen

from .helpers import on_screen, open_help, text_of, wait_until


async def ready(pilot, torch: bool = True) -> ClaimsScreen:
    """The Claims screen once its claims are judged (with ``torch``, those that need it too)."""
    screen = await on_screen(pilot, ClaimsScreen, ready=False)
    await wait_until(pilot, lambda: screen.result is not None
                     and (not torch or "torch" in screen.result.levels))
    await pilot.pause()
    return screen


def rows(screen) -> list[str]:
    table = screen.query_one("#claims-table", DataTable)
    return [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]


@pytest.mark.slow
async def test_table_counts_and_detail_at_80x24():
    app = VgtuiApp(start_screen="claims")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        result = screen.result
        assert rows(screen) == [c.id for c in result.claims]
        counts = text_of(screen.query_one("#claims-counts"))
        for v in R.VERDICTS:
            assert f"{R.VERDICT_MARKS[v]} {result.counts()[v]}" in counts
        assert f"{len(result.claims)}/{len(result.claims)}" in counts
        detail = text_of(screen.query_one("#claims-detail"))
        first = result.claims[0]
        assert first.id in detail and "computed:" in detail and "shown on:" in detail
        await pilot.press("down", "down")
        await pilot.pause()
        assert result.claims[2].id in text_of(screen.query_one("#claims-detail"))
        assert screen.query_one("#claims-table").region.height >= 5


@pytest.mark.slow
async def test_verdict_article_and_search_filters():
    app = VgtuiApp(start_screen="claims")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        await pilot.press("v")  # all -> holds
        await pilot.pause()
        assert screen.verdict == "holds"
        await pilot.press("v", "v", "v")  # -> approx -> convention -> fails
        await pilot.pause()
        assert screen.verdict == "fails"
        assert screen.query_one("#claims-verdict", Select).value == "fails"
        shown = [screen.result.get(i) for i in rows(screen)]
        assert shown and all(c.verdict == "fails" for c in shown)
        assert "✗ does not hold" in text_of(screen.query_one("#claims-detail"))
        await pilot.press("a")  # -> article 000
        await pilot.pause()
        assert screen.article == "000"
        assert all(screen.result.get(i).article == "000" for i in rows(screen))
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"two-unit")
        await wait_until(pilot, lambda: screen.cli_command().endswith("--search two-unit"))
        ids = rows(screen)
        assert ids and all("two-unit" in i for i in ids)
        assert screen.cli_command() == ("vgtui claims --article 000 --verdict fails "
                                        "--search two-unit")
        await pilot.press("escape")
        assert app.focused is screen.query_one("#claims-table")
        await pilot.press("r")
        await pilot.pause()
        assert len(rows(screen)) == len(screen.result.claims)
        assert screen.cli_command() == "vgtui claims"


@pytest.mark.slow
async def test_select_widgets_filter_too():
    app = VgtuiApp(start_screen="claims")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot)
        screen.query_one("#claims-article", Select).value = "004"
        await wait_until(pilot, lambda: screen.article == "004")
        assert rows(screen) and all(i.startswith("004-") for i in rows(screen))
        screen.query_one("#claims-verdict", Select).value = "holds"
        await wait_until(pilot, lambda: screen.verdict == "holds")
        assert all(screen.result.get(i).verdict == "holds" for i in rows(screen))


@pytest.mark.slow
async def test_hostile_search_text_shows_a_message_and_keeps_the_list():
    app = VgtuiApp(start_screen="claims")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        kept = screen.result
        field = screen.query_one("#claims-search", Input)
        for text in ("x" * 2000, "[b]oops[/b", "😀 1e999 nan", ""):
            field.value = text
            await pilot.pause()
            assert screen.result is kept
        field.value = "no claim says this"
        await wait_until(pilot, lambda: rows(screen) == [])
        assert "No claim matches" in text_of(screen.query_one("#claims-detail"))
        await pilot.press("enter", "o")  # nothing highlighted: nothing happens
        assert app.screen is screen


@pytest.mark.slow
async def test_enter_opens_the_claims_screen():
    app = VgtuiApp(start_screen="claims")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await ready(pilot, torch=False)
        screen.set_filters(search="two-unit-norm")
        await pilot.pause()
        assert rows(screen)[0] == "000-two-unit-norm-1"
        screen.query_one("#claims-table").focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_ID", "") == "jacobian")
        app.action_goto("claims")
        await wait_until(pilot, lambda: app.screen is screen)
        screen.set_filters(search="relu-at-0")
        await pilot.pause()
        await pilot.press("o")
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_ID", "") == "activations")


@pytest.mark.slow
async def test_measuring_fills_in_the_training_claims(monkeypatch):
    runs = [SimpleNamespace(arch="rnn", length=t, final_loss=loss, baseline=1.0, seed=0)
            for t, loss in ((5, 0.02), (10, 0.15), (20, 0.9), (50, 1.0), (100, 1.0))]
    calls = []

    def fake(progress=None, cancel=None):
        calls.append(1)
        return SimpleNamespace(runs=runs, cancelled=False, planned=5)

    from vgtui.screens import claims as claims_screen

    monkeypatch.setattr(claims_screen, "measure_training", fake)
    app = VgtuiApp(start_screen="claims")
    async with app.run_test(size=(100, 30)) as pilot:
        # every other claim first, so that nothing else writes the status line meanwhile
        screen = await ready(pilot, torch=True)
        assert screen.result.counts()["pending"] == 5
        await pilot.press("m")  # asks first
        await pilot.pause()
        assert calls == [] and "m again" in text_of(screen.status)
        await pilot.press("m")
        await wait_until(pilot, lambda: screen.result.measured)
        assert calls == [1]
        assert screen.result.counts()["pending"] == 0
        assert screen.result.get("000-train-T5").verdict == "holds"
        assert screen.cli_command().endswith("--measure")
        await pilot.press("x")
        assert "nothing is training" in text_of(screen.status)


async def test_help_palette_and_demo_state():
    app = VgtuiApp(start_screen="claims")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot, torch=False)
        names = [name for name, _, _ in screen.palette_commands()]
        assert "Claims: only 'does not hold'" in names and "Claims: article 003" in names
        screen.demo_prepare()
        await pilot.pause()
        assert screen.verdict == "fails"
        assert all(screen.result.get(i).verdict == "fails" for i in rows(screen))
        await open_help(pilot)


async def open_claim(pilot, screen, claim_id: str) -> None:
    """Enter on the claim's row, once it is listed (the claims computed by torch are
    added when their worker is done, later on a loaded machine)."""
    await wait_until(pilot, lambda: claim_id in [c.id for c in screen.shown], timeout=180)
    table = screen.query_one("#claims-table", DataTable)
    table.move_cursor(row=[c.id for c in screen.shown].index(claim_id))
    table.focus()
    await pilot.pause()
    await pilot.press("enter")


@pytest.mark.slow
async def test_enter_opens_the_claims_screen_set_up_for_the_claim():
    """Not with whatever the screen showed last: the claim's own numbers or preset."""
    from .helpers import settled

    app = VgtuiApp(start_screen="decay")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        decay = app.screen
        await settled(pilot, decay)
        decay.apply({"factors": "0.3,0.6", "lengths": "7"})  # the user's own settings
        await settled(pilot, decay)
        app.action_goto("flow")
        await pilot.pause()
        flow = app.screen
        await settled(pilot, flow)
        flow.apply({"scale": "1.7", "hidden": "9"})
        await settled(pilot, flow)

        app.action_goto("claims")
        screen = await ready(pilot, torch=False)
        await open_claim(pilot, screen, "000-0.7^50")
        await wait_until(pilot, lambda: app.screen is decay)
        await settled(pilot, decay)
        assert decay.config.factors == (0.7,) and decay.config.lengths == (50,)

        app.action_goto("claims")
        await pilot.pause()
        await open_claim(pilot, screen, "003-four-unit-t5")
        await wait_until(pilot, lambda: app.screen is flow)
        await settled(pilot, flow)
        assert flow.config.hidden == 4 and flow.config.scale == 0.5
        assert flow.result.config.hidden == 4

"""The app refuses a computation past the budget inline, with the estimate and the limit,
and keeps the last good result."""
import pytest

from vgtui.app import VgtuiApp

from .helpers import on_screen, page, set_field, text_of, wait_until

# Screens that compute on opening, and the engine call behind each.
COMPUTING = ["longrange", "flow", "chain", "jacobian", "spectrum", "bound", "exploding",
             "forget", "architectures"]


@pytest.mark.slow
@pytest.mark.parametrize("screen_id", COMPUTING)
async def test_opening_a_screen_over_budget_says_so_inline(screen_id, monkeypatch):
    monkeypatch.setenv("VGTUI_SECONDS", "1e-7")
    app = VgtuiApp(start_screen=screen_id)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on_screen(pilot, screen_id, ready=False)
        await wait_until(pilot, lambda: "over the limit of" in text_of(screen.status))
        status = text_of(screen.status)
        assert "would take about" in status and "✗" in status, status


async def test_a_refused_change_keeps_the_last_good_result(monkeypatch):
    monkeypatch.delenv("VGTUI_SECONDS", raising=False)
    async with page("flow") as (app, pilot, screen):
        kept = screen.result
        monkeypatch.setenv("VGTUI_MEMORY_MB", "1")  # read at every check
        await set_field(pilot, screen, "steps", "100000")
        await wait_until(pilot, lambda: "of memory, over the limit of 1 MB" in
                         text_of(screen.status))
        assert screen.result is kept
        assert "last good result kept" in text_of(screen.status)


@pytest.mark.slow
async def test_decay_measured_table_and_experiments_refuse_inline(monkeypatch):
    monkeypatch.setenv("VGTUI_SECONDS", "1e-7")
    app = VgtuiApp(start_screen="decay")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on_screen(pilot, "decay", ready=False)
        await pilot.press("m")  # the measured tab runs real RNNs
        await wait_until(pilot, lambda: "over the limit of" in text_of(screen.status))
        app.action_goto("experiments")
        screen = await on_screen(pilot, "experiments", ready=False)
        await pilot.press("r")
        await wait_until(pilot, lambda: "over the limit of" in text_of(screen.status)
                         or "over the limit of" in _all_text(screen))


def _all_text(screen) -> str:
    from textual.widgets import Static

    return " ".join(text_of(w) for w in screen.query(Static))

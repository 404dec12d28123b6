"""Scalar chain screen driven through Textual's Pilot."""
import math

import pytest

from vgtui.app import VgtuiApp
from vgtui.engine.magnitude import format_log10
from vgtui.screens.chain import ChainScreen

from .helpers import (error_cleared, escape_to, on_screen, open_help, page, refused, set_field,
                      text_of, wait_until)


def plain_chain(w, steps, h0):
    h, cum, rows = h0, 1.0, []
    for _ in range(steps):
        h = math.tanh(w * h)
        cum *= w * (1 - h * h)
        rows.append((h, cum))
    return rows


async def test_number_key_opens_it_and_the_step_through_works():
    app = VgtuiApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        screen = await on_screen(pilot, ChainScreen)
        table = screen.query_one("#chain-table")
        assert screen.position == 0 and table.row_count == 1
        await pilot.press("n", "n", "n")
        assert screen.position == 3 and table.row_count == 4
        now = text_of(screen.query_one("#chain-now"))
        h3, cum3 = plain_chain(0.5, 3, 0.1)[-1]
        assert "t = 3 of 10" in now
        assert format_log10(math.log10(cum3), 3) in now
        assert table.get_row_at(3)[1] == format_log10(math.log10(h3), 3)
        await pilot.press("b")
        assert screen.position == 2 and table.row_count == 3
        await pilot.press("e")
        assert screen.position == 10 and table.row_count == 11
        h10, cum10 = plain_chain(0.5, 10, 0.1)[-1]
        assert table.get_row_at(10)[3] == format_log10(math.log10(cum10), 3)
        assert table.get_row_at(10)[4] == format_log10(10 * math.log10(0.5), 3)
        await pilot.press("n")  # past the end: stays
        assert screen.position == 10
        await pilot.press("r")
        assert screen.position == 0 and table.row_count == 1
        await pilot.press("b")  # before the start: stays
        assert screen.position == 0


@pytest.mark.slow
async def test_changing_w_T_h0_recomputes_and_keeps_the_position():
    async with page(ChainScreen) as (app, pilot, screen):
        await pilot.press("e")
        first = screen.trace
        await set_field(pilot, screen, "weight", "1.5")
        await wait_until(pilot, lambda: screen.trace.weight == 1.5)
        assert screen.position == 10
        h, cum = plain_chain(1.5, 10, 0.1)[-1]
        assert screen.trace.value("cum", 9) == pytest.approx(cum, rel=1e-12)
        await set_field(pilot, screen, "h0", "0.7")
        await wait_until(pilot, lambda: screen.trace.h0 == 0.7)
        await set_field(pilot, screen, "trace_steps", "4")
        await wait_until(pilot, lambda: screen.trace.steps == 4)
        assert screen.position == 4  # clamped to the new T
        assert screen.trace is not first
        assert "--weight 1.5 --steps 4 --h0 0.7" in screen.cli_command()


@pytest.mark.slow
async def test_bad_entries_show_inline_errors_and_keep_the_trace():
    async with page(ChainScreen) as (app, pilot, screen):
        await pilot.press("n", "n")
        kept = screen.trace
        now = text_of(screen.query_one("#chain-now"))
        for name, bad in (("weight", "abc"), ("weight", "200"), ("trace_steps", "0"),
                          ("trace_steps", "2.5"), ("h0", "")):
            field = await set_field(pilot, screen, name, bad)
            await refused(pilot, screen, name)
            assert field.has_class("-invalid")
            assert "last good result kept" in text_of(screen.status)
            assert screen.trace is kept and screen.position == 2
            assert text_of(screen.query_one("#chain-now")) == now
            field.value = {"weight": "0.5", "trace_steps": "10", "h0": "0.1"}[name]
            await error_cleared(pilot, screen, name)


@pytest.mark.slow
async def test_gamma_panel_and_its_bad_input():
    async with page(ChainScreen) as (app, pilot, screen):
        gamma = screen.query_one("#chain-gamma-result")
        await set_field(pilot, screen, "gamma", "0.5")
        await set_field(pilot, screen, "gamma_steps", "20")
        await wait_until(pilot, lambda: format_log10(math.log10(0.5 ** 20), 4) in text_of(gamma))
        steps, v = 0, 1.0
        while v > 0.1:
            v *= 0.5
            steps += 1
        assert f"90%: {steps} steps" in text_of(gamma)
        await set_field(pilot, screen, "gamma", "0.9*0.5")
        await wait_until(pilot, lambda: format_log10(20 * math.log10(0.45), 4) in text_of(gamma))
        await set_field(pilot, screen, "gamma", "1.1")
        await wait_until(pilot, lambda: "grow" in text_of(gamma))
        kept = text_of(gamma)
        await set_field(pilot, screen, "gamma", "-2")
        await refused(pilot, screen, "gamma")
        assert text_of(gamma) == kept
        assert "vgtui decay --factors 1.1 --steps 20" in screen.cli_command()


@pytest.mark.slow
async def test_nudge_keys_presets_and_help():
    async with page(ChainScreen) as (app, pilot, screen):
        await pilot.press("plus")
        await wait_until(pilot, lambda: screen.trace.weight == 0.55)
        await pilot.press("minus", "minus")
        await wait_until(pilot, lambda: screen.trace.weight == 0.45)
        await pilot.press("p")  # the preset after the one last chosen (the article's)
        await wait_until(pilot, lambda: screen.trace.weight == 0.9 and screen.trace.steps == 50)
        await open_help(pilot)
        assert "run to end" in app.screen.keys and "`+`" in app.screen.keys
        await escape_to(pilot, screen)


@pytest.mark.slow
async def test_article_trace_check_and_80x24():
    async with page(ChainScreen, size=(80, 24)) as (app, pilot, screen):
        article = text_of(screen.query_one("#chain-article"))
        assert "✓" in article and "dh_t/dh_0 at t=10" in article
        cum10 = plain_chain(0.5, 10, 0.1)[-1][1]
        assert format_log10(math.log10(cum10), 4) in article
        await pilot.press("e")
        assert screen.position == 10

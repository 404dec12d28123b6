"""Demo mode, and being at home over SSH: NO_COLOR, the ANSI theme, small
terminals, 80x24, keyboard only."""
import re

import pytest

from vgtui.app import ANSI_THEME, VgtuiApp
from vgtui.topics import TOPICS as SCREENS

from .helpers import on_screen, screen_text, svg_text, text_of, wait_until, workers_done


def narration(app) -> str:
    """The demo bar's title and text; "" while the screen just switched to has not
    mounted its bar yet (the condition is polled, so it is read again)."""
    from textual.css.query import NoMatches

    try:
        bar = app.screen.query_one("#demo-bar")
    except NoMatches:
        return ""
    return f"{bar.border_title} {text_of(bar)}" if bar.display else ""


@pytest.mark.slow
async def test_demo_walks_every_screen_forward_and_back():
    ids = VgtuiApp.demo_screen_ids()
    assert ids == [s.id for s in SCREENS if s.load().DEMO.strip()]
    app = VgtuiApp(demo=True)
    async with app.run_test(size=(100, 34)) as pilot:
        seen = []
        for k, screen_id in enumerate(ids):
            await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_ID", "") == screen_id
                             and f"DEMO {k + 1}/{len(ids)}" in narration(app))
            assert app.screen.TITLE in narration(app)
            seen.append(app.screen.SCREEN_ID)
            await pilot.press("space" if k % 2 else "right")
        assert seen == ids
        # after the last screen the demo starts again
        await wait_until(pilot, lambda: app.screen.SCREEN_ID == ids[0])
        for k in range(len(ids) - 1, -1, -1):
            await pilot.press("left")
            await wait_until(pilot, lambda: app.screen.SCREEN_ID == ids[k]
                             and f"DEMO {k + 1}/" in narration(app))


@pytest.mark.slow
async def test_demo_prepares_each_screen():
    app = VgtuiApp(demo=True)
    async with app.run_test(size=(100, 34)) as pilot:
        await wait_until(pilot, lambda: app.screen.SCREEN_ID == "longrange"
                         and app.screen.result is not None
                         and app.screen.result.config.model == "rnn")
        await pilot.press("right")
        await wait_until(pilot, lambda: app.screen.SCREEN_ID == "flow"
                         and app.screen.result is not None
                         and app.screen.result.config.activation == "sigmoid")


@pytest.mark.slow
async def test_demo_skips_screens_without_narration(monkeypatch):
    from vgtui.screens.history import HistoryScreen

    monkeypatch.setattr(HistoryScreen, "DEMO", "")
    ids = VgtuiApp.demo_screen_ids()
    assert "history" not in ids and len(ids) == len(SCREENS) - 1
    app = VgtuiApp(demo=True, start_screen="flow")
    async with app.run_test(size=(100, 34)) as pilot:
        await wait_until(pilot, lambda: app.screen.SCREEN_ID == "flow" and narration(app))
        await pilot.press("right")
        after = ids[ids.index("flow") + 1]
        await wait_until(pilot, lambda: app.screen.SCREEN_ID == after)


@pytest.mark.slow
async def test_demo_interval_advances_by_itself_and_escape_ends_it():
    ids = VgtuiApp.demo_screen_ids()
    app = VgtuiApp(demo_interval=2)
    async with app.run_test(size=(100, 34)) as pilot:
        # It moves on by itself (it may be further on by the time we look: any screen
        # after the first will do); the narration follows the switch.
        await wait_until(pilot, lambda: app.screen.SCREEN_ID in ids[1:] and narration(app),
                         timeout=120)
        assert "every 2 s" in narration(app)
        await pilot.press("escape")
        # a move on its way when Escape came (a tick just before it) is dropped
        await workers_done(pilot, "demo")
        assert not app.demo_active and narration(app) == ""
        here = app.screen.SCREEN_ID
        assert app._demo_timer is None  # no tick is coming
        app._demo_tick()  # and one that fires anyway moves nothing
        await workers_done(pilot, "demo")
        assert app.screen.SCREEN_ID == here and narration(app) == ""
        await pilot.press("g")  # ordinary keys work again
        from vgtui.widgets.pickers import ScreenPicker
        await wait_until(pilot, lambda: isinstance(app.screen, ScreenPicker))


@pytest.mark.slow
async def test_demo_keys_leave_modals_alone():
    app = VgtuiApp(demo=True)
    async with app.run_test(size=(100, 34)) as pilot:
        await wait_until(pilot, lambda: narration(app))
        await pilot.press("f1")
        await pilot.pause()
        from vgtui.widgets.help import HelpScreen
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("right")
        await pilot.press("escape")  # closes help, does not end the demo
        await pilot.pause()
        assert app.demo_active and app.screen.SCREEN_ID == "longrange"


@pytest.mark.slow
async def test_screen_flag_lands_on_every_screen():
    for s in SCREENS:
        app = VgtuiApp(start_screen=s.id)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_ID", "") == s.id)
            assert s.title in text_of(app.screen.query_one("#title-bar"))


@pytest.mark.slow
@pytest.mark.parametrize("changes,marker", [
    ({"activation": "sigmoid", "steps": 20}, "▼ vanishing"),
    ({"activation": "identity", "init": "orthogonal", "scale": 1.2}, "▲ exploding"),
    ({"activation": "identity", "init": "orthogonal", "scale": 1.0}, "■ near-stable"),
])
async def test_no_color_keeps_the_verdicts_readable(monkeypatch, changes, marker):
    from textual.filter import Monochrome

    from vgtui.widgets.controls import ControlPanel

    monkeypatch.setenv("NO_COLOR", "1")
    app = VgtuiApp(start_screen="flow")
    async with app.run_test(size=(80, 24)) as pilot:
        assert any(isinstance(f, Monochrome) for f in app._filters)
        await wait_until(pilot, lambda: getattr(app.screen, "result", None) is not None)
        screen = app.screen
        screen.query_one(ControlPanel).set_values(changes)
        await wait_until(pilot, lambda: all(getattr(screen.result.config, k) == v
                                            for k, v in changes.items()))
        await wait_until(pilot, lambda: marker in screen_text(app))
        svg = app.export_screenshot()
    assert grey_only(svg), "colour under NO_COLOR"
    assert marker in svg_text(svg)


def grey_only(svg: str) -> bool:
    # c5c8c6 is the SVG exporter's own default foreground, not a colour the app drew
    fills = set(re.findall(r"fill:\s*#([0-9a-fA-F]{6})", svg)) - {"c5c8c6"}
    return bool(fills) and all(f[0:2] == f[2:4] == f[4:6] for f in fills)


@pytest.mark.slow
@pytest.mark.parametrize("screen_id,keys,markers", [
    # the closed-form decay table marks every cell; the default lists hold all three
    ("decay", (), ("▼ vanishing", "▼ 3.125e-02", "■ 1.681e-01", "▲ 3.200e+01")),
    ("decay", ("m",), ("▼ vanishing · ■ near-stable · ▲ exploding", "▼ 7.8e-23", "▲ 4.7e+01")),
    ("bound", (), ("● measured", "▲ bound", "○ typical")),
    ("exploding", (), ("▲ exploding",)),
])
async def test_no_color_keeps_verdicts_readable_on_more_screens(monkeypatch, screen_id, keys,
                                                                markers):
    """Decay tables, Pascanu et al. bound, Exploding: the marker says what colour would."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = VgtuiApp(start_screen=screen_id)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_ID", "") == screen_id
                         and app.screen.is_ready())
        for key in keys:
            await pilot.press(key)
        # a switched tab draws on a later refresh: wait for it rather than guess
        await wait_until(pilot, lambda: all(m in screen_text(app)
                                            for m in markers))
        svg = app.export_screenshot()
        summary = text_of(app.screen.query_one("#bound-summary")) if screen_id == "bound" else ""
    assert grey_only(svg), "colour under NO_COLOR"
    text = svg_text(svg)
    for marker in markers:
        assert marker in text, marker
    if screen_id == "bound":  # the verdict wraps on screen; its marker is in front of it
        assert "▼ forces vanishing" in summary


@pytest.mark.slow
async def test_no_color_keeps_the_token_levels_readable(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = VgtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: getattr(app.screen, "result", None) is not None)
        await pilot.pause()
        text = screen_text(app)
    assert "◆" in text and "●" in text
    assert len(set(text) & set("█▇▆▅▄▃▂▁")) >= 2


async def test_ansi_theme_by_flag_and_by_key():
    app = VgtuiApp(ansi=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == ANSI_THEME and app.native_ansi_color
        app.screen.set_focus(None)
        await pilot.press("ctrl+t")
        assert app.theme != ANSI_THEME
        await pilot.press("ctrl+t")
        assert app.theme == ANSI_THEME


async def test_small_terminal_shows_a_notice_instead_of_the_page():
    app = VgtuiApp()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        screen = app.screen
        notice = screen.query_one("#too-small")
        assert notice.display and notice.region.height > 0
        assert "enlarge" in text_of(notice) and "40×12" in text_of(notice)
        assert screen.query_one("#page-body").region.height == 0
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert screen.query_one("#page-body").region.height > 10
        assert screen.query_one("#too-small").region.height == 0


@pytest.mark.slow
@pytest.mark.parametrize("screen_id", [s.id for s in SCREENS])
async def test_every_screen_lays_out_at_80x24_and_scrolls_by_keyboard(screen_id):
    app = VgtuiApp(start_screen=screen_id)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_screen(pilot, screen_id)
        assert not screen.has_class("-too-small")
        body = screen.query_one("#page-body").region
        assert body.width == 80 and body.height >= 18
        for key in ("tab", "pagedown", "end", "home", "shift+tab"):
            await pilot.press(key)
        assert app.screen is screen


@pytest.mark.slow
async def test_a_failing_demo_preset_does_not_stop_the_demo(monkeypatch):
    from vgtui.screens.longrange import LongRangeScreen

    def broken(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(LongRangeScreen, "demo_prepare", broken)
    ids = VgtuiApp.demo_screen_ids()
    app = VgtuiApp(demo=True)
    async with app.run_test(size=(100, 34)) as pilot:
        await wait_until(pilot, lambda: narration(app))
        assert any("demo preset failed" in str(n.message) for n in app._notifications)
        await pilot.press("right")
        await wait_until(pilot, lambda: app.screen.SCREEN_ID == ids[1])


@pytest.mark.slow
async def test_a_goto_during_a_demo_move_wins():
    """A demo step still on its way must not undo a screen the user chose after it."""
    from vgtui.screens.flow import FlowScreen

    app = VgtuiApp(start_screen="decay", demo=True)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        app.action_demo_step(1)  # queues the move to the next demo screen
        app.action_goto("flow")  # ... and the user picks a screen before it lands
        await workers_done(pilot, "demo")
        assert isinstance(app.screen, FlowScreen)

"""What every screen built on ConfigPage promises, checked on each of them."""
from __future__ import annotations

import pytest

from vgtui.app import VgtuiApp
from vgtui.screens.config_page import ConfigPage
from vgtui.topics import TOPICS

from .helpers import (every_screen, error_cleared, on_screen, refused, set_field, settled, text_of,
                      theme_while_away, wait_until)

# A numeric field of every computing screen, and a text it refuses.
REFUSABLE = {
    "longrange": ("filler", "-1"), "flow": ("scale", "abc"), "chain": ("weight", "200"),
    "decay": ("factors", "0.5,x"), "activations": ("spread", "-1"),
    "jacobian": ("hidden", "0"), "spectrum": ("shear", "-2"), "bound": ("sequences", "0"),
    "exploding": ("tau", "abc"), "forget": ("forget_bias", "99"),
    "architectures": ("radius", "9"), "experiments": ("seeds", "0"),
}
CONFIG_PAGES = [t.id for t in TOPICS if issubclass(t.load(), ConfigPage)]


def test_every_computing_screen_is_a_config_page():
    assert sorted(CONFIG_PAGES) == sorted(REFUSABLE)


@pytest.mark.parametrize("screen_id", every_screen(sorted(REFUSABLE)))
async def test_typing_a_refused_value_back_clears_the_error_without_computing(screen_id):
    name, bad = REFUSABLE[screen_id]
    app = VgtuiApp(start_screen=screen_id)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on_screen(pilot, screen_id)
        field = screen.query_one(f"#field-{name}")
        shown, launches, result = field.value, screen.launches, screen.result
        await set_field(pilot, screen, name, bad)
        await refused(pilot, screen, name)
        assert "✗" in text_of(screen.status) and screen.result is result
        field.value = shown
        await error_cleared(pilot, screen, name)
        assert "✗" not in text_of(screen.status), text_of(screen.status)
        assert screen.launches == launches and screen.result is result


@pytest.mark.slow
@pytest.mark.parametrize("screen_id", sorted(REFUSABLE))
async def test_p_reaches_every_preset_in_order_and_d_restores_the_defaults(screen_id):
    app = VgtuiApp(start_screen=screen_id)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on_screen(pilot, screen_id)
        presets = screen.PRESETS
        if not presets:
            pytest.skip("no presets on this screen")
        first = screen._preset_cursor
        seen = []
        for _ in presets:
            screen.action_next_preset()
            seen.append(presets[screen._preset_cursor].name)
            await settled(pilot, screen, timeout=90)
            assert screen.config == screen.preset_config(seen[-1])
        start = (first + 1) % len(presets)
        assert seen == [p.name for p in presets[start:] + presets[:start]]
        screen.action_defaults()
        await settled(pilot, screen, timeout=90)
        values, errors = screen.values()
        assert not errors
        assert screen.config == screen.make_config(screen.parse_values(
            {**screen.default_values(), **{k: values[k] for k in screen.KEEP_ON_PRESET
                                           if k in values}}))


async def test_a_first_visit_does_not_reparse_the_stylesheet_and_a_theme_still_reaches_every_page():
    """A new screen is styled as it mounts: opening it must not re-parse the whole app
    stylesheet (Textual would, twice, for a screen it thinks was never styled). A theme
    chosen later still restyles a page opened before it."""
    app = VgtuiApp(start_screen="chain")
    async with app.run_test(size=(80, 24)) as pilot:
        chain = await on_screen(pilot, "chain")
        stylesheet = app.stylesheet
        reparses = []
        original = stylesheet.reparse
        stylesheet.reparse = lambda: (reparses.append(1), original())[1]
        app.action_goto("activations")
        await on_screen(pilot, "activations")
        assert reparses == []
        background = str(chain.styles.background)
        await theme_while_away(pilot, "chain")
        assert reparses, "a theme change re-parses the stylesheet"
        assert str(chain.styles.background) != background


async def test_tab_from_a_resting_page_enters_its_settings_and_tables_stay_reachable():
    """Tab on a page just opened (or left with Esc) goes to its first setting, so a value
    typed next lands in it instead of the digits switching screens; Tab from anywhere else
    moves on as usual, so Tab keeps reaching the result tables."""
    from textual.widgets import DataTable

    from .bursts import burst

    app = VgtuiApp(start_screen="decay")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_screen(pilot, "decay")
        await burst(pilot, ["tab", "end", *["backspace"] * 30, *"0.3,1.2", "enter"])
        await settled(pilot, screen)
        assert app.screen is screen, "the typed digits switched screens"
        assert tuple(screen.config.factors) == (0.3, 1.2)
        await pilot.press("tab")  # after Enter (as after Esc): the settings again
        assert app.focused is screen.query_one("#field-factors")
        reached = set()
        for _ in range(12):
            await pilot.press("tab")
            if isinstance(app.focused, DataTable):
                reached.add(app.focused.id)
        assert "decay-table" in reached, reached


async def test_a_page_is_restyled_on_return_only_when_the_app_changed_and_its_footer_built_once():
    """Textual restyles every node of a page each time it is shown, and rebuilds the
    footer's keys on every focus move; both cost a fifth of a first visit each. A page
    comes back restyled only after a change of theme or app state, and its footer is
    rebuilt when what it shows changes, not more."""
    from vgtui.widgets.footer import KeyFooter
    from textual.widgets._footer import FooterKey

    rebuilds = []
    original = KeyFooter.recompose

    async def counted(self):
        rebuilds.append(self.screen.SCREEN_ID)
        await original(self)

    app = VgtuiApp(start_screen="chain")
    async with app.run_test(size=(80, 24)) as pilot:
        KeyFooter.recompose = counted
        try:
            chain = await on_screen(pilot, "chain")
            restyles = []
            chain.update_node_styles = lambda animate=True: restyles.append(animate)
            app.action_goto("decay")
            decay = await on_screen(pilot, "decay")
            await wait_until(pilot, lambda: decay.query(FooterKey))
            assert rebuilds.count("decay") == 1
            app.action_goto("chain")
            await on_screen(pilot, "chain")
            assert restyles == []  # nothing changed meanwhile
            shown = {key.action: key.has_class("-disabled") for key in chain.query(FooterKey)}
            assert shown and not any(shown.values())
            action = next(iter(shown))
            # None: shown, greyed out (Textual's convention for check_action)
            chain.check_action = lambda name, parameters: (
                None if name == action.split("(")[0] else True)
            chain.refresh_bindings()
            await wait_until(pilot, lambda: any(k.action == action and k.has_class("-disabled")
                                                for k in chain.query(FooterKey)))
            await theme_while_away(pilot, "chain", away="decay")
            assert restyles, "a page hidden during a theme change is restyled on return"
        finally:
            KeyFooter.recompose = original

"""Themes: every colour the app draws comes from the active Textual theme (through the
roles of vgtui/present/styles.py), a theme change redraws the figures without computing
them again, and the theme and the last screen are remembered between runs."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from rich.errors import StyleSyntaxError
from rich.style import Style
from textual.theme import BUILTIN_THEMES

from vgtui.app import VgtuiApp, config_dir, load_settings, save_settings, settings_path
from vgtui.present.styles import CLI_PALETTE, ROLES, theme_palette
from vgtui.topics import TOPICS

from .helpers import on_screen, text_of, wait_until

ROOT = Path(__file__).resolve().parents[2] / "vgtui"
LIGHT = ("textual-light", "solarized-light", "catppuccin-latte", "rose-pine-dawn",
         "atom-one-light", "ansi-light")


def _styles_of(rendered) -> set[str]:
    """The style strings of a Text's spans."""
    return {str(span.style) for span in rendered.spans}


def _cell_with(table, glyph: str):
    """The first cell of a DataTable whose text starts with ``glyph``."""
    for row in range(table.row_count):
        for cell in table.get_row_at(row):
            if getattr(cell, "plain", "").startswith(glyph):
                return cell
    raise AssertionError(f"no cell starts with {glyph}")


# -- the role table ------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(BUILTIN_THEMES))
def test_every_role_has_a_style_in_every_theme(name):
    palette = theme_palette(BUILTIN_THEMES[name])
    assert set(palette) == set(ROLES)
    for style in palette.values():
        Style.parse(style)  # a style Rich (and Textual) can draw
    # the theme's own colours, not the command line's
    if not name.startswith("ansi-"):
        assert palette["vanishing"].startswith("bold #")
        assert palette["series1"] != CLI_PALETTE["series1"]


def test_the_command_line_palette_is_the_terminals_own_colours():
    assert CLI_PALETTE["vanishing"] == "bold yellow" and CLI_PALETTE["stable"] == "bold green"
    assert CLI_PALETTE["exploding"] == "bold red"
    assert all("#" not in style for style in CLI_PALETTE.values())


@pytest.mark.parametrize("name", LIGHT)
def test_light_themes_draw_the_regimes_apart_from_the_background(name):
    """On a light background the regime colours are the theme's text variants (made
    readable there), never the pale raw colours; and the three regimes differ."""
    from textual.color import Color

    theme = BUILTIN_THEMES[name]
    palette = theme_palette(theme)
    if name.startswith("ansi-"):
        return  # the terminal's own palette decides
    background = Color.parse(theme.background or "#ffffff")
    for role in ("vanishing", "stable", "exploding", "series1", "agrees", "differs"):
        colour = Color.parse(palette[role].split()[-1])
        contrast = (max(colour.brightness, background.brightness) + 0.05) / \
            (min(colour.brightness, background.brightness) + 0.05)
        assert contrast > 1.6, (name, role, palette[role], theme.background)
    assert len({palette[r] for r in ("vanishing", "stable", "exploding")}) == 3


def test_an_odd_theme_falls_back_to_the_command_line_colours():
    from textual.theme import Theme

    odd = Theme(name="odd", primary="#123456", variables={"text-warning": "auto 80%"})
    palette = theme_palette(odd)
    assert palette["vanishing"] == CLI_PALETTE["vanishing"]  # no plain colour: the CLI's
    assert palette["series1"].startswith("bold #")
    assert theme_palette(object()) is CLI_PALETTE


# -- no colour outside the role table ------------------------------------------------------
COLOUR_WORDS = re.compile(
    r"(?<![\w$-])(red|green|yellow|blue|cyan|magenta|white|black|grey\d*|gray\d*|orange\d*|"
    r"purple|pink|bright_\w+|#[0-9a-fA-F]{3,8}|rgba?\(|hsla?\(|color\(\d)(?![\w-])")


def _has_colour(style: str) -> bool:
    """A string that Rich reads as a style with a colour in it ("bold red", "on #123")."""
    try:
        parsed = Style.parse(style)
    except (StyleSyntaxError, ValueError, KeyError):
        return False
    colours = [c for c in (parsed.color, parsed.bgcolor) if c is not None]
    return any(c.name != "default" for c in colours)


def _strings(tree) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append((node.lineno, node.value))
    return out


def _colours_in_python(path: Path) -> list[str]:
    found = []
    for line, text in _strings(ast.parse(path.read_text(encoding="utf-8"))):
        tags = re.findall(r"\[([^\[\]/][^\[\]]*)\]", text)  # markup: "[bold red]..."
        if _has_colour(text.strip()) or any(_has_colour(tag) for tag in tags):
            found.append(f"{path.relative_to(ROOT.parent)}:{line}: {text[:60]!r}")
        elif "{" in text and ":" in text and COLOUR_WORDS.search(text):  # DEFAULT_CSS
            found.append(f"{path.relative_to(ROOT.parent)}:{line}: CSS {text[:60]!r}")
    return found


def test_no_colour_is_named_outside_the_role_table():
    """Screens, widgets, what they draw from (present/) and the stylesheet name roles or
    theme variables ($primary, $text-warning), never a colour: only
    vgtui/present/styles.py knows colours."""
    files = [p for folder in ("screens", "widgets", "present") for p in
             sorted((ROOT / folder).glob("*.py")) if p.name != "styles.py"]
    files += [ROOT / "app.py"]
    found = [hit for path in files for hit in _colours_in_python(path)]
    for sheet in sorted(ROOT.glob("*.tcss")):
        for number, line in enumerate(sheet.read_text(encoding="utf-8").splitlines(), 1):
            code = re.sub(r"/\*.*?\*/", "", line)
            if COLOUR_WORDS.search(code):
                found.append(f"{sheet.name}:{number}: {line.strip()}")
    assert not found, "colours named outside vgtui/present/styles.py:\n" + "\n".join(found)


def test_the_colour_check_sees_colours():
    assert _has_colour("bold red") and _has_colour("#ffaa00") and _has_colour("on blue")
    assert not _has_colour("bold") and not _has_colour("dim italic")
    assert not _has_colour("default") and not _has_colour("series1")
    assert COLOUR_WORDS.search("color: red;") and not COLOUR_WORDS.search("color: $error;")


# -- a theme change redraws, computing nothing ----------------------------------------------
async def test_a_theme_change_redraws_the_figures_without_computing_them():
    dark, light = (theme_palette(BUILTIN_THEMES[n]) for n in ("textual-dark", "textual-light"))
    assert dark["vanishing"] != light["vanishing"] and dark["series1"] != light["series1"]
    app = VgtuiApp(start_screen="decay", theme="textual-dark")
    async with app.run_test(size=(100, 40)) as pilot:
        decay = await on_screen(pilot, "decay")
        table = decay.query_one("#decay-table")
        cell = _cell_with(table, "▼")
        assert str(cell.style) == dark["vanishing"]
        table.move_cursor(row=1)
        result, launches = decay.result, decay.launches

        app.action_goto("flow")
        flow = await on_screen(pilot, "flow")
        chart = flow.query_one("#flow-chart")
        assert dark["series1"] in _styles_of(chart.render())
        flow_result, flow_launches = flow.result, flow.launches

        app.theme = "textual-light"  # what Textual's theme picker does
        await wait_until(pilot, lambda: light["series1"] in _styles_of(chart.render()))
        assert dark["series1"] not in _styles_of(chart.render())
        await pilot.pause()
        assert flow.result is flow_result and flow.launches == flow_launches

        app.action_goto("decay")  # drawn in the new theme once it is shown again
        await on_screen(pilot, "decay")
        await wait_until(pilot, lambda: str(_cell_with(table, "▼").style)
                         == light["vanishing"])
        assert _cell_with(table, "▼").plain == cell.plain  # the same figures, new colours
        assert decay.result is result and decay.launches == launches
        assert table.cursor_row == 1  # the table kept its place
        assert app.is_running


async def test_a_theme_picked_in_the_app_redraws_the_page_and_is_remembered(own_config_dir):
    """Textual's own picker (ctrl+p, Theme): the page comes back in the new theme, and the
    choice is saved for the next run."""
    from textual.command import CommandList, CommandPalette

    light = theme_palette(BUILTIN_THEMES["solarized-light"])
    app = VgtuiApp(start_screen="decay")
    async with app.run_test(size=(100, 40)) as pilot:
        decay = await on_screen(pilot, "decay")
        table = decay.query_one("#decay-table")
        app.action_change_theme()
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"solarized-light")

        def first_is_the_theme() -> bool:
            found = app.screen.query(CommandList)
            return bool(found) and found.first().option_count > 0 and \
                "solarized-light" in str(found.first().get_option_at_index(0).prompt)
        await wait_until(pilot, first_is_the_theme)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.theme == "solarized-light")
        await wait_until(pilot, lambda: str(_cell_with(table, "▼").style)
                         == light["vanishing"])
        assert app.screen is decay
    assert json.loads((own_config_dir / "settings.json").read_text())["theme"] == \
        "solarized-light"


# -- remembered between runs -----------------------------------------------------------------
def test_the_settings_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VGTUI_CONFIG_DIR", str(tmp_path / "own"))
    assert settings_path() == tmp_path / "own" / "settings.json"
    monkeypatch.delenv("VGTUI_CONFIG_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert settings_path() == tmp_path / "xdg" / "vgtui" / "settings.json"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert settings_path() == tmp_path / "home" / ".config" / "vgtui" / "settings.json"


def test_the_tests_never_touch_the_users_settings():
    assert str(config_dir()) != str(Path.home() / ".config" / "vgtui")


@pytest.mark.parametrize("content,why", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a JSON object"),
    (b"\xff\xfe\x00garbage", "could not be read"),
])
def test_a_broken_settings_file_is_ignored_with_one_line(own_config_dir, content, why):
    path = own_config_dir / "settings.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    remembered, problem = load_settings()
    assert remembered == {} and why in problem and "\n" not in problem


def test_settings_keep_only_what_vgtui_writes(own_config_dir):
    (own_config_dir / "settings.json").write_text(json.dumps(
        {"theme": "nord", "screen": 7, "other": "x"}))
    assert load_settings() == ({"theme": "nord"}, None)
    assert save_settings({"theme": "dracula", "screen": "flow"}) is None
    assert load_settings() == ({"theme": "dracula", "screen": "flow"}, None)


def test_a_settings_folder_that_cannot_be_written_is_one_line(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("VGTUI_CONFIG_DIR", str(blocker / "vgtui"))
    problem = save_settings({"theme": "nord"})
    assert problem and "not saved" in problem and "\n" not in problem


async def test_the_theme_and_last_screen_are_remembered_across_runs(own_config_dir):
    app = VgtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await on_screen(pilot, TOPICS[0].id, ready=False)
        app.action_goto("decay")
        await on_screen(pilot, "decay", ready=False)
        app.theme = "textual-light"
        await pilot.pause()
    saved = json.loads((own_config_dir / "settings.json").read_text())
    assert saved == {"theme": "textual-light", "screen": "decay"}

    app = VgtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on_screen(pilot, "decay", ready=False)
        assert app.theme == "textual-light"
        assert "Decay" in text_of(screen.query_one("#title-bar"))

    # what the command line asks for wins, and is for that run only
    app = VgtuiApp(start_screen="chain", theme="nord")
    async with app.run_test(size=(80, 24)) as pilot:
        await on_screen(pilot, "chain", ready=False)
        assert app.theme == "nord"
    assert json.loads((own_config_dir / "settings.json").read_text()) == {
        "theme": "textual-light", "screen": "chain"}


@pytest.mark.parametrize("content", ["{not json", json.dumps({"theme": "no-such-theme",
                                                                "screen": "no-such-screen"})])
async def test_the_app_starts_over_a_broken_settings_file(own_config_dir, content):
    (own_config_dir / "settings.json").write_text(content)
    app = VgtuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await on_screen(pilot, TOPICS[0].id, ready=False)  # the first screen, as ever
        assert app.theme == "textual-dark"
        await pilot.pause()
        notices = [n.message for n in app._notifications]
        if content.startswith("{not"):
            assert any("not valid JSON" in n for n in notices)
        else:
            assert any("no-such-theme" in n for n in notices)
        assert app.is_running


async def test_an_unknown_theme_given_to_the_app_itself_is_a_notice():
    app = VgtuiApp(start_screen="chain", theme="no-such-theme")
    async with app.run_test(size=(80, 24)) as pilot:
        await on_screen(pilot, "chain", ready=False)
        await pilot.pause()
        assert app.theme == "textual-dark" and app.is_running
        assert any("no-such-theme" in n.message for n in app._notifications)


# -- the command line --------------------------------------------------------------------
def test_an_unknown_theme_is_one_line_and_exit_2(run_cli):
    code, out, err = run_cli("--theme", "no-such-theme")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "--theme" in err and "textual-light" in err and "solarized-light" in err


def test_a_known_theme_reaches_the_app(run_cli, monkeypatch):
    import sys

    opened = []
    monkeypatch.setattr(VgtuiApp, "run", lambda self, *a, **k: opened.append(self))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    code, _, err = run_cli("--theme", "Textual-Light", "--screen", "decay")
    assert code == 0, err
    (app,) = opened
    assert app.start_theme == "textual-light" and app.start_screen == "decay"


def test_charts_printed_by_the_command_line_use_the_terminals_colours():
    """``--plot`` has no theme: the same chart, its roles in the CLI's ANSI styles."""
    from vgtui.widgets.charts import Chart
    from vgtui.widgets.log_chart import Series

    chart = Chart("t", "log", (Series("a", (0.0, -1.0, -2.0), "●", "series1"),
                               Series("b", (0.0, -0.5, float("nan")), "○", "reference")))
    styles = _styles_of(chart.draw(60))
    assert {"bold cyan", "yellow", CLI_PALETTE["undefined"]} <= styles
    light = theme_palette(BUILTIN_THEMES["textual-light"])
    assert light["series1"] in _styles_of(chart.draw(60, palette=light))


def test_serve_passes_the_theme_to_every_copy_of_the_app():
    from vgtui.cli import build_parser
    from vgtui.cli.serve import app_command

    args = build_parser().parse_args(["serve", "--theme", "textual-light"])
    assert app_command(args).endswith("--theme textual-light")

"""App-wide keys: screen picker, copy-as-command, SVG screenshot, --screen."""
import json
import shlex

import pytest

from vgtui.app import VgtuiApp
from vgtui.screens.flow import FlowScreen
from vgtui.widgets.pickers import ScreenPicker

from .helpers import copied_command, wait_until


async def test_screen_picker_lists_every_screen_and_opens_one():
    from vgtui.topics import TOPICS as SCREENS

    app = VgtuiApp(start_screen="flow")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.screen.set_focus(None)
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, ScreenPicker)
        option_list = app.screen.query_one("#picker-list")
        assert option_list.option_count == len(SCREENS)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ScreenPicker)


@pytest.mark.slow
async def test_copy_as_command_reproduces_the_screen(run_cli):
    app = VgtuiApp(start_screen="flow")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, FlowScreen) and app.screen.result)
        screen = app.screen
        screen.load_preset("four-unit")
        await wait_until(pilot, lambda: screen.result.config.hidden == 4)
        screen.query_one("#flow-results").focus()
        command = await copied_command(pilot)
        shown = screen.result
    args = shlex.split(command)[1:] + ["--json"]
    code, out, err = run_cli(*args)
    assert code == 0, err
    data = json.loads(out)
    assert data["log10_grad_h"] == list(shown.log10_grad_h)


@pytest.mark.slow
async def test_svg_screenshot_is_written_to_the_data_folder(tmp_path, monkeypatch):
    """ctrl+s saves under $XDG_DATA_HOME/vgtui/screenshots (never the current directory)
    and says where: the folder and the file, each on a line of its own."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    app = VgtuiApp(start_screen="flow")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s", "ctrl+s")
        await pilot.pause()
        notices = [n.message for n in app._notifications]
    svgs = sorted((tmp_path / "data" / "vgtui" / "screenshots").glob("*.svg"))
    assert len(svgs) == 2 and all(p.read_text().lstrip().startswith("<svg") for p in svgs)
    assert not list(cwd.iterdir())
    folder, name = notices[-1].split("\n")
    assert folder == str(svgs[0].parent) + "/" and name in {p.name for p in svgs}
    assert len(name) <= 40  # the file name alone never wraps in the notice


async def test_save_dir_flag_chooses_the_folder(tmp_path):
    from vgtui.cli import build_parser, make_app

    args = build_parser(False).parse_args(["--save-dir", str(tmp_path / "shots")])
    app = make_app(args)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert len(list((tmp_path / "shots").glob("vgtui-*.svg"))) == 1


async def test_an_unwritable_save_folder_is_one_notice(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    app = VgtuiApp(start_screen="flow", save_dir=str(blocker / "shots"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        notices = list(app._notifications)
        assert app.is_running
    assert notices and notices[-1].severity == "error"


def test_unknown_screen_flag_is_refused(run_cli):
    code, _, err = run_cli("--screen", "nope")
    assert code == 2 and "unknown screen" in err and err.count("\n") == 1


@pytest.mark.slow
async def test_switching_screens_while_the_palette_searches_does_not_crash():
    """The fuzz test found it: a screen switch closes an open palette while its search
    worker is still running; that worker must not then reach for the removed list."""
    from textual.command import CommandPalette

    app = VgtuiApp(start_screen="flow")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for target in ("decay", "jacobian", "flow", "claims"):
            await pilot.press("ctrl+p")
            await pilot.pause()
            assert isinstance(app.screen, CommandPalette)
            for key in "infr":
                await pilot.press(key)  # each key starts a fresh search
            app.action_goto(target)  # before the search can finish
            await wait_until(pilot, lambda: len(app.screen_stack) == 1
                             and getattr(app.screen, "SCREEN_ID", "") == target)
            # the palette's search, cancelled, ends without reaching for its removed list
            await wait_until(pilot, lambda: not any(
                w.is_running for w in app.workers if isinstance(w.node, CommandPalette)))
        assert app.is_running



"""Saving from the app (issue 16): ctrl+s writes an SVG where the README says (or hands
it to the browser under vgtui serve); e saves the screen's figures as CSV and JSON, the
same as its c command's --csv and --json, and says where."""
from __future__ import annotations

import csv
import io
import json
import shlex

from vgtui.app import VgtuiApp

from .helpers import settled, wait_until


def _messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_e_saves_csv_and_json_of_the_c_command(tmp_path, monkeypatch, run_cli):
    monkeypatch.setenv("VGTUI_SAVE_DIR", str(tmp_path))
    app = VgtuiApp(start_screen="decay")
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot, app.screen)
        command = app.screen.cli_command()
        await pilot.press("e")
        await wait_until(pilot, lambda: len(list(tmp_path.glob("*.json"))) == 1
                         and len(list(tmp_path.glob("*.csv"))) == 1, timeout=60)
        await wait_until(pilot, lambda: any("figures" in n.title for n in app._notifications
                                            if n.title), timeout=10)
        said = "\n".join(_messages(app))
    csv_path, json_path = next(tmp_path.glob("*.csv")), next(tmp_path.glob("*.json"))
    assert str(csv_path) in said and str(json_path) in said  # whole paths, inline
    args = shlex.split(command)[1:]
    code, out, _ = run_cli(*args, "--json")
    assert code == 0 and json.loads(json_path.read_text()) == json.loads(out)
    code, out, _ = run_cli(*args, "--csv")
    assert code == 0 and list(csv.reader(io.StringIO(csv_path.read_text()))) == \
        list(csv.reader(io.StringIO(out)))


async def test_ctrl_s_saves_in_the_save_directory_with_its_whole_path(tmp_path, monkeypatch):
    monkeypatch.setenv("VGTUI_SAVE_DIR", str(tmp_path))
    app = VgtuiApp(start_screen="decay")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        said = "\n".join(_messages(app))
    (svg,) = tmp_path.glob("*.svg")
    assert f"{svg.parent}/\n{svg.name}" in said  # the folder, then the file on its own line


async def test_ctrl_s_in_a_browser_delivers_the_screenshot(monkeypatch):
    delivered = []
    monkeypatch.setattr(VgtuiApp, "is_web", property(lambda self: True))
    monkeypatch.setattr(VgtuiApp, "deliver_screenshot",
                        lambda self, *a, **k: delivered.append(True) or "key")
    monkeypatch.setattr(VgtuiApp, "save_screenshot",
                        lambda self, *a, **k: (_ for _ in ()).throw(AssertionError("saved")))
    app = VgtuiApp(start_screen="decay")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert delivered == [True]

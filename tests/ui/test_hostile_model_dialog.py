"""The Open-model dialog (Gradient Flow and Forget gate) refuses every hostile file of
tests/conftest.py's ``hostile_model_files`` inline, keeps the screen's result, and the
pickles that would run code never do (issue 9, model files, app side)."""
import shutil

import pytest

from vgtui.app import VgtuiApp
from vgtui.widgets.model_dialog import OpenModelDialog

from .helpers import text_of, wait_until


async def _open(pilot, screen):
    screen.action_open_model()
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, OpenModelDialog))
    return pilot.app.screen


async def _submit(pilot, dialog, model, inputs=""):
    dialog.query_one("#inputs-path").value = str(inputs)
    field = dialog.query_one("#model-path")
    field.value = str(model)
    field.focus()
    await pilot.pause()
    await pilot.press("enter")


@pytest.mark.parametrize("screen_id", ["flow", "forget"])
async def test_every_hostile_file_is_refused_inline(screen_id, hostile_model_files, tmp_path):
    cases, marker, paths = hostile_model_files
    app = VgtuiApp(start_screen=screen_id)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_ID", "") == screen_id
                         and app.screen.result is not None, timeout=60)
        screen = app.screen
        kept = screen.result
        dialog = await _open(pilot, screen)
        error = dialog.query_one("#model-error")
        for label, model, inputs, words, _flag in cases:
            error.update("")
            await _submit(pilot, dialog, model, inputs)
            try:
                await wait_until(pilot, lambda: words in text_of(error), timeout=30)
            except AssertionError:
                raise AssertionError(f"{label}: {text_of(error)!r}")
            assert isinstance(app.screen, OpenModelDialog), label
        assert not marker.exists(), "a pickle ran code on load"
        # a path full of markup is shown as text, not read as markup
        await _submit(pilot, dialog, tmp_path / "[bold]odd[/] [/x].pt")
        await wait_until(pilot, lambda: "not found" in text_of(error))
        assert "[bold]odd[/] [/x].pt" in text_of(error)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        assert screen.result is kept and screen.model is None
        # and a good file under such a name loads, its name shown as typed
        odd = tmp_path / "[bold]odd [red].pt"
        shutil.copy(paths["gru"], odd)
        dialog = await _open(pilot, screen)
        await _submit(pilot, dialog, odd)
        await wait_until(pilot, lambda: app.screen is screen and screen.model is not None,
                         timeout=30)
        await wait_until(pilot, lambda: screen.result is not kept, timeout=60)
        await pilot.pause(0.3)
        svg = app.export_screenshot()
        assert "[bold]odd" in svg.replace("&#160;", " ").replace("\xa0", " ")

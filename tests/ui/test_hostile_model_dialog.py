"""The Open-model dialog (Gradient Flow and Forget gate) refuses every hostile file of
tests/conftest.py's ``hostile_model_files`` inline, keeps the screen's result, and the
pickles that would run code never do."""
import shutil

import pytest

from vgtui.app import VgtuiApp
from vgtui.widgets.model_dialog import OpenModelDialog

from .helpers import on_screen, open_model_dialog, screen_text, submit_model, text_of, wait_until


@pytest.mark.slow
@pytest.mark.parametrize("screen_id", ["flow", "forget"])
async def test_every_hostile_file_is_refused_inline(screen_id, hostile_model_files, tmp_path):
    cases, marker, paths = hostile_model_files
    app = VgtuiApp(start_screen=screen_id)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on_screen(pilot, screen_id)
        kept = screen.result
        dialog = await open_model_dialog(pilot, screen)
        error = dialog.query_one("#model-error")
        for label, model, inputs, words, _flag in cases:
            error.update("")
            await submit_model(pilot, dialog, model, inputs)
            try:
                await wait_until(pilot, lambda: words in text_of(error))
            except AssertionError:
                raise AssertionError(f"{label}: {text_of(error)!r}")
            assert isinstance(app.screen, OpenModelDialog), label
        assert not marker.exists(), "a pickle ran code on load"
        # a path full of markup is shown as text, not read as markup
        await submit_model(pilot, dialog, tmp_path / "[bold]odd[/] [/x].pt")
        await wait_until(pilot, lambda: "not found" in text_of(error))
        assert "[bold]odd[/] [/x].pt" in text_of(error)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        assert screen.result is kept and screen.model is None
        # and a good file under such a name loads, its name shown as typed
        odd = tmp_path / "[bold]odd [red].pt"
        shutil.copy(paths["gru"], odd)
        dialog = await open_model_dialog(pilot, screen)
        await submit_model(pilot, dialog, odd)
        await wait_until(pilot, lambda: app.screen is screen and screen.model is not None)
        await wait_until(pilot, lambda: screen.result is not kept)
        await wait_until(pilot, lambda: "[bold]odd" in screen_text(app))

"""Overlays closed by keys that arrive late (issue 14, "a key storm crashes the app").

A burst of keys can hold two closing keys for one overlay (Enter Enter on a palette
entry), or a closing key queued behind a screen switch. The overlay has left the stack by
the time the second key is handled; it must do nothing then: no ScreenStackError, no
other overlay closed in its place, no stale command run on the new screen.
"""
import pytest

from vgtui.app import VgtuiApp
from vgtui.widgets.overlay import on_top
from vgtui.widgets.pickers import CommandBox, Palette, ScreenPicker

from .bursts import burst
from .helpers import wait_until


async def calm(pilot, app) -> None:
    await pilot.pause()
    await pilot.pause(0.2)
    assert app.is_running, "the app stopped"


@pytest.mark.parametrize("keys", [
    ["ctrl+p", *"bound", "enter", "enter"],  # the palette's own choice switches screens
    pytest.param(["ctrl+p", *"bound", "enter", "enter", "enter", "escape"],
                 marks=pytest.mark.slow),  # the first, with more behind it: whole suite
    pytest.param(["ctrl+p", *"spectrum", "down", "enter", "enter", "g", "enter", "enter"],
                 marks=pytest.mark.slow),
    ["ctrl+p", *"help for", "enter", "enter", "escape", "escape"],
    ["ctrl+p", *"log-space", "enter", "enter", "c", "escape", "escape"],
])
async def test_palette_choices_landing_after_a_switch_are_harmless(keys):
    app = VgtuiApp(start_screen="flow")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await burst(pilot, keys)
        await calm(pilot, app)
        # An Enter typed before the palette had listed its matches chooses nothing, so the
        # palette may still be open: it must close cleanly then.
        if any(isinstance(s, Palette) for s in app.screen_stack):
            await pilot.press("escape")
        await wait_until(pilot, lambda: not any(isinstance(s, Palette) for s in app.screen_stack),
                         timeout=10)
        await calm(pilot, app)
        assert len(app.screen_stack) >= 1


@pytest.mark.slow
async def test_a_palette_taken_off_the_stack_before_it_mounts_is_harmless():
    """ctrl+p, then a screen key in the same instant (found by the 10,000-key fuzz): the
    switch takes the palette off the stack before its mount handler runs, which then
    finds no screen below it. It stays closed; the app goes on."""
    app = VgtuiApp(start_screen="flow")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        app.action_command_palette()  # pushed; its Mount is still queued
        app.action_goto("bound")
        await calm(pilot, app)
        await wait_until(pilot, lambda: getattr(app.screen, "SCREEN_ID", "") == "bound")
        assert not any(isinstance(s, Palette) for s in app.screen_stack)
        await pilot.press("ctrl+p")  # and the palette still opens afterwards
        await wait_until(pilot, lambda: isinstance(app.screen, Palette))
        await pilot.press("escape")
        await calm(pilot, app)


@pytest.mark.parametrize("keys", [
    ["g", "enter", "enter"],  # the picker's choice, then a late second Enter
    ["g", "down", "enter", "escape", "escape"],
    ["g", "escape", "escape", "g", "escape"],
    ["c", "escape", "escape", "escape"],
    ["f1", "escape", "escape", "f1", "q"],
    ["c", "3", "escape"],  # a screen key under the command box
    ["f1", "2", "escape", "escape"],
])
async def test_late_closing_keys_of_every_overlay_are_harmless(keys):
    app = VgtuiApp(start_screen="flow")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await burst(pilot, keys)
        await calm(pilot, app)
        assert len(app.screen_stack) >= 1


async def test_a_stale_overlay_closes_nothing_in_its_place():
    """An overlay no longer on top dismisses nothing: the one on top stays open."""
    app = VgtuiApp(start_screen="flow")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        app.action_pick_screen()
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, ScreenPicker)
        app.pop_screen()
        await pilot.pause()
        app.action_copy_command()
        await pilot.pause()
        box = app.screen
        assert isinstance(box, CommandBox)
        picker.dismiss("bound")  # late: the picker is gone, the command box is on top
        await calm(pilot, app)
        assert app.screen is box and on_top(box)
        assert app.screen_stack[0].SCREEN_ID == "flow"
        box.dismiss()
        await calm(pilot, app)
        box.dismiss()  # twice: harmless
        await calm(pilot, app)
        assert len(app.screen_stack) == 1


async def test_open_model_dialog_closed_before_the_file_is_read(tmp_path):
    import torch

    path = tmp_path / "rnn.pt"
    torch.save(torch.nn.RNN(2, 3).state_dict(), path)
    app = VgtuiApp(start_screen="flow")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#model-path").value = str(path)
        # Enter starts the read; Escape and a screen switch follow at once.
        await burst(pilot, ["enter", "escape", "3", "2"])
        await calm(pilot, app)
        await pilot.pause(1.0)
        assert app.is_running and len(app.screen_stack) == 1


async def test_keys_queued_behind_a_quit_are_dropped():
    """q with keys still queued behind it (a screen key, the picker, the command box,
    help): the app closes cleanly instead of handing those keys to screens already
    taken down."""
    app = VgtuiApp(start_screen="flow")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        app.screen.query_one(".results").focus()  # q is a key, not text in a field
        await burst(pilot, ["q", "5", "g", "c", "3", "f1", "enter", "escape"])
        await wait_until(pilot, lambda: app._exit, timeout=10)
    assert app._exit

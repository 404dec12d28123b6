"""Gradient Flow screen driven through Textual's Pilot."""
import math

import pytest

from vgtui.screens.flow import FlowScreen
from vgtui.widgets.controls import ControlPanel

from .helpers import (escape_to, open_help, page, refused, result_with, set_field, text_of,
                      wait_until)


@pytest.mark.slow
@pytest.mark.parametrize("field,text,attr,value", [
    ("activation", "sigmoid", "activation", "sigmoid"),
    ("init", "orthogonal", "init", "orthogonal"),
    ("scale", "0.6", "scale", 0.6),
    ("init_noise", "0.2", "init_noise", 0.2),
    ("hidden", "12", "hidden", 12),
    ("steps", "33", "steps", 33),
    ("input_size", "2", "input_size", 2),
    ("input_scale", "0.3", "input_scale", 0.3),
    ("seed", "5", "seed", 5),
])
async def test_each_control_changes_the_figures(field, text, attr, value):
    async with page(FlowScreen) as (app, pilot, screen):
        before = text_of(screen.query_one("#flow-summary")), list(screen.result.log10_grad_h)
        await set_field(pilot, screen, field, text)
        result = await result_with(pilot, screen, **{attr: value})
        after = text_of(screen.query_one("#flow-summary")), list(result.log10_grad_h)
        assert after != before
        assert screen.query_one("#flow-table").row_count > 0


@pytest.mark.slow
async def test_leaky_slope_changes_a_leaky_relu_run():
    async with page(FlowScreen) as (app, pilot, screen):
        await set_field(pilot, screen, "activation", "leaky_relu")
        first = await result_with(pilot, screen, activation="leaky_relu")
        await set_field(pilot, screen, "leaky_slope", "0.5")
        second = await result_with(pilot, screen, leaky_slope=0.5)
        assert list(first.log10_grad_h) != list(second.log10_grad_h)


@pytest.mark.slow
async def test_dtype_control_switches_precision_and_status():
    async with page(FlowScreen) as (app, pilot, screen):
        await set_field(pilot, screen, "dtype", "float32")
        result = await result_with(pilot, screen, dtype="float32")
        assert result.dtype == "float32"
        assert "float32" in text_of(screen.status)


@pytest.mark.slow
@pytest.mark.parametrize("field,bad", [("scale", "abc"), ("scale", "-1"), ("hidden", "0"),
                                       ("steps", "nan"), ("seed", ""), ("input_scale", "1e400")])
async def test_bad_value_shows_inline_error_and_keeps_last_result(field, bad):
    async with page(FlowScreen) as (app, pilot, screen):
        kept = screen.result
        summary = text_of(screen.query_one("#flow-summary"))
        await set_field(pilot, screen, field, bad)
        error = await refused(pilot, screen, field)
        assert screen.query_one(f"#field-{field}").has_class("-invalid")
        assert "last good result kept" in text_of(screen.status)
        assert screen.result is kept
        assert text_of(screen.query_one("#flow-summary")) == summary
        # fixing the value clears the error and computes again
        await set_field(pilot, screen, field, "3" if field != "input_scale" else "0.5")
        await wait_until(pilot, lambda: not error.has_class("-shown"))


@pytest.mark.slow
async def test_cuda_device_without_cuda_is_refused_inline():
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    async with page(FlowScreen) as (app, pilot, screen):
        kept = screen.result
        await set_field(pilot, screen, "device", "cuda")
        await wait_until(pilot, lambda: "cuda is not available" in text_of(screen.status))
        assert screen.result is kept


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["sigmoid-20", "tanh-1.2", "tanh-1.0", "four-unit"])
async def test_presets_load(preset):
    from vgtui.engine.presets import preset_config

    async with page(FlowScreen) as (app, pilot, screen):
        screen.load_preset(preset)
        expected = preset_config("flow", preset)
        result = await result_with(pilot, screen, **expected.to_dict())
        assert result.config == expected
        panel = screen.query_one(ControlPanel)
        assert panel.raw("steps") == str(expected.steps)


async def test_four_unit_preset_has_spectral_radius_near_half():
    async with page(FlowScreen) as (app, pilot, screen):
        screen.load_preset("four-unit")
        result = await result_with(pilot, screen, hidden=4)
        assert abs(result.spectral_radius - 0.5) < 0.15
        assert "spectral radius" in text_of(screen.query_one("#flow-summary"))


async def test_nudge_keys_change_scale_and_steps():
    async with page(FlowScreen) as (app, pilot, screen):
        screen.query_one("#flow-results").focus()
        await pilot.press("plus")
        await result_with(pilot, screen, scale=1.05)
        await pilot.press("minus", "minus")
        await result_with(pilot, screen, scale=0.95)
        await pilot.press("right_square_bracket")
        await result_with(pilot, screen, steps=55)
        await pilot.press("left_square_bracket")
        await result_with(pilot, screen, steps=50)
        assert screen.query_one(ControlPanel).raw("scale") == "0.95"


@pytest.mark.slow
async def test_typing_minus_in_a_field_is_text_not_a_nudge():
    async with page(FlowScreen) as (app, pilot, screen):
        field = screen.query_one("#field-seed")
        field.focus()
        field.value = ""
        await pilot.press("minus", "1")
        await refused(pilot, screen, "seed")  # seeds start at 0
        assert field.value == "-1"
        assert screen.config.scale == 1.0


@pytest.mark.slow
async def test_log_space_preset_shows_exact_tiny_numbers():
    async with page(FlowScreen) as (app, pilot, screen):
        screen.load_preset("log-space")
        result = await result_with(pilot, screen, steps=10_000)
        assert math.isclose(result.log10_grad_h[0], -3009.5, abs_tol=0.01)
        table = screen.query_one("#flow-table")
        first_row = table.get_row_at(0)
        assert first_row[1].endswith("e-3010")


@pytest.mark.slow
async def test_help_opens_and_closes():
    async with page(FlowScreen, size=(100, 30)) as (app, pilot, screen):
        await open_help(pilot)
        await escape_to(pilot, screen)


@pytest.mark.slow
async def test_palette_lists_screens_and_presets():
    async with page(FlowScreen, size=(100, 30)) as (app, pilot, screen):
        names = [c.title for c in app.get_system_commands(screen)]
        assert any(n.startswith("Go to Gradient Flow") for n in names)
        assert any("preset" in n for n in names)
        await pilot.press("ctrl+p")
        await pilot.pause()
        from textual.command import CommandPalette

        assert isinstance(app.screen, CommandPalette)


@pytest.mark.slow
async def test_status_line_shows_device_dtype_and_time():
    async with page(FlowScreen, size=(100, 30)) as (app, pilot, screen):
        text = text_of(screen.status)
        assert "cpu" in text and "float64" in text and "computed in" in text


@pytest.mark.slow
async def test_over_budget_settings_are_refused_inline(monkeypatch):
    monkeypatch.setenv("VGTUI_MEMORY_MB", "20")
    async with page(FlowScreen) as (app, pilot, screen):
        kept = screen.result
        await set_field(pilot, screen, "steps", "100000")
        await wait_until(pilot, lambda: "over the limit" in text_of(screen.status))
        assert screen.result is kept

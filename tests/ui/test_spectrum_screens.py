"""Jacobian, Spectrum & init, Pascanu et al. (2013) bound and Exploding & clipping screens via Pilot."""
import math

import numpy as np
import pytest

from vgtui.engine.spectrum import init_matrix
from vgtui.widgets.controls import ControlPanel

from .helpers import (escape_to, new_result, on_screen, open_help, page, refused, set_field,
                      text_of, wait_until)

SIZE = (140, 50)


def summary(screen, wid):
    return text_of(screen.query_one(wid))


# -- Jacobian ---------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("field,text", [("activation", "sigmoid"), ("init", "orthogonal"),
                                        ("scale", "0.7"), ("hidden", "12"), ("steps", "33"),
                                        ("seed", "4")])
async def test_jacobian_controls_change_the_figures(field, text):
    async with page("jacobian", size=SIZE) as (app, pilot, screen):
        first = screen.result
        before = list(first.rnn.log10_product_norm)
        await set_field(pilot, screen, field, text)
        result = await new_result(pilot, screen, first)
        assert list(result.rnn.log10_product_norm) != before
        assert screen.query_one("#jac-table").row_count > 0
        assert result.matrix is first.matrix  # the two-unit example was not recomputed


async def test_jacobian_two_unit_example_and_article_figures():
    async with page("jacobian", size=SIZE) as (app, pilot, screen):
        m = screen.result.matrix
        assert m.spectral_radius == pytest.approx(0.48)
        article = summary(screen, "#jac-article")
        assert "article says 0.46" in article and "0.4800" in article and "≠" in article
        assert screen.query_one("#jac-matrix-table").row_count == 20
        first = screen.result
        await set_field(pilot, screen, "derivative", "0.5")
        result = await new_result(pilot, screen, first)
        assert result.matrix.spectral_radius == pytest.approx(0.3)
        assert result.rnn is first.rnn  # the RNN part was kept
        assert "no stated figures" in summary(screen, "#jac-article")
        await set_field(pilot, screen, "powers", "7")
        await wait_until(pilot, lambda: screen.result.matrix.steps == 7)
        await set_field(pilot, screen, "matrix", "0.9,0;0,0.9")
        await wait_until(pilot, lambda: screen.result.matrix.matrix.shape == (2, 2)
                         and screen.result.matrix.matrix[0, 1] == 0)


@pytest.mark.slow
@pytest.mark.parametrize("name,bad", [("matrix", "1,2;3"), ("matrix", "a,b;c,d"),
                                      ("derivative", "-1"), ("powers", "0")])
async def test_jacobian_bad_extra_shows_inline_error_and_keeps_result(name, bad):
    async with page("jacobian", size=SIZE) as (app, pilot, screen):
        kept = screen.result
        await set_field(pilot, screen, name, bad)
        await refused(pilot, screen, name)
        assert screen.query_one(f"#field-{name}").has_class("-invalid")
        assert "last good result kept" in text_of(screen.status)
        assert screen.result is kept


@pytest.mark.slow
async def test_jacobian_cap_is_refused_inline():
    async with page("jacobian", size=SIZE) as (app, pilot, screen):
        kept = screen.result
        await set_field(pilot, screen, "steps", "5000")
        await wait_until(pilot, lambda: "1 to 1000" in text_of(screen.status))
        assert screen.result is kept
        await set_field(pilot, screen, "scale", "abc")
        await refused(pilot, screen, "scale")
        assert screen.result is kept


@pytest.mark.slow
async def test_jacobian_keys_presets_help_and_palette():
    async with page("jacobian", size=SIZE) as (app, pilot, screen):
        screen.query_one("#jac-results").focus()
        first = screen.result
        await pilot.press("plus")
        await wait_until(pilot, lambda: screen.result.rnn.config.scale == 1.05)
        assert screen.query_one("#jac-panel", ControlPanel).raw("scale") == "1.05"
        await pilot.press("p")  # the preset after the one last chosen (the first)
        await wait_until(pilot, lambda: screen.result.rnn.config.activation == "identity")
        assert screen.result.rnn.alignment[0] > 0.99  # the dominant eigenvector survives
        assert first is not screen.result
        names = [c.title for c in app.get_system_commands(screen)]
        assert any("Jacobian preset" in n for n in names)
        assert any("two-unit" in n for n in names)
        assert screen.cli_command().startswith("vgtui jacobian")
        await open_help(pilot)
        await escape_to(pilot, screen)


@pytest.mark.slow
async def test_number_keys_reach_the_four_screens():
    async with page("jacobian", size=SIZE) as (app, pilot, screen):
        for key, sid in (("7", "spectrum"), ("8", "bound"), ("9", "exploding"), ("6", "jacobian")):
            app.screen.query_one(".results").focus()
            await pilot.press(key)
            await on_screen(pilot, sid)


# -- Spectrum ------------------------------------------------------------------------
@pytest.mark.slow
async def test_spectrum_controls_and_plane():
    async with page("spectrum", size=SIZE) as (app, pilot, screen):
        rep = screen.result
        assert screen.query_one("#spec-table").row_count == 6
        assert "unit circle" in text_of(screen.query_one("#spec-plane"))
        for name, text, check in (("hidden", "16", lambda r: r.hidden == 16),
                                  ("scale", "0.8", lambda r: r.scale == 0.8),
                                  ("seed", "3", lambda r: r.seed == 3)):
            before = screen.result
            await set_field(pilot, screen, name, text)
            result = await new_result(pilot, screen, before)
            assert check(result)
        assert screen.result.entry("orthogonal").spectral_radius == pytest.approx(0.8)
        before = screen.result
        await set_field(pilot, screen, "power_steps", "80")
        result = await new_result(pilot, screen, before)
        assert len(result.entry("gaussian").log10_power) == 81
        before = screen.result
        await set_field(pilot, screen, "shear", "2")
        result = await new_result(pilot, screen, before)
        assert result.entry("shear").spectral_norm > 0.8 * 2.5
        screen.query_one("#spec-results").focus()
        await pilot.press("v")
        await pilot.pause()
        assert screen.plane_init == "orthogonal"
        assert "eigenvalues of orthogonal" in text_of(screen.query_one("#spec-plane"))
        assert rep is not screen.result


@pytest.mark.slow
async def test_spectrum_training_key():
    async with page("spectrum", size=SIZE) as (app, pilot, screen):
        assert screen.query_one("#spec-train").row_count == 0
        before = screen.result
        await set_field(pilot, screen, "hidden", "6")
        before = await new_result(pilot, screen, before)
        screen.query_one("#spec-results").focus()
        await pilot.press("t")
        await wait_until(pilot, lambda: screen.result.drift is not None)
        assert screen.query_one("#spec-train").row_count == 5
        # the spectrum of every init is still shown, for the settings on screen: each radius
        # is numpy's largest |eigenvalue| of that init's matrix
        after = screen.result
        assert after.hidden == 6 and screen.query_one("#spec-table").row_count == 6
        for entry in after.entries:
            w = init_matrix(entry.init, 6, after.scale, after.seed, after.shear).numpy()
            assert entry.spectral_radius == pytest.approx(np.abs(np.linalg.eigvals(w)).max(),
                                                          rel=1e-9), entry.init
        assert "--train-steps 50" in screen.cli_command()


@pytest.mark.slow
async def test_spectrum_bad_input_and_cap():
    async with page("spectrum", size=SIZE) as (app, pilot, screen):
        kept = screen.result
        await set_field(pilot, screen, "shear", "-2")
        await refused(pilot, screen, "shear")
        assert screen.result is kept
        await set_field(pilot, screen, "shear", "0.5")
        await set_field(pilot, screen, "hidden", "600")
        await wait_until(pilot, lambda: "at most 512" in text_of(screen.status))
        assert screen.result is kept


# -- Pascanu et al. (2013) bound ------------------------------------------------------------------
async def test_bound_screen_shows_two_series_and_the_sweep():
    async with page("bound", size=SIZE) as (app, pilot, screen):
        r = screen.result.run
        assert r.config.activation == "sigmoid" and r.sigma_max == 0.25
        chart = text_of(screen.query_one("#bound-chart"))
        assert "measured" in chart and "bound" in chart and "typical" in chart
        text = summary(screen, "#bound-summary")
        assert "1 / max|f'| = 4" in text
        assert r.bound_violations == 0
        assert screen.query_one("#bound-sweep-table").row_count == 16
        assert "bound permits" in summary(screen, "#bound-sweep-lines")
        first = screen.result
        await set_field(pilot, screen, "scale", "5")
        result = await new_result(pilot, screen, first)
        assert result.run.bound_factor > 1
        before = screen.result
        await set_field(pilot, screen, "scales", "1,2,3")
        result = await new_result(pilot, screen, before)
        assert [row.scale for row in result.sweep.rows] == [1.0, 2.0, 3.0]
        before = screen.result
        await set_field(pilot, screen, "sequences", "3")
        result = await new_result(pilot, screen, before)
        assert result.sweep.rows[0].sequences == 3


@pytest.mark.slow
async def test_bound_bad_sweep_input_keeps_result():
    async with page("bound", size=SIZE) as (app, pilot, screen):
        kept = screen.result
        await set_field(pilot, screen, "scales", "1,x")
        await refused(pilot, screen, "scales")
        assert "last good result kept" in text_of(screen.status)
        assert screen.result is kept
        # a preset writes its own sweep scales over the bad text and computes again
        screen.query_one("#bound-results").focus()
        screen.load_preset("tanh")
        await wait_until(pilot, lambda: screen.result is not kept
                         and screen.result.run.config.activation == "tanh")
        assert not screen.query_one("#error-scales").has_class("-shown")


@pytest.mark.slow
async def test_bound_preset_tanh():
    async with page("bound", size=SIZE) as (app, pilot, screen):
        first = screen.result
        screen.load_preset("tanh")
        result = await new_result(pilot, screen, first)
        assert result.run.config.activation == "tanh" and result.run.sigma_max == 1.0
        assert screen.cli_command().startswith("vgtui bound --activation tanh")


# -- Exploding & clipping ------------------------------------------------------------
@pytest.mark.slow
async def test_exploding_screen_growth_lyapunov_and_clipping():
    async with page("exploding", size=SIZE) as (app, pilot, screen):
        v = screen.result
        assert v.flow.verdict == "exploding"
        assert v.flow.log10_grad_h[0] > v.flow.log10_grad_h[-1] + 6
        assert v.lyapunov.crossings  # the sweep crosses zero
        assert v.clip.clipped and not v.reference.clipped
        lines = summary(screen, "#exp-clip-lines")
        assert "not clipped" in lines and "stays vanished" in lines
        assert "λ = 0" in text_of(screen.query_one("#exp-lyap-plot"))
        from rich.console import Console

        console = Console(width=120, record=True, file=open("/dev/null", "w"))
        console.print(screen.query_one("#exp-symptoms").content)
        symptoms = console.export_text()
        assert "does clipping help?" in symptoms and "measured here" in symptoms
        before = screen.result
        await set_field(pilot, screen, "tau", "1e-3")
        result = await new_result(pilot, screen, before)
        assert result.reference.clipped
        assert result.reference.log10_contribution_after[0] < result.reference.log10_contribution[0]
        before = screen.result
        await set_field(pilot, screen, "scales", "1,2,3,4")
        result = await new_result(pilot, screen, before)
        assert [r.scale for r in result.lyapunov.rows] == [1.0, 2.0, 3.0, 4.0]
        before = screen.result
        await set_field(pilot, screen, "scale", "0.5")
        result = await new_result(pilot, screen, before)
        assert result.flow.verdict == "vanishing"


@pytest.mark.slow
async def test_exploding_four_unit_preset_compares_with_the_article():
    async with page("exploding", size=SIZE) as (app, pilot, screen):
        before = screen.result
        screen.load_preset("four-unit-1.5")
        result = await new_result(pilot, screen, before)
        assert result.flow.config.hidden == 4
        note = summary(screen, "#exp-article")
        assert "Chapter 16" in note and "caps" in note  # the article, by its title
        assert math.isfinite(result.bound_log10[0])
        assert max(result.flow.log10_grad_h) <= result.bound_log10.max() + 1e-9


@pytest.mark.slow
async def test_exploding_bad_tau_keeps_result_and_help_opens():
    async with page("exploding", size=SIZE) as (app, pilot, screen):
        kept = screen.result
        await set_field(pilot, screen, "tau", "0")
        await refused(pilot, screen, "tau")
        assert screen.result is kept
        screen.query_one("#exp-results").focus()
        await open_help(pilot)
        await escape_to(pilot, screen)
        assert "vgtui clip" in screen.cli_command()

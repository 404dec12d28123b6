"""PlotCanvas reference-line labels stay readable when points fall where they would go."""
from textual.app import App, ComposeResult

from vgtui.widgets.plane import PlotCanvas, PlotSeries, RefLine

from .helpers import text_of


class CanvasApp(App):
    def compose(self) -> ComposeResult:
        yield PlotCanvas(id="canvas")


async def test_labels_move_off_points_and_curves():
    app = CanvasApp()
    async with app.run_test(size=(46, 14)) as pilot:
        canvas = app.query_one(PlotCanvas)
        # a rising curve that crosses y = 0 under the right-hand end, where the label goes
        # first, and a point at the top right, where the x line's label goes first
        pts = tuple((0.5 + 0.25 * k, -1.0 + 0.12 * k) for k in range(11))
        canvas.set_plot(PlotSeries("exponent", pts, "●", join=True),
                        lines=(RefLine("y", 0.0, "λ = 0: edge of chaos"),
                               RefLine("x", 3.0, "scale 3")), x_label="scale")
        await pilot.pause()
        drawn = text_of(canvas)
    assert "λ = 0: edge of chaos" in drawn
    assert "scale 3" in drawn
    assert drawn.count("●") == len(pts) + 1  # every point drawn (and the legend's marker)

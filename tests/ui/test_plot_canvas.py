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


def test_a_label_wider_than_the_plot_is_cut_not_fatal():
    """Found by the 10,000-key fuzz (a resize to a narrow terminal): a reference line's
    label longer than the plot is wide is drawn up to the plot's right edge."""
    from vgtui.widgets.plane import draw_plot

    label = "λ = 0: the edge of chaos, where the largest exponent crosses zero"
    pts = tuple((0.5 + 0.25 * k, -1.0 + 0.12 * k) for k in range(11))
    plot = ((PlotSeries("exponent", pts, "●", join=True),), None, None, False,
            (RefLine("y", 0.0, label), RefLine("x", 3.0, label)), "scale", "λ")
    for width in (16, 20, 30):
        rows = draw_plot(plot, width, 8).plain.splitlines()
        assert any(label[:6] in row for row in rows[1:])  # below the legend line

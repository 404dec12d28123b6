"""The app's stylesheet parses cleanly (a merge once left a rule unclosed)."""
from pathlib import Path

from textual.css.stylesheet import Stylesheet

import vgtui


def test_vgtui_tcss_parses():
    from vgtui.app import VgtuiApp

    path = Path(vgtui.__file__).parent / "vgtui.tcss"
    sheet = Stylesheet(variables=VgtuiApp().get_css_variables())
    sheet.read(path)
    sheet.parse()  # raises StylesheetParseError on any error
    assert sheet.rules

"""Every lookup in golden_cases prints exactly what was recorded (timings blanked).

The recording is the contract a refactoring must keep: same arguments, same bytes.
"""
from __future__ import annotations

import pytest

from .golden_cases import CASES, GOLDEN, record


@pytest.mark.parametrize("name", sorted(CASES))
def test_lookup_output_matches_recording(name, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    expected = (GOLDEN / f"{name}.txt").read_text()
    assert record(name, CASES[name]) == expected

"""Every lookup in golden_cases prints exactly what was recorded (timings blanked).

The recording is the contract a refactoring must keep: same arguments, same text (the
last digits of full-precision numbers aside, see golden_cases).
"""
from __future__ import annotations

import pytest

from .golden_cases import CASES, GOLDEN, mismatch, record


@pytest.mark.parametrize("name", sorted(CASES))
def test_lookup_output_matches_recording(name, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    expected = (GOLDEN / f"{name}.txt").read_text()
    actual = record(name, CASES[name])
    if actual != expected:
        assert mismatch(actual, expected) is None, mismatch(actual, expected)


def test_the_comparison_allows_only_the_last_digits_of_full_precision_numbers():
    assert mismatch("x 0.12345678901234567 y", "x 0.12345678901234599 y") is None
    assert mismatch("x 0.1234567890123 y", "x 0.1234568890123 y") is not None
    assert mismatch("peak 1.000e+00 (0)", "peak 1.000e+00 (8)") is not None
    assert mismatch("ratio 1.61871", "ratio 1.61872") is not None
    assert mismatch("a 1\nb", "a 1\nc") is not None

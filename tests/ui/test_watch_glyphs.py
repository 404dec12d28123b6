"""The Watch screen's heatmap ramp, legend and bucketing (present/watch.py)."""
import math

import numpy as np

from vgtui.present.watch import (BELOW, RAMP, ZERO, Ramp, bucket_max, expand_bins,
                                 ramp_for_arrays, spark)


def test_each_band_of_decades_has_its_glyph():
    ramp = Ramp(top=0, band=2)  # bands [-16,-14), ..., [-2, 0)
    assert ramp.floor == -16
    assert ramp.glyph(-15.5)[0] == RAMP[0]
    assert ramp.glyph(-14.0)[0] == RAMP[1]
    assert ramp.glyph(-0.1)[0] == RAMP[-1]
    assert ramp.glyph(3.0)[0] == RAMP[-1]  # above the top: the top band
    assert ramp.glyph(-16.01)[0] == BELOW
    assert ramp.glyph(-math.inf)[0] == ZERO
    assert ramp.glyph(math.nan)[0] == "?"
    labels = [label for _, _, label in ramp.legend()]
    assert labels == ["<1e-16", "1e-16", "1e-14", "1e-12", "1e-10", "1e-08", "1e-06", "1e-04",
                      "1e-02"]


def test_the_ramp_covers_the_values_in_whole_decades():
    ramp = ramp_for_arrays([np.array([-30.2, -1.5]), np.array([-np.inf, np.nan, 0.4])])
    assert ramp.top == 1 and ramp.band == 4  # -31 .. 1: 32 decades in 8 bands
    assert ramp.level(-30.2) == 0 and ramp.level(0.4) == 7
    assert ramp_for_arrays([np.array([-500.0, 0.0])]).band * 8 >= 400  # capped span
    assert ramp_for_arrays([]).top == 1


def test_bucketing_keeps_each_columns_largest_value():
    assert bucket_max([1.0, 5.0, 2.0, 3.0], 2) == [5.0, 3.0]
    assert bucket_max([1.0, 2.0], 4) == [1.0, 1.0, 2.0, 2.0]
    out = bucket_max([math.nan, math.nan, -math.inf, 1.0], 2)
    assert math.isnan(out[0]) and out[1] == 1.0
    assert bucket_max([-math.inf, -math.inf], 1) == [-math.inf]
    assert list(expand_bins([1.0, 2.0], [0, 3, 5])) == [1.0, 1.0, 1.0, 2.0, 2.0]


def test_sparkline_runs_low_to_high():
    assert spark([0.0, 1.0, 2.0], 3) == RAMP[0] + RAMP[4] + RAMP[-1]
    assert spark([math.nan], 5) == ""

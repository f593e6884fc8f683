import math

import numpy as np
import pytest

from appliance.signals import hrv


def test_hrv_known_values():
    rr = np.array([0.8, 0.9, 0.8, 0.9, 0.8, 0.9])
    assert hrv.hr_bpm(rr) == pytest.approx(60 / 0.85)
    assert hrv.rmssd_ms(rr) == pytest.approx(100.0)
    assert hrv.sdnn_ms(rr) == pytest.approx(1000 * np.std(rr, ddof=1))
    assert hrv.pnn50(rr) == pytest.approx(100.0)
    assert hrv.pnn50(np.full(8, 0.8)) == 0.0


def test_rmssd_uses_only_adjacent_kept_intervals():
    rr = np.array([0.8, 0.82, np.nan, 1.2, 1.22, 1.24, np.nan, 0.8, 0.82])
    # Differences across a NaN would add 0.38 s jumps; only the 0.02 s steps remain.
    assert hrv.rmssd_ms(rr) == pytest.approx(20.0)
    assert hrv.pnn50(rr) == 0.0


def test_hrv_nan_when_too_few():
    for f in (hrv.hr_bpm, hrv.rmssd_ms, hrv.sdnn_ms, hrv.pnn50):
        assert math.isnan(f(np.array([])))
        assert math.isnan(f(np.array([0.8])))
    isolated = np.array([0.8, np.nan, 0.9, np.nan, 0.8, np.nan, 0.85])
    assert hrv.hr_bpm(isolated) == pytest.approx(60 / np.nanmean(isolated))
    assert math.isnan(hrv.rmssd_ms(isolated))  # no two intervals are adjacent
    assert math.isnan(hrv.pnn50(isolated))

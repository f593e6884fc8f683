import math

import numpy as np
import pytest

from appliance.signals import hrv
from appliance.signals.rr import clean_rr, rr_from_beats


def sinus_rr(n: int, seed: int = 0) -> np.ndarray:
    """Plausible resting RR: 0.9 s with respiratory sinus arrhythmia and a little noise."""
    k = np.arange(n)
    rng = np.random.default_rng(seed)
    return 0.9 + 0.05 * np.sin(2 * np.pi * k / 4.5) + rng.normal(0, 0.01, n)


def test_rr_from_beats():
    times, rr = rr_from_beats(np.array([1.0, 1.8, 2.7, 3.5]))
    np.testing.assert_allclose(times, [1.8, 2.7, 3.5])
    np.testing.assert_allclose(rr, [0.8, 0.9, 0.8])
    assert rr_from_beats(np.array([1.0]))[1].size == 0


def test_clean_series_is_kept_whole():
    rr = sinus_rr(120)
    cleaned, kept, share = clean_rr(rr)
    assert kept.all() and share == 0.0
    np.testing.assert_array_equal(cleaned, rr)


def test_missed_beat_extra_beat_and_ectopic_are_rejected():
    rr = sinus_rr(100, seed=1)
    injected = rr.copy()
    injected[20] = rr[20] + rr[21]  # a missed beat: two intervals merged
    injected = np.delete(injected, 21)
    injected = np.insert(injected, 50, [0.35, injected[50] - 0.35])  # an extra beat splits one
    injected = np.delete(injected, 52)
    injected[70] *= 0.7  # a premature beat…
    injected[71] *= 1.3  # …and its compensatory pause
    cleaned, kept, share = clean_rr(injected)
    bad = [20, 50, 51, 70, 71]
    assert not kept[bad].any()
    assert np.isnan(cleaned[bad]).all()
    assert np.count_nonzero(~kept) <= len(bad) + 2  # few normal neighbours lost
    assert share == pytest.approx(np.count_nonzero(~kept) / injected.size)
    assert share >= len(bad) / injected.size


def test_physiological_range_and_nan_breaks():
    rr = sinus_rr(30)
    rr[5] = 0.2  # 300 bpm
    rr[10] = 2.5  # 24 bpm
    rr[15] = np.nan  # a gap: not an interval, not counted
    _, kept, share = clean_rr(rr)
    assert not kept[[5, 10, 15]].any()
    assert share == pytest.approx(2 / 29)


def test_too_few_intervals_only_range_checked():
    _, kept, share = clean_rr(np.array([0.8, 1.6]))
    assert kept.all() and share == 0.0
    assert math.isnan(clean_rr(np.array([]))[2])


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

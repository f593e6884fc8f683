"""Irregular heart rhythm (AF, frequent ectopic beats): found from the RR intervals, and a window
with one carries no HRV."""

import math

import numpy as np
import pytest

from appliance.signals import hrv, rhythm, windows
from appliance.signals.rr_correct import correct_rr


def sinus(n: int, seed: int, mean_s: float = 0.85, rsa_s: float = 0.03, jitter_s: float = 0.01):
    """Sinus rhythm: breathing (one breath in 4.5 beats) modulates the intervals smoothly."""
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi)
    rsa = rsa_s * np.sin(2 * np.pi * np.arange(n) / 4.5 + phase)
    return mean_s + rsa + rng.normal(0.0, jitter_s, n)


def af(n: int, seed: int) -> np.ndarray:
    """Atrial fibrillation as RR screening models it: independent, widely spread intervals."""
    return np.random.default_rng(seed).uniform(0.5, 1.1, n)


def with_ectopics(rr: np.ndarray, at, prematurity: float = 0.3) -> np.ndarray:
    """Premature beats at indices `at`: a short interval, then a compensatory long one."""
    rr = rr.copy()
    for i in at:
        rr[i] *= 1 - prematurity
        rr[i + 1] *= 1 + prematurity
    return rr


@pytest.mark.parametrize("seed", range(5))
def test_sinus_rhythm_with_normal_hrv_is_regular(seed):
    rr = sinus(70, seed)
    assert 20 < hrv.rmssd_ms(rr) < 60
    assert not rhythm.is_irregular(rr)


@pytest.mark.parametrize("seed", range(5))
def test_a_young_listeners_large_sinus_arrhythmia_is_regular(seed):
    # RMSSD ~75 ms: most successive differences exceed 31 ms, but they follow breathing.
    rr = sinus(60, seed, mean_s=1.0, rsa_s=0.08, jitter_s=0.02)
    d = hrv.successive_differences_s(rr)
    assert 100 * np.mean(np.abs(d) >= 0.031) > rhythm.PRR_CUTOFF_PCT
    assert rhythm.turning_point_z(rr) < -3
    assert not rhythm.is_irregular(rr)


def test_af_like_rhythm_is_irregular():
    flagged = [rhythm.is_irregular(af(75, seed)) for seed in range(200)]
    # The turning point test rejects a truly random series 2.5 % of the time.
    assert np.mean(flagged) > 0.95


def test_af_stays_irregular_across_breaks_in_the_series():
    rr = af(90, seed=3)
    rr[[20, 21, 50, 70]] = np.nan  # beats rejected by beat-level quality
    assert abs(rhythm.turning_point_z(rr)) < 1.96
    assert rhythm.is_irregular(rr)


@pytest.mark.parametrize("at", [[10, 33, 55], [5, 15, 25, 35, 45, 60]])
def test_occasional_single_ectopic_beats_are_left_to_the_corrector(at):
    clean = sinus(70, seed=7)
    rr = with_ectopics(clean, at)
    assert not rhythm.is_irregular(rr)
    # …which moves each premature beat back into line: HRV is close to the clean series'.
    corrected = correct_rr(rr)
    assert corrected.ectopic >= len(at) - 1
    assert hrv.rmssd_ms(corrected.rr_s) == pytest.approx(hrv.rmssd_ms(clean), rel=0.25)


@pytest.mark.parametrize("every", [2, 3])  # bigeminy, trigeminy
def test_frequent_ectopic_beats_are_irregular(every):
    rr = with_ectopics(sinus(70, seed=8), range(2, 68, every))
    assert rhythm.is_irregular(rr)


def test_too_few_intervals_give_no_verdict():
    assert not rhythm.is_irregular(af(rhythm.MIN_DIFFERENCES, seed=1))
    assert not rhythm.is_irregular(np.array([]))
    assert math.isnan(rhythm.turning_point_z(np.array([0.8, 0.9])))


def test_an_irregular_window_keeps_its_heart_rate_and_drops_its_hrv():
    rr = af(75, seed=0)
    f = windows.cardiac_from_rr(rr, signal_quality=1.0, n_beats=76)
    assert f.irregular_rhythm
    assert f.quality >= 0.5
    assert f.hr_bpm == pytest.approx(60 / rr.mean(), rel=0.03)
    for hrv_value in (f.rmssd_ms, f.sdnn_ms, f.pnn50_pct, f.lf_hf, f.breathing_rate_bpm):
        assert math.isnan(hrv_value)
    regular = windows.cardiac_from_rr(sinus(70, seed=0), signal_quality=1.0, n_beats=71)
    assert not regular.irregular_rhythm and math.isfinite(regular.rmssd_ms)


def test_a_window_too_poor_to_count_is_not_judged():
    # Below the usable quality an irregular series is more likely the sensor than the heart.
    f = windows.cardiac_from_rr(af(75, seed=0), signal_quality=0.3, n_beats=76)
    assert not f.irregular_rhythm and math.isfinite(f.rmssd_ms)


def test_the_window_features_carry_the_flag():
    cardiac = windows.cardiac_from_rr(af(75, seed=0), signal_quality=1.0, n_beats=76)
    w = windows.window_features(60.0, 60.0, cardiac, windows.EdaFeatures())
    assert w.irregular_rhythm and math.isnan(w.rmssd_ms) and math.isfinite(w.hr_bpm)

"""Baseline from calibration windows and the rule-based arousal estimate."""

from __future__ import annotations

import math

import pytest

from appliance.affect.baseline import Baseline
from appliance.affect.estimate import CALM_BELOW, STRESSED_ABOVE
from appliance.affect.rules import RuleEstimator
from appliance.signals.features import WindowFeatures


def _window(t: float = 60.0, **values: float) -> WindowFeatures:
    fields = dict(
        hr_bpm=72.0,
        rmssd_ms=40.0,
        scl_us=4.0,
        scr_per_min=3.0,
        n_beats=70,
        ppg_quality=0.9,
        eda_quality=0.9,
    )
    fields.update(values)
    return WindowFeatures(t_end=t, window_s=60.0, **fields)


def _calibration() -> list[WindowFeatures]:
    wobble = [-1.0, 0.5, 0.0, 1.0, -0.5, 0.2]
    return [
        _window(60 + 5 * i, hr_bpm=72 + w, rmssd_ms=40 - w, scl_us=4 + 0.05 * w)
        for i, w in enumerate(wobble)
    ]


def test_baseline_is_the_median_of_usable_windows_with_floored_spreads() -> None:
    windows = [*_calibration(), _window(hr_bpm=140.0, ppg_quality=0.1)]  # a poor window
    b = Baseline.from_windows(windows)
    assert b.hr_bpm == pytest.approx(72.1, abs=0.2)
    assert b.rmssd_ms == pytest.approx(39.9, abs=0.2)
    assert b.scl_us == pytest.approx(4.0, abs=0.02)
    assert b.n_ppg_windows == 6
    assert (
        b.hr_spread_bpm >= 4.0 and b.rmssd_spread_ms >= 0.15 * b.rmssd_ms and b.scl_spread_us >= 0.5
    )


def test_baseline_falls_back_when_a_sensor_is_missing() -> None:
    no_eda = [_window(scl_us=math.nan, scr_per_min=math.nan, eda_quality=0.0) for _ in range(5)]
    b = Baseline.from_windows(no_eda)
    assert math.isfinite(b.hr_bpm) and not math.isfinite(b.scl_us)
    no_ppg = [_window(hr_bpm=math.nan, rmssd_ms=math.nan, ppg_quality=0.0) for _ in range(5)]
    b = Baseline.from_windows(no_ppg)
    assert math.isfinite(b.scl_us) and not math.isfinite(b.hr_bpm)
    assert not math.isfinite(Baseline.from_windows([]).hr_bpm)
    assert b.describe().startswith("HR None bpm, RMSSD None ms, SCL ")  # says what is missing


def test_baseline_describes_itself_rounded_for_the_record() -> None:
    b = Baseline(hr_bpm=72.14, rmssd_ms=39.96, scl_us=4.049)
    assert b.describe() == "HR 72.1 bpm, RMSSD 40.0 ms, SCL 4.0 µS"


def test_the_calibration_state_maps_to_mid_arousal() -> None:
    estimator = RuleEstimator(Baseline.from_windows(_calibration()))
    for w in _calibration():
        est = estimator.estimate(w)
        assert est.arousal == pytest.approx(0.5, abs=0.1)
        assert est.label == "neutral" and est.p_stress == est.arousal
        assert est.source == "rules"


def test_raised_hr_lowered_rmssd_raised_scl_mean_more_arousal() -> None:
    estimator = RuleEstimator(Baseline.from_windows(_calibration()))
    calm = estimator.estimate(_window(hr_bpm=64, rmssd_ms=52, scl_us=3.0, scr_per_min=1))
    stressed = estimator.estimate(_window(hr_bpm=84, rmssd_ms=28, scl_us=5.5, scr_per_min=7))
    assert calm.arousal < CALM_BELOW and stressed.arousal > STRESSED_ABOVE
    assert stressed.features["z_hr"] > 2 and stressed.features["z_rmssd"] > 1.5
    assert calm.features["z_scl"] < 0
    # Each direction on its own moves the estimate the documented way.
    base = estimator.estimate(_window()).arousal
    assert estimator.estimate(_window(hr_bpm=80)).arousal > base
    assert estimator.estimate(_window(rmssd_ms=30)).arousal > base
    assert estimator.estimate(_window(scl_us=5.0)).arousal > base
    assert estimator.estimate(_window(scr_per_min=6.0)).arousal > base


def test_missing_features_are_skipped_and_weights_renormalised() -> None:
    estimator = RuleEstimator(Baseline.from_windows(_calibration()))
    full = estimator.estimate(_window(hr_bpm=84, rmssd_ms=28, scl_us=5.5, scr_per_min=7))
    cardiac_only = estimator.estimate(
        _window(hr_bpm=84, rmssd_ms=28, scl_us=math.nan, scr_per_min=math.nan, eda_quality=0.0)
    )
    assert set(cardiac_only.features) >= {"z_hr", "z_rmssd"}
    assert "z_scl" not in cardiac_only.features
    # Renormalised: skipping EDA does not drag the estimate towards the centre.
    assert cardiac_only.arousal > STRESSED_ABOVE
    assert cardiac_only.confidence < full.confidence
    nothing = estimator.estimate(
        WindowFeatures(t_end=1.0, window_s=60.0, ppg_quality=0.0, eda_quality=0.0)
    )
    assert nothing.arousal == 0.5 and nothing.confidence == 0.0


def test_missing_baseline_channel_skips_that_channel() -> None:
    no_eda = [_window(scl_us=math.nan, scr_per_min=math.nan) for _ in range(5)]
    estimator = RuleEstimator(Baseline.from_windows(no_eda))
    est = estimator.estimate(_window(scl_us=20.0))
    assert "z_scl" not in est.features and est.arousal == pytest.approx(0.5, abs=0.05)


def test_low_quality_gives_low_confidence() -> None:
    estimator = RuleEstimator(Baseline.from_windows(_calibration()))
    good = estimator.estimate(_window(ppg_quality=0.95, eda_quality=0.9))
    poor = estimator.estimate(_window(ppg_quality=0.2, eda_quality=0.1))
    assert good.confidence > 0.8
    assert poor.confidence < 0.3 and not poor.usable


def test_an_irregular_rhythm_leaves_rmssd_out_of_the_estimate() -> None:
    estimator = RuleEstimator(Baseline.from_windows(_calibration()))
    irregular = _window(hr_bpm=80.0, rmssd_ms=math.nan, irregular_rhythm=True)
    z = estimator.z_scores(irregular)
    assert "rmssd" not in z and "hr" in z

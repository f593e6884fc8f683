import dataclasses
import math

import numpy as np
import pytest

from appliance.affect import model_features as mf
from appliance.signals.features import WindowFeatures


def _window(t, hr=70.0, rmssd=40.0, sdnn=50.0, scl=2.0, slope=0.0, scr=2.0, q=0.9):
    return WindowFeatures(
        t_end=t, window_s=60.0, hr_bpm=hr, rmssd_ms=rmssd, sdnn_ms=sdnn, n_beats=70,
        scl_us=scl, scl_slope_us_per_min=slope, scr_per_min=scr, ppg_quality=q, eda_quality=q,
    )  # fmt: skip


def test_names_are_unique_and_each_feature_is_followed_by_its_lags():
    names = mf.FEATURE_NAMES
    n_lagged = sum(len(lags) for lags in (*mf.LAGS_S.values(), *mf.COURSE_LAGS_S.values()))
    assert len(names) == len(set(names)) == n_lagged + 2 * len(mf.COURSE_FEATURES)
    assert names[:3] == ("hr_rel", "hr_rel@30s", "hr_rel@60s")
    assert names[-1] == "ln_scl_ratio-session_max@180s"


def test_baseline_ignores_poor_windows():
    windows = [_window(t, hr=60.0) for t in (20, 25, 30)] + [_window(35, hr=150.0, q=0.1)]
    assert mf.FeatureBaseline.from_windows(windows).hr_bpm == 60.0


def test_window_at_baseline_is_all_zero_and_deviations_are_relative():
    base = mf.FeatureBaseline.from_windows([_window(20)])
    assert np.allclose(mf.window_vector(_window(200), base), 0.0)
    v = mf.window_vector(_window(200, hr=77.0, rmssd=20.0, scl=4.05), base)
    assert v[0] == pytest.approx(0.1)
    assert v[1] == pytest.approx(math.log(0.5))
    assert v[2] == pytest.approx(math.log(4.1 / 2.05))


def test_context_holds_the_past_at_each_lag_and_zero_before_the_start():
    base = mf.FeatureBaseline.from_windows([_window(20)])
    ctx = mf.ContextFeatures(base)
    for t in range(20, 400, 5):
        x = ctx.push(_window(float(t), hr=70.0 * (1 + t / 1000)))
    for k, lag in enumerate(mf.LAGS_S["hr_rel"]):
        assert x[k] == pytest.approx((395 - lag) / 1000, abs=1e-6)
    early = mf.ContextFeatures(base).push(_window(20.0, hr=77.0))
    assert early[0] == pytest.approx(0.1) and np.all(early[1 : len(mf.LAGS_S["hr_rel"])] == 0.0)


def _course(x, name):
    i = mf.FEATURE_NAMES.index(f"{name}-session_min")
    return x[i], x[i + 1]


def test_session_course_tells_recovery_from_a_peak_apart_from_a_rise():
    base = mf.FeatureBaseline.from_windows([_window(20)])
    ctx = mf.ContextFeatures(base)
    hr = [70.0] * 20 + [90.0] * 30 + [80.0] * 30  # rest, a stressful spell, recovery
    for k, h in enumerate(hr):
        x = ctx.push(_window(20.0 + 5 * k, hr=h))
        if k == 49:
            at_peak = _course(x, "hr_rel")
    above_low, below_high = _course(x, "hr_rel")
    assert at_peak[0] == pytest.approx(20 / 70, abs=1e-6) and at_peak[1] == 0.0
    assert above_low == pytest.approx(10 / 70, abs=1e-6)  # still above the calm start ...
    assert below_high == pytest.approx(-10 / 70, abs=1e-6)  # ... but well below the peak
    # Two minutes ago it was already below the peak (recovery under way), as 30 s ago.
    for lag in (30, 120):
        assert x[mf.FEATURE_NAMES.index(f"hr_rel-session_max@{lag}s")] == pytest.approx(
            -10 / 70, abs=1e-6
        )
    # Three minutes ago (30 windows back: the last of the spell, smoothed) it was at the peak.
    assert x[mf.FEATURE_NAMES.index("hr_rel-session_max@180s")] == 0.0


def test_session_course_smooths_a_single_outlying_window():
    base = mf.FeatureBaseline.from_windows([_window(20)])
    ctx = mf.ContextFeatures(base)
    for k in range(13):
        x = ctx.push(_window(20.0 + 5 * k, hr=140.0 if k == 6 else 70.0))
    # One 140 bpm window among the six of 30 s lifted the smoothed value by 70/6 bpm, not 70;
    # once it has left the 30 s, the present is back at the session's low.
    assert _course(x, "hr_rel") == pytest.approx((0.0, -(70 / 6) / 70), abs=1e-6)


def test_a_poor_window_cannot_set_the_sessions_peak_or_low():
    base = mf.FeatureBaseline.from_windows([_window(20)])
    ctx = mf.ContextFeatures(base)
    # A motion burst read as a fast pulse (poor PPG), while the skin conductance is clean.
    for k in range(13):
        burst = k == 6
        w = _window(20.0 + 5 * k, hr=140.0 if burst else 70.0, scl=1.0 if burst else 2.0)
        if burst:
            w = dataclasses.replace(w, ppg_quality=0.2)
        x = ctx.push(w)
    # The burst has left the 30 s; HR is at the session's peak (the burst never set one) ...
    assert _course(x, "hr_rel") == pytest.approx((0.0, 0.0), abs=1e-6)
    # ... while the clean SCL dip still counts as the session's low.
    assert _course(x, "ln_scl_ratio")[0] > 0.0


def test_course_is_zero_until_a_usable_window_sets_low_and_high():
    base = mf.FeatureBaseline.from_windows([_window(20)])
    ctx = mf.ContextFeatures(base)
    for k, hr in enumerate((90.0, 60.0, 75.0)):
        x = ctx.push(_window(20.0 + 5 * k, hr=hr, q=0.3))
        assert _course(x, "hr_rel") == (0.0, 0.0)
    x = ctx.push(_window(35.0, hr=75.0))  # usable: sets both from the smoothed value
    assert _course(x, "hr_rel") == pytest.approx((0.0, 0.0), abs=1e-6)
    x = ctx.push(_window(40.0, hr=120.0, q=0.3))  # poor: measured against them, moves neither
    assert _course(x, "hr_rel")[0] > 0.0 and _course(x, "hr_rel")[1] > 0.0


def test_missing_channels_become_zero_not_nan():
    base = mf.FeatureBaseline.from_windows([_window(20)])
    x = mf.ContextFeatures(base).push(WindowFeatures(t_end=30.0, window_s=30.0))
    assert x.dtype == np.float32 and np.all(np.isfinite(x)) and np.all(x == 0.0)


def test_session_vectors_skip_calibration_windows():
    windows = [_window(float(t)) for t in range(20, 400, 5)]
    x, mask, base = mf.session_vectors(windows, 180.0)
    assert mask.sum() == len(x) == sum(w.t_end > 180 for w in windows)
    assert base.hr_bpm == 70.0


def test_an_irregular_rhythm_is_no_rmssd_reading_for_the_model():
    base = mf.FeatureBaseline.from_windows([_window(20)])
    irregular = dataclasses.replace(_window(200, rmssd=math.nan), irregular_rhythm=True)
    assert math.isnan(mf.window_vector(irregular, base)[1])
    x = mf.ContextFeatures(base).push(irregular)
    assert x[mf.FEATURE_NAMES.index("ln_rmssd_ratio")] == 0.0  # "as at baseline"

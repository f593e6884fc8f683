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


def test_names_are_unique_and_ordered_by_lag():
    names = mf.FEATURE_NAMES
    assert len(names) == len(set(names)) == len(mf.BASE_FEATURES) * len(mf.LAGS_S)
    assert names[: len(mf.BASE_FEATURES)] == mf.BASE_FEATURES


def test_baseline_ignores_poor_windows():
    windows = [_window(t, hr=60.0) for t in (20, 25, 30)] + [_window(35, hr=150.0, q=0.1)]
    assert mf.FeatureBaseline.from_windows(windows).hr_bpm == 60.0


def test_window_at_baseline_is_all_zero_and_deviations_are_relative():
    base = mf.FeatureBaseline.from_windows([_window(20)])
    assert np.allclose(mf.window_vector(_window(200), base), 0.0)
    v = mf.window_vector(_window(200, hr=77.0, rmssd=20.0, scl=4.05), base)
    assert v[0] == pytest.approx(0.1)
    assert v[1] == pytest.approx(math.log(0.5))
    assert v[3] == pytest.approx(math.log(4.1 / 2.05))


def test_context_holds_the_past_at_each_lag_and_zero_before_the_start():
    base = mf.FeatureBaseline.from_windows([_window(20)])
    ctx = mf.ContextFeatures(base)
    for t in range(20, 400, 5):
        x = ctx.push(_window(float(t), hr=70.0 * (1 + t / 1000)))
    n = len(mf.BASE_FEATURES)
    for k, lag in enumerate(mf.LAGS_S):
        assert x[k * n] == pytest.approx((395 - lag) / 1000, abs=1e-6)
    early = mf.ContextFeatures(base).push(_window(20.0, hr=77.0))
    assert early[0] == pytest.approx(0.1) and np.all(early[n:] == 0.0)


def test_missing_channels_become_zero_not_nan():
    base = mf.FeatureBaseline.from_windows([_window(20)])
    x = mf.ContextFeatures(base).push(WindowFeatures(t_end=30.0, window_s=30.0))
    assert x.dtype == np.float32 and np.all(np.isfinite(x)) and np.all(x == 0.0)


def test_session_vectors_skip_calibration_windows():
    windows = [_window(float(t)) for t in range(20, 400, 5)]
    x, mask, base = mf.session_vectors(windows, 180.0)
    assert mask.sum() == len(x) == sum(w.t_end > 180 for w in windows)
    assert base.hr_bpm == 70.0

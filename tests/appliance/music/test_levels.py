import math

import numpy as np
import pytest

from appliance.music.levels import (
    db_to_gain,
    gain_to_db,
    limit,
    normalise_rms,
    peak_dbfs,
    rms_dbfs,
)

SR = 44100


def sine(amplitude: float, hz: float = 440.0, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    tone = (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return np.stack([tone, tone], axis=1)


def test_db_and_gain_are_inverse():
    for db in (-60.0, -12.0, 0.0, 6.0):
        assert gain_to_db(db_to_gain(db)) == pytest.approx(db)
    assert db_to_gain(-6.0) == pytest.approx(0.501, abs=1e-3)
    assert gain_to_db(0.0) == -math.inf
    assert db_to_gain(-math.inf) == 0.0


def test_sine_levels():
    x = sine(0.5)
    assert peak_dbfs(x) == pytest.approx(-6.02, abs=0.01)
    assert rms_dbfs(x) == pytest.approx(-9.03, abs=0.01)  # a sine's RMS is 3 dB under its peak
    assert rms_dbfs(np.zeros((100, 2), np.float32)) == -math.inf


def test_normalise_rms_hits_target_and_keeps_silence_silent():
    y = normalise_rms(sine(0.01), -20.0)
    assert y.dtype == np.float32
    assert rms_dbfs(y) == pytest.approx(-20.0, abs=0.01)
    assert not np.any(normalise_rms(np.zeros((10, 2), np.float32), -20.0))


def test_limit_never_exceeds_ceiling_even_for_hot_input():
    hot = sine(10.0)  # +20 dBFS
    y = limit(hot, -12.0)
    assert peak_dbfs(y) <= -12.0 + 1e-6
    assert peak_dbfs(y) > -12.5  # it limits, it does not mute


def test_limit_leaves_quiet_audio_untouched_and_bends_smoothly():
    quiet = sine(db_to_gain(-20.0))
    np.testing.assert_array_equal(limit(quiet, -12.0), quiet)
    # A slow ramp through the knee: the output keeps rising (no fold-back) with no kink.
    ramp = np.linspace(0, 1, 10001, dtype=np.float32)[:, None].repeat(2, axis=1)
    y = limit(ramp, -6.0)[:, 0]
    steps = np.diff(y)
    assert np.all(steps >= 0)
    assert np.max(np.abs(np.diff(steps))) < 1e-5


def test_limit_in_place():
    x = sine(2.0)
    out = limit(x, -3.0, out=x)
    assert out is x
    assert peak_dbfs(x) <= -3.0 + 1e-6

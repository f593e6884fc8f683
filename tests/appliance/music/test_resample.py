"""resample() against scipy.signal.resample_poly: length, timing, level and frequency kept,
aliases rejected when going down."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import resample_poly

from appliance.music.resample import resample

PAIRS = [
    (48000, 44100),
    (44100, 48000),
    (22050, 44100),
    (24000, 48000),
    (16000, 44100),
    (48000, 16000),
    (32000, 22050),
    (44100, 22050),  # odd n: a half sample, which round() takes to even
    (44100, 100),  # the simulated mixer's rate: a 441:1 step down
]


def _poly(x: np.ndarray, a: int, b: int) -> np.ndarray:
    g = math.gcd(a, b)
    return resample_poly(x, b // g, a // g, axis=0)


def _tone_db(y: np.ndarray, hz: float, rate: int) -> float:
    """The level of a tone in `y` (dB re full-scale sine), Hann-windowed."""
    w = np.hanning(len(y))
    phasor = np.exp(-2j * np.pi * hz * np.arange(len(y)) / rate)
    return 20 * math.log10(abs(np.sum(y * w * phasor)) / np.sum(w) * 2 + 1e-20)


@pytest.mark.parametrize(("a", "b"), PAIRS)
@pytest.mark.parametrize("n", [0, 1, 7, 1000, 44101])
def test_length_is_the_rounded_ratio(a: int, b: int, n: int) -> None:
    mono = np.random.default_rng(n).normal(size=n)
    assert resample(mono, a, b).shape == (round(n * b / a),)
    stereo = np.random.default_rng(n).normal(size=(n, 2))
    out = resample(stereo, a, b)
    assert out.shape == (round(n * b / a), 2) and out.dtype == np.float32


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_timing_matches_resample_poly(a: int, b: int) -> None:
    # A smooth bump well inside both bands: its centre lands where resample_poly puts it, to a
    # small fraction of a sample (a resampler that leaves its filter's delay in is many off).
    n = 4 * a
    centre = 1.37 * a + 0.3
    width = a / (0.05 * min(a, b))
    x = np.exp(-0.5 * ((np.arange(n) - centre) / width) ** 2)
    ours, theirs = resample(x, a, b), _poly(x, a, b)
    t = np.arange(len(ours))
    ours_at = np.sum(t * ours) / np.sum(ours)
    theirs_at = np.sum(t[: len(theirs)] * theirs[: len(ours)]) / np.sum(theirs[: len(ours)])
    assert ours_at == pytest.approx(centre * b / a, abs=0.02)
    assert ours_at == pytest.approx(theirs_at, abs=0.02)
    np.testing.assert_allclose(ours, theirs[: len(ours)], atol=2e-3)


@pytest.mark.parametrize(("a", "b"), PAIRS)
@pytest.mark.parametrize("fraction", [0.01, 0.13, 0.37])  # of the lower rate
def test_a_sine_keeps_its_level_frequency_and_phase(a: int, b: int, fraction: float) -> None:
    hz = fraction * min(a, b)
    n = 3 * a
    stereo = np.stack([np.sin(2 * np.pi * hz * np.arange(n) / a)] * 2, axis=1) * 0.5
    out = resample(stereo, a, b)
    expected = 0.5 * np.sin(2 * np.pi * hz * np.arange(len(out)) / b)
    inner = slice(len(out) // 4, -(len(out) // 4))  # away from the clip's edges
    np.testing.assert_allclose(out[inner, 0], expected[inner], atol=2e-4)
    np.testing.assert_array_equal(out[:, 0], out[:, 1])


@pytest.mark.parametrize("hz", [23_000.0, 23_500.0])  # 22.05-23 kHz is the transition band
def test_aliases_are_rejected_going_down(hz: float) -> None:
    # 48 kHz → 44.1 kHz: a tone above the new Nyquist would fold to 44.1 kHz − hz.
    x = np.sin(2 * np.pi * hz * np.arange(48000) / 48000)
    out = resample(x, 48000, 44100)[2000:-2000]
    assert _tone_db(out, 44100 - hz, 44100) < -100.0
    # ... while resample_poly lets them through at about -11 dB.
    assert _tone_db(_poly(x, 48000, 44100)[2000:-2000], 44100 - hz, 44100) > -30.0


@pytest.mark.parametrize("hz", [19_000.0, 20_000.0])
def test_the_audible_band_passes_at_full_level_going_down(hz: float) -> None:
    # soxr's "MQ" is already 0.2 dB down at 20 kHz, resample_poly 0.8 dB.
    x = np.sin(2 * np.pi * hz * np.arange(48000) / 48000)
    assert _tone_db(resample(x, 48000, 44100)[2000:-2000], hz, 44100) > -0.05


def test_same_rate_is_a_copy() -> None:
    x = np.arange(10, dtype=np.float32)
    out = resample(x, 44100, 44100)
    np.testing.assert_array_equal(out, x)
    assert out is not x

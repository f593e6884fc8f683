import math

import numpy as np
import pytest

from appliance.music.features import (
    TEMPO_CONFIDENT,
    onset_density,
    spectral_summary,
    tempo_estimate,
)
from appliance.music.loudness import LoudnessMeter, integrated_lufs

SR = 22050


def clicks(bpm: float, seconds: float, level: float = 0.5) -> np.ndarray:
    x = np.zeros(round(seconds * SR))
    n = np.arange(400)
    click = level * np.sin(2 * np.pi * 1500 * n / SR) * np.exp(-n / 60)
    for t in np.arange(0, seconds - 0.05, 60 / bpm):
        i = round(t * SR)
        x[i : i + len(click)] += click
    return x


def analyse(x: np.ndarray) -> tuple[float, float, float, float]:
    s = spectral_summary(x, SR)
    tempo, confidence = tempo_estimate(s.onset_envelope, s.envelope_rate_hz)
    return s.centroid_hz, onset_density(s.onset_envelope, s.envelope_rate_hz), tempo, confidence


@pytest.mark.parametrize("bpm", [52.0, 72.0, 96.0])
def test_a_clear_pulse_gives_its_tempo_with_high_confidence(bpm):
    _, density, tempo, confidence = analyse(clicks(bpm, 30.0))
    assert tempo == pytest.approx(bpm, rel=0.01)
    assert confidence > 0.7
    assert density == pytest.approx(bpm / 60, rel=0.1)


def test_no_pulse_means_low_confidence_whatever_tempo_is_reported():
    noise = 0.1 * np.random.default_rng(1).standard_normal(30 * SR)
    _, _, _, confidence = analyse(noise)
    assert confidence < TEMPO_CONFIDENT
    t = np.arange(30 * SR) / SR
    pad = 0.2 * np.sin(2 * np.pi * 220 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / 9))  # a swell
    centroid, density, tempo, confidence = analyse(pad)
    assert math.isnan(tempo) or confidence < TEMPO_CONFIDENT
    assert density < 0.2
    assert centroid == pytest.approx(220, rel=0.05)


def test_centroid_tracks_brightness():
    t = np.arange(5 * SR) / SR
    low = analyse(0.3 * np.sin(2 * np.pi * 300 * t))[0]
    high = analyse(0.3 * np.sin(2 * np.pi * 3000 * t))[0]
    assert low == pytest.approx(300, rel=0.05) and high == pytest.approx(3000, rel=0.05)


def test_too_short_for_a_tempo():
    s = spectral_summary(clicks(90, 3.0), SR)
    assert tempo_estimate(s.onset_envelope, s.envelope_rate_hz) == (
        pytest.approx(math.nan, nan_ok=True),
        0.0,
    )


def test_loudness_matches_the_bs1770_reference_tone():
    # EBU Tech 3341 case 1: a 1 kHz stereo sine at -23 dBFS reads -23.0 LUFS.
    for rate in (44100, 48000):
        t = np.arange(20 * rate) / rate
        x = 10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * t)
        assert integrated_lufs(np.stack([x, x], 1), rate) == pytest.approx(-23.0, abs=0.05)


def test_loudness_gating_and_range_in_chunks():
    rate = 48000
    t = np.arange(10 * rate) / rate
    tone = np.stack([np.sin(2 * np.pi * 1000 * t)] * 2, 1)
    program = np.concatenate(
        [tone * 10 ** (-33 / 20), np.zeros((10 * rate, 2)), tone * 10 ** (-23 / 20)]
    )
    meter = LoudnessMeter(rate, 2)
    for chunk in np.array_split(program, 17):  # any chunking gives the same answer
        meter.add(chunk)
    # Silence is gated out; the -33 part is within 10 LU of the mean, so it counts.
    assert -33 < meter.integrated_lufs() < -23
    assert meter.range_lu() == pytest.approx(10.0, abs=0.3)
    assert integrated_lufs(np.zeros((rate, 2)), rate) == -math.inf

import math

import numpy as np
import pytest
from signals_synth import eda_with_scrs, max30102_ir, simulated_ppg

from appliance.signals import eda, quality, windows
from appliance.signals.ppg import bandpass, detect_beats

EDA_FS = 4.0
ONSETS = [10, 25, 41, 55, 70, 88, 102]
AMPLITUDES = [0.1, 0.3, 0.05, 0.2, 0.5, 0.08, 0.15]


@pytest.mark.parametrize("slope", [0.0, 0.3, -0.5])
def test_synthetic_scrs_counted(slope):
    _, us = eda_with_scrs(120, EDA_FS, ONSETS, AMPLITUDES, slope, seed=0)
    tonic, phasic = eda.tonic_phasic(us, EDA_FS)
    scrs = eda.detect_scrs(phasic, EDA_FS)
    onsets_s = scrs["onset"] / EDA_FS
    for true_onset in ONSETS:
        assert np.min(np.abs(onsets_s - true_onset)) <= 1.0
    assert len(scrs) <= len(ONSETS) + 1  # at most one tiny artefact at the default floor
    stricter = eda.detect_scrs(phasic, EDA_FS, min_amplitude_us=0.03)
    assert len(stricter) == len(ONSETS)
    assert np.all((stricter["rise_time_s"] > 0.5) & (stricter["rise_time_s"] < 3.0))
    # Amplitudes follow the truth (the lower envelope sits a little under a noisy signal).
    np.testing.assert_allclose(stricter["amplitude_us"], AMPLITUDES, rtol=0.3)
    assert eda.scl_slope_us_per_min(np.arange(us.size) / EDA_FS, tonic) == pytest.approx(
        slope, abs=0.1
    )


def test_no_scrs_in_a_quiet_signal():
    _, us = eda_with_scrs(120, EDA_FS, [], [], 0.1, seed=2)
    _, phasic = eda.tonic_phasic(us, EDA_FS)
    assert len(eda.detect_scrs(phasic, EDA_FS)) == 0


def test_lowpass_keeps_slow_and_removes_fast():
    t = np.arange(0, 60, 1 / 10)
    slow, fast = np.sin(2 * np.pi * 0.1 * t), 0.5 * np.sin(2 * np.pi * 3.0 * t)
    y = eda.lowpass(slow + fast, 10.0)
    assert np.max(np.abs(y - slow)[50:-50]) < 0.05


def test_eda_quality():
    _, us = eda_with_scrs(60, EDA_FS, [20], [0.2], 0.0, seed=1)
    assert quality.eda_quality(us) == pytest.approx(1.0)
    off = np.full_like(us, np.nan)  # electrodes off
    assert quality.eda_quality(off) == 0.0
    half_off = us.copy()
    half_off[: us.size // 2] = np.nan
    assert quality.eda_quality(half_off) == pytest.approx(0.5, abs=0.01)
    assert quality.eda_quality(np.full(240, 3.0)) == 0.0  # stuck reading
    assert quality.eda_quality(np.linspace(80, 90, 240)) == 0.0  # shorted electrodes
    features = windows.eda_window(off)
    assert features.quality == 0.0 and math.isnan(features.scl_us)


def test_clean_ppg_has_high_quality():
    ppg, _ = simulated_ppg(60, 100.0, 70, seed=4)
    raw = -max30102_ir(ppg)
    beats = detect_beats(bandpass(raw, 100.0), 100.0)
    assert quality.ppg_quality(raw, 100.0, beats) > 0.8


def test_flat_line_ppg_has_zero_quality():
    flat = np.full(6000, -120_000.0)
    assert quality.ppg_quality(flat, 100.0, detect_beats(bandpass(flat, 100.0), 100.0)) == 0.0
    quantised = np.round(np.random.default_rng(0).normal(0, 0.3, 6000))  # a few ADC levels
    beats = detect_beats(bandpass(quantised, 100.0), 100.0)
    assert quality.ppg_quality(quantised, 100.0, beats) == 0.0


def test_clipped_ppg_has_low_quality():
    ppg, _ = simulated_ppg(60, 100.0, 70, seed=4)
    lo, hi = np.percentile(ppg, [20, 80])
    clipped = np.clip(ppg, lo, hi)  # an ADC at the end of its range, both ways
    beats = detect_beats(bandpass(clipped, 100.0), 100.0)
    assert quality.ppg_quality(clipped, 100.0, beats) < 0.2


def test_noise_ppg_has_low_quality():
    noise = np.random.default_rng(5).normal(0, 1, 6000)
    beats = detect_beats(bandpass(noise, 100.0), 100.0)
    assert quality.ppg_quality(noise, 100.0, beats) < 0.3


def test_implausible_beat_count_has_zero_quality():
    ppg, _ = simulated_ppg(60, 100.0, 70, seed=4)
    assert quality.ppg_quality(ppg, 100.0, np.array([100, 4000])) == 0.0

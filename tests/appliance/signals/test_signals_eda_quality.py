import math

import numpy as np
import pytest
from signals_synth import eda_with_scrs, max30102_ir, scr_shape, simulated_ppg

from appliance.signals import eda, quality, windows
from appliance.signals.ppg import bandpass, detect_beats

EDA_FS = 4.0
ONSETS = [10, 25, 41, 55, 70, 88, 102]
AMPLITUDES = [0.1, 0.3, 0.05, 0.2, 0.5, 0.08, 0.15]


@pytest.mark.parametrize("slope", [0.0, 0.3, -0.5])
def test_synthetic_scrs_counted(slope):
    _, us = eda_with_scrs(120, EDA_FS, ONSETS, AMPLITUDES, slope, seed=0)
    tonic, phasic = eda.tonic_phasic(us, EDA_FS)
    scrs = eda.detect_scrs(phasic, EDA_FS, noise_sd=eda.noise_sd_us(us))
    onsets_s = scrs["onset"] / EDA_FS
    for true_onset in ONSETS:
        assert np.min(np.abs(onsets_s - true_onset)) <= 1.0
    # At most one tiny extra: on a rising trend the lower envelope bends a little.
    assert len(scrs) <= len(ONSETS) + 1
    real = scrs[scrs["amplitude_us"] >= 0.03]
    assert len(real) == len(ONSETS)
    assert np.all((real["rise_time_s"] > 0.5) & (real["rise_time_s"] < 3.0))
    # Amplitudes follow the truth (the lower envelope sits a little under a noisy signal).
    np.testing.assert_allclose(real["amplitude_us"], AMPLITUDES, rtol=0.3)
    assert eda.scl_slope_us_per_min(np.arange(us.size) / EDA_FS, tonic) == pytest.approx(
        slope, abs=0.1
    )


def test_no_scrs_in_a_quiet_signal():
    _, us = eda_with_scrs(120, EDA_FS, [], [], 0.1, seed=2)
    _, phasic = eda.tonic_phasic(us, EDA_FS)
    assert len(eda.detect_scrs(phasic, EDA_FS, noise_sd=eda.noise_sd_us(us))) == 0


@pytest.mark.parametrize("noise_sd", [0.004, 0.01, 0.02])
def test_noise_sd_is_measured_under_responses_and_drift(noise_sd):
    t = np.arange(0.0, 120.0, 1 / EDA_FS)
    rng = np.random.default_rng(3)
    us = 2.0 + 0.3 * t / 60.0 + rng.normal(0.0, noise_sd, t.size)
    for onset in range(5, 120, 10):
        us += scr_shape(t, onset, 0.3)
    us[100:110] = np.nan  # electrodes off for a moment: no difference across the gap
    # A 0.3 µS response every 10 s bends the signal often; the estimate still holds within 30 %.
    assert eda.noise_sd_us(us) == pytest.approx(noise_sd, rel=0.3)


def test_amplitude_floor_follows_the_noise_never_below_the_research_floor():
    assert eda.scr_min_amplitude_us(0.0) == eda.SCR_MIN_AMPLITUDE_US == 0.01
    assert eda.scr_min_amplitude_us(0.001) == 0.01
    assert eda.scr_min_amplitude_us(math.nan) == 0.01
    assert eda.scr_min_amplitude_us(0.01) == pytest.approx(eda.SCR_NOISE_MULTIPLE * 0.01)
    assert eda.scr_min_amplitude_us(0.02) > eda.scr_min_amplitude_us(0.01)


def _minutes_of(signal_of_minute, minutes: int) -> list[float]:
    """scr_per_min of `minutes` one-minute windows, each from signal_of_minute(rng, t)."""
    t = np.arange(0.0, 60.0, 1 / EDA_FS)
    rates = []
    for seed in range(minutes):
        us = signal_of_minute(np.random.default_rng(seed), t)
        rates.append(windows.eda_window(us, EDA_FS).scr_per_min)
    return rates


@pytest.mark.parametrize("noise_sd", [0.004, 0.01, 0.02])
def test_sensor_noise_alone_is_not_counted_as_responses(noise_sd):
    rates = _minutes_of(lambda rng, t: 0.8 + rng.normal(0.0, noise_sd, t.size), 30)
    assert np.mean(rates) < 1.0
    assert max(rates) <= 1.0  # at most one in any minute


def bateman(t: np.ndarray, onset_s: float, amplitude_us: float, tau_rise_s, tau_decay_s):
    """A Bateman-shaped SCR (difference of exponentials) scaled to `amplitude_us`."""
    x = np.clip(t - onset_s, 0.0, None)
    y = np.exp(-x / tau_decay_s) - np.exp(-x / tau_rise_s)
    return amplitude_us * y / y.max()


@pytest.mark.parametrize("noise_sd", [0.004, 0.01, 0.02])
def test_real_responses_are_still_found_in_noise(noise_sd):
    def six_responses(rng, t):
        us = 0.8 + rng.normal(0.0, noise_sd, t.size)
        for k in range(6):  # one every 10 s, 0.1-0.3 µS, rising in about 1-3 s
            tau_rise = rng.uniform(0.5, 1.5)
            us += bateman(t, 10 * k + rng.uniform(1, 3), rng.uniform(0.1, 0.3), tau_rise, 3.0)
        return us

    rates = _minutes_of(six_responses, 20)
    assert np.mean(rates) == pytest.approx(6.0, abs=0.3)
    assert min(rates) >= 5.0 and max(rates) <= 7.0


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

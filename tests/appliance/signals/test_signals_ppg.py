import heartpy as hp
import numpy as np
import pytest
from signals_synth import simulated_ppg

from appliance.signals import hrv
from appliance.signals.ppg import bandpass, detect_beats, peak_times_s
from appliance.signals.rr_correct import correct_rr

FS = 100.0


def match_distances_s(found: np.ndarray, truth: np.ndarray, fs: float) -> np.ndarray:
    """For every true beat, the distance to the nearest found beat (s)."""
    return np.abs(found[:, None] - truth[None, :]).min(axis=0) / fs


@pytest.mark.parametrize("hr_bpm", [50, 72, 110, 150])
@pytest.mark.parametrize("seed", [1, 7])
def test_simulated_ppg_beats_and_hr_recovered(hr_bpm, seed):
    ppg, truth = simulated_ppg(60, FS, hr_bpm, seed)
    beats = detect_beats(bandpass(ppg, FS), FS)
    distances = match_distances_s(beats, truth, FS)
    assert np.mean(distances <= 0.050) >= 0.97
    assert abs(beats.size - truth.size) <= 2
    cleaned = correct_rr(np.diff(beats / FS)).rr_s
    true_hr = 60.0 / np.mean(np.diff(truth) / FS)
    assert hrv.hr_bpm(cleaned) == pytest.approx(true_hr, abs=2.0)


def test_refractory_period_never_violated():
    ppg, _ = simulated_ppg(60, FS, 160, seed=3)
    beats = detect_beats(bandpass(ppg, FS), FS)
    assert np.all(np.diff(beats) >= 0.3 * FS)


def test_bandpass_removes_dc_and_keeps_pulse_band():
    t = np.arange(0, 30, 1 / FS)
    x = 1e5 + 0.2 * np.sin(2 * np.pi * 0.05 * t) + np.sin(2 * np.pi * 1.2 * t)
    y = bandpass(x, FS)
    middle = slice(500, -500)
    assert abs(np.mean(y[middle])) < 0.01
    assert np.std(y[middle]) == pytest.approx(np.std(np.sin(2 * np.pi * 1.2 * t)), rel=0.05)


def test_short_flat_or_empty_input_gives_no_beats():
    assert detect_beats(np.zeros(1000), FS).size == 0
    assert detect_beats(np.ones(50), FS).size == 0
    assert bandpass(np.empty(0), FS).size == 0
    assert bandpass(np.ones(5), FS).shape == (5,)


def test_peak_times_are_sub_sample():
    fs = 64.0
    true_peak_s = 1.2420  # 79.49 samples: between two
    t = np.arange(0, 3, 1 / fs)
    x = np.exp(-(((t - true_peak_s) / 0.1) ** 2))
    idx = np.array([int(np.argmax(x))])
    assert abs(peak_times_s(x, fs, idx)[0] - true_peak_s) < 0.003
    assert abs(idx[0] / fs - true_peak_s) > 0.003  # the sample grid alone is coarser


def test_heartpy_example_hr_agrees_with_heartpy():
    data, _ = hp.load_exampledata(0)
    _, measures = hp.process(data, FS)
    beats = detect_beats(bandpass(data, FS), FS)
    fixed = correct_rr(np.diff(beats / FS))
    cleaned, share = fixed.rr_s, fixed.corrected_share
    assert hrv.hr_bpm(cleaned) == pytest.approx(measures["bpm"], abs=3.0)
    assert hrv.rmssd_ms(cleaned) == pytest.approx(measures["rmssd"], rel=0.25)
    assert share < 0.1

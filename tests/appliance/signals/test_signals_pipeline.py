"""Ectopic correction, breathing rate, beat-level rejection and the E4 command, on synthetic
signals whose truth is known."""

import math

import numpy as np
import pytest
from signals_synth import simulated_ppg

from appliance.commands import signals as signals_command
from appliance.signals import spectral, windows
from appliance.signals.ppg import bandpass, detect_beats
from appliance.signals.quality import beats_ok
from appliance.signals.rr_correct import classify, correct_rr


def rsa_rr(n: int, breaths_per_min: float, seed: int) -> np.ndarray:
    """RR intervals (s) modulated by breathing at a known rate, with beat-to-beat noise."""
    rng = np.random.default_rng(seed)
    rr = np.full(n, 0.85)
    t = np.cumsum(rr)
    return 0.85 + 0.04 * np.sin(2 * np.pi * breaths_per_min / 60 * t) + rng.normal(0, 0.008, n)


def test_clean_series_is_left_alone():
    rr = rsa_rr(120, 12, seed=1)
    fixed = correct_rr(rr)
    assert fixed.corrected_share == 0.0
    np.testing.assert_array_equal(fixed.rr_s, rr)


def test_missed_extra_and_ectopic_beats_are_classified_and_corrected():
    truth = rsa_rr(120, 12, seed=2)
    rr = truth.copy()
    rr[30] += rr[31]  # missed beat: two intervals read as one
    rr = np.delete(rr, 31)
    rr[60] -= 0.25  # premature (ectopic) beat: short then long
    rr[61] += 0.25
    rr = np.insert(rr, 90, 0.3)  # extra beat: one interval split in two
    rr[91] -= 0.3
    kinds = classify(rr)
    assert kinds["missed"] == [30] and kinds["extra"] == [90] and 61 in kinds["ectopic"]
    fixed = correct_rr(rr)
    assert (fixed.missed, fixed.extra) == (1, 1) and fixed.ectopic + fixed.long_short >= 1
    assert fixed.rr_s.size == truth.size
    # Missed and extra beats are restored exactly in sum; the ectopic pair to their mean.
    assert np.max(np.abs(fixed.rr_s - truth)) < 0.03
    assert 0.02 < fixed.corrected_share < 0.08


def test_breaks_are_never_bridged_and_range_is_enforced():
    rr = rsa_rr(80, 12, seed=3)
    rr[40:43] = np.nan
    rr[10] = 2.6  # 23 bpm: no correction makes this plausible on its own
    fixed = correct_rr(rr)
    assert np.count_nonzero(np.isnan(fixed.rr_s)) >= 3
    assert np.all(np.isnan(fixed.rr_s[40:43]) | (fixed.rr_s.size != rr.size))
    assert fixed.corrected_share > 0


@pytest.mark.parametrize("rate", [8.0, 12.0, 18.0])
def test_breathing_rate_from_rsa(rate):
    assert spectral.breathing_rate_bpm(rsa_rr(75, rate, seed=4)) == pytest.approx(rate, abs=1.0)


def test_no_breathing_rate_without_a_rhythm_or_enough_data():
    white = 0.85 + np.random.default_rng(5).normal(0, 0.03, 75)
    assert math.isnan(spectral.breathing_rate_bpm(white))
    assert math.isnan(spectral.breathing_rate_bpm(rsa_rr(20, 12, seed=6)))


def test_lf_hf_only_on_long_windows():
    assert math.isnan(spectral.lf_hf_ratio(rsa_rr(70, 12, seed=7)))  # ~60 s
    assert spectral.lf_hf_ratio(rsa_rr(200, 12, seed=7)) < 1.0  # breathing is HF power


def test_motion_burst_and_flat_line_beats_are_rejected():
    fs = 64.0
    ppg, _ = simulated_ppg(60, fs, 70, seed=8, noisy=False)
    ppg = ppg.copy()
    burst = slice(int(20 * fs), int(26 * fs))
    ppg[burst] += 8 * np.sin(2 * np.pi * 1.3 * np.arange(burst.stop - burst.start) / fs)
    flat = slice(int(40 * fs), int(45 * fs))
    ppg[flat] = ppg[flat.start]  # sensor stuck: no beat may be found there
    x = bandpass(ppg, fs)
    beats = detect_beats(x, fs)
    ok = beats_ok(x, fs, beats)
    in_burst = (beats >= burst.start) & (beats < burst.stop)
    assert not np.any((beats >= flat.start + fs) & (beats < flat.stop - fs))
    assert not np.any(ok[in_burst])
    assert np.mean(ok[~in_burst]) > 0.8
    features = windows.cardiac_from_ppg(ppg, fs, beats)
    assert features.hr_bpm == pytest.approx(70, abs=3)
    assert features.rr_corrected_share > 0.1 and features.quality < 0.9


def test_window_reports_corrected_share_for_a_missed_beat():
    fs = 64.0
    ppg, _ = simulated_ppg(60, fs, 70, seed=9, noisy=False)
    beats = detect_beats(bandpass(ppg, fs), fs)
    dropped = np.delete(beats, 30)  # the detector "missed" one beat
    features = windows.cardiac_from_ppg(ppg, fs, dropped, np.ones(dropped.size, dtype=bool))
    assert features.rr_corrected_share > 0 and features.hr_bpm == pytest.approx(70, abs=2)


def test_signals_analyse_command_prints_windows_and_writes_beats(tmp_path, capsys):
    fs = 64.0
    ppg, truth = simulated_ppg(150, fs, 66, seed=10, noisy=False)
    rec = tmp_path / "rec"
    rec.mkdir()
    # The E4 layout: start and rate rows, BVP stored inverted.
    (rec / "BVP.csv").write_text("1600000000.0\n64.0\n" + "\n".join(f"{-v:.5f}" for v in ppg))
    eda = 2.0 + 0.001 * np.arange(600)
    (rec / "EDA.csv").write_text("1600000000.0\n4.0\n" + "\n".join(f"{v:.4f}" for v in eda))
    (rec / "IBI.csv").write_text("1600000000.0, IBI\n")
    beats_file = tmp_path / "beats.txt"
    parser = __import__("argparse").ArgumentParser()
    signals_command.add_arguments(parser)
    args = parser.parse_args(["analyse", "--e4", str(rec), "--beats", str(beats_file)])
    assert signals_command.run(args) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split()[0] == "end_s" and len(lines) == 1 + 2  # windows at 60 and 120 s
    hr = float(lines[1].split()[1])
    assert hr == pytest.approx(66, abs=2)
    written = np.loadtxt(beats_file)
    assert written.size > 0.9 * truth.size
    nearest = np.min(np.abs(written[:, None] - truth[None, :] / fs), axis=1)
    assert np.mean(nearest < 0.05) > 0.95


def test_signals_analyse_command_fails_cleanly_on_a_missing_folder(tmp_path, capsys):
    parser = __import__("argparse").ArgumentParser()
    signals_command.add_arguments(parser)
    args = parser.parse_args(["analyse", "--e4", str(tmp_path / "nope")])
    assert signals_command.run(args) == 1
    assert "cannot read E4 recording" in capsys.readouterr().err

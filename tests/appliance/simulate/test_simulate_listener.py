"""The virtual listener: closed-loop arousal, heart, PPG and skin conductance."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from appliance.music.recipe import Recipe
from appliance.simulate.listener import ListenerTraits, VirtualListener, demo_listener
from appliance.simulate.physiology import MAX30102_FULL_SCALE

SLOW_SOFT = Recipe(tempo_bpm=60, density=0.2, loudness_db=-28, instrument="strings")
FAST_LOUD = Recipe(tempo_bpm=130, density=0.9, loudness_db=-8)


def _rmssd_ms(beats: np.ndarray) -> float:
    return float(1000 * np.sqrt(np.mean(np.diff(np.diff(beats)) ** 2)))


def _hr_bpm(beats: np.ndarray) -> float:
    return float(60.0 / np.mean(np.diff(beats)))


def _fixed(arousal: float, **changes: object) -> VirtualListener:
    """A listener held at one arousal: silence drifts to where it already is, no noise."""
    traits = ListenerTraits(start_arousal=arousal, rest_arousal=arousal, arousal_noise=0.0)
    return VirtualListener(replace(traits, **changes))


def test_slow_soft_music_lowers_arousal_and_fast_loud_raises_it() -> None:
    calm, excited, silent = demo_listener(seed=1), demo_listener(seed=1), demo_listener(seed=1)
    calm.hear(SLOW_SOFT, 0.0)
    excited.hear(FAST_LOUD, 0.0)
    silent.hear(None, 0.0)
    start = calm.true_arousal(0.0)
    assert start == pytest.approx(0.7, abs=0.05)
    after = {
        name: lis.true_arousal(600.0) for name, lis in [("c", calm), ("e", excited), ("s", silent)]
    }
    assert after["c"] < start - 0.25  # minutes of slow soft music calm a stressed listener
    assert after["e"] > start + 0.1
    assert after["c"] < after["s"] < after["e"]
    # The change is gradual (tau of minutes), not a jump.
    assert calm.true_arousal(601.0) == pytest.approx(after["c"], abs=0.02)


def test_the_effect_starts_when_the_music_starts() -> None:
    lis = demo_listener(seed=2)
    lis.hear(None, 0.0)
    lis.hear(FAST_LOUD, 300.0)
    before = lis.true_arousal(300.0)
    assert lis.true_arousal(600.0) > before + 0.15


def test_preferences_and_disliked_minor_mode_shift_the_response() -> None:
    base = ListenerTraits(start_arousal=0.5, arousal_noise=0.0, dislikes_minor=True)
    piano, strings = Recipe(70, instrument="piano"), Recipe(70, instrument="strings")
    results = {}
    for name, recipe in [("pref", piano), ("other", strings), ("minor", piano.with_(mode="minor"))]:
        lis = VirtualListener(base)
        lis.hear(recipe, 0.0)
        results[name] = lis.true_arousal(900.0)
    assert results["pref"] < results["other"] - 0.05
    assert results["minor"] > results["pref"] + 0.05


@pytest.mark.parametrize("arousal", [0.1, 0.8])
def test_heart_rate_and_rmssd_follow_arousal_as_specified(arousal: float) -> None:
    lis = _fixed(arousal)
    beats = lis.beat_times_between(0.0, 300.0)
    tr = lis.traits
    assert _hr_bpm(beats) == pytest.approx(tr.baseline_hr_bpm + tr.hr_gain_bpm * arousal, rel=0.03)
    expected_rmssd = tr.baseline_rmssd_ms * (1 - 0.6 * arousal)
    assert _rmssd_ms(beats) == pytest.approx(expected_rmssd, rel=0.25)


def test_rmssd_falls_and_hr_rises_with_arousal() -> None:
    low, high = _fixed(0.1).beat_times_between(0, 300), _fixed(0.9).beat_times_between(0, 300)
    assert _hr_bpm(high) > _hr_bpm(low) + 20
    assert _rmssd_ms(high) < 0.6 * _rmssd_ms(low)


def test_ppg_is_periodic_at_the_heart_rate_and_ir_dips_on_each_pulse() -> None:
    lis = _fixed(0.5)
    fs = 100.0
    t = np.arange(0, 60, 1 / fs)
    red, ir = lis.ppg(t)
    assert 80_000 < np.median(ir) < 120_000 and np.median(red) < np.median(ir)
    assert np.all((ir >= 0) & (ir <= MAX30102_FULL_SCALE)) and np.all(ir == np.round(ir))
    ac_share = (np.percentile(ir, 95) - np.percentile(ir, 5)) / np.median(ir)
    assert 0.005 < ac_share < 0.03
    beats = lis.beat_times_between(0, 60)
    spectrum = np.abs(np.fft.rfft(ir - ir.mean()))
    freqs = np.fft.rfftfreq(len(ir), 1 / fs)
    band = (freqs > 0.7) & (freqs < 3.0)
    peak_hz = freqs[band][np.argmax(spectrum[band])]
    assert peak_hz * 60 == pytest.approx(_hr_bpm(beats), abs=3)
    # Inverted: at the systolic peak (~0.18 s after the beat) less light returns than at the foot.
    at_peak = np.interp(beats[2:-2] + 0.18, t, ir)
    at_foot = np.interp(beats[2:-2], t, ir)
    assert np.mean(at_peak - at_foot) < -0.004 * np.median(ir)


def test_overlapping_ascending_queries_are_consistent() -> None:
    a, b = demo_listener(seed=5), demo_listener(seed=5)
    a.hear(SLOW_SOFT, 0.0)
    b.hear(SLOW_SOFT, 0.0)
    t_ppg = np.arange(0, 30, 0.01)
    t_gsr = np.arange(0, 30, 1 / 16)
    whole_red, whole_ir = a.ppg(t_ppg)
    whole_gsr = a.conductance(t_gsr)
    # The same times in interleaved, overlapping chunks from two "emulators".
    parts_red, parts_ir, parts_gsr = [], [], []
    for k in range(30):
        red, ir = b.ppg(t_ppg[k * 100 : (k + 1) * 100])
        parts_red.append(red)
        parts_ir.append(ir)
        parts_gsr.append(b.conductance(t_gsr[k * 16 : (k + 1) * 16]))
        b.ppg(t_ppg[max(0, k * 100 - 50) : (k + 1) * 100])  # a re-read of recent samples
    np.testing.assert_array_equal(np.concatenate(parts_red), whole_red)
    np.testing.assert_array_equal(np.concatenate(parts_ir), whole_ir)
    np.testing.assert_array_equal(np.concatenate(parts_gsr), whole_gsr)


def test_memory_stays_bounded_and_old_times_are_refused() -> None:
    lis = demo_listener(seed=3)
    for k in range(2400):  # 40 minutes in 1 s reads
        lis.ppg(k + np.arange(0, 1, 0.01))
        lis.conductance(k + np.arange(0, 1, 1 / 16))
    assert len(lis.beat_times_between(2000, 2400)) > 300
    assert len(lis._gt) < 2 * 300 / 0.25 + 2  # bounded grid
    assert len(lis._beats) < 1500
    with pytest.raises(ValueError, match="history"):
        lis.conductance(np.array([10.0]))


def test_conductance_rises_with_arousal_and_has_scrs() -> None:
    low, high = _fixed(0.1, seed=4), _fixed(0.9, seed=4)
    t = np.arange(0, 300, 1 / 16)
    g_low, g_high = low.conductance(t), high.conductance(t)
    assert np.median(g_high) > np.median(g_low) + 2.0

    # SCRs: fast rises well above the noise, more of them at high arousal.
    def n_responses(g: np.ndarray) -> int:
        rises = np.diff(g[::8])  # 0.5 s steps
        return int(np.sum((rises[1:] > 0.03) & (rises[:-1] <= 0.03)))

    assert n_responses(g_high) > n_responses(g_low) >= 1
    assert n_responses(g_high) >= 15  # ~8/min at arousal 0.9 over 5 minutes


def test_motion_artefacts_appear_only_when_the_traits_ask() -> None:
    still, moving = _fixed(0.5, seed=6), _fixed(0.5, seed=6, motion_artefacts_per_min=6.0)
    t = np.arange(0, 120, 0.01)
    _, ir_still = still.ppg(t)
    _, ir_moving = moving.ppg(t)
    assert np.ptp(ir_moving) > 3 * np.ptp(ir_still)


@pytest.mark.parametrize("arousal", [0.1, 0.8])
def test_neurokit2_finds_every_beat_in_the_ppg(arousal: float) -> None:
    """A peer implementation reads our PPG like a real one: same beats, same RMSSD."""
    nk = pytest.importorskip("neurokit2")
    lis = _fixed(arousal, seed=9)
    fs = 100
    t = np.arange(0, 120, 1 / fs)
    _, ir = lis.ppg(t)
    _, info = nk.ppg_process(-ir, sampling_rate=fs)  # un-invert: peaks are blood volume
    peaks = np.asarray(info["PPG_Peaks"]) / fs
    beats = lis.beat_times_between(0, 120)
    assert abs(len(peaks) - len(beats)) <= 1
    assert _hr_bpm(peaks) == pytest.approx(_hr_bpm(beats), abs=0.5)
    assert _rmssd_ms(peaks) == pytest.approx(_rmssd_ms(beats), rel=0.15)

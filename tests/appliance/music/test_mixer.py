import numpy as np
import pytest

from appliance.music.levels import db_to_gain, peak_dbfs, rms_dbfs
from appliance.music.mixer import MIN_RAMP_S, Mixer

SR = 44100
BLOCK = SR // 10  # the playback loop pulls every 0.1 s


def tone(hz: float, seconds: float, level_dbfs: float = -20.0, phase: float = 0.0) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    wave = db_to_gain(level_dbfs) * np.sin(2 * np.pi * hz * t + phase)
    return np.stack([wave, wave], axis=1).astype(np.float32)


def pull_seconds(mixer: Mixer, seconds: float) -> np.ndarray:
    return np.concatenate([mixer.pull(BLOCK) for _ in range(round(seconds * 10))])


def window_rms_db(x: np.ndarray, window: int = SR // 100) -> np.ndarray:
    n = len(x) // window
    frames = x[: n * window, 0].astype(np.float64).reshape(n, window)
    return 20 * np.log10(np.sqrt(np.mean(frames**2, axis=1)) + 1e-12)


def test_pull_is_always_exact_and_silent_when_idle():
    mixer = Mixer(sample_rate=SR)
    for n in (0, 1, 4410, 10000):
        out = mixer.pull(n)
        assert out.shape == (n, 2) and out.dtype == np.float32 and not np.any(out)
    assert not mixer.playing


def test_first_segment_plays_immediately_then_silence_after_it():
    mixer = Mixer(sample_rate=SR, max_level_dbfs=-6.0)
    segment = tone(440, 0.25)
    mixer.queue(segment)
    assert mixer.playing
    out = mixer.pull(SR // 2)
    ramp = round(MIN_RAMP_S * SR)  # onto silence: a short fade-in, never a click
    np.testing.assert_allclose(out[ramp : len(segment)], segment[ramp:], atol=1e-6)  # untouched
    assert np.all(np.abs(out[:ramp, 0]) <= np.abs(segment[:ramp, 0]) + 1e-7)
    assert np.max(np.abs(np.diff(out[:ramp, 0]))) <= np.max(np.abs(np.diff(segment[:, 0])))
    assert not np.any(out[len(segment) :])
    assert not mixer.playing


def test_crossfade_is_equal_power_and_has_no_click():
    mixer = Mixer(sample_rate=SR, crossfade_s=2.0, max_level_dbfs=-6.0)
    mixer.queue(tone(220, 10.0))
    before = pull_seconds(mixer, 1.0)
    mixer.queue(tone(330, 10.0, phase=np.pi / 2))  # starts at its peak: a cut would click
    during = pull_seconds(mixer, 3.0)
    out = np.concatenate([before, during])
    # No click: around the boundary no sample-to-sample jump exceeds the steady signal's.
    steady_jump = np.max(np.abs(np.diff(before[:, 0])))
    boundary = slice(len(before) - 2000, len(before) + 2000)
    assert np.max(np.abs(np.diff(out[boundary, 0]))) <= 1.1 * steady_jump
    # Equal power: uncorrelated tones keep their level through the fade (no 3 dB dip).
    levels = window_rms_db(during[: 2 * SR], window=SR // 10)
    assert np.max(np.abs(levels - (-23.0))) < 1.0
    # After the crossfade only the new tone sounds.
    tail = during[-SR // 2 :, 0].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(tail))
    assert np.fft.rfftfreq(len(tail), 1 / SR)[np.argmax(spectrum)] == pytest.approx(330, abs=3)
    assert mixer.playing


def test_third_segment_during_a_crossfade_stays_smooth():
    mixer = Mixer(sample_rate=SR, crossfade_s=1.0, max_level_dbfs=-6.0)
    mixer.queue(tone(200, 5.0))
    pull_seconds(mixer, 0.5)
    mixer.queue(tone(300, 5.0))
    a = pull_seconds(mixer, 0.5)
    mixer.queue(tone(450, 5.0))
    b = pull_seconds(mixer, 2.0)
    out = np.concatenate([a, b])
    assert np.max(np.abs(np.diff(out[:, 0]))) < 0.02  # a 450 Hz tone at -20 dBFS moves 0.0064
    assert peak_dbfs(out) <= -6.0


def test_volume_ramps_smoothly_to_the_new_level():
    mixer = Mixer(sample_rate=SR, max_level_dbfs=-6.0)
    mixer.queue(tone(500, 5.0, level_dbfs=-20.0))
    pull_seconds(mixer, 0.5)
    mixer.set_volume(-20.0, ramp_s=1.0)
    out = pull_seconds(mixer, 2.0)
    levels = window_rms_db(out)
    steps = np.diff(levels)
    assert np.all(steps < 0.05)  # only ever down (within measurement noise)…
    assert np.max(np.abs(steps)) < 0.5  # …and never a jump: 20 dB spread over 100 windows
    assert levels[-1] == pytest.approx(-43.0, abs=0.3)  # -20 dBFS tone, RMS -23, minus 20 dB
    assert mixer.volume_db == pytest.approx(-20.0)


def test_instant_volume_change_is_still_ramped():
    mixer = Mixer(sample_rate=SR, max_level_dbfs=-6.0)
    mixer.queue(tone(100, 2.0, level_dbfs=-10.0))
    pull_seconds(mixer, 0.2)
    mixer.set_volume(-30.0, ramp_s=0.0)
    out = pull_seconds(mixer, 0.5)
    ratio = np.abs(np.diff(out[:, 0]))
    assert np.max(ratio) < 0.02  # a 100 Hz tone at -10 dBFS moves at most 0.0045 a sample


def test_hot_input_never_exceeds_the_cap():
    mixer = Mixer(sample_rate=SR, max_level_dbfs=-12.0, volume_db=6.0)
    noise = np.random.default_rng(0).normal(0, 10.0, (3 * SR, 2)).astype(np.float32)  # +20 dB
    mixer.queue(tone(440, 3.0, level_dbfs=20.0))
    out = [mixer.pull(BLOCK) for _ in range(10)]
    mixer.queue(noise)
    out += [mixer.pull(n) for n in (1, 7, 441, 4410, 22050, 30000)]
    everything = np.concatenate(out)
    assert peak_dbfs(everything) <= -12.0
    assert rms_dbfs(everything) > -20.0  # limited, not muted


def test_fade_out_then_silence_and_a_new_segment_plays_at_once():
    mixer = Mixer(sample_rate=SR, max_level_dbfs=-6.0)
    mixer.queue(tone(440, 10.0))
    pull_seconds(mixer, 0.5)
    mixer.fade_out(1.0)
    out = pull_seconds(mixer, 1.5)
    levels = window_rms_db(out[:SR], window=SR // 20)  # 22 whole cycles a window
    assert np.all(np.diff(levels) < 0.05)
    assert not np.any(out[SR:])
    assert not mixer.playing
    mixer.queue(tone(440, 1.0))
    assert rms_dbfs(mixer.pull(BLOCK)[round(MIN_RAMP_S * SR) :]) == pytest.approx(-23.0, abs=0.1)


def test_rejects_mono():
    with pytest.raises(ValueError):
        Mixer().queue(np.zeros(100, np.float32))


def test_overlay_ducks_the_music_speaks_then_restores_under_the_cap():
    mixer = Mixer(sample_rate=SR, max_level_dbfs=-6.0)
    mixer.queue(tone(220, 10.0, level_dbfs=-20.0))
    pull_seconds(mixer, 0.5)
    voice = tone(1000, 1.0, level_dbfs=-12.0)[:, 0]  # mono
    seconds = mixer.overlay(voice, duck_db=-10.0)
    out = pull_seconds(mixer, 3.0)
    assert seconds == pytest.approx(1.3, abs=0.01)  # the dip comes first
    assert peak_dbfs(out) <= -6.0

    def music_db(part):
        spectrum = np.abs(np.fft.rfft(part[:, 0].astype(np.float64)))
        freqs = np.fft.rfftfreq(len(part), 1 / SR)
        return 20 * np.log10(spectrum[np.argmin(np.abs(freqs - 220))] * 2 / len(part) + 1e-12)

    steady = music_db(out[: SR // 5])  # the first 0.2 s: only starting to dip
    ducked = music_db(out[round(0.5 * SR) : round(1.2 * SR)])
    restored = music_db(out[round(2.6 * SR) : 3 * SR])
    assert ducked == pytest.approx(-30.0, abs=0.5)  # -20 dBFS tone, 10 dB down
    assert restored == pytest.approx(-20.0, abs=0.3) and steady > -26.0
    voice_part = out[round(0.4 * SR) : round(1.2 * SR), 0]
    spectrum = np.abs(np.fft.rfft(voice_part.astype(np.float64)))
    assert np.fft.rfftfreq(len(voice_part), 1 / SR)[np.argmax(spectrum)] == pytest.approx(
        1000, abs=3
    )
    assert np.max(np.abs(np.diff(out[:, 0]))) < 0.25  # a 1 kHz tone at -6 dBFS moves 0.071


def test_overlay_accepts_a_positive_duck_and_another_sample_rate():
    mixer = Mixer(sample_rate=SR, max_level_dbfs=-6.0)
    mixer.queue(tone(220, 5.0))
    prompt = np.zeros(22050, np.float32)  # 1 s at espeak-ng's 22.05 kHz
    assert mixer.overlay(prompt, duck_db=10.0, sample_rate=22050) == pytest.approx(1.3, abs=0.01)
    out = pull_seconds(mixer, 1.0)
    assert rms_dbfs(out[SR // 2 :]) == pytest.approx(-33.0, abs=0.3)
    mixer.overlay(tone(1000, 1.0, level_dbfs=6.0))  # a prompt over full scale: still capped
    assert peak_dbfs(pull_seconds(mixer, 2.0)) <= -6.0

"""Rendered music analysed as audio: level, tempo, pitch content, determinism."""

import sys
from pathlib import Path

import numpy as np
import pytest

from appliance.music.levels import peak_dbfs, rms_dbfs
from appliance.music.mixer import Mixer
from appliance.music.recipe import KEYS, Recipe
from appliance.music.render import FluidSynthRenderer, MusicUnavailable

SR = 44100
HOP = 441  # onset envelope: 100 frames/s
SEGMENT_S = 20.0


@pytest.fixture(scope="module")
def renderer():
    try:
        synth = FluidSynthRenderer(sample_rate=SR)
    except MusicUnavailable as exc:
        pytest.skip(str(exc))
    yield synth
    synth.close()


@pytest.fixture(scope="module")
def segments(renderer):
    """Renders shared by several tests (each takes a fraction of a second)."""
    cache: dict[Recipe, np.ndarray] = {}

    def get(recipe: Recipe) -> np.ndarray:
        if recipe not in cache:
            cache[recipe] = renderer.render(recipe, SEGMENT_S)
        return cache[recipe]

    return get


def onset_envelope(pcm: np.ndarray) -> np.ndarray:
    """Positive spectral flux of the log spectrum, one value per HOP, local mean removed."""
    mono = pcm.mean(axis=1).astype(np.float64)
    size = 2048
    frames = 1 + (len(mono) - size) // HOP
    index = np.arange(size)[None, :] + HOP * np.arange(frames)[:, None]
    spectrum = np.log1p(1000 * np.abs(np.fft.rfft(mono[index] * np.hanning(size), axis=1)))
    flux = np.maximum(np.diff(spectrum, axis=0), 0).sum(axis=1)
    return flux - np.convolve(flux, np.ones(50) / 50, mode="same")


def autocorrelation(x: np.ndarray) -> np.ndarray:
    x = x - x.mean()
    full = np.correlate(x, x, mode="full")[len(x) - 1 :]
    return full / full[0]


def beat_tempo_near(pcm: np.ndarray, expected_bpm: float) -> tuple[float, float, float]:
    """Tempo from the onset autocorrelation peak within ±15% of the expected beat.

    Returns (estimated BPM, peak strength, strength 7% off the peak). A search window is needed
    because a pulse is also periodic at half and double its beat (octave ambiguity); the window
    is five times wider than the tolerance the test then asks for.
    """
    ac = autocorrelation(onset_envelope(pcm))
    fps = SR / HOP
    expected_lag = 60 * fps / expected_bpm
    lags = np.arange(int(expected_lag * 0.85), int(expected_lag * 1.15) + 1)
    lag = int(lags[np.argmax(ac[lags])])
    y0, y1, y2 = ac[lag - 1], ac[lag], ac[lag + 1]
    refined = lag + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
    return 60 * fps / refined, float(y1), float(ac[round(lag * 1.07)])


def chroma(pcm: np.ndarray) -> np.ndarray:
    """Mean of per-frame chroma (100 Hz..2 kHz magnitude per pitch class, C = 0, frame max 1)."""
    mono = pcm.mean(axis=1).astype(np.float64)
    size, hop = 8192, 4096
    frames = 1 + (len(mono) - size) // hop
    index = np.arange(size)[None, :] + hop * np.arange(frames)[:, None]
    magnitude = np.abs(np.fft.rfft(mono[index] * np.hanning(size), axis=1))
    freqs = np.fft.rfftfreq(size, 1 / SR)
    band = (freqs > 100) & (freqs < 2000)
    pitch_class = np.round(69 + 12 * np.log2(freqs[band] / 440)).astype(int) % 12
    per_frame = np.stack(
        [np.bincount(pitch_class, weights=m[band], minlength=12) for m in magnitude]
    )
    per_frame /= np.maximum(per_frame.max(axis=1, keepdims=True), 1e-12)
    profile = per_frame.mean(axis=0)
    return profile / profile.sum()


def strongest_triad(profile: np.ndarray) -> tuple[int, str]:
    """(root, mode) of the major or minor triad holding the most chroma energy."""
    scores = {
        (root, mode): profile[root] + profile[(root + third) % 12] + profile[(root + 7) % 12]
        for root in range(12)
        for mode, third in (("major", 4), ("minor", 3))
    }
    return max(scores, key=scores.__getitem__)


def test_exact_length_stereo_float32_at_the_recipes_loudness(segments):
    recipe = Recipe(tempo_bpm=64, density=0.5, loudness_db=-24.0)
    pcm = segments(recipe)
    assert pcm.shape == (round(SEGMENT_S * SR), 2) and pcm.dtype == np.float32
    assert rms_dbfs(pcm) == pytest.approx(-24.0, abs=0.3)
    # Music, not a constant tone: the level moves from second to second.
    per_second = [rms_dbfs(pcm[i : i + SR]) for i in range(0, len(pcm) - SR, SR)]
    assert max(per_second) - min(per_second) > 1.0
    # It rings out: the last 0.1 s is much quieter than the music.
    assert rms_dbfs(pcm[-SR // 10 :]) < rms_dbfs(pcm) - 10


def test_odd_lengths_are_exact(renderer):
    for seconds in (0.5, 3.3333, 7.01):
        assert renderer.render(Recipe(tempo_bpm=80), seconds).shape == (round(seconds * SR), 2)


def test_after_the_mixer_level_is_under_the_cap_and_not_silent(segments):
    pcm = segments(Recipe(tempo_bpm=90, density=0.8, loudness_db=-8.0))  # hot on purpose
    mixer = Mixer(sample_rate=SR, max_level_dbfs=-12.0, volume_db=0.0)
    mixer.queue(pcm)
    out = np.concatenate([mixer.pull(SR // 10) for _ in range(int(SEGMENT_S * 10))])
    assert peak_dbfs(out) <= -12.0
    assert rms_dbfs(out) <= -12.0
    assert rms_dbfs(out) > -30.0


@pytest.mark.parametrize("bpm", [64.0, 90.0])
@pytest.mark.parametrize("density", [0.5, 0.8])
def test_tempo_heard_in_the_audio(segments, bpm, density):
    pcm = segments(Recipe(tempo_bpm=bpm, density=density, seed=1))
    estimated, strength, off_beat = beat_tempo_near(pcm, bpm)
    assert estimated == pytest.approx(bpm, rel=0.03)
    assert strength > 0.3  # a clear pulse…
    assert off_beat < strength / 2  # …that a slightly different tempo would not match


def test_tempo_of_other_instruments_and_a_wrong_tempo_is_detected(segments):
    pcm = segments(Recipe(tempo_bpm=72, density=0.6, instrument="harp"))
    assert beat_tempo_near(pcm, 72)[0] == pytest.approx(72, rel=0.03)
    assert beat_tempo_near(pcm, 80)[0] != pytest.approx(80, rel=0.03)


@pytest.mark.parametrize(
    ("key", "mode", "instrument"),
    [
        ("C", "major", "piano"),
        ("F#", "major", "harp"),
        ("A", "minor", "piano"),
        ("D", "minor", "strings"),
    ],
)
def test_pitch_content_peaks_on_the_tonic_triad(segments, key, mode, instrument):
    recipe = Recipe(tempo_bpm=72, key=key, mode=mode, density=0.6, instrument=instrument)
    assert strongest_triad(chroma(segments(recipe))) == (KEYS.index(key), mode)


def test_different_key_different_pitch_content(segments):
    in_c = chroma(segments(Recipe(tempo_bpm=72, key="C", density=0.6)))
    in_f_sharp = chroma(segments(Recipe(tempo_bpm=72, key="F#", density=0.6)))
    # The tritone-apart keys share only two of seven notes: the profiles barely overlap.
    assert np.corrcoef(in_c, in_f_sharp)[0, 1] < 0.0
    assert in_c[KEYS.index("C")] > 2 * in_f_sharp[KEYS.index("C")]


def test_same_seed_identical_audio_even_after_other_renders(renderer):
    recipe = Recipe(tempo_bpm=72, density=0.7, seed=11)
    first = renderer.render(recipe, 6.0)
    renderer.render(Recipe(tempo_bpm=100, key="E", instrument="strings"), 6.0)
    again = renderer.render(recipe, 6.0)
    np.testing.assert_array_equal(first, again)
    other_seed = renderer.render(recipe.with_(seed=12), 6.0)
    assert np.max(np.abs(first - other_seed)) > 0.01


def test_silence_is_a_very_soft_drone(renderer):
    pcm = renderer.render(Recipe(tempo_bpm=60, source="silence"), 12.0)
    assert pcm.shape == (12 * SR, 2) and pcm.dtype == np.float32
    assert rms_dbfs(pcm) == pytest.approx(-45.0, abs=0.5)
    spectrum = np.abs(np.fft.rfft(pcm[:, 0].astype(np.float64)))
    assert np.fft.rfftfreq(12 * SR, 1 / SR)[np.argmax(spectrum)] < 300  # low


def test_missing_soundfont_names_the_package(tmp_path):
    with pytest.raises(MusicUnavailable, match="fluidr3mono-gm-soundfont"):
        FluidSynthRenderer(tmp_path / "missing.sf3")


def test_missing_library_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "fluidsynth", None)  # makes `import fluidsynth` fail
    with pytest.raises(MusicUnavailable, match="libfluidsynth3"):
        FluidSynthRenderer(Path("/usr/share/sounds/sf3/FluidR3Mono_GM.sf3"))


def test_file_recipes_are_not_rendered(renderer):
    with pytest.raises(ValueError, match="file"):
        renderer.render(Recipe(tempo_bpm=60, source="file", file="x.ogg"), 1.0)

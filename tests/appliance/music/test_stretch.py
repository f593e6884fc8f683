"""A personal track stretched to the arc's tempo through Rubber Band (pedalboard), heard by
checks written here and independent of the code under test: the tempo from an onset
envelope's autocorrelation, the pitch from the spectrum's strongest pitch class, clicks as
sample-to-sample jumps at the chunk joins."""

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from appliance.music.engine import MusicEngine
from appliance.music.library import Library
from appliance.music.recipe import Recipe
from appliance.music.stream import read_all
from appliance.music.stretch import CHUNK_S, Chunker, check_speed, stretch

RATE = 44100
TRACK_BPM = 100.0
NOTE_HZ = 440.0


class PlainRenderer:
    """Generated music is not under test here: the engine needs only a rate."""

    sample_rate = RATE

    def close(self) -> None:
        pass


def beat_track(seconds: float) -> np.ndarray:
    """A plucked A4 (with its octave) on every beat at TRACK_BPM over a quiet drone."""
    t = np.arange(round(seconds * RATE)) / RATE
    since = t % (60.0 / TRACK_BPM)
    pluck = (np.sin(2 * np.pi * NOTE_HZ * t) + 0.4 * np.sin(4 * np.pi * NOTE_HZ * t)) * np.exp(
        -since * 9
    )
    mono = 0.4 * pluck + 0.03 * np.sin(2 * np.pi * NOTE_HZ / 2 * t)
    return np.stack([mono, mono], axis=1).astype(np.float32)


def onset_tempo(pcm: np.ndarray, rate: int) -> float:
    """BPM from the autocorrelation of a spectral-flux onset envelope (parabolic peak)."""
    mono = pcm.mean(axis=1)
    hop = 256
    _, _, z = signal.stft(mono, rate, nperseg=1024, noverlap=1024 - hop)
    flux = np.maximum(np.diff(np.log1p(np.abs(z)), axis=1), 0.0).sum(axis=0)
    flux -= flux.mean()
    ac = np.correlate(flux, flux, "full")[len(flux) - 1 :]
    fps = rate / hop
    lags = np.arange(len(ac))
    window = (lags >= fps * 60 / 160) & (lags <= fps * 60 / 50)
    k = int(lags[window][np.argmax(ac[window])])
    a, b, c = ac[k - 1], ac[k], ac[k + 1]
    k_fine = k + 0.5 * (a - c) / (a - 2 * b + c)
    return 60.0 * fps / k_fine


def pitch_class(pcm: np.ndarray, rate: int) -> float:
    """The strongest pitch class (semitones above A, 0..12) of the spectrum's energy."""
    f, p = signal.welch(pcm.mean(axis=1), rate, nperseg=8192)
    keep = (f > 100) & (f < 2000)
    semis = 12 * np.log2(f[keep] / NOTE_HZ)
    chroma = np.zeros(12)
    np.add.at(chroma, np.round(semis).astype(int) % 12, p[keep])
    return float(np.argmax(chroma))


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("state")
    source = root / "stick" / "Moon River.wav"
    source.parent.mkdir()
    sf.write(str(source), beat_track(30.0), RATE)
    library = Library.in_state_dir(root)
    assert [t.file for t in library.import_path("ann", source).imported] == ["Moon River.wav"]
    return MusicEngine(PlainRenderer(), library)  # type: ignore[arg-type]


def test_the_independent_checks_hear_the_recording_as_made(engine):
    plain = engine.render(Recipe(100.0, source="file", file="ann/Moon River.wav"), 20.0)
    assert onset_tempo(plain, RATE) == pytest.approx(TRACK_BPM, rel=0.03)
    assert pitch_class(plain, RATE) == 0


@pytest.mark.parametrize("speed", [0.9, 1.08])
def test_stretched_track_is_heard_at_the_arc_tempo_same_pitch_no_clicks(engine, speed):
    recipe = Recipe(
        TRACK_BPM * speed, source="file", file="ann/Moon River.wav", speed=speed,
        loudness_db=-20.0,
    )  # fmt: skip
    pcm = engine.render(recipe, 24.0)
    assert pcm.shape == (24 * RATE, 2)
    assert onset_tempo(pcm, RATE) == pytest.approx(TRACK_BPM * speed, rel=0.03)
    assert pitch_class(pcm, RATE) == 0  # the same note: within a semitone of A
    # The joins between chunks (every CHUNK_S of output) jump no more than the music itself
    # does anywhere else: a click would stand out many times over.
    chunk = round(CHUNK_S * RATE)
    joins = [k * chunk for k in range(1, len(pcm) // chunk)]
    assert joins
    assert not clicks_at(pcm, joins)
    # Played through the streaming source (chunks made ahead on a thread), the very same PCM.
    source = engine.stream(recipe, 24.0)
    blocks = [source.read(4410) for _ in range(0, len(pcm), 4410)]
    source.close()
    np.testing.assert_array_equal(np.concatenate(blocks)[: len(pcm)], pcm)


def clicks_at(pcm: np.ndarray, joins: list[int], around: int = 64) -> bool:
    """Whether the largest sample-to-sample jump near a join exceeds the largest anywhere
    else: a join made well is as smooth as the music."""
    jumps = np.abs(np.diff(pcm, axis=0)).max(axis=1)
    near = np.concatenate([np.arange(j - around, j + around) for j in joins])
    return bool(jumps[near].max() > np.delete(jumps, near).max() * 1.01)


def test_a_click_at_a_join_would_be_caught():
    """The click check can fail: two stretched pieces joined out of phase jump visibly."""
    pcm = stretch(beat_track(12.0), RATE, 0.9)
    join = RATE + int(np.argmax(np.abs(pcm[RATE : 6 * RATE, 0])))
    assert clicks_at(np.concatenate([pcm[:join], -pcm[join:]]), [join])


def test_the_stream_stops_cleanly_when_closed_early(engine):
    recipe = Recipe(92.0, source="file", file="ann/Moon River.wav", speed=0.92)
    source = engine.stream(recipe, 60.0)
    assert np.abs(source.read(RATE)).max() > 0
    source.close()  # mid-segment: the worker thread ends after the chunk it is making
    assert source.join(30.0)


def test_speed_limits():
    assert check_speed(0.9, 0.1) == 0.9
    with pytest.raises(ValueError, match=r"outside 1 ± 0\.1"):
        check_speed(0.85, 0.1)
    with pytest.raises(ValueError, match="speed"):
        Recipe(60.0, source="file", file="ann/x.wav", speed=3.0)
    chunker = Chunker(lambda a, n: np.zeros((n, 2), np.float32), RATE, 0.9, RATE, lambda b, a: None)
    assert read_all_frames(chunker) == RATE


def read_all_frames(chunker: Chunker) -> int:
    frames = 0
    while not chunker.done:
        frames += len(chunker.next())
    return frames


def test_read_all_of_a_stretched_stream(engine):
    recipe = Recipe(95.0, source="file", file="ann/Moon River.wav", speed=0.95)
    assert read_all(engine.stream(recipe, 3.0)).shape == (3 * RATE, 2)


def test_the_stretch_limit_is_a_validated_config_key(tmp_path):
    from appliance.config import ConfigError, load_config

    path = tmp_path / "a.yaml"
    path.write_text("music:\n  stretch_limit_pct: 6\n")
    assert load_config(path, etc_dir=tmp_path / "none").music.stretch_limit_pct == 6.0
    path.write_text("music:\n  stretch_limit_pct: 40\n")
    with pytest.raises(ConfigError) as error:
        load_config(path, etc_dir=tmp_path / "none")
    assert [str(p) for p in error.value.problems] == [
        f"{path}:2: music.stretch_limit_pct: 40 is out of range; allowed: 0..25"
    ]

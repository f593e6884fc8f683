"""Every format a family brings, encoded by the real libraries (FFmpeg's AAC encoder through
PyAV, libsndfile through soundfile), imported and decoded; the same audio in another file is
stored once."""

from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from appliance.cli import main as attune
from appliance.music.audiofile import analyse, read_segment
from appliance.music.decode import PyAVDecoder, SoundfileDecoder
from appliance.music.library import Library

RATE = 22050
SECONDS = 31.0  # just over the import's 30 s minimum: fast to encode and analyse


def music(seconds: float = SECONDS, bpm: float = 75.0, hz: float = 330.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    pluck = np.sin(2 * np.pi * 2 * hz * t) * np.exp(-(t % (60.0 / bpm)) * 12)
    mono = 0.3 * (np.sin(2 * np.pi * hz * t) * 0.4 + 0.5 * pluck)
    return np.stack([mono, 0.8 * mono], axis=1).astype(np.float32)


def m4a(path: Path, pcm: np.ndarray) -> Path:
    """AAC in an MP4 container, as a phone or iTunes exports it."""
    with av.open(str(path), "w", format="ipod") as out:
        stream = out.add_stream("aac", rate=RATE)
        stream.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(pcm.T), format="fltp", layout="stereo"
        )
        frame.sample_rate = RATE
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return path


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "attune.yaml"
    path.write_text(f"device:\n  state_dir: {tmp_path / 'state'}\n")
    return path


def test_a_folder_of_only_m4a_is_imported(tmp_path, config, capsys):
    stick = tmp_path / "phone"
    stick.mkdir()
    m4a(stick / "song.m4a", music())
    code = attune(["--config", str(config), "music", "import", "--listener", "ann", str(stick)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "1 imported" in out and "0 refused" in out
    track = Library.in_state_dir(tmp_path / "state").track("ann/song.m4a")
    assert track.features.duration_s == pytest.approx(SECONDS, abs=0.1)
    assert track.features.tempo_bpm == pytest.approx(75, rel=0.03)
    segment = read_segment(track.path, 10.0, 2.0, 44100)
    assert segment.shape == (88200, 2) and np.sqrt(np.mean(segment**2)) > 0.05


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg", ".mp3"])
def test_each_libsndfile_format_decodes_to_its_music(tmp_path, suffix):
    pcm = music()
    path = tmp_path / f"song{suffix}"
    sf.write(str(path), pcm, RATE)
    features = analyse(path)
    assert features.duration_s == pytest.approx(SECONDS, abs=0.1)
    assert features.tempo_bpm == pytest.approx(75, rel=0.03)
    # Aligned decoding from the middle: an MP3's encoder delay is under 0.1 s.
    start = 12.0
    got = read_segment(path, start, 1.0, RATE)[:, 0]
    want = pcm[round(start * RATE) : round((start + 1) * RATE), 0]
    lag = np.argmax(np.correlate(got[:4000], want[:2000], "valid"))
    assert lag < 0.1 * RATE
    assert np.corrcoef(got[lag : lag + 8000], want[:8000])[0, 1] > 0.9


@pytest.mark.parametrize("decoder", [SoundfileDecoder, PyAVDecoder])
@pytest.mark.parametrize("suffix", [".wav", ".flac", ".mp3"])
def test_both_decoders_agree_on_the_samples(tmp_path, decoder, suffix):
    pcm = music(8.0)
    path = tmp_path / f"song{suffix}"
    sf.write(str(path), pcm, RATE)
    with decoder(path) as audio:
        assert (audio.info.sample_rate, audio.info.channels) == (RATE, 2)
        got = np.concatenate(list(audio.blocks()))
        later = np.concatenate(list(audio.blocks(5.0)))
    lag = int(np.argmax(np.correlate(got[:6000, 0], pcm[:2000, 0], "valid")))
    assert lag < 0.1 * RATE and abs(len(got) - lag - len(pcm)) < 0.1 * RATE
    aligned = got[lag : lag + len(pcm)]
    if suffix == ".mp3":
        assert np.corrcoef(aligned[:, 0], pcm[: len(aligned), 0])[0, 1] > 0.95
    else:
        np.testing.assert_allclose(aligned, pcm[: len(aligned)], atol=1e-4)
    # From 5 s (file time): the samples decoding from the start gives there. A lossy decoder
    # restarts mid-stream (MP3's bit reservoir; FFmpeg lands within a few ms): after its
    # first frames, within 10 ms and 0.02 of full scale.
    start = round(5.0 * RATE)
    slack = round(0.01 * RATE) if suffix == ".mp3" else 0
    window = later[4000:6000]
    errors = [
        float(np.max(np.abs(window - got[start + 4000 + d : start + 6000 + d])))
        for d in range(-slack, slack + 1)
    ]
    assert min(errors) < (0.02 if suffix == ".mp3" else 1e-6)

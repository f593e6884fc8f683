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


def test_the_same_audio_in_another_file_is_stored_once(tmp_path, config, capsys):
    stick = tmp_path / "usb"
    stick.mkdir()
    samples = (music() * 32767).astype(np.int16)
    sf.write(str(stick / "Moon River.wav"), samples, RATE, subtype="PCM_16")
    sf.write(str(stick / "Moon River (copy).flac"), samples, RATE)  # lossless: same samples
    mp3 = stick / "Waltz.mp3"
    sf.write(str(mp3), music(hz=262.0), RATE)
    # Re-tagged copy: other bytes (an ID3 tag in front), the very same audio frames.
    tag = b"ID3\x03\x00\x00\x00\x00\x00\x0a" + b"TIT2" + b"\x00" * 6
    (stick / "Waltz again.mp3").write_bytes(tag + mp3.read_bytes())
    code = attune(["--config", str(config), "music", "import", "--listener", "ann", str(stick)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "2 imported, 2 already there, 0 refused" in out
    assert "duplicate" in out and "the same audio as" in out
    stored = [t.file for t in Library.in_state_dir(tmp_path / "state").tracks("ann")]
    assert len(stored) == 2
    # Different music is not a duplicate, however alike its name and length.
    sf.write(str(stick / "Moon River.ogg"), music(hz=392.0), RATE)
    code = attune(["--config", str(config), "music", "import", "--listener", "ann", str(stick)])
    assert "1 imported, 4 already there" in capsys.readouterr()[0]


def test_a_cut_m4a_and_a_wav_promising_more_are_refused(tmp_path, config, capsys):
    stick = tmp_path / "usb"
    stick.mkdir()
    whole = m4a(tmp_path / "whole.m4a", music(45.0)).read_bytes()
    (stick / "Cut.m4a").write_bytes(whole[: len(whole) * 3 // 4])
    sf.write(str(tmp_path / "whole.wav"), music(45.0), RATE, subtype="PCM_16")
    wav = (tmp_path / "whole.wav").read_bytes()
    (stick / "Cut.wav").write_bytes(wav[: len(wav) * 3 // 4])  # 34 s: long enough, still cut
    attune(["--config", str(config), "music", "import", "--listener", "ann", str(stick)])
    out, err = capsys.readouterr()
    assert "0 imported" in out and "2 refused" in out
    for name in ("Cut.m4a", "Cut.wav"):
        line = next(line for line in err.splitlines() if name in line)
        assert "truncated" in line or "decod" in line, line
    assert ".partial" not in err and str(tmp_path / "state") not in err

"""The personal library on real files written with soundfile (libsndfile): import, features,
tags, the store's permissions, and segments for playback."""

import json
import stat
import wave

import numpy as np
import pytest
import soundfile as sf

from appliance.cli import main as attune
from appliance.music.engine import MusicEngine
from appliance.music.levels import rms_dbfs
from appliance.music.library import FILE_FADE_S, MAX_BOOST_DB, Library, LibraryError
from appliance.music.recipe import Recipe

RATE = 48000


def pulse_music(bpm: float, seconds: float, level: float, rate: int = RATE) -> np.ndarray:
    """Decaying plucked notes on every beat over a soft chord: music-like, with a clear tempo."""
    t = np.arange(round(seconds * rate)) / rate
    chord = sum(0.05 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
    since_beat = t % (60.0 / bpm)
    pluck = np.sin(2 * np.pi * 660 * t) * np.exp(-since_beat * 12)
    mono = level * (chord + 0.5 * pluck)
    return np.stack([mono, 0.9 * mono], axis=1).astype(np.float32)


def write(path, pcm, rate=RATE):
    # Blockwise: libsndfile's Vorbis encoder crashes on very large single writes.
    with sf.SoundFile(str(path), "w", rate, pcm.shape[1]) as f:
        for i in range(0, len(pcm), 16384):
            f.write(pcm[i : i + 16384])
    return path


@pytest.fixture
def usb(tmp_path):
    stick = tmp_path / "usb"
    (stick / "Album").mkdir(parents=True)
    write(stick / "Waltz.flac", pulse_music(72, 35, 0.5))
    write(stick / "Album" / "Quiet.ogg", pulse_music(60, 35, 0.25))
    write(stick / "Album" / "Hymn.wav", pulse_music(90, 32, 0.3))
    (stick / "Album" / "Hymn.yaml").write_text("vocals: yes\nfamiliar: no\nera: 1950s\n")
    (stick / "Waltz.yaml").write_text("avoid: reminds her of the war\nmood: calm\n")
    (stick / "Broken.mp3").write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x10" + b"\xff\x00" * 4000)
    (stick / "Cut.flac").write_bytes((stick / "Waltz.flac").read_bytes()[:3000])
    (stick / "notes.txt").write_text("not audio")
    return stick


def test_import_copies_analyses_tags_and_skips_unreadable(tmp_path, usb):
    library = Library.in_state_dir(tmp_path / "state")
    report = library.import_path("ann", usb)
    assert sorted(t.file for t in report.imported) == ["Hymn.wav", "Quiet.ogg", "Waltz.flac"]
    assert sorted(p.name for p, _ in report.failed) == ["Broken.mp3", "Cut.flac"]
    assert all(reason for _, reason in report.failed)
    assert any("mood" in problem for problem in report.tag_problems)
    folder = tmp_path / "state" / "music" / "ann"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert sorted(p.name for p in folder.iterdir()) == [
        "Hymn.wav",
        "Quiet.ogg",
        "Waltz.flac",
        "index.json",
    ]
    by_name = {t.file: t for t in library.tracks("ann", include_avoided=True)}
    hymn, waltz, quiet = by_name["Hymn.wav"], by_name["Waltz.flac"], by_name["Quiet.ogg"]
    assert hymn.tags.vocals is True and hymn.tags.familiar is False and hymn.tags.era == "1950s"
    assert waltz.tags.avoid and waltz.tags.avoid_reason == "reminds her of the war"
    assert [t.file for t in library.tracks("ann")] == ["Hymn.wav", "Quiet.ogg"]  # avoid: never
    assert waltz.features.tempo_bpm == pytest.approx(72, rel=0.02)
    assert waltz.features.tempo_confidence > 0.5
    assert hymn.features.tempo_bpm == pytest.approx(90, rel=0.02)
    assert hymn.features.duration_s == pytest.approx(32.0, abs=0.01)
    assert quiet.features.loudness_lufs == pytest.approx(waltz.features.loudness_lufs - 6, abs=1.5)
    assert 200 < waltz.features.spectral_centroid_hz < 1000
    assert waltz.features.onset_density_per_s == pytest.approx(72 / 60, rel=0.25)


def test_import_again_uses_the_cache_and_refreshes_tags(tmp_path, usb):
    library = Library.in_state_dir(tmp_path / "state")
    library.import_path("ann", usb)
    index = tmp_path / "state" / "music" / "ann" / "index.json"
    before = json.loads(index.read_text())
    (usb / "Album" / "Hymn.yaml").write_text("vocals: no\n")
    report = library.import_path("ann", usb / "Album")
    assert report.imported == [] and len(report.already_there) == 2
    after = json.loads(index.read_text())
    assert after["tracks"]["Hymn.wav"]["features"] == before["tracks"]["Hymn.wav"]["features"]
    assert library.track("ann/Hymn.wav").tags.vocals is False
    # Same name, other content: stored beside it, not over it.
    write(
        usb / "other" / "Hymn.wav" if (usb / "other").mkdir() is None else None,
        pulse_music(60, 32, 0.2),
    )
    assert [t.file for t in library.import_path("ann", usb / "other").imported] == ["Hymn-2.wav"]


def test_listener_ids_cannot_leave_the_store(tmp_path, usb):
    library = Library.in_state_dir(tmp_path)
    for bad in ("../x", "", ".hidden", "a/b", "bob\n", "bob\r"):
        with pytest.raises(LibraryError, match="pseudonymous"):
            library.import_path(bad, usb)
    assert not (tmp_path / "music").exists() or list((tmp_path / "music").iterdir()) == []
    with pytest.raises(LibraryError):
        library.track("ann/../../etc/passwd")


def test_segments_are_loudness_matched_resampled_and_faded(tmp_path, usb):
    library = Library.in_state_dir(tmp_path)
    library.import_path("ann", usb)
    loud = library.load_segment("ann/Waltz.flac", 8.0, 44100, -24.0, start_s=5.0)
    quiet = library.load_segment("ann/Quiet.ogg", 8.0, 44100, -24.0, start_s=5.0)
    assert loud.shape == quiet.shape == (8 * 44100, 2) and loud.dtype == np.float32
    fade = round(FILE_FADE_S * 44100)
    assert rms_dbfs(loud[fade:-fade]) == pytest.approx(rms_dbfs(quiet[fade:-fade]), abs=0.5)
    assert rms_dbfs(loud[fade:-fade]) == pytest.approx(-24.0, abs=1.0)
    assert abs(loud[0, 0]) < 1e-3 and abs(loud[-1, 0]) < 1e-3  # faded: no click
    # Past the end of a 32 s track: silence, after a fade.
    tail = library.load_segment("ann/Hymn.wav", 6.0, 44100, -24.0, start_s=29.0)
    assert not np.any(tail[3 * 44100 :]) and np.any(tail[: 2 * 44100])
    # A whisper is lifted at most MAX_BOOST_DB (its hiss would come up with it).
    whisper = write(tmp_path / "Whisper.wav", pulse_music(60, 32, 0.015))  # ~-57 dBFS RMS
    library.import_path("ann", whisper)
    lifted = library.load_segment("ann/Whisper.wav", 6.0, 44100, -24.0)
    whisper_rms = library.track("ann/Whisper.wav").features.rms_dbfs
    assert rms_dbfs(lifted[fade:-fade]) == pytest.approx(whisper_rms + MAX_BOOST_DB, abs=0.5)
    # A hot recipe cannot lift a track above the segment ceiling.
    hot = library.load_segment("ann/Hymn.wav", 4.0, 44100, 0.0)
    assert np.max(np.abs(hot)) <= 10 ** (-1 / 20) + 1e-6


class SilenceOnlyRenderer:
    """The engine's generated path is tested in test_render; here only its dispatch."""

    sample_rate = 44100

    def render(self, recipe, seconds):
        return np.full((round(seconds * self.sample_rate), 2), 0.1, np.float32)

    def close(self):
        pass


def test_engine_plays_file_recipes_from_the_library(tmp_path, usb):
    library = Library.in_state_dir(tmp_path)
    library.import_path("ann", usb)
    engine = MusicEngine(SilenceOnlyRenderer(), library)
    recipe = Recipe(tempo_bpm=72, source="file", file="ann/Hymn.wav", loudness_db=-20.0)
    plain = engine.render(recipe, 6.0)
    np.testing.assert_allclose(plain, library.load_segment("ann/Hymn.wav", 6.0, 44100, -20.0))
    generated = engine.render(Recipe(tempo_bpm=72), 1.0)
    assert generated.shape == (44100, 2)
    with pytest.raises(ValueError):
        MusicEngine(SilenceOnlyRenderer()).render(recipe, 1.0)


def test_attune_music_import_and_list(tmp_path, usb, capsys):
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {tmp_path / 'state'}\n")
    assert attune(["--config", str(config), "music", "import", "--listener", "bob", str(usb)]) == 0
    out, err = capsys.readouterr()
    assert "3 imported" in out and "2 refused" in out
    assert "Broken.mp3" in err and "Cut.flac" in err
    assert attune(["--config", str(config), "music", "list", "--listener", "bob"]) == 0
    out, _ = capsys.readouterr()
    assert "Waltz.flac" in out and "AVOID: reminds her of the war" in out and "BPM" in out
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    (only_bad / "x.wav").write_bytes(b"RIFF????WAVEfmt nonsense")
    assert (
        attune(["--config", str(config), "music", "import", "--listener", "bob", str(only_bad)])
        == 1
    )


def pcm16_wav(path, mono, rate):
    """A 16-bit mono WAV written by the standard library's wave module."""
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes((np.clip(mono, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def test_junk_is_refused_with_its_reason_and_never_a_traceback(tmp_path, capsys):
    stick = tmp_path / "usb"
    stick.mkdir()
    rate = 22050
    music = pulse_music(80, 45, 0.4, rate)[:, 0]
    pcm16_wav(stick / "Good.wav", music[: 32 * rate], rate)
    whole = pcm16_wav(tmp_path / "whole.wav", music, rate).read_bytes()
    (stick / "Truncated.wav").write_bytes(whole[: len(whole) * 2 // 3])  # 30 s left of 45
    pcm16_wav(stick / "Silent.wav", np.zeros(32 * rate), rate)
    pcm16_wav(stick / "Hiss.wav", music[: 32 * rate] * 10 ** (-70 / 20), rate)
    pcm16_wav(stick / "Blip.wav", music[: rate // 2], rate)
    pcm16_wav(stick / "Empty.wav", np.zeros(0), rate)
    pcm16_wav(stick / "OneHertz.wav", music[:30], 1)
    pcm16_wav(stick / "EightHertz.wav", music[:240], 8)
    sf.write(str(stick / "NaN.wav"), np.full(32 * rate, np.nan, np.float32), rate, "FLOAT")
    (stick / "Corrupt.mp3").write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x10" + b"\xff\x00" * 4000)
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {tmp_path / 'state'}\n")
    assert (
        attune(["--config", str(config), "music", "import", "--listener", "ann", str(stick)]) == 0
    )
    out, err = capsys.readouterr()
    assert "1 imported, 0 already there, 9 refused" in out
    reasons = dict(line.split(": ", 1) for line in err.splitlines() if line.startswith("skipped"))
    reason = {key.split("/")[-1]: value for key, value in reasons.items()}
    assert reason["Truncated.wav"].startswith("truncated")
    assert reason["Silent.wav"].startswith("silent (digital silence")
    assert reason["Hiss.wav"].startswith("silent (-")
    assert reason["Blip.wav"].startswith("too short (0.5 s")
    assert reason["Empty.wav"] == "no audio in the file"
    assert reason["OneHertz.wav"].startswith("sample rate 1 Hz")
    assert reason["EightHertz.wav"].startswith("sample rate 8 Hz")
    assert reason["NaN.wav"].startswith("damaged")
    assert reason["Corrupt.mp3"].startswith("cannot be decoded")
    # Messages name the user's file, never the store's temporary copy.
    assert ".partial" not in err and str(tmp_path / "state") not in err
    assert "Traceback" not in err
    folder = tmp_path / "state" / "music" / "ann"
    assert sorted(p.name for p in folder.iterdir()) == ["Good.wav", "index.json"]

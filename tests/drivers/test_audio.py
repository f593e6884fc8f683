"""Audio sinks: the WAV writer, and PyAudio through real PortAudio/ALSA into an ALSA file PCM."""

import json
import os
import subprocess
import sys
import textwrap
import wave
from pathlib import Path

import numpy as np
import pytest

from drivers.audio import AudioDeviceMissing, AudioSink, WavSink, find_output_device

SR = 44100
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def tone(hz: float, seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    wave_ = amplitude * np.sin(2 * np.pi * hz * t)
    return np.stack([wave_, wave_], axis=1).astype(np.float32)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as wav:
        width = wav.getsampwidth()
        raw = wav.readframes(wav.getnframes())
        dtype = {2: "<i2", 4: "<i4"}[width]
        data = np.frombuffer(raw, dtype=dtype).reshape(-1, wav.getnchannels())
        return data.astype(np.float64) / 2 ** (8 * width - 1), wav.getframerate()


def dominant_hz(x: np.ndarray, sample_rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / sample_rate)[np.argmax(spectrum)])


def test_wav_sink_is_an_audio_sink(tmp_path):
    with WavSink(tmp_path / "a.wav", sample_rate=22050) as sink:
        assert isinstance(sink, AudioSink)
        assert sink.sample_rate == 22050


def test_wav_sink_streams_a_readable_file(tmp_path):
    path = tmp_path / "session.wav"
    sink = WavSink(path, sample_rate=SR)
    chunks = [tone(440, 0.1, 0.5) for _ in range(25)] + [tone(440, 0.037, 0.5)]
    for chunk in chunks:
        sink.write(chunk)
    sink.write(np.full((10, 2), 3.0, np.float32))  # out of range: clipped, not wrapped
    sink.close()
    sink.close()  # idempotent
    data, rate = read_wav(path)
    assert rate == SR
    assert data.shape == (sum(len(c) for c in chunks) + 10, 2)
    assert dominant_hz(data[:SR, 0], SR) == pytest.approx(440, abs=1)
    assert np.max(np.abs(data[:SR])) == pytest.approx(0.5, abs=1e-3)
    assert np.all(data[-10:] > 0.99)
    with pytest.raises(RuntimeError):
        sink.write(tone(440, 0.1, 0.5))


def test_wav_sink_rejects_mono(tmp_path):
    with WavSink(tmp_path / "m.wav") as sink, pytest.raises(ValueError):
        sink.write(np.zeros(10, np.float32))


PLAYER = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from drivers.audio import AudioDeviceMissing, PyAudioSink

    report = {}
    try:
        PyAudioSink(device="no-such-sound-card")
    except AudioDeviceMissing as exc:
        report["missing"] = str(exc)
    t = np.arange(int(sys.argv[1])) / 44100
    wave_ = (0.25 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    frames = np.stack([wave_, wave_], axis=1)
    device = sys.argv[2] if sys.argv[2] != "-" else None
    sink = PyAudioSink(device=device, buffer_s=float(sys.argv[3]))
    sink.write(frames)  # longer than the ring when buffer_s is short: write() must wait
    sink.close()
    report["underruns"] = sink.underruns
    print(json.dumps(report))
    """
)


def play_into_alsa_file(
    tmp_path: Path, frames: int, device: str, buffer_s: float
) -> tuple[dict, Path]:
    """Run a PyAudioSink in a child process whose ALSA default PCM is a WAV file."""
    conf = tmp_path / "asound.conf"
    conf.write_text(
        # S16_LE: the file plugin labels any 32-bit data as integer PCM, even float.
        'pcm.!default { type plug; slave { pcm "capture_file"; format S16_LE } }\n'
        "pcm.capture_file { type file; slave.pcm { type null }; "
        f'file "{tmp_path}/out_%r_%c.wav"; format "wav" }}\n'
    )
    script = tmp_path / "player.py"
    script.write_text(PLAYER)
    env = {**os.environ, "ALSA_CONFIG_PATH": str(conf), "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(
        [sys.executable, str(script), str(frames), device, str(buffer_s)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    captured = sorted(tmp_path.glob("out_*.wav"))
    assert len(captured) == 1, f"no capture file: {result.stderr[-2000:]}"
    return report, captured[0]


def test_pyaudio_plays_a_tone_through_portaudio_and_alsa(tmp_path):
    report, captured = play_into_alsa_file(tmp_path, SR, "-", buffer_s=2.0)
    data, rate = read_wav(captured)
    assert rate == SR and data.shape[1] == 2
    # The whole second fitted in the ring before the stream started: one unbroken tone, then
    # the silence callback mode pads the end with.
    sounding = np.nonzero(np.abs(data[:, 0]) > 1e-3)[0]
    tone_part = data[sounding[0] : sounding[-1] + 1, 0]
    assert len(tone_part) == pytest.approx(SR, abs=5)
    assert dominant_hz(tone_part, rate) == pytest.approx(440, abs=1)
    rms_db = 20 * np.log10(np.sqrt(np.mean(tone_part**2)))
    assert rms_db == pytest.approx(20 * np.log10(0.25 / np.sqrt(2)), abs=0.2)
    assert report["underruns"] == 0  # the end of the stream is not an underrun
    assert "no-such-sound-card" in report["missing"] and "default" in report["missing"]


def test_pyaudio_write_waits_for_room_and_loses_nothing(tmp_path):
    frames = 3 * SR
    # "DEFAULT" is not the literal default: it is found by (case-blind) name substring.
    _, captured = play_into_alsa_file(tmp_path, frames, "DEFAULT", buffer_s=0.2)
    data, _ = read_wav(captured)
    # The null device drains faster than real time, so there may be gaps of silence (counted
    # as underruns), but every written frame arrives, in order.
    sounding = np.abs(data[:, 0]) > 1e-3
    quiet_tone_samples = np.mean(
        np.abs(np.sin(2 * np.pi * 440 * np.arange(SR) / SR)) * 0.25 <= 1e-3
    )
    assert np.sum(sounding) == pytest.approx(frames * (1 - quiet_tone_samples), rel=0.002)


class DeviceTable:
    """PortAudio's device enumeration as pyaudio.PyAudio presents it, from a fixed list."""

    def __init__(self, devices: list[tuple[str, int]], has_default: bool = True) -> None:
        self.devices = devices
        self.has_default = has_default

    def get_device_count(self) -> int:
        return len(self.devices)

    def get_device_info_by_index(self, index: int) -> dict:
        name, outputs = self.devices[index]
        return {"index": index, "name": name, "maxOutputChannels": outputs}

    def get_default_output_device_info(self) -> dict:
        if not self.has_default:
            raise OSError("No Default Output Device Available")
        return self.get_device_info_by_index(0)


def test_device_selection_by_index_substring_or_default():
    table = DeviceTable(
        [("bcm2835 Headphones: - (hw:0,0)", 8), ("USB Mic (hw:1,0)", 0), ("vc4-hdmi-0", 2)]
    )
    assert find_output_device(table, None) is None
    assert find_output_device(table, "default") is None
    assert find_output_device(table, "headphones") == 0
    assert find_output_device(table, "HDMI") == 2
    assert find_output_device(table, "2") == 2
    assert find_output_device(table, 0) == 0
    with pytest.raises(AudioDeviceMissing, match=r"0: bcm2835 Headphones.*2: vc4-hdmi-0"):
        find_output_device(table, "USB Mic")  # an input only: not a place to play
    with pytest.raises(AudioDeviceMissing, match="1"):
        find_output_device(table, "1")
    with pytest.raises(AudioDeviceMissing, match="no output devices"):
        find_output_device(DeviceTable([], has_default=False), None)


def alsa_config(tmp_path: Path, file_spec: str, file_format: str) -> Path:
    conf = tmp_path / "asound.conf"
    conf.write_text(
        'pcm.!default { type plug; slave { pcm "capture_file"; format S16_LE } }\n'
        "pcm.capture_file { type file; slave.pcm { type null }; "
        f'file "{file_spec}"; format "{file_format}" }}\n'
    )
    return conf


def run_child(tmp_path: Path, code: str, conf: Path, *args: str) -> dict:
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(code))
    env = {**os.environ, "ALSA_CONFIG_PATH": str(conf), "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(
        [sys.executable, str(script), *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


REOPENER = """
    import json, sys
    import numpy as np
    from drivers.audio import PyAudioSink

    def tone(hz):
        wave = 0.25 * np.sin(2 * np.pi * hz * np.arange(44100) / 44100)
        return np.repeat(wave[:, None], 2, axis=1).astype(np.float32)

    sink = PyAudioSink(buffer_s=0.25)
    sink.write(tone(440.0))
    sink._stream.stop_stream()  # the device goes away under the sink (a USB card pulled out)
    sink.write(tone(880.0))
    sink.close()
    print(json.dumps({"reopens": sink.reopens}))
"""


def test_a_dead_stream_is_reopened_and_playing_goes_on(tmp_path):
    raw = tmp_path / "all.raw"
    # A pipe appends every open of the PCM to one file, so both streams' audio is kept.
    conf = alsa_config(tmp_path, f"|cat >> {raw}", "raw")
    report = run_child(tmp_path, REOPENER, conf)
    assert report["reopens"] == 1
    data = np.frombuffer(raw.read_bytes(), "<i2").reshape(-1, 2)[:, 0] / 32768.0
    sounding = data[np.abs(data) > 1e-3]
    assert len(sounding) > 1.8 * SR
    first, last = sounding[: SR // 2], sounding[-SR // 2 :]
    assert dominant_hz(first, SR) == pytest.approx(440, abs=2)
    assert dominant_hz(last, SR) == pytest.approx(880, abs=2)


LOST_AND_BACK = """
    import json, os, sys, threading, time
    import numpy as np
    from drivers.audio import PyAudioSink

    def tone(hz):
        wave = 0.25 * np.sin(2 * np.pi * hz * np.arange(44100) / 44100)
        return np.repeat(wave[:, None], 2, axis=1).astype(np.float32)

    card = sys.argv[1]  # the folder the PCM's file lives in: gone is a device that is unplugged
    sink = PyAudioSink(buffer_s=0.25)
    sink.write(tone(440.0))
    os.rename(card, card + ".gone")  # unplugged: every open of the PCM fails from now on
    sink._stream.stop_stream()  # and the running stream dies with it
    back = threading.Timer(1.0, os.rename, (card + ".gone", card))  # plugged back in 1 s later
    back.start()
    began = time.monotonic()
    sink.write(tone(880.0))  # waits through the failed re-opens, then plays on
    waited = time.monotonic() - began
    sink.close()
    back.join()
    print(json.dumps({"reopens": sink.reopens, "waited": waited}))
"""


def test_an_output_lost_for_a_second_and_back_plays_on(tmp_path):
    # The fault matrix's "audio lost and back": the device cannot be opened for 1 s (a USB DAC
    # re-enumerating), well inside the re-open back-off (0.2 + 0.4 + 0.8 + 1.6 + 3.2 s), so
    # the write that found it gone waits and the music goes on, on the same real PortAudio.
    card = tmp_path / "card"
    card.mkdir()
    raw = card / "all.raw"
    conf = alsa_config(tmp_path, f"{raw}", "raw")
    report = run_child(tmp_path, LOST_AND_BACK, conf, str(card))
    assert report["reopens"] >= 1  # ALSA's file PCM may open while gone and die again: re-opened
    assert report["waited"] >= 1.0  # it did meet the device gone, and waited for it
    data = np.frombuffer(raw.read_bytes(), "<i2").reshape(-1, 2)[:, 0] / 32768.0
    sounding = data[np.abs(data) > 1e-3]
    assert dominant_hz(sounding[-SR // 2 :], SR) == pytest.approx(880, abs=2)

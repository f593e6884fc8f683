"""Audio sinks: where float32 stereo frames go — the sound device (PyAudio) or a WAV file.

PyAudioSink runs PortAudio in callback mode: the callback only copies from a ring buffer
filled by write(), so a slow Python caller never glitches the device until the ring runs dry
(counted as an underrun), and write() blocks while the ring is full, which paces a real-time
caller to the device's clock. The stream starts once the ring is full (like ALSA's start
threshold), so start-up is never an underrun. If the stream dies (a USB card unplugged and back,
an ALSA error), write() reopens it and carries on; `reopens` counts that.

Over 300 lines on purpose: the ring buffer, the callback and the reopen logic share one lock and
one set of counters; split apart, their ordering would be harder to check.
"""

from __future__ import annotations

import contextlib
import threading
import time
import wave
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

CHANNELS = 2
FRAMES_PER_BUFFER = 1024  # PortAudio callback size: ~23 ms at 44.1 kHz
WRITE_WAIT_S = 0.5  # a blocked write() re-checks the stream this often
DRAIN_MARGIN_S = 1.0  # close() waits this long past the buffered audio for the ring to empty
REOPEN_ATTEMPTS = 5  # a dead stream is reopened up to this many times in a row…
REOPEN_BACKOFF_S = 0.2  # …waiting 0.2, 0.4, 0.8 … s between tries (a USB card re-enumerating)
PA_OUTPUT_UNDERFLOW = 0x4  # paOutputUnderflow in the callback's status flags


@runtime_checkable
class AudioSink(Protocol):
    sample_rate: int

    def write(self, frames: np.ndarray) -> None: ...

    def close(self) -> None: ...


class AudioDeviceMissing(RuntimeError):
    """The configured output device is not there (or there is no output device at all)."""


def _check_frames(frames: np.ndarray) -> np.ndarray:
    if frames.ndim != 2 or frames.shape[1] != CHANNELS:
        raise ValueError(f"audio frames are float32 (n, 2), not {frames.dtype} {frames.shape}")
    return np.asarray(frames, dtype=np.float32)


class WavSink:
    """Streams 16-bit stereo PCM to a WAV file as it is written."""

    def __init__(self, path: Path | str, sample_rate: int = 44100) -> None:
        self.path = Path(path)
        self.sample_rate = sample_rate
        self._file: wave.Wave_write | None = wave.open(str(self.path), "wb")  # noqa: SIM115
        self._file.setnchannels(CHANNELS)
        self._file.setsampwidth(2)
        self._file.setframerate(sample_rate)
        self.frames_written = 0

    def write(self, frames: np.ndarray) -> None:
        if self._file is None:
            raise RuntimeError(f"{self.path} is closed")
        frames = _check_frames(frames)
        pcm = np.round(np.clip(frames, -1.0, 1.0) * 32767.0).astype("<i2")
        self._file.writeframes(pcm.tobytes())
        self.frames_written += len(frames)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> WavSink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def output_devices(pa: Any) -> list[tuple[int, str]]:
    """(index, name) of every PortAudio device that can play."""
    devices = []
    for index in range(pa.get_device_count()):
        info = pa.get_device_info_by_index(index)
        if info.get("maxOutputChannels", 0) > 0:
            devices.append((index, str(info.get("name", ""))))
    return devices


def find_output_device(pa: Any, device: str | int | None) -> int | None:
    """PortAudio index for a device given by index, name substring, or None/'default'.

    None means PortAudio's default output (returned as None, which pyaudio understands).
    """
    outputs = output_devices(pa)
    if device is None or device == "default":
        try:
            pa.get_default_output_device_info()
        except OSError:
            raise AudioDeviceMissing(_missing_message("default", outputs)) from None
        return None
    text = str(device).strip()
    if text.isdigit():
        index = int(text)
        if any(i == index for i, _ in outputs):
            return index
    else:
        for index, name in outputs:
            if text.lower() in name.lower():
                return index
    raise AudioDeviceMissing(_missing_message(text, outputs))


def _missing_message(wanted: str, outputs: list[tuple[int, str]]) -> str:
    if not outputs:
        return (
            f"audio output {wanted!r} not found: there are no output devices "
            "(is a sound card configured?)"
        )
    listing = "; ".join(f"{index}: {name}" for index, name in outputs)
    return f"audio output {wanted!r} not found; available output devices: {listing}"


class PyAudioSink:
    """Plays through PortAudio (ALSA on the Pi) from a ring buffer of buffer_s seconds."""

    def __init__(
        self,
        *,
        device: str | int | None = None,
        sample_rate: int = 44100,
        buffer_s: float = 2.0,
        start_s: float | None = None,
    ) -> None:
        """start_s: audio buffered before the stream starts (default: the whole ring)."""
        import pyaudio

        self.sample_rate = sample_rate
        self.device = device
        self.underruns = 0  # the ring ran dry while the device wanted audio
        self.device_underflows = 0  # PortAudio itself reported an output underflow
        self.reopens = 0  # the stream died and was reopened
        self._capacity = max(FRAMES_PER_BUFFER, round(buffer_s * sample_rate))
        start_frames = self._capacity if start_s is None else round(start_s * sample_rate)
        self._start_frames = min(self._capacity, max(1, start_frames))
        self._ring = np.zeros((self._capacity, CHANNELS), dtype=np.float32)
        self._read = 0  # ring index of the next frame to play
        self._count = 0  # frames waiting in the ring
        self._block = np.zeros((FRAMES_PER_BUFFER, CHANNELS), dtype=np.float32)
        self._changed = threading.Condition()
        self._started = False
        self._draining = False  # close() is playing out the ring: a short block is the end
        self._closed = False
        self._continue = pyaudio.paContinue
        self._float32 = pyaudio.paFloat32
        self._pa = pyaudio.PyAudio()
        try:
            self._stream = self._open_stream()
        except Exception:
            self._pa.terminate()
            raise

    def _open_stream(self) -> Any:
        index = find_output_device(self._pa, self.device)
        return self._pa.open(
            format=self._float32,
            channels=CHANNELS,
            rate=self.sample_rate,
            output=True,
            output_device_index=index,
            frames_per_buffer=FRAMES_PER_BUFFER,
            stream_callback=self._callback,
            start=False,
        )

    def _callback(
        self, in_data: object, frame_count: int, time_info: object, status: int
    ) -> tuple[bytes, int]:
        """PortAudio's thread: copy out of the ring, pad with silence when it runs dry."""
        if frame_count > len(self._block):
            self._block = np.zeros((frame_count, CHANNELS), dtype=np.float32)
        block = self._block[:frame_count]
        if status & PA_OUTPUT_UNDERFLOW:
            self.device_underflows += 1
        with self._changed:
            available = min(frame_count, self._count)
            first = min(available, self._capacity - self._read)
            block[:first] = self._ring[self._read : self._read + first]
            block[first:available] = self._ring[: available - first]
            self._read = (self._read + available) % self._capacity
            self._count -= available
            if available < frame_count:
                block[available:] = 0.0
                if not self._draining:
                    self.underruns += 1
            self._changed.notify_all()
        return block.tobytes(), self._continue

    def write(self, frames: np.ndarray) -> None:
        """Queue frames for the device; blocks while the ring is full."""
        frames = _check_frames(frames)
        done = 0
        while done < len(frames):
            with self._changed:
                if self._closed:
                    raise RuntimeError("audio output is closed")
                while self._count == self._capacity:
                    if self._started and not self._stream_alive():
                        break  # recovered below, outside the lock the callback needs
                    self._changed.wait(WRITE_WAIT_S)
                else:
                    done += self._put(frames[done:])
                ring_full = self._count >= self._start_frames
            if not self._started and ring_full:
                self._start()
            elif self._started and not self._stream_alive():
                self._reopen()

    def _put(self, frames: np.ndarray) -> int:
        """Copy as many frames as fit into the ring (lock held); returns how many."""
        chunk = frames[: self._capacity - self._count]
        start = (self._read + self._count) % self._capacity
        first = min(len(chunk), self._capacity - start)
        self._ring[start : start + first] = chunk[:first]
        self._ring[: len(chunk) - first] = chunk[first:]
        self._count += len(chunk)
        return len(chunk)

    def _start(self) -> None:
        self._started = True
        self._stream.start_stream()

    def _stream_alive(self) -> bool:
        try:
            return bool(self._stream.is_active())
        except OSError:
            return False

    def _reopen(self) -> None:
        """Replace a dead stream with a new one on the same device (found again by name)."""
        for attempt in range(REOPEN_ATTEMPTS):
            with contextlib.suppress(OSError):
                self._stream.close()
            try:
                self._stream = self._open_stream()
                self._stream.start_stream()
                self.reopens += 1
                return
            except (OSError, AudioDeviceMissing) as exc:
                problem = exc
                time.sleep(REOPEN_BACKOFF_S * 2**attempt)
        raise AudioDeviceMissing(f"audio output lost and could not be reopened: {problem}")

    def close(self) -> None:
        """Play what is buffered, then stop and release the device."""
        if self._closed:
            return
        with self._changed:
            self._draining = True
            if not self._started and self._count:
                self._start()  # less than the start threshold was ever written: play it now
            if self._started:
                self._changed.wait_for(
                    lambda: self._count == 0,
                    timeout=self._capacity / self.sample_rate + DRAIN_MARGIN_S,
                )
            self._closed = True
        try:
            if self._started:
                self._stream.stop_stream()  # returns once the last buffers have played
            self._stream.close()
        finally:
            self._pa.terminate()

    def __enter__(self) -> PyAudioSink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

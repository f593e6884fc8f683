"""Decoding a listener's audio file to float32 PCM blocks, whatever its format.

Two decoders, chosen by measurement (`make bench`, bench/bench_decode.py; figures in
docs/audio.md). libsndfile (soundfile) reads WAV, FLAC, OGG and MP3 1.4-6 times faster than
PyAV (FFmpeg) on the same files, and its process peaks ~20 MB lower: FFmpeg's libraries are
big (~17 MB just to load), and PyAV hands Python one small frame at a time. But libsndfile
cannot read M4A/AAC, what family phones and iTunes export. So libsndfile reads what it can,
and PyAV (maintained, manylinux aarch64 cp311 wheels with FFmpeg inside) reads the rest,
imported only then: a device whose music has no M4A never loads FFmpeg.

FFmpeg reads a truncated WAV up to where its data ends and reports that shorter length as the
duration, so the header's promise is read here (`wav_shortfall`); other formats' declared
lengths are compared with what decodes.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Formats whose container states an exact length (sample tables, STREAMINFO, last granule):
# fewer decoded frames than stated means the file was cut short. An MP3 without a Xing
# header only has an estimate from its bit rate, so it is not held to it.
EXACT_LENGTH_CODECS = ("flac", "aac", "alac", "vorbis", "opus")
SHORTFALL_TOLERANCE = 0.02  # of the stated length (encoder priming, padding)
SHORTFALL_SLACK_S = 0.2
BLOCK_FRAMES = 65536


class DecodeError(Exception):
    """The file cannot be decoded; the message names no path."""


def _av():
    import av

    return av


@dataclass(frozen=True)
class StreamInfo:
    sample_rate: int
    channels: int
    codec: str
    declared_frames: int | None  # what the container says; None when unknown


class SoundfileDecoder:
    """A file libsndfile can read, decoded to (frames, channels) float32 blocks."""

    def __init__(self, path: Path) -> None:
        import soundfile

        self.path = Path(path)
        self._file = soundfile.SoundFile(str(self.path))  # raises: the caller tries PyAV
        declared = self._file.frames if self._file.frames > 0 else None
        self.info = StreamInfo(
            int(self._file.samplerate), int(self._file.channels), self._file.format, declared
        )

    def __enter__(self) -> SoundfileDecoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def blocks(self, start_s: float = 0.0) -> Iterator[np.ndarray]:
        try:
            start = round(start_s * self.info.sample_rate)
            if start and self.info.declared_frames and start >= self.info.declared_frames:
                return
            if start:
                self._file.seek(start)
            while len(block := self._file.read(BLOCK_FRAMES, dtype="float32", always_2d=True)):
                yield block
        except (RuntimeError, ValueError, OSError) as exc:
            raise DecodeError(f"decoding failed ({reason(exc, self.path)})") from exc

    def shortfall(self, decoded_frames: int) -> str | None:
        if (wav := wav_shortfall(self.path)) is not None:
            return wav
        declared, rate = self.info.declared_frames, self.info.sample_rate
        if declared and decoded_frames < declared:
            return f"truncated: {decoded_frames / rate:.1f} of its {declared / rate:.1f} s decode"
        return None


def open_decoder(path: Path) -> SoundfileDecoder | PyAVDecoder:
    """libsndfile when it can read the file, else PyAV; DecodeError when neither can."""
    try:
        return SoundfileDecoder(path)
    except (RuntimeError, TypeError, ValueError, OSError):
        return PyAVDecoder(path)  # FFmpeg reads more formats: its complaint is the one to show


class PyAVDecoder:
    """One open file's first audio stream, decoded to (frames, channels) float32 blocks."""

    def __init__(self, path: Path) -> None:
        av = _av()
        self.path = Path(path)
        try:
            self._container = av.open(str(self.path), mode="r")
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise DecodeError(reason(exc, self.path)) from exc
        try:
            streams = self._container.streams.audio
            if not streams:
                raise DecodeError("no audio stream in the file")
            self._stream = streams[0]
            ctx = self._stream.codec_context
            rate, channels = int(ctx.sample_rate or 0), int(ctx.channels or 0)
            if rate <= 0 or channels <= 0:
                raise DecodeError("no sample rate or channel count in the file")
            declared = None
            if self._stream.duration is not None and self._stream.time_base is not None:
                declared = round(float(self._stream.duration * self._stream.time_base) * rate)
            self.info = StreamInfo(rate, channels, str(ctx.name), declared)
            self._resampler = av.AudioResampler(format="flt", layout=ctx.layout, rate=rate)
        except BaseException:
            self._container.close()
            raise

    def __enter__(self) -> PyAVDecoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    def blocks(self, start_s: float = 0.0) -> Iterator[np.ndarray]:
        """Float32 blocks from `start_s` (seeking first when it is not 0) to the end."""
        av = _av()
        rate, channels = self.info.sample_rate, self.info.channels
        skip = 0
        try:
            if start_s > 0:
                target = int(start_s / self._stream.time_base)
                self._container.seek(target, stream=self._stream, backward=True)
                skip = None  # measured from the first frame's time
            for packet in self._container.demux(self._stream):
                for frame in packet.decode():
                    if skip is None:
                        first_s = float(frame.time) if frame.time is not None else 0.0
                        skip = max(0, round((start_s - first_s) * rate))
                    for out in self._resampler.resample(frame):
                        block = out.to_ndarray().reshape(-1, channels)
                        if skip:
                            dropped = min(skip, len(block))
                            block, skip = block[dropped:], skip - dropped
                        if len(block):
                            yield block
        except (av.FFmpegError, OSError, ValueError) as exc:
            raise DecodeError(f"decoding failed ({reason(exc, self.path)})") from exc

    def shortfall(self, decoded_frames: int) -> str | None:
        """Why the file is cut short, judged from how many frames decoded; or None."""
        rate = self.info.sample_rate
        if (wav := wav_shortfall(self.path)) is not None:
            return wav
        declared = self.info.declared_frames
        if self.info.codec not in EXACT_LENGTH_CODECS or not declared:
            return None
        allowed = declared * (1.0 - SHORTFALL_TOLERANCE) - SHORTFALL_SLACK_S * rate
        if decoded_frames < allowed:
            return f"truncated: {decoded_frames / rate:.1f} of its {declared / rate:.1f} s decode"
        return None


def wav_shortfall(path: Path) -> str | None:
    """For a RIFF WAVE file whose data chunk promises more bytes than the file holds, why."""
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        size = os.fstat(f.fileno()).st_size
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                return None
            kind, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if kind == b"data":
                present = size - f.tell()
                # 0 and 0xFFFFFFFF: a stream written without knowing its length.
                if length not in (0, 0xFFFFFFFF) and present < length:
                    return f"truncated: {present} of its {length} bytes of audio are in the file"
                return None
            f.seek(length + (length & 1), os.SEEK_CUR)


def reason(exc: BaseException, path: Path) -> str:
    """An exception's message without the path it quotes (a temporary copy the user never
    saw)."""
    text = getattr(exc, "strerror", None) or str(exc).strip()
    text = text.splitlines()[-1] if text else type(exc).__name__
    for form in (repr(str(path)), str(path), path.name):
        text = text.replace(form, "")
    return text.removeprefix("Error opening ").strip(" :'\"") or type(exc).__name__

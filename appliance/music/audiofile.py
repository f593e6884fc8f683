"""Reading listeners' audio files (WAV, FLAC, OGG, MP3, M4A/AAC) through decode.py.

Two uses: analyse a whole track once at import (streamed in blocks, so a long track never sits
in memory at full rate), and read a segment of it at the session's sample rate for playback.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from appliance.music.decode import DecodeError, PyAVDecoder, SoundfileDecoder, open_decoder
from appliance.music.features import onset_density, spectral_summary, tempo_estimate
from appliance.music.levels import gain_to_db
from appliance.music.loudness import LoudnessMeter

# numpy filters, not scipy.signal: that costs about 75 MB of the service's 120 MB on a Pi.
from appliance.numeric.fir import fir_filter, firwin

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac")
ANALYSIS_MAX_S = 600.0  # features describe the first ten minutes (memory on a Pi Zero)
ANALYSIS_MAX_RATE_HZ = 32000  # faster sources are halved for the spectral features
BLOCK_FRAMES = 65536
DECIMATION_TAPS = 63
# What the import takes. Below 8 kHz nothing is music (and the analysis has no spectrum to
# take). A session segment lasts minutes and fades 2 s in and out, so a track under 30 s is
# a jingle, a ringtone or a broken copy: it would be mostly fade, and the tempo estimate
# needs many beats. The shortest real songs families bring (children's songs, hymn verses)
# run over 45 s, so 30 s refuses no song. Under -60 dBFS RMS it is silence or hiss, which
# loudness matching cannot lift.
SAMPLE_RATE_RANGE_HZ = (8000, 384000)
MIN_DURATION_S = 30.0
SILENT_RMS_DBFS = -60.0


class UnreadableAudio(Exception):
    """A file that cannot be decoded (corrupt, truncated, not audio, unsupported)
    or that is no use to a session. `reason` says why without naming any path, so the
    caller names the file the way its user knows it."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class TrackFeatures:
    duration_s: float
    sample_rate: int
    channels: int
    analysed_s: float
    loudness_lufs: float | None  # BS.1770 integrated loudness; None for digital silence
    loudness_range_lu: float  # dynamic range: spread of 3 s loudness (EBU LRA-like)
    peak_dbfs: float | None
    rms_dbfs: float | None  # what loudness matching uses, as the generator normalises RMS
    spectral_centroid_hz: float  # brightness
    onset_density_per_s: float
    tempo_bpm: float | None  # None: no pulse found
    tempo_confidence: float  # 0..1: trust the tempo only above features.TEMPO_CONFIDENT

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> TrackFeatures:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def _open(path: Path, name: str | None = None) -> SoundfileDecoder | PyAVDecoder:
    try:
        return open_decoder(path)
    except DecodeError as exc:
        raise UnreadableAudio(name or path.name, f"cannot be decoded ({exc})") from exc


def refusal(features: TrackFeatures) -> str | None:
    """Why a decoded track is no use to a session, or None."""
    if features.duration_s < MIN_DURATION_S:
        return (
            f"too short ({features.duration_s:.1f} s; a track needs at least {MIN_DURATION_S:g} s)"
        )
    if features.rms_dbfs is None or features.rms_dbfs < SILENT_RMS_DBFS:
        level = (
            "digital silence" if features.rms_dbfs is None else f"{features.rms_dbfs:.0f} dBFS RMS"
        )
        return f"silent ({level}; a track needs at least {SILENT_RMS_DBFS:g} dBFS RMS)"
    return None


def analyse(
    path: Path, name: str | None = None, *, pcm_digest: hashlib._Hash | None = None
) -> TrackFeatures:
    """Decode the whole file and measure its first ANALYSIS_MAX_S; UnreadableAudio if it
    fails, is cut short or has a sample rate outside SAMPLE_RATE_RANGE_HZ. Messages call the
    file `name` (its name by default). `pcm_digest` (a hashlib object), when given, is fed
    the decoded audio as 16-bit PCM: the same music in another file hashes the same."""
    path = Path(path)
    name = name or path.name
    with _open(path, name) as audio:
        rate, channels = audio.info.sample_rate, audio.info.channels
        low, high = SAMPLE_RATE_RANGE_HZ
        if not low <= rate <= high:
            raise UnreadableAudio(name, f"sample rate {rate} Hz (allowed: {low}-{high} Hz)")
        if pcm_digest is not None:
            pcm_digest.update(f"{rate}/{channels}/".encode())
        factor = 2 if rate > ANALYSIS_MAX_RATE_HZ else 1
        taps = firwin(DECIMATION_TAPS, 0.9 / factor) if factor > 1 else None
        history = None  # the inputs before each block, for the decimation filter
        meter = LoudnessMeter(rate, channels)
        mono_parts: list[np.ndarray] = []
        peak, square_sum, analysed, frames, phase = 0.0, 0.0, 0, 0, 0
        limit = round(ANALYSIS_MAX_S * rate)
        try:
            for block in _batched(audio.blocks(), BLOCK_FRAMES):
                if not np.isfinite(block).all():
                    raise UnreadableAudio(name, "damaged: samples that are not numbers (NaN)")
                frames += len(block)
                if pcm_digest is not None:
                    pcm_digest.update(_pcm16(block))
                block = block[: max(0, limit - analysed)]
                if not len(block):
                    continue  # past the analysed part: decoded to check and hash it only
                analysed += len(block)
                meter.add(block)
                peak = max(peak, float(np.max(np.abs(block))))
                square_sum += float(np.sum(np.square(block, dtype=np.float64)))
                mono = block.mean(axis=1)
                if taps is not None:
                    mono, history = fir_filter(taps, mono, history)
                    mono_parts.append(mono[phase::factor].astype(np.float32))
                    phase = (phase - len(mono)) % factor
                else:
                    mono_parts.append(mono)
        except DecodeError as exc:
            raise UnreadableAudio(name, str(exc)) from exc
        if frames == 0:
            raise UnreadableAudio(name, "no audio in the file")
        if cut := audio.shortfall(frames):
            raise UnreadableAudio(name, cut)
    spectral = spectral_summary(np.concatenate(mono_parts), rate // factor)
    tempo, confidence = tempo_estimate(spectral.onset_envelope, spectral.envelope_rate_hz)
    lufs = meter.integrated_lufs()
    rms = math.sqrt(square_sum / (analysed * channels))
    return TrackFeatures(
        duration_s=round(frames / rate, 3),
        sample_rate=rate,
        channels=channels,
        analysed_s=round(analysed / rate, 3),
        loudness_lufs=_finite(lufs),
        loudness_range_lu=round(meter.range_lu(), 2),
        peak_dbfs=_finite(gain_to_db(peak)),
        rms_dbfs=_finite(gain_to_db(rms)),
        spectral_centroid_hz=round(spectral.centroid_hz, 1),
        onset_density_per_s=round(
            onset_density(spectral.onset_envelope, spectral.envelope_rate_hz), 3
        ),
        tempo_bpm=_finite(tempo),
        tempo_confidence=round(confidence, 3),
    )


def pcm_sha256(path: Path) -> str:
    """The SHA-256 of a file's decoded audio as analyse() computes it."""
    digest = hashlib.sha256()
    analyse(path, pcm_digest=digest)
    return digest.hexdigest()


def read_segment(path: Path, start_s: float, seconds: float, sample_rate: int) -> np.ndarray:
    """Exactly round(seconds · sample_rate) stereo float32 frames from start_s (zero-padded
    past the track's end), resampled to sample_rate."""
    path = Path(path)
    n_out = round(seconds * sample_rate)
    with _open(path) as audio:
        rate = audio.info.sample_rate
        wanted = math.ceil(seconds * rate) + 1
        parts: list[np.ndarray] = []
        got = 0
        try:
            for block in audio.blocks(max(0.0, start_s)):
                parts.append(block[: wanted - got])
                got += len(parts[-1])
                if got >= wanted:
                    break
        except DecodeError as exc:
            raise UnreadableAudio(path.name, str(exc)) from exc
    channels = audio.info.channels
    data = np.concatenate(parts) if parts else np.zeros((0, channels), dtype=np.float32)
    stereo = np.repeat(data, 2, axis=1) if data.shape[1] == 1 else data[:, :2]
    if rate != sample_rate and len(stereo):
        from appliance.music.resample import resample

        stereo = resample(stereo, rate, sample_rate)
    out = np.zeros((n_out, 2), dtype=np.float32)
    take = min(n_out, len(stereo))
    out[:take] = stereo[:take]
    return out


def _batched(blocks, size: int):
    """Decoder blocks (a few thousand frames each) regrouped into blocks of `size` frames:
    the analysis's per-block cost is then paid a few times a second of audio, not hundreds."""
    pending: list[np.ndarray] = []
    count = 0
    for block in blocks:
        pending.append(block)
        count += len(block)
        if count >= size:
            yield np.concatenate(pending)
            pending, count = [], 0
    if pending:
        yield np.concatenate(pending)


def _pcm16(block: np.ndarray) -> bytes:
    # 2^15: a 16-bit source (decoded as x / 32768) hashes its own samples, so WAV = FLAC.
    return np.clip(np.rint(block * 32768.0), -32768, 32767).astype("<i2").tobytes()


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 2)

"""Reading listeners' audio files (WAV, FLAC, OGG Vorbis, MP3) with libsndfile via soundfile.

Two uses: analyse a whole track once at import (streamed in blocks, so a long track never sits
in memory at full rate), and read a segment of it at the session's sample rate for playback.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from appliance.music.features import onset_density, spectral_summary, tempo_estimate
from appliance.music.levels import gain_to_db
from appliance.music.loudness import LoudnessMeter

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".mp3")
ANALYSIS_MAX_S = 600.0  # features describe the first ten minutes (memory on a Pi Zero)
ANALYSIS_MAX_RATE_HZ = 32000  # faster sources are halved for the spectral features
BLOCK_FRAMES = 65536
DECIMATION_TAPS = 63
# What the import takes. Below 8 kHz nothing is music (and the analysis has no spectrum to
# take); a session segment lasts minutes, so a track under 10 s is a jingle or a broken
# copy; under -60 dBFS RMS it is silence or hiss, which loudness matching cannot lift.
SAMPLE_RATE_RANGE_HZ = (8000, 384000)
MIN_DURATION_S = 10.0
SILENT_RMS_DBFS = -60.0
# libsndfile's own diagnosis of a WAV/AIFF whose data chunk is longer than the file.
_CUT_SHORT = re.compile(r"^data\s*:\s*(\d+) \(should be (\d+)\)", re.MULTILINE)


class UnreadableAudio(Exception):
    """A file that libsndfile cannot decode (corrupt, truncated, not audio, unsupported)
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


def _soundfile():
    import soundfile

    return soundfile


def _open(path: Path, name: str | None = None):
    soundfile = _soundfile()
    try:
        return soundfile.SoundFile(str(path))
    except (RuntimeError, TypeError, ValueError, OSError) as exc:
        raise UnreadableAudio(
            name or path.name, f"cannot be decoded ({_reason(exc, path)})"
        ) from exc


def _reason(exc: BaseException, path: Path) -> str:
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    # libsndfile quotes the path it was given: a temporary copy the user never saw.
    text = text.removeprefix("Error opening ").replace(repr(str(path)), "").replace(str(path), "")
    return text.strip(" :") or type(exc).__name__


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


def analyse(path: Path, name: str | None = None) -> TrackFeatures:
    """Decode the file (up to ANALYSIS_MAX_S) and measure it; UnreadableAudio if it fails,
    is cut short or has a sample rate outside SAMPLE_RATE_RANGE_HZ. Messages call the file
    `name` (its name by default)."""
    path = Path(path)
    name = name or path.name
    with _open(path, name) as audio:
        rate, channels = int(audio.samplerate), int(audio.channels)
        low, high = SAMPLE_RATE_RANGE_HZ
        if not low <= rate <= high:
            raise UnreadableAudio(name, f"sample rate {rate} Hz (allowed: {low}-{high} Hz)")
        if cut := _CUT_SHORT.search(audio.extra_info or ""):
            declared, present = int(cut.group(1)), int(cut.group(2))
            raise UnreadableAudio(
                name, f"truncated: {present} of its {declared} bytes of audio are in the file"
            )
        # Here, not at the top: the service reaches READY without scipy.signal.
        from scipy import signal

        factor = 2 if rate > ANALYSIS_MAX_RATE_HZ else 1
        taps = signal.firwin(DECIMATION_TAPS, 0.9 / factor) if factor > 1 else None
        state = np.zeros(DECIMATION_TAPS - 1) if taps is not None else None
        meter = LoudnessMeter(rate, channels)
        mono_parts: list[np.ndarray] = []
        peak, square_sum, frames, phase = 0.0, 0.0, 0, 0
        limit = round(ANALYSIS_MAX_S * rate)
        try:
            while frames < limit:
                block = audio.read(
                    min(BLOCK_FRAMES, limit - frames), dtype="float32", always_2d=True
                )
                if len(block) == 0:
                    break
                if not np.isfinite(block).all():
                    raise UnreadableAudio(name, "damaged: samples that are not numbers (NaN)")
                frames += len(block)
                meter.add(block)
                peak = max(peak, float(np.max(np.abs(block))))
                square_sum += float(np.sum(np.square(block, dtype=np.float64)))
                mono = block.mean(axis=1)
                if taps is not None:
                    mono, state = signal.lfilter(taps, 1.0, mono, zi=state)
                    mono_parts.append(mono[phase::factor].astype(np.float32))
                    phase = (phase - len(mono)) % factor
                else:
                    mono_parts.append(mono)
        except (RuntimeError, ValueError, OSError) as exc:
            raise UnreadableAudio(name, f"decoding failed ({_reason(exc, path)})") from exc
        if 0 < frames < min(limit, audio.frames):
            raise UnreadableAudio(
                name, f"truncated: {frames / rate:.1f} of its {audio.frames / rate:.1f} s decode"
            )
        total_s = audio.frames / rate if audio.frames > 0 else frames / rate
    if frames == 0:
        raise UnreadableAudio(name, "no audio in the file")
    spectral = spectral_summary(np.concatenate(mono_parts), rate // factor)
    tempo, confidence = tempo_estimate(spectral.onset_envelope, spectral.envelope_rate_hz)
    lufs = meter.integrated_lufs()
    rms = math.sqrt(square_sum / (frames * channels))
    return TrackFeatures(
        duration_s=round(max(total_s, frames / rate), 3),
        sample_rate=rate,
        channels=channels,
        analysed_s=round(frames / rate, 3),
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


def read_segment(path: Path, start_s: float, seconds: float, sample_rate: int) -> np.ndarray:
    """Exactly round(seconds · sample_rate) stereo float32 frames from start_s (zero-padded
    past the track's end), resampled to sample_rate."""
    path = Path(path)
    n_out = round(seconds * sample_rate)
    with _open(path) as audio:
        rate = int(audio.samplerate)
        start = max(0, round(start_s * rate))
        wanted = math.ceil(seconds * rate) + 1
        try:
            if start:
                audio.seek(min(start, max(0, audio.frames - 1)) if audio.frames > 0 else start)
            data = audio.read(wanted, dtype="float32", always_2d=True)
        except (RuntimeError, ValueError, OSError) as exc:
            raise UnreadableAudio(path.name, f"decoding failed ({_reason(exc, path)})") from exc
    stereo = np.repeat(data, 2, axis=1) if data.shape[1] == 1 else data[:, :2]
    if rate != sample_rate and len(stereo):
        from scipy import signal

        divisor = math.gcd(rate, sample_rate)
        stereo = signal.resample_poly(stereo, sample_rate // divisor, rate // divisor, axis=0)
    out = np.zeros((n_out, 2), dtype=np.float32)
    take = min(n_out, len(stereo))
    out[:take] = stereo[:take]
    return out


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 2)

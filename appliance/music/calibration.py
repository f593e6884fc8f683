"""The one-time level calibration: which dBFS gives which sound level at the listener.

`attune music calibrate` plays pink noise at REFERENCE_DBFS (RMS) through the configured
output; the technician holds a sound level meter (A-weighted, slow) where the listener's head
will be and enters the reading. From then on the master cap is the level that cannot exceed
audio.max_spl_db there. The cap bounds peaks, and no signal's RMS exceeds its peak, so no
sound can be louder than that at the listener (typical music then plays ~10 dB under it).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from appliance.fsutil import atomic_write_text

CALIBRATION_FILE = "audio_calibration.json"  # in the state directory
REFERENCE_DBFS = -20.0  # pink noise RMS during calibration
PINK_BAND_HZ = (20.0, 20000.0)
PINK_FADE_S = 0.5


@dataclass(frozen=True)
class Calibration:
    reference_dbfs: float  # the pink noise's RMS level
    measured_spl_db: float  # what the meter read at the listener's place
    device: str
    measured_at: str

    def dbfs_for(self, spl_db: float) -> float:
        return self.reference_dbfs + (spl_db - self.measured_spl_db)


def save_calibration(state_dir: Path, measured_spl_db: float, device: str) -> Calibration:
    if not 20.0 <= measured_spl_db <= 120.0:
        raise ValueError(f"{measured_spl_db} dB SPL is not a plausible meter reading (20..120)")
    calibration = Calibration(
        reference_dbfs=REFERENCE_DBFS,
        measured_spl_db=float(measured_spl_db),
        device=str(device),
        measured_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    text = json.dumps(asdict(calibration), indent=1) + "\n"
    atomic_write_text(Path(state_dir) / CALIBRATION_FILE, text)
    return calibration


def load_calibration(state_dir: Path) -> Calibration | None:
    """The saved calibration, or None when the device has not been calibrated."""
    try:
        data = json.loads((Path(state_dir) / CALIBRATION_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return Calibration(**{name: data[name] for name in Calibration.__dataclass_fields__})


def master_cap_dbfs(
    max_level_dbfs: float, max_spl_db: float, calibration: Calibration | None
) -> float:
    """The mixer's cap: the configured dBFS cap, lowered to the calibrated SPL limit."""
    if calibration is None:
        return max_level_dbfs
    return min(max_level_dbfs, calibration.dbfs_for(max_spl_db))


def pink_noise(
    seconds: float, sample_rate: int, level_dbfs: float = REFERENCE_DBFS, seed: int = 0
) -> np.ndarray:
    """Stereo (both channels alike) pink noise, band-limited, at level_dbfs RMS, faded."""
    n = round(seconds * sample_rate)
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1.0 / sample_rate)
    low, high = PINK_BAND_HZ
    shaping = np.zeros_like(freqs)
    band = (freqs >= low) & (freqs <= high)
    shaping[band] = 1.0 / np.sqrt(freqs[band])  # -3 dB per octave
    noise = np.fft.irfft(spectrum * shaping, n)
    noise *= 10.0 ** (level_dbfs / 20.0) / np.sqrt(np.mean(noise**2))  # before the fades
    fade = min(n // 2, round(PINK_FADE_S * sample_rate))
    if fade:
        ramp = np.sin(0.5 * math.pi * np.arange(fade) / fade) ** 2
        noise[:fade] *= ramp
        noise[n - fade :] *= ramp[::-1]
    return np.repeat(noise[:, None], 2, axis=1).astype(np.float32)

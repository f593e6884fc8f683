"""Reading an Empatica E4 session folder (BVP.csv, EDA.csv, IBI.csv, tags*.csv).

Layout: BVP.csv and EDA.csv start with two header rows, the session's start (UTC unix seconds)
and the sample rate (Hz), then one sample per row. IBI.csv's first row is "start, IBI", then
rows "t_offset, ibi": seconds since the start at which the beat closing the interval occurred,
and the interval in seconds. A tags file holds one unix time per button press (may be empty).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class E4Recording:
    bvp: np.ndarray  # photoplethysmogram as stored, arbitrary units (see bvp_blood_volume_up)
    bvp_fs: float
    eda: np.ndarray  # µS
    eda_fs: float
    start_unix: float  # UTC unix seconds of sample 0 of every signal
    ibi_times: np.ndarray  # seconds since start_unix of the beat closing each interval
    ibi_s: np.ndarray
    tags: list[float] = field(default_factory=list)  # UTC unix seconds

    @property
    def bvp_blood_volume_up(self) -> np.ndarray:
        """BVP turned the way detect_beats expects. The E4's own beats (IBI.csv) fall on the
        stored signal's minima (checked on Stress-Predict sessions: systolic peaks of the
        negated signal match them within a few ms), so treat it like the MAX30102's IR."""
        return -self.bvp

    @property
    def ibi_beat_times(self) -> np.ndarray:
        """Seconds since start of every beat the E4 reported (closing and opening beats)."""
        opening = self.ibi_times - self.ibi_s
        return np.unique(np.round(np.concatenate((opening, self.ibi_times)), 6))


def _read_sampled(path: Path) -> tuple[float, float, np.ndarray]:
    """(start unix, rate Hz, first-column samples) of an Empatica sampled-signal file."""
    with path.open() as f:
        start = float(f.readline().split(",")[0])
        fs = float(f.readline().split(",")[0])
    data = np.loadtxt(path, delimiter=",", skiprows=2, ndmin=2, dtype=float)
    return start, fs, data[:, 0] if data.size else np.empty(0)


def _read_ibi(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.exists():
        return np.empty(0), np.empty(0)
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=float)
    if data.size == 0:
        return np.empty(0), np.empty(0)
    return data[:, 0].copy(), data[:, 1].copy()


def _read_tags(directory: Path) -> list[float]:
    candidates = sorted(directory.glob("tags*.csv"))
    if not candidates:
        return []
    text = candidates[0].read_text().split()
    return [float(v.split(",")[0]) for v in text if v.strip()]


def load_e4(directory: str | Path) -> E4Recording:
    """Load one E4 session folder; raises FileNotFoundError naming a missing BVP or EDA file."""
    directory = Path(directory)
    bvp_start, bvp_fs, bvp = _read_sampled(directory / "BVP.csv")
    eda_start, eda_fs, eda = _read_sampled(directory / "EDA.csv")
    if eda_start != bvp_start:
        # The E4 writes one start time for all files; a mismatch means mixed-up folders.
        raise ValueError(f"{directory}: BVP starts at {bvp_start} but EDA at {eda_start}")
    ibi_times, ibi_s = _read_ibi(directory / "IBI.csv")
    return E4Recording(
        bvp=bvp,
        bvp_fs=bvp_fs,
        eda=eda,
        eda_fs=eda_fs,
        start_unix=bvp_start,
        ibi_times=ibi_times,
        ibi_s=ibi_s,
        tags=_read_tags(directory),
    )

"""Reading an Empatica E4 session folder (BVP.csv, EDA.csv, IBI.csv, tags*.csv).

Layout: BVP.csv and EDA.csv start with two header rows, the session's start (UTC unix seconds)
and the sample rate (Hz), then one sample per row. IBI.csv's first row is "start, IBI", then
rows "t_offset, ibi": seconds since the start at which the beat closing the interval occurred,
and the interval in seconds. A tags file holds one unix time per button press (may be empty).

The E4 writes one start time into every file. Recordings converted from other devices may not:
BVP and EDA that start apart are trimmed to their common start (logged), and refused only
when they do not overlap at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class E4Recording:
    bvp: np.ndarray  # photoplethysmogram as stored, arbitrary units (see bvp_blood_volume_up)
    bvp_fs: float
    eda: np.ndarray  # µS
    eda_fs: float
    start_unix: float  # UTC unix seconds of sample 0 of every signal (after any trimming)
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
    start = max(bvp_start, eda_start)
    if start != min(bvp_start, eda_start):
        ends = (bvp_start + bvp.size / bvp_fs, eda_start + eda.size / eda_fs)
        if start >= min(ends):
            raise ValueError(
                f"{directory}: BVP ({bvp_start:.0f}-{ends[0]:.0f}) and EDA "
                f"({eda_start:.0f}-{ends[1]:.0f}, UTC unix s) do not overlap"
            )
        log.warning(
            "%s: BVP starts at %.3f and EDA at %.3f; both are read from %.3f",
            directory,
            bvp_start,
            eda_start,
            start,
        )
        bvp = bvp[round((start - bvp_start) * bvp_fs) :]
        eda = eda[round((start - eda_start) * eda_fs) :]
    ibi_times, ibi_s = _read_ibi(directory / "IBI.csv")
    ibi_times = ibi_times - (start - bvp_start)  # the E4's IBI clock is its BVP clock
    kept = ibi_times - ibi_s >= 0
    return E4Recording(
        bvp=bvp,
        bvp_fs=bvp_fs,
        eda=eda,
        eda_fs=eda_fs,
        start_unix=start,
        ibi_times=ibi_times[kept],
        ibi_s=ibi_s[kept],
        tags=_read_tags(directory),
    )

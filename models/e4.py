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
import warnings
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


# The E4 writes BVP at 64 Hz, EDA and TEMP at 4 Hz, ACC at 32 Hz; recordings converted from
# other devices may differ, so any rate in this range is read. Outside it a header is broken,
# and trusting it would divide by zero or size buffers in tebibytes.
NOMINAL_FS = {"BVP": 64.0, "EDA": 4.0, "ACC": 32.0, "TEMP": 4.0}
FS_RANGE = (1.0, 1024.0)  # Hz
START_RANGE = (0.0, 1e10)  # UTC unix seconds (1970 to the year 2286)


def _header_number(path: Path, lineno: int, line: str, what: str) -> float:
    cell = line.split(",")[0].strip()
    try:
        value = float(cell)
    except ValueError:
        value = float("nan")
    if not np.isfinite(value):
        shown = repr(cell) if line else "nothing (the file ends there)"
        raise ValueError(f"{path} line {lineno}: expected {what}, found {shown}")
    return value


def _read_sampled(path: Path) -> tuple[float, float, np.ndarray]:
    """(start unix, rate Hz, first-column samples) of an Empatica sampled-signal file."""
    with path.open(errors="replace") as f:
        first, second = f.readline(), f.readline()
    start = _header_number(path, 1, first, "the start time in UTC unix seconds")
    fs = _header_number(path, 2, second, "the sample rate in Hz")
    nominal = NOMINAL_FS.get(path.stem.upper())
    if not START_RANGE[0] <= start <= START_RANGE[1]:
        raise ValueError(
            f"{path} line 1: start time {start:g} is not a UTC unix time in seconds "
            f"({START_RANGE[0]:.0f} to {START_RANGE[1]:.0f})"
        )
    if not FS_RANGE[0] <= fs <= FS_RANGE[1]:
        raise ValueError(
            f"{path} line 2: sample rate {fs:g} Hz; expected {FS_RANGE[0]:g} to {FS_RANGE[1]:g} Hz"
            + (f" (the E4 writes {nominal:g} Hz)" if nominal else "")
        )
    try:
        with warnings.catch_warnings():  # an empty body is refused just below, by name
            warnings.simplefilter("ignore", UserWarning)
            data = np.loadtxt(path, delimiter=",", skiprows=2, ndmin=2, dtype=float)
    except ValueError as exc:
        raise ValueError(f"{path}: samples from line 3 on must be numbers: {exc}") from None
    if data.size == 0:
        raise ValueError(f"{path}: no samples after the two header lines")
    return start, fs, data[:, 0]


def _read_ibi(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.exists():
        return np.empty(0), np.empty(0)
    try:
        with warnings.catch_warnings():  # an IBI file with no beats is a valid recording
            warnings.simplefilter("ignore", UserWarning)
            data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=float)
    except ValueError as exc:
        raise ValueError(f"{path}: rows from line 2 on must be 't_offset, ibi': {exc}") from None
    if data.size == 0:
        return np.empty(0), np.empty(0)
    if data.shape[1] < 2:
        raise ValueError(f"{path}: rows from line 2 on must be 't_offset, ibi' (two numbers)")
    return data[:, 0].copy(), data[:, 1].copy()


def _read_tags(directory: Path) -> list[float]:
    candidates = sorted(directory.glob("tags*.csv"))
    if not candidates:
        return []
    tags = []
    for lineno, line in enumerate(candidates[0].read_text(errors="replace").splitlines(), 1):
        if line.strip():
            tags.append(_header_number(candidates[0], lineno, line, "a UTC unix time"))
    return tags


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

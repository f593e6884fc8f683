"""RR intervals: from beat times, and cleaned of missed, extra and ectopic beats.

Convention used throughout signals/: an RR series may contain NaN. A NaN is an interval that is
not known (a gap in the data, or one rejected here); HRV measures never bridge a NaN, so
successive differences are only taken between intervals that really were adjacent.

Cleaning today rejects; it never invents intervals. The adaptive threshold below is the
first half of Lipponen & Tarvainen 2019 (deviation from a local median against a threshold
scaled by the local quartile deviation); their beat-type classification and correction can
replace `_reject_local_outliers` without changing `clean_rr`'s contract.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

RR_MIN_S = 0.3  # 200 bpm
RR_MAX_S = 2.0  # 30 bpm
MEDIAN_HALF_WIDTH = 5  # local median over 11 intervals centred on the one judged
SPREAD_HALF_WIDTH = 45  # quartile deviation over 91 intervals (Lipponen & Tarvainen 2019)
SPREAD_FACTOR = 5.2  # threshold = factor × quartile deviation (their constant)
MIN_RELATIVE_DEVIATION = 0.2  # never reject a deviation below 20 % of the local median
MAX_RELATIVE_DEVIATION = 0.4  # always reject one above 40 % (missed beat, split beat)
MIN_FOR_LOCAL_TEST = 5  # fewer valid intervals: only the physiological range applies


def rr_from_beats(beat_times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intervals between successive beats: (time of the beat ending each interval, seconds)."""
    t = np.asarray(beat_times, dtype=float)
    if t.size < 2:
        return np.empty(0), np.empty(0)
    return t[1:].copy(), np.diff(t)


def _centred_windows(x: np.ndarray, half_width: int) -> np.ndarray:
    """Rows of `x` around each index (NaN-padded at the ends), shape (len(x), 2·half_width+1)."""
    padded = np.concatenate((np.full(half_width, np.nan), x, np.full(half_width, np.nan)))
    return sliding_window_view(padded, 2 * half_width + 1)


def _nan_stat(rows: np.ndarray, func) -> np.ndarray:
    """Row-wise NaN-ignoring statistic; rows with no finite value give NaN (quietly)."""
    out = np.full(rows.shape[0], np.nan)
    has_data = np.any(np.isfinite(rows), axis=1)
    if np.any(has_data):
        out[has_data] = func(rows[has_data])
    return out


def _reject_local_outliers(rr: np.ndarray) -> np.ndarray:
    """True where an interval deviates from its local median by more than an adaptive threshold.

    `rr` has NaN where intervals are unknown or already rejected; those are never judged.
    """
    windows = _centred_windows(rr, MEDIAN_HALF_WIDTH).copy()
    windows[:, MEDIAN_HALF_WIDTH] = np.nan  # judge each interval against its neighbours only
    local_median = _nan_stat(windows, lambda r: np.nanmedian(r, axis=1))
    deviation = np.abs(rr - local_median)
    spread_rows = _centred_windows(deviation, SPREAD_HALF_WIDTH)

    def quartile_deviation(rows: np.ndarray) -> np.ndarray:
        q1, q3 = np.nanpercentile(rows, [25, 75], axis=1)
        return (q3 - q1) / 2

    spread = _nan_stat(spread_rows, quartile_deviation)
    threshold = np.clip(
        SPREAD_FACTOR * spread,
        MIN_RELATIVE_DEVIATION * local_median,
        MAX_RELATIVE_DEVIATION * local_median,
    )
    with np.errstate(invalid="ignore"):
        return np.isfinite(rr) & np.isfinite(threshold) & (deviation > threshold)


def clean_rr(
    rr_s: np.ndarray, min_s: float = RR_MIN_S, max_s: float = RR_MAX_S
) -> tuple[np.ndarray, np.ndarray, float]:
    """Reject implausible intervals.

    Returns (cleaned, kept, share): `cleaned` is `rr_s` with NaN wherever an interval was
    rejected (same length, so adjacency is preserved), `kept` the boolean mask of intervals
    kept, and `share` the fraction of known (non-NaN) input intervals that were rejected
    (NaN when there were none). NaN inputs stay NaN and do not count.
    """
    rr = np.asarray(rr_s, dtype=float).copy()
    known = np.isfinite(rr)
    n_known = int(np.count_nonzero(known))
    with np.errstate(invalid="ignore"):
        out_of_range = known & ((rr < min_s) | (rr > max_s))
    rr[out_of_range] = np.nan
    if np.count_nonzero(np.isfinite(rr)) >= MIN_FOR_LOCAL_TEST:
        # Two passes: a gross outlier (a missed beat) inflates the spread its neighbours see.
        for _ in range(2):
            outliers = _reject_local_outliers(rr)
            if not np.any(outliers):
                break
            rr[outliers] = np.nan
    kept = np.isfinite(rr)
    share = (n_known - int(np.count_nonzero(kept))) / n_known if n_known else float("nan")
    return rr, kept, share

"""Ectopic, missed and extra beats in an RR series: found and corrected.

Classification follows Lipponen & Tarvainen 2019, "A robust algorithm for heart rate variability
time series artefact correction using novel beat classification", J Med Eng Technol 43(3):
173-181 (their Figure 1). Each interval's successive difference (dRR) and its deviation from an
11-beat median (mRR) are scaled by a time-varying threshold (α × quartile deviation over 91
beats); an ectopic beat shows as a short-long (or long-short) pair in the (dRR, dRR neighbour)
subspace, a missed beat as an interval about twice the median, an extra beat as two intervals
that add up to one.

Correction keeps the series' duration: a missed beat's interval is split in equal parts, an
extra beat's two intervals are merged, an ectopic or lone long/short beat is moved to the middle
of its neighbours (both intervals take their mean). Whatever still lies outside the
physiological range afterwards is rejected (NaN); nothing is ever invented across a NaN break.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

RR_MIN_S = 0.3  # 200 bpm
RR_MAX_S = 2.0  # 30 bpm
C1 = 0.13  # ectopic decision boundary slope (their c1)
C2 = 0.17  # … and offset (their c2)
ALPHA = 5.2  # threshold = α × quartile deviation
THRESHOLD_WIDTH = 91  # beats over which the quartile deviation is taken
MEDIAN_WIDTH = 11  # beats of the local median RR
MRR_LIMIT = 3.0  # |mRR| above this (in thresholds): a long or short beat
MIN_THRESHOLD_S = 0.05  # never flag smaller deviations: timing jitter of a 64-100 Hz PPG
MIN_SEGMENT = 5  # shorter stretches between breaks: only the physiological range applies


@dataclass(frozen=True)
class RrCorrection:
    rr_s: np.ndarray  # corrected series, NaN breaks kept (length may differ from the input)
    n_input: int  # known intervals in the input
    ectopic: int
    missed: int
    extra: int
    long_short: int
    rejected: int  # outside the physiological range even after correction

    @property
    def corrected_share(self) -> float:
        """Share of the input's known intervals corrected or rejected (0 when none known)."""
        if self.n_input == 0:
            return 0.0
        touched = 2 * self.ectopic + self.missed + 2 * self.extra + self.long_short
        return min(1.0, (touched + self.rejected) / self.n_input)


def _rolling(x: np.ndarray, width: int) -> np.ndarray:
    """Centred windows of `x`, edge values repeated, shape (len(x), width) (width odd)."""
    half = width // 2
    padded = np.concatenate((np.full(half, x[0]), x, np.full(half, x[-1])))
    return sliding_window_view(padded, width)


def _row_percentile(sorted_rows: np.ndarray, share: float) -> np.ndarray:
    """np.percentile(rows, 100 * share, axis=1) (its default linear method, the same float
    operations) of rows already sorted: one sort serves both quartiles, and the stream calls
    this too often for np.percentile's own overhead."""
    last = sorted_rows.shape[1] - 1
    virtual = last * share
    below = min(math.floor(virtual), last)
    a, b = sorted_rows[:, below], sorted_rows[:, min(below + 1, last)]
    gamma = virtual - below
    if gamma >= 0.5:
        return b - (b - a) * (1 - gamma)
    return a + (b - a) * gamma


def _threshold(x: np.ndarray, width: int) -> np.ndarray:
    width = min(width, (x.size // 2) * 2 + 1)
    rows = np.sort(_rolling(np.abs(x), width), axis=1)
    q1, q3 = _row_percentile(rows, 0.25), _row_percentile(rows, 0.75)
    return np.maximum(ALPHA * (q3 - q1) / 2, MIN_THRESHOLD_S)


def classify(rr: np.ndarray) -> dict[str, list[int]]:
    """Indices of ectopic, missed, extra and long/short intervals in a finite RR series (s)."""
    rr = np.asarray(rr, dtype=float)
    found: dict[str, list[int]] = {"ectopic": [], "missed": [], "extra": [], "long_short": []}
    n = rr.size
    if n < MIN_SEGMENT:
        return found
    drrs = np.diff(rr, prepend=rr[0])
    drrs[0] = np.mean(drrs[1:])
    th1 = _threshold(drrs, THRESHOLD_WIDTH)
    drrs = drrs / th1
    pad = np.pad(drrs, 2, mode="reflect")
    prev_, next_, next2 = pad[1:-3], pad[3:-1], pad[4:]
    s12 = np.where(
        drrs > 0, np.maximum(prev_, next_), np.where(drrs < 0, np.minimum(prev_, next_), 0)
    )
    s22 = np.where(drrs >= 0, np.minimum(next_, next2), np.maximum(next_, next2))
    median_width = min(MEDIAN_WIDTH, (n // 2) * 2 + 1)  # odd: the median is the middle value
    medrr = np.sort(_rolling(rr, median_width), axis=1)[:, median_width // 2]
    mrrs = rr - medrr
    mrrs[mrrs < 0] *= 2
    th2 = _threshold(mrrs, THRESHOLD_WIDTH)
    mrrs = mrrs / th2
    candidates = np.flatnonzero((np.abs(drrs) > 1) | (np.abs(mrrs) > MRR_LIMIT))
    for i in candidates[candidates < n - 2]:
        d = drrs[i]
        if (d > 1 and s12[i] < -C1 * d - C2) or (d < -1 and s12[i] > -C1 * d + C2):
            found["ectopic"].append(int(i))
            continue
        js = [int(i)] + ([int(i) + 1] if abs(drrs[i + 1]) < abs(drrs[i + 2]) else [])
        for j in js:
            long_, short_ = drrs[j] > 1 and s22[j] < -1, drrs[j] < -1 and s22[j] > 1
            if not (long_ or short_ or abs(mrrs[j]) > MRR_LIMIT):
                continue
            if short_ and abs(rr[j] + rr[j + 1] - medrr[j]) < th2[j]:
                found["extra"].append(j)
            elif long_ and abs(rr[j] / 2 - medrr[j]) < th2[j]:
                found["missed"].append(j)
            else:
                found["long_short"].append(j)
    return {k: sorted(set(v)) for k, v in found.items()}


def _misaligned_pair(rr: np.ndarray, i: int) -> int:
    """First index of the interval pair around a misplaced beat near `i`: the pair whose
    sum is closest to two local medians (the beat between them is the one out of place)."""
    if i == 0:
        return 0
    if i + 1 >= rr.size:
        return i - 1
    med = np.median(rr[max(0, i - MEDIAN_WIDTH // 2) : i + MEDIAN_WIDTH // 2 + 1])
    before = abs(rr[i - 1] + rr[i] - 2 * med)
    after = abs(rr[i] + rr[i + 1] - 2 * med)
    return i - 1 if before < after else i


def _correct_segment(rr: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    kinds = classify(rr)
    action: dict[int, str] = {}
    for kind in ("ectopic", "long_short"):
        for i in kinds[kind]:
            action.setdefault(_misaligned_pair(rr, i), kind)
    for kind in ("missed", "extra"):  # a sure diagnosis overrides a misalignment
        for i in kinds[kind]:
            action[i] = kind
    counts = {k: 0 for k in kinds}
    out: list[float] = []
    i = 0
    while i < rr.size:
        kind = action.get(i)
        if kind == "missed":
            parts = max(2, round(rr[i] / np.median(rr)))
            out.extend([rr[i] / parts] * parts)
        elif kind is not None and i + 1 < rr.size:
            if kind == "extra":
                out.append(rr[i] + rr[i + 1])
            else:  # move the beat between intervals i and i+1 to their midpoint
                out.extend([(rr[i] + rr[i + 1]) / 2] * 2)
            i += 1
        else:
            kind = None
            out.append(rr[i])
        if kind is not None:
            counts[kind] += 1
        i += 1
    return np.asarray(out), counts


def correct_rr(rr_s: np.ndarray) -> RrCorrection:
    """Correct an RR series (s, NaN = break): each stretch between breaks on its own."""
    rr = np.asarray(rr_s, dtype=float)
    known = np.isfinite(rr)
    totals = {"ectopic": 0, "missed": 0, "extra": 0, "long_short": 0}
    pieces: list[np.ndarray] = []
    edges = np.diff(np.concatenate(([0], known.astype(np.int8), [0])))
    prev_end = 0
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        pieces.append(np.full(a - prev_end, np.nan))
        corrected, counts = _correct_segment(rr[a:b])
        pieces.append(corrected)
        for k, v in counts.items():
            totals[k] += v
        prev_end = b
    pieces.append(np.full(rr.size - prev_end, np.nan))
    out = np.concatenate(pieces) if pieces else np.empty(0)
    with np.errstate(invalid="ignore"):
        out_of_range = np.isfinite(out) & ((out < RR_MIN_S) | (out > RR_MAX_S))
    out[out_of_range] = np.nan
    return RrCorrection(
        rr_s=out,
        n_input=int(np.count_nonzero(known)),
        rejected=int(np.count_nonzero(out_of_range)),
        **totals,
    )

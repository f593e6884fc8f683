"""The affect model's input vector, computed the same way in training and on the device.

Inputs are the session's WindowFeatures, in order, and the listener's calibration windows.
Each window becomes a few deviations from the listener's own calibration baseline (people
differ far more from each other than a session moves them), then temporal context: the same
deviations as they were over the last five minutes, and where the present stands between the
lowest and highest the session has reached so far in windows of usable quality. Missing values
(no sensor, poor signal) become 0, i.e. "as at baseline".
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from appliance.signals.features import WindowFeatures
from appliance.vocabulary import USABLE_QUALITY

SCL_FLOOR_US = 0.05  # added to skin conductance before ratios: near-zero EDA stays finite
RATIO_LIMIT = 3.0  # |log ratio| and relative changes are clipped here
SCR_LIMIT_PER_MIN = 20.0

BASE_FEATURES = (
    "hr_rel",  # HR / baseline HR − 1
    "ln_rmssd_ratio",  # ln(RMSSD / baseline RMSSD)
    "ln_scl_ratio",  # ln((SCL + floor) / (baseline SCL + floor))
    "scl_slope_rel",  # SCL slope per minute over (baseline SCL + floor)
    "scr_delta_per_min",  # SCR rate − baseline SCR rate
)
# Temporal context: each feature as it was this long ago (s). Stress builds and fades over
# minutes while one window is noisy; the recent course tells onset from a passing blip. Heart
# rate and skin conductance carry most of the signal, so they get the longest memory; RMSSD
# from a wrist or finger PPG carries little (docs/model.md) and gets the shortest. Fewer
# inputs generalise better across people here: the full 6 × 8 grid scored AUROC 0.02 lower.
LAGS_S = {
    "hr_rel": (0, 30, 60, 120, 180, 300),
    "ln_rmssd_ratio": (0, 60),
    "ln_scl_ratio": (0, 30, 60, 120, 180, 300),
    "scl_slope_rel": (0, 60, 120),
    "scr_delta_per_min": (0, 60, 120),
}
LAG_TOLERANCE_S = 15.0  # the window ending closest to (now − lag), if this close
HISTORY_S = max(max(lags) for lags in LAGS_S.values()) + LAG_TOLERANCE_S
# The session's course so far: each of these, smoothed over the last SMOOTH_S, minus its lowest
# and minus its highest value since the session began. After a stressful spell heart rate and
# skin conductance stay above the calibration baseline for minutes while already falling from
# their peak; "below the session's peak" tells that recovery from the stress itself, which a
# baseline alone cannot (Stress-Predict, leave-one-subject-out: AUROC +0.04, docs/model.md).
COURSE_FEATURES = ("hr_rel", "ln_rmssd_ratio", "ln_scl_ratio", "scr_delta_per_min")
COURSE_INDEX = [BASE_FEATURES.index(n) for n in COURSE_FEATURES]
# Only windows of usable quality move the session's lowest and highest: one artefact (a motion
# burst read as a fast pulse) would otherwise set a peak the rest of the session is measured
# against (leave-one-subject-out: balanced accuracy +0.016, AUROC +0.018, docs/model.md).
COURSE_QUALITY = ("ppg_quality", "ppg_quality", "eda_quality", "eda_quality")
COURSE_NAMES = tuple(f"{n}-session_{end}" for n in COURSE_FEATURES for end in ("min", "max"))
SMOOTH_S = 30.0
# How far below the peak HR and SCL were over the last minutes: whether a recovery is under
# way or the fall has stalled (leave-one-subject-out: balanced accuracy +0.02, docs/model.md).
COURSE_LAGS_S = {
    "hr_rel-session_max": (30, 60, 120, 180),
    "ln_scl_ratio-session_max": (30, 60, 120, 180),
}


def feature_names() -> tuple[str, ...]:
    lagged = tuple(f"{n}@{lag}s" if lag else n for n in BASE_FEATURES for lag in LAGS_S[n])
    lagged_course = tuple(f"{n}@{lag}s" for n, lags in COURSE_LAGS_S.items() for lag in lags)
    return lagged + COURSE_NAMES + lagged_course


FEATURE_NAMES = feature_names()
_ALL_LAGS = sorted({lag for lags in (*LAGS_S.values(), *COURSE_LAGS_S.values()) for lag in lags})


@dataclass(frozen=True)
class FeatureBaseline:
    hr_bpm: float = math.nan
    rmssd_ms: float = math.nan
    scl_us: float = math.nan
    scr_per_min: float = math.nan

    @classmethod
    def from_windows(cls, windows: list[WindowFeatures]) -> FeatureBaseline:
        """Medians over the calibration windows of usable quality, per channel."""
        ppg = _usable(windows, "ppg_quality")
        eda = _usable(windows, "eda_quality")
        return cls(
            hr_bpm=_median(w.hr_bpm for w in ppg),
            rmssd_ms=_median(w.rmssd_ms for w in ppg),
            scl_us=_median(w.scl_us for w in eda),
            scr_per_min=_median(w.scr_per_min for w in eda),
        )


def _usable(windows: list[WindowFeatures], quality: str) -> list[WindowFeatures]:
    good = [w for w in windows if getattr(w, quality) >= USABLE_QUALITY]
    return good if good else list(windows)


def _median(values) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.median(finite)) if finite else math.nan


def _log_ratio(value: float, base: float, floor: float = 0.0) -> float:
    if (
        not (math.isfinite(value) and math.isfinite(base))
        or value + floor <= 0
        or base + floor <= 0
    ):
        return math.nan
    return math.log((value + floor) / (base + floor))


def window_vector(w: WindowFeatures, base: FeatureBaseline) -> np.ndarray:
    """The base features of one window against the baseline (NaN where unknown)."""
    hr_rel = w.hr_bpm / base.hr_bpm - 1.0 if base.hr_bpm > 0 else math.nan
    scl_scale = base.scl_us + SCL_FLOOR_US
    v = np.array(
        [
            hr_rel,
            _log_ratio(w.rmssd_ms, base.rmssd_ms),
            _log_ratio(w.scl_us, base.scl_us, SCL_FLOOR_US),
            w.scl_slope_us_per_min / scl_scale if scl_scale > 0 else math.nan,
            w.scr_per_min - base.scr_per_min,
        ],
        dtype=np.float64,
    )
    limits = np.array([RATIO_LIMIT] * 4 + [SCR_LIMIT_PER_MIN])
    return np.clip(v, -limits, limits)


class ContextFeatures:
    """Turns a session's windows, one at a time and in order, into model input vectors."""

    def __init__(self, baseline: FeatureBaseline) -> None:
        self.baseline = baseline
        # (t_end, base deviations, course, course channels usable) per window of the last
        # HISTORY_S
        self._history: deque[tuple[float, np.ndarray, np.ndarray, np.ndarray]] = deque()
        self._low = np.full(len(COURSE_FEATURES), np.inf)
        self._high = np.full(len(COURSE_FEATURES), -np.inf)

    def push(self, w: WindowFeatures) -> np.ndarray:
        """The full input vector (len(FEATURE_NAMES), float32, no NaN) for window `w`."""
        t = float(w.t_end)
        base = window_vector(w, self.baseline)
        usable = np.array([getattr(w, q) >= USABLE_QUALITY for q in COURSE_QUALITY])
        course = self._course(t, base, usable)
        self._history.append((t, base, course, usable))
        while self._history and self._history[0][0] < t - HISTORY_S:
            self._history.popleft()
        past = {lag: self._at(t - lag) for lag in _ALL_LAGS}
        parts = [
            np.array([past[lag][1][i] if past[lag] else np.nan for lag in LAGS_S[name]])
            for i, name in enumerate(BASE_FEATURES)
        ]
        parts.append(course)
        for name, lags in COURSE_LAGS_S.items():
            i = COURSE_NAMES.index(name)
            parts.append(np.array([past[lag][2][i] if past[lag] else np.nan for lag in lags]))
        return np.nan_to_num(np.concatenate(parts), nan=0.0).astype(np.float32)

    def _course(self, t: float, base: np.ndarray, usable: np.ndarray) -> np.ndarray:
        """(smoothed − session low, smoothed − session high) per course feature, NaN if
        unknown; `base` is the window ending at `t` and `usable` its channels' verdicts, not
        yet in the history. The low and high are of the usable windows' smoothed values."""
        recent = [(v[COURSE_INDEX], ok) for tt, v, _, ok in self._history if tt > t - SMOOTH_S]
        values = np.array([*(v for v, _ in recent), base[COURSE_INDEX]])
        ok = np.array([*(ok for _, ok in recent), usable])
        smoothed = _column_means(values)
        clean = _column_means(np.where(ok, values, np.nan))
        moves = usable & np.isfinite(clean)
        self._low = np.where(moves, np.fmin(self._low, clean), self._low)
        self._high = np.where(moves, np.fmax(self._high, clean), self._high)
        # Until a usable window has set them, the present is its own low and high.
        low = np.where(np.isfinite(self._low), self._low, smoothed)
        high = np.where(np.isfinite(self._high), self._high, smoothed)
        return np.column_stack([smoothed - low, smoothed - high]).reshape(-1)

    def _at(self, t: float) -> tuple[float, np.ndarray, np.ndarray, np.ndarray] | None:
        """The history entry of the window ending closest to `t`, if within LAG_TOLERANCE_S."""
        best, best_dt = None, LAG_TOLERANCE_S + 1e-9
        for entry in reversed(self._history):
            tt = entry[0]
            dt = abs(tt - t)
            if dt < best_dt:
                best, best_dt = entry, dt
            elif tt < t:
                break
        return best


def _column_means(values: np.ndarray) -> np.ndarray:
    """Each column's mean over its finite values, NaN for a column with none."""
    finite = np.isfinite(values)
    n = finite.sum(axis=0)
    total = np.where(finite, values, 0.0).sum(axis=0)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def session_vectors(
    windows: list[WindowFeatures], calibration_s: float
) -> tuple[np.ndarray, np.ndarray, FeatureBaseline]:
    """Input vectors of every window ending after the calibration, with a mask of which
    windows they belong to. The baseline comes from windows ending within calibration_s."""
    calibration = [w for w in windows if w.t_end <= calibration_s]
    base = FeatureBaseline.from_windows(calibration)
    ctx = ContextFeatures(base)
    rows, mask = [], np.zeros(len(windows), dtype=bool)
    for i, w in enumerate(windows):
        vec = ctx.push(w)
        if w.t_end > calibration_s:
            rows.append(vec)
            mask[i] = True
    x = np.array(rows, dtype=np.float32).reshape(-1, len(FEATURE_NAMES))
    return x, mask, base

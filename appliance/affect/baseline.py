"""The listener's own calibration baseline.

Rule-based arousal compares each window with the same listener's calibration minutes: people
differ far more from each other than a session moves them (resting HR 50-100 bpm, RMSSD
10-100 ms, skin conductance 1-20 µS), so within-person deviations carry the signal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from appliance.signals.features import WindowFeatures
from appliance.vocabulary import USABLE_QUALITY  # a channel's poorer windows set no baseline

# Spread floors: calibration windows overlap and barely vary, so their own spread would make
# every later wobble look huge. Floors are about a typical within-session swing.
HR_SPREAD_FLOOR_BPM = 4.0
RMSSD_SPREAD_FLOOR_MS = 4.0
RMSSD_SPREAD_FLOOR_SHARE = 0.15  # of the baseline RMSSD (its variability scales with it)
SCL_SPREAD_FLOOR_US = 0.5
SCL_SPREAD_FLOOR_SHARE = 0.10
SCR_SPREAD_FLOOR_PER_MIN = 1.5


@dataclass(frozen=True)
class Baseline:
    hr_bpm: float = math.nan
    rmssd_ms: float = math.nan
    scl_us: float = math.nan
    scr_per_min: float = math.nan
    hr_spread_bpm: float = HR_SPREAD_FLOOR_BPM
    rmssd_spread_ms: float = RMSSD_SPREAD_FLOOR_MS
    scl_spread_us: float = SCL_SPREAD_FLOOR_US
    scr_spread_per_min: float = SCR_SPREAD_FLOOR_PER_MIN
    n_ppg_windows: int = 0
    n_eda_windows: int = 0

    def describe(self) -> str:
        """One line for the session record, e.g. "HR 72.1 bpm, RMSSD 41.0 ms, SCL 2.3 µS"."""
        hr, rmssd, scl = (round_for_record(v) for v in (self.hr_bpm, self.rmssd_ms, self.scl_us))
        return f"HR {hr} bpm, RMSSD {rmssd} ms, SCL {scl} µS"

    @classmethod
    def from_windows(cls, windows: list[WindowFeatures]) -> Baseline:
        """Medians of the usable calibration windows, per channel; a channel with no usable
        window falls back to any window with a value, then to NaN (the estimator skips it)."""
        ppg = _usable(windows, lambda w: w.ppg_quality)
        eda = _usable(windows, lambda w: w.eda_quality)
        hr, hr_spread = _median_spread([w.hr_bpm for w in ppg], HR_SPREAD_FLOOR_BPM, 0.0)
        rmssd, rmssd_spread = _median_spread(
            [w.rmssd_ms for w in ppg], RMSSD_SPREAD_FLOOR_MS, RMSSD_SPREAD_FLOOR_SHARE
        )
        scl, scl_spread = _median_spread(
            [w.scl_us for w in eda], SCL_SPREAD_FLOOR_US, SCL_SPREAD_FLOOR_SHARE
        )
        scr, scr_spread = _median_spread(
            [w.scr_per_min for w in eda], SCR_SPREAD_FLOOR_PER_MIN, 0.0
        )
        return cls(
            hr_bpm=hr,
            rmssd_ms=rmssd,
            scl_us=scl,
            scr_per_min=scr,
            hr_spread_bpm=hr_spread,
            rmssd_spread_ms=rmssd_spread,
            scl_spread_us=scl_spread,
            scr_spread_per_min=scr_spread,
            n_ppg_windows=sum(math.isfinite(w.hr_bpm) for w in ppg),
            n_eda_windows=sum(math.isfinite(w.scl_us) for w in eda),
        )


def round_for_record(x: float | None) -> float | None:
    """A figure as the session record keeps it: one decimal, None when unknown."""
    return None if x is None or math.isnan(x) else round(x, 1)


def _usable(windows: list[WindowFeatures], quality_of) -> list[WindowFeatures]:
    good = [w for w in windows if quality_of(w) >= USABLE_QUALITY]
    return good if good else list(windows)


def _median_spread(values: list[float], floor: float, floor_share: float) -> tuple[float, float]:
    """Median and a robust spread (1.4826·MAD), the spread floored; NaN median if no values."""
    finite = np.array([v for v in values if math.isfinite(v)], dtype=np.float64)
    if len(finite) == 0:
        return math.nan, floor
    median = float(np.median(finite))
    mad = 1.4826 * float(np.median(np.abs(finite - median)))
    return median, max(mad, floor, floor_share * abs(median))

"""How a measure changed over a session: one definition for the summary, the report and the CLI.

The start is the median over a span at the session's beginning, the end the median over its last
minutes, each from windows of usable quality only, and each carries the mean quality it rests
on. Heart rate starts from the calibration minutes (the listener's baseline); arousal exists
only once calibration has set a baseline, so it starts from the first minute after it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from appliance.vocabulary import USABLE_QUALITY

START_SPAN_S = 60.0  # arousal: the first minute of estimates after calibration
END_SPAN_S = 120.0  # the end: the last two minutes with a usable window


@dataclass(frozen=True)
class Change:
    """A measure at the start and at the end (None: no usable window there), with the mean
    signal quality (0-1) of the windows each rests on."""

    start: float | None = None
    end: float | None = None
    start_quality: float | None = None
    end_quality: float | None = None

    @property
    def delta(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return self.end - self.start

    @property
    def quality(self) -> float | None:
        """The poorer of the two spans' qualities: what the change as a whole rests on."""
        if self.start_quality is None or self.end_quality is None:
            return None
        return min(self.start_quality, self.end_quality)


def span_change(
    t_s: np.ndarray,
    values: np.ndarray,
    quality: np.ndarray,
    start_span: tuple[float, float],
    end_span_s: float = END_SPAN_S,
) -> Change:
    """Median of the usable values within `start_span` (seconds, inclusive) vs over the last
    `end_span_s` of usable values after it."""
    t_s, values, quality = (np.asarray(a, dtype=float) for a in (t_s, values, quality))
    ok = np.isfinite(values) & (quality >= USABLE_QUALITY)
    if not ok.any():
        return Change()
    at_start = ok & (t_s >= start_span[0]) & (t_s <= start_span[1])
    t_last = float(t_s[ok].max())
    at_end = ok & (t_s > start_span[1]) & (t_s >= t_last - end_span_s)
    start, start_q = _median_and_quality(values, quality, at_start)
    end, end_q = _median_and_quality(values, quality, at_end)
    return Change(start, end, start_q, end_q)


def heart_rate_change(
    t_s: np.ndarray, hr_bpm: np.ndarray, ppg_quality: np.ndarray, calibration: tuple[float, float]
) -> Change:
    """The calibration minutes' heart rate against the last minutes'."""
    return span_change(t_s, hr_bpm, ppg_quality, calibration)


def arousal_change(
    t_s: np.ndarray, arousal: np.ndarray, quality: np.ndarray, calibration_end_s: float
) -> Change:
    """The first minute of estimates after calibration against the last minutes'."""
    return span_change(t_s, arousal, quality, (calibration_end_s, calibration_end_s + START_SPAN_S))


def _median_and_quality(
    values: np.ndarray, quality: np.ndarray, chosen: np.ndarray
) -> tuple[float | None, float | None]:
    if not chosen.any():
        return None, None
    median = float(np.median(values[chosen]))
    return median, float(np.mean(quality[chosen])) if math.isfinite(median) else None


# The measures of a session's outcome: (name, value column, quality column, unit). Heart rate,
# RMSSD and skin conductance start from the calibration minutes; arousal from the minute after.
MEASURES: tuple[tuple[str, str, str, str], ...] = (
    ("heart_rate", "hr_bpm", "ppg_quality", "bpm"),
    ("rmssd", "rmssd_ms", "ppg_quality", "ms"),
    ("scl", "scl_us", "eda_quality", "µS"),
    ("scr_rate", "scr_per_min", "eda_quality", "/min"),
    ("arousal", "arousal", "quality", ""),
)
CALM_SPAN_S = 60.0  # time to calm: a whole minute's median, so one low window does not count


def session_changes(
    columns: Mapping[str, np.ndarray], calibration: tuple[float, float]
) -> dict[str, Change]:
    """Every measure's change over a session from its windows' columns (t_s and the columns
    MEASURES names), by the definitions above."""
    t_s = np.asarray(columns["t_s"], dtype=float)
    out: dict[str, Change] = {}
    for name, value, quality, _unit in MEASURES:
        if name == "arousal":
            out[name] = arousal_change(t_s, columns[value], columns[quality], calibration[1])
        else:
            out[name] = span_change(t_s, columns[value], columns[quality], calibration)
    return out


def time_to_calm(
    t_s: np.ndarray,
    arousal: np.ndarray,
    quality: np.ndarray,
    target: float | None,
    after_s: float,
) -> float | None:
    """Minutes from the session's start to the end of the first whole minute after `after_s`
    (calibration) whose median usable arousal is at or below `target` (the arc's deepest
    target). None: no target, or never reached."""
    if target is None or not math.isfinite(target):
        return None
    t_s, arousal, quality = (np.asarray(a, dtype=float) for a in (t_s, arousal, quality))
    ok = np.isfinite(arousal) & (quality >= USABLE_QUALITY) & (t_s > after_s)
    if not ok.any():
        return None
    minute = np.floor(t_s[ok] / CALM_SPAN_S).astype(int)
    values = arousal[ok]
    for m in np.unique(minute):  # ascending
        if float(np.median(values[minute == m])) <= target:
            return float((m + 1) * CALM_SPAN_S / 60.0)
    return None

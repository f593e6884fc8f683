"""A stored session as time series for reports (its outcome's figures: outcomes.py).

Pure functions over the store's row dicts: numpy arrays in, numbers out, no drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from appliance.signals.outcome import END_SPAN_S
from appliance.vocabulary import USABLE_QUALITY  # poorer windows are drawn as gaps

GAP_S = 30.0  # no window for longer than this: draw a gap, not a line across it
DEFAULT_CALIBRATION_S = 180.0  # when no decision is labelled 'calibration'


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    phase: str
    tempo_bpm: float
    alert: str | None


@dataclass(frozen=True)
class PhaseSpan:
    start_s: float
    end_s: float
    phase: str


def column(physiology: Sequence[dict[str, Any]], name: str) -> np.ndarray:
    """One column as float64, None → NaN."""
    return np.array([row.get(name) for row in physiology], dtype=float)


def segments(decisions: Sequence[dict[str, Any]]) -> list[Segment]:
    return [
        Segment(
            start_s=float(d["t_s"]),
            end_s=float(d["t_s"]) + float(d["duration_s"]),
            phase=str(d["phase"]),
            tempo_bpm=float(d["tempo_bpm"]),
            alert=d.get("alert"),
        )
        for d in decisions
    ]


def phase_spans(segs: Sequence[Segment]) -> list[PhaseSpan]:
    """Consecutive segments of one phase merged into one span."""
    spans: list[PhaseSpan] = []
    for seg in segs:
        if spans and spans[-1].phase == seg.phase:
            spans[-1] = PhaseSpan(spans[-1].start_s, seg.end_s, seg.phase)
        else:
            spans.append(PhaseSpan(seg.start_s, seg.end_s, seg.phase))
    return spans


def with_gaps(t_s: np.ndarray, *series: np.ndarray) -> tuple[np.ndarray, ...]:
    """Insert a NaN wherever windows are more than GAP_S apart, so a line breaks there."""
    if t_s.size < 2:
        return (t_s, *series)
    breaks = np.flatnonzero(np.diff(t_s) > GAP_S) + 1
    t_out = np.insert(t_s, breaks, t_s[breaks - 1] + GAP_S / 2)
    return (t_out, *(np.insert(s, breaks, np.nan) for s in series))


def trusted(values: np.ndarray, quality: np.ndarray) -> np.ndarray:
    """Values of good-quality windows; the others NaN."""
    return np.where(quality >= USABLE_QUALITY, values, np.nan)


def calibration_window(segs: Sequence[Segment]) -> tuple[float, float]:
    calibration = [s for s in segs if s.phase == "calibration"]
    if not calibration:
        return 0.0, DEFAULT_CALIBRATION_S
    return min(s.start_s for s in calibration), max(s.end_s for s in calibration)


def span_note() -> str:
    """What the headline's start and end are, for the line under it."""
    return (
        f"Heart rate: calibration vs last {END_SPAN_S / 60:.0f} min.   Arousal: first minute "
        f"after calibration vs last {END_SPAN_S / 60:.0f} min.   On arrival: calibration vs "
        "resting norms."
    )

"""How a session's arousal estimate followed the virtual listener's hidden truth."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from appliance.signals.outcome import END_SPAN_S, START_SPAN_S

CALIBRATION_S = 180.0  # the simulated sessions' calibration minutes


@dataclass(frozen=True)
class Tracking:
    """The estimate against the listener's hidden arousal over one session. The estimate's
    start, end and change are the session summary's own (one definition, signals/outcome.py);
    the truth is averaged over the same spans."""

    estimated_change: float
    true_change: float
    estimated_entry: float  # the summary's entry estimate (calibration against a reference)
    true_entry: float  # the hidden arousal over the calibration minutes the entry reads
    rank_correlation: float  # Spearman, estimate vs truth, every window after calibration
    entry_reference: int = 0  # earlier sessions of the listener the entry read (0: population)


def tracking(
    summary: dict[str, Any], t_s: np.ndarray, estimated: np.ndarray, truth: np.ndarray
) -> Tracking | None:
    """None when the session has no arousal change (no usable estimate at its start or end)."""
    from scipy.stats import spearmanr  # here: the service never needs scipy.stats

    if "arousal_change" not in summary:
        return None
    after = t_s >= CALIBRATION_S
    entry = after & (t_s <= CALIBRATION_S + START_SPAN_S)
    end = after & (t_s >= t_s.max() - END_SPAN_S)
    both = after & np.isfinite(estimated)
    rho = spearmanr(estimated[both], truth[both]).statistic if both.sum() >= 3 else math.nan
    return Tracking(
        estimated_change=float(summary["arousal_change"]),
        true_change=float(truth[end].mean() - truth[entry].mean()),
        estimated_entry=float(summary.get("arousal_entry", math.nan)),
        true_entry=float(truth[~after].mean()) if (~after).any() else math.nan,
        rank_correlation=float(rho),
        entry_reference=int(summary.get("entry_reference_sessions", 0)),
    )

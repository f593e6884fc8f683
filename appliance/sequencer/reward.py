"""A segment's reward: the listener's own standardised calming, plus what they told us.

Physiology: over the segment's last minutes against the listener's state on arrival (the
session's first minute, before the music has had much effect), HR down, RMSSD up, SCL slope down
and SCR rate down, each in units of this listener's calibration spread (Baseline), weighted as
the rule estimator weighs them. Against arrival rather than the segment's own start, because a
policy keeps one choice of music for a session: its effect is on the level the listener settles
at, which a segment-to-segment change would miss once they have settled. Rewards compare within
one person, because people differ far more from each other than a session moves them.
Poor-quality windows are left out; a segment without a usable arrival and end gives no reward
at all (None), so sensor trouble never teaches the bandit anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from appliance.affect.baseline import Baseline
from appliance.affect.rules import WEIGHTS
from appliance.signals.features import WindowFeatures
from appliance.vocabulary import USABLE_QUALITY

ARRIVAL_S = 60.0  # the session's first windows: the listener's state on arrival
OUTCOME_S = 60.0  # "the segment's last minutes": the windows ending in this span, at most
OUTCOME_SHARE = 0.5  # …and never more than this share of a short segment
LIKE_REWARD = 2.0  # the listener pressed "I like this": a strong positive
STOP_REWARD = -3.0  # stop or distress during the segment: a strong negative
REWARD_LIMIT = 4.0  # physiology alone never outweighs a button press
SCL_SLOPE_UNIT_MIN = 1.0  # SCL spread per this many minutes is one unit of slope


def _usable(windows: Sequence[WindowFeatures]) -> list[WindowFeatures]:
    return [w for w in windows if w.quality >= USABLE_QUALITY]


def _mean(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else math.nan


def calming_score(
    start: Sequence[WindowFeatures],
    end: Sequence[WindowFeatures],
    baseline: Baseline,
) -> float | None:
    """Standardised calming from the `start` windows to the `end` windows (+ = calmer)."""
    start, end = _usable(start), _usable(end)
    if not start or not end:
        return None
    terms: dict[str, float] = {}

    def change(name: str) -> float:
        return _mean([getattr(w, name) for w in end]) - _mean([getattr(w, name) for w in start])

    d_hr = change("hr_bpm")
    if math.isfinite(d_hr):
        terms["hr"] = -d_hr / baseline.hr_spread_bpm
    d_rmssd = change("rmssd_ms")
    if math.isfinite(d_rmssd):
        terms["rmssd"] = d_rmssd / baseline.rmssd_spread_ms
    slope = _mean([w.scl_slope_us_per_min for w in end])
    if math.isfinite(slope):
        terms["scl"] = -slope * SCL_SLOPE_UNIT_MIN / baseline.scl_spread_us
    d_scr = change("scr_per_min")
    if math.isfinite(d_scr):
        terms["scr"] = -d_scr / baseline.scr_spread_per_min
    if not terms:
        return None
    total = sum(WEIGHTS[k] for k in terms)
    score = sum(WEIGHTS[k] * v for k, v in terms.items()) / total
    return max(-REWARD_LIMIT, min(REWARD_LIMIT, score))


def outcome_windows(
    windows: Sequence[WindowFeatures], session_t0: float, start_t: float, end_t: float
) -> tuple[list[WindowFeatures], list[WindowFeatures]]:
    """(arrival, end) windows for a segment [start_t, end_t] (window end times): arrival, the
    windows ending in the session's first ARRIVAL_S; end, the windows ending in the segment's
    last OUTCOME_S (at most OUTCOME_SHARE of it)."""
    before = [w for w in windows if w.t_end <= session_t0 + ARRIVAL_S + 1e-6]
    span = min(OUTCOME_S, OUTCOME_SHARE * max(end_t - start_t, 0.0))
    end = [w for w in windows if end_t - span - 1e-6 <= w.t_end <= end_t + 1e-6]
    return before, end


def segment_reward(
    start: Sequence[WindowFeatures],
    end: Sequence[WindowFeatures],
    baseline: Baseline | None,
    *,
    liked: bool = False,
    stopped: bool = False,
    direction: float = 1.0,
) -> float | None:
    """The reward of one segment; `direction` -1 rewards activation (a J's rise) instead.
    A stop or distress is always negative; a like adds to whatever the physiology says (and
    counts alone when the physiology is unusable)."""
    if stopped:
        return STOP_REWARD
    score = None if baseline is None else calming_score(start, end, baseline)
    if score is not None:
        score *= direction
    if liked:
        return LIKE_REWARD + (score or 0.0)
    return score

"""Segment rewards: standardised calming against arrival, buttons, poor windows."""

from __future__ import annotations

import dataclasses
import math

from appliance.affect.baseline import Baseline
from appliance.sequencer.reward import (
    LIKE_REWARD,
    STOP_REWARD,
    calming_score,
    outcome_windows,
    segment_reward,
)
from appliance.signals.features import WindowFeatures

BASE = Baseline(hr_bpm=80, rmssd_ms=30, scl_us=5, scr_per_min=4)


def w(t: float, hr: float, rmssd: float = 30, slope: float = 0.0, scr: float = 4, q: float = 0.9):
    return WindowFeatures(
        t_end=t,
        window_s=60,
        hr_bpm=hr,
        rmssd_ms=rmssd,
        scl_us=5.0,
        scl_slope_us_per_min=slope,
        scr_per_min=scr,
        ppg_quality=q,
        eda_quality=q,
    )


def test_calming_is_positive_and_arousal_negative() -> None:
    arrive = [w(40, 85, 28, 0.0, 5)]
    calmer = [w(600, 75, 36, -0.2, 2)]
    tenser = [w(600, 95, 22, 0.3, 8)]
    assert calming_score(arrive, calmer, BASE) > 1.0
    assert calming_score(arrive, tenser, BASE) < -1.0
    # Each signal on its own points the documented way.
    assert calming_score([w(0, 85)], [w(1, 80)], BASE) > 0  # HR down
    assert calming_score([w(0, 85, 30)], [w(1, 85, 35)], BASE) > 0  # RMSSD up
    assert calming_score([w(0, 85)], [w(1, 85, slope=-0.5)], BASE) > 0  # SCL falling
    assert calming_score([w(0, 85, scr=6)], [w(1, 85, scr=3)], BASE) > 0  # fewer SCRs


def test_poor_quality_windows_give_no_reward() -> None:
    assert calming_score([w(0, 85)], [w(600, 70, q=0.2)], BASE) is None
    assert segment_reward([w(0, 85, q=0.1)], [w(600, 70)], BASE) is None
    assert segment_reward([w(0, 85)], [w(600, 70)], None) is None


def test_buttons_dominate() -> None:
    start, end = [w(0, 85)], [w(600, 95)]
    assert segment_reward(start, end, BASE, stopped=True) == STOP_REWARD
    liked = segment_reward(start, end, BASE, liked=True)
    assert liked is not None and liked > LIKE_REWARD - 3
    assert segment_reward([w(0, 85, q=0.1)], end, BASE, liked=True) == LIKE_REWARD
    rising = segment_reward(start, [w(600, 75)], BASE, direction=-1.0)
    assert rising is not None and rising < 0  # a J's rise rewards activation instead


def test_outcome_windows_are_arrival_and_the_segments_last_minute() -> None:
    windows = [w(t, 80) for t in range(20, 800, 5)]
    arrival, end = outcome_windows(windows, 0.0, 300.0, 420.0)
    assert [x.t_end for x in arrival] == list(range(20, 61, 5))
    assert min(x.t_end for x in end) == 360 and max(x.t_end for x in end) == 420
    _, short = outcome_windows(windows, 0.0, 300.0, 340.0)
    assert min(x.t_end for x in short) == 320  # never more than half a short segment
    assert not math.isnan(calming_score(arrival, end, BASE) or 0.0)


def test_hrv_of_an_irregular_rhythm_is_ignored() -> None:
    # AF set in: the window's HRV is left out (NaN) and flagged; its heart rate still counts.
    def irregular(t: float, hr: float):
        return dataclasses.replace(w(t, hr), rmssd_ms=math.nan, irregular_rhythm=True)

    arrive = [w(40, 85, rmssd=30)]
    hr_only = calming_score([w(40, 85, rmssd=math.nan)], [w(600, 80, rmssd=math.nan)], BASE)
    assert calming_score(arrive, [irregular(600, 80)], BASE) == hr_only
    # An irregular window among regular ones: the mean RMSSD is the regular windows' alone.
    mixed = [w(580, 80, rmssd=36), irregular(600, 80)]
    assert calming_score(arrive, mixed, BASE) == calming_score(arrive, [w(590, 80, 36)], BASE)

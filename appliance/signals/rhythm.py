"""Irregular heart rhythm (atrial fibrillation, frequent ectopic beats) in one window's RR series.

HRV describes how the sinus node is modulated; in atrial fibrillation or with frequent ectopic
beats the intervals no longer come from the sinus node, and RMSSD and everything derived from
the RR variability say nothing about the listener's autonomic state. The window is then marked
irregular and its HRV left out; the heart rate stays.

All three criteria must hold, each from published AF screening on RR intervals:
- pRR31 ≥ 68.79 %: the share of successive differences of at least 31 ms. Buś, Jędrzejewski &
  Guzik 2022, "Statistical and diagnostic properties of pRRx parameters in atrial fibrillation
  detection", J Clin Med 11(19):5702: the best pRRx on 60 s ECG segments (Long-Term AF
  Database), cut-off 68.79 %, sensitivity 90.4 %, specificity 95.4 %.
- normalised RMSSD (RMSSD / mean RR) ≥ 0.10: Dash, Chon, Lu & Raeder 2009, "Automatic real time
  detection of atrial fibrillation", Ann Biomed Eng 37(9):1701-1709. pRR31 counts differences
  however small above 31 ms; a young listener's sinus arrhythmia (RMSSD 60-80 ms) reaches 70 %,
  but not a tenth of the mean interval.
- the series is as random as a random one: not fewer turning points than chance allows. For
  independent intervals the number of turning points (an interval above or below both
  neighbours) has mean 2(n−2)/3 and variance (16n−29)/90 (the turning point test, e.g.
  Brockwell & Davis 2002, Introduction to Time Series and Forecasting, §1.6; Dash et al. 2009
  use it as their randomness criterion); a sinus rhythm follows breathing smoothly and has far
  fewer (z ≈ −4 over a minute), AF and bigeminy as many or more.

The statistics are taken on the intervals as measured (rejected beats already NaN), before RR
correction: correction would move an ectopic beat back into line and hide frequent ectopy,
which the three criteria see as irregular (bigeminy alternates short and long). Occasional
single ectopic beats touch too few differences to reach 68.79 %.
"""

from __future__ import annotations

import math

import numpy as np

from appliance.signals.hrv import successive_differences_s

PRR_DIFFERENCE_S = 0.031  # pRR31 (Buś et al. 2022)
PRR_CUTOFF_PCT = 68.79  # … its optimal cut-off on 60 s segments
NORMALISED_RMSSD_MIN = 0.10  # RMSSD / mean RR (Dash et al. 2009)
TURNING_POINT_Z_MIN = -1.96  # fewer turning points than this (two-sided 5 %): not random
MIN_DIFFERENCES = 20  # fewer successive differences in a window: no verdict


def _runs(rr: np.ndarray) -> list[np.ndarray]:
    """The stretches of known intervals between NaN breaks."""
    known = np.isfinite(rr).astype(np.int8)
    edges = np.diff(np.concatenate(([0], known, [0])))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [rr[a:b] for a, b in zip(starts, stops, strict=True)]


def turning_point_z(rr_s: np.ndarray) -> float:
    """Standardised number of turning points over the stretches between breaks (NaN when no
    stretch has three intervals): 0 for a random series, strongly negative for a smooth one.
    Stretches are independent, so their means and variances add."""
    turns, mean, var = 0, 0.0, 0.0
    for x in _runs(np.asarray(rr_s, dtype=float)):
        n = x.size
        if n < 3:
            continue
        mid, before, after = x[1:-1], x[:-2], x[2:]
        peaks = (mid > before) & (mid > after)
        troughs = (mid < before) & (mid < after)
        turns += int(np.count_nonzero(peaks | troughs))
        mean += 2.0 * (n - 2) / 3.0
        var += (16.0 * n - 29.0) / 90.0
    return (turns - mean) / math.sqrt(var) if var > 0 else math.nan


def is_irregular(rr_s: np.ndarray) -> bool:
    """Whether a window's RR series (s, NaN = break) is an irregular rhythm; False when too few
    adjacent intervals are known to tell."""
    rr = np.asarray(rr_s, dtype=float)
    d = successive_differences_s(rr)
    if d.size < MIN_DIFFERENCES:
        return False
    if 100.0 * np.mean(np.abs(d) >= PRR_DIFFERENCE_S) < PRR_CUTOFF_PCT:
        return False
    mean_rr = float(np.nanmean(rr))
    if math.sqrt(float(np.mean(np.square(d)))) / mean_rr < NORMALISED_RMSSD_MIN:
        return False
    return turning_point_z(rr) >= TURNING_POINT_Z_MIN

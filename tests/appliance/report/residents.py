"""Simulated residents at the level of their records: sessions whose true calming is drawn from
a known distribution, written into a real store as a session would write them (physiology
windows through the store's own rows, the summary from the product's own outcome function).
The comparison and the trend report are then tested against a truth known exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from appliance.affect.estimate import AffectEstimate
from appliance.music.recipe import Recipe
from appliance.sequencer.decision import Decision
from appliance.signals.features import WindowFeatures
from appliance.signals.outcome import arousal_change, heart_rate_change
from appliance.store.db import Store

START = datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
SESSION_S = 1200.0
CALIBRATION_S = 180.0
STEP_S = 10.0


def record_session(
    store: Store,
    listener_id: str,
    *,
    day: int,
    calming: float,
    policy: str | None = "adaptive",
    randomised: bool = False,
    entry: float = 0.7,
    music: str | None = None,
    alerts: int = 0,
    rng: np.random.Generator,
) -> int:
    """One session whose estimated arousal falls by `calming` from the first minute after
    calibration to the last minutes (a smooth fall, a little window noise)."""
    with store.transaction():  # one commit for the whole session: one fsync, not hundreds
        sid = _record(store, listener_id, day, calming, policy, randomised, entry, rng)
        if music is not None:
            _decisions(store, sid, music)
        for n in range(alerts):
            store.add_event(sid, 600.0 + n, "staff_alert", "heart rate high for 60 s")
        return sid


def _decisions(store: Store, sid: int, music: str) -> None:
    """Calibration on the default arm, then the arc's steps on `music` (an arm key), with
    reasons worded as the sequencer words them."""
    instrument, mode, _texture = music.split("/")
    steps = [("calibration", 180.0, "piano", "major", "piano/major/standard opens")]
    steps += [
        (p, 340.0, instrument, mode, f"{music} by the bandit (p=0.80, expected +0.10)")
        for p in ("iso", "descend", "trough")
    ]
    t = 0.0
    for phase, seconds, inst, md, why in steps:
        recipe = Recipe(
            tempo_bpm=64.0, key="C", mode=md, density=0.3, instrument=inst, loudness_db=-26.0
        )
        store.add_decision(sid, t, Decision(recipe, seconds, phase, "test", f"{phase}; {why}"))
        t += seconds


def _record(
    store: Store,
    listener_id: str,
    day: int,
    calming: float,
    policy: str | None,
    randomised: bool,
    entry: float,
    rng: np.random.Generator,
) -> int:
    sid = store.start_session(
        listener_id,
        "relax",
        SESSION_S,
        START + timedelta(days=day),
        consent=True,
        policy=policy,
        randomised=randomised,
    )
    t = np.arange(STEP_S, SESSION_S + STEP_S / 2, STEP_S)
    # Flat through the start span, then an exponential fall that has settled by the end.
    progress = np.clip((t - CALIBRATION_S - 60.0) / 600.0, 0.0, None)
    arousal = entry - calming * (1.0 - np.exp(-3.0 * progress)) / (1.0 - np.exp(-3.0 * 2.0))
    arousal = np.where(t > CALIBRATION_S + 660.0, entry - calming, arousal)
    arousal = arousal + rng.normal(0.0, 0.003, t.size)
    hr = 60.0 + 40.0 * arousal
    for ti, a, h in zip(t, arousal, hr, strict=True):
        features = WindowFeatures(
            t_end=float(ti),
            window_s=60.0,
            hr_bpm=float(h),
            rmssd_ms=30.0,
            scl_us=4.0,
            scr_per_min=2.0,
            ppg_quality=0.9,
            eda_quality=0.9,
        )
        estimate = AffectEstimate(float(ti), float(a), float(a), 0.8, features.quality)
        store.add_physiology(sid, float(ti), features, estimate)
    quality = np.full(t.size, 0.9 * 0.7 + 0.9 * 0.3)
    change = arousal_change(t, arousal, quality, CALIBRATION_S)
    hr_change = heart_rate_change(t, hr, np.full(t.size, 0.9), (0.0, CALIBRATION_S))
    summary = {
        "status": "completed",
        "duration_min": SESSION_S / 60,
        "baseline_hr_bpm": round(float(hr_change.start), 1),
        "end_hr_bpm": round(float(hr_change.end), 1),
        "arousal_start": round(float(change.start), 3),
        "arousal_end": round(float(change.end), 3),
        "arousal_change": round(float(change.delta), 3),
        "arousal_quality": round(float(change.quality), 2),
    }
    store.end_session(sid, "completed", SESSION_S, summary)
    return sid

"""An irregular heart rhythm during a session: recorded once per spell, as physiology (kept only
with consent), on the simulated clock with a virtual listener's strap."""

from __future__ import annotations

import numpy as np

from appliance.affect.model_estimator import EstimatorSource
from appliance.affect.tracker import AffectTracker
from appliance.clock import SimulatedClock
from appliance.music.mixer import Mixer
from appliance.sequencer.adaptive import AdaptiveSequencer
from appliance.sequencer.profile import SequencerProfile
from appliance.session.loop import Session, SessionPlan
from appliance.session.records import DEVICE_EVENTS, SessionRecords
from appliance.session.seams import Rendering
from appliance.session.sensors import Sensors
from appliance.signals.features import WindowFeatures
from appliance.signals.stream import PhysiologyStream
from appliance.simulate.feeds import ListenerHrSource, NullSink, SilentRenderer
from appliance.simulate.listener import demo_listener
from appliance.store.db import Store

SESSION_S = 600.0


class AtrialFibrillation:
    """A virtual listener whose heart goes into AF in each (start, end) spell: beats then come
    at independent random intervals of 0.5-1.1 s instead of the sinus rhythm."""

    def __init__(self, listener, spells: list[tuple[float, float]], seed: int = 0) -> None:
        self.listener = listener
        self.spells = spells
        rng = np.random.default_rng(seed)
        af = []
        for start, end in spells:
            beats = start + np.cumsum(rng.uniform(0.5, 1.1, int((end - start) / 0.5) + 2))
            af.append(beats[beats < end])
        self._af = np.concatenate(af) if af else np.empty(0)

    def _in_spell(self, t: np.ndarray) -> np.ndarray:
        return np.any([(t >= a) & (t < b) for a, b in self.spells], axis=0)

    def beat_times_between(self, t0: float, t1: float) -> np.ndarray:
        sinus = self.listener.beat_times_between(t0, t1)
        if self.spells:
            sinus = sinus[~self._in_spell(sinus)]
        af = self._af[(self._af >= t0) & (self._af < t1)]
        return np.sort(np.concatenate([sinus, af]))


def run(spells: list[tuple[float, float]], store) -> int:
    clock = SimulatedClock()
    listener = AtrialFibrillation(demo_listener(seed=1), spells)
    session = Session(
        plan=SessionPlan(None, "relax", SESSION_S, 180.0, tick_s=1.0),
        clock=clock,
        sensors=Sensors(hr=ListenerHrSource(listener, clock.now, seed=2)),
        stream=PhysiologyStream(window_s=60.0, update_s=5.0),
        affect=AffectTracker(EstimatorSource(), calibration_s=180.0, window_s=60.0),
        sequencer=AdaptiveSequencer(profile=SequencerProfile(), session_s=SESSION_S),
        renderer=SilentRenderer(),
        rendering=Rendering.INLINE,
        mixer=Mixer(sample_rate=100),
        sink=NullSink(),
        store=store,
    )
    return session.run().session_id


def rhythm_events(store: Store, sid: int) -> list[dict]:
    return [e for e in store.events(sid) if e["kind"] == "irregular_rhythm"]


def test_one_event_per_spell_of_irregular_rhythm():
    store = Store(":memory:")
    sid = run([(240.0, 360.0), (450.0, 540.0)], store)
    events = rhythm_events(store, sid)
    assert len(events) == 2
    # Each spell is recorded once, once it has lasted an episode (30 s) after the windows
    # filled with it: within 90 s of its start.
    assert 240.0 < events[0]["t_s"] < 330.0 and 450.0 < events[1]["t_s"] < 540.0
    assert "bpm" in events[0]["detail"] and "pulse-rate variability" in events[0]["detail"]
    windows = store.physiology(sid)
    during = [w for w in windows if 300.0 <= w["t_s"] <= 360.0]
    assert during and all(w["rmssd_ms"] is None and w["hr_bpm"] is not None for w in during)
    before = [w for w in windows if 120.0 <= w["t_s"] <= 240.0]
    assert all(w["rmssd_ms"] is not None for w in before)


def test_a_sinus_rhythm_session_records_no_irregular_rhythm():
    store = Store(":memory:")
    sid = run([], store)
    assert rhythm_events(store, sid) == []


def test_irregular_rhythm_is_about_the_person_and_needs_consent():
    assert "irregular_rhythm" not in DEVICE_EVENTS
    store = Store(":memory:")
    without = SessionRecords(store, keep_data=False)
    sid = run([(240.0, 360.0)], without)
    assert rhythm_events(store, sid) == []
    with_consent = SessionRecords(store, keep_data=True)
    sid = run([(240.0, 360.0)], with_consent)
    assert len(rhythm_events(store, sid)) == 1


def _w(irregular: bool, quality: float = 0.9) -> WindowFeatures:
    return WindowFeatures(
        t_end=0.0, window_s=60.0, hr_bpm=88.0, ppg_quality=quality, irregular_rhythm=irregular
    )


def test_a_spell_is_recorded_once_it_has_lasted_an_episode_and_not_before():
    from appliance.session.rhythm_spells import EPISODE_S, RhythmSpells

    spells = RhythmSpells()
    short = [spells.update(t, _w(True)) for t in (0.0, 5.0, 10.0, 15.0)]  # 15 s: a run only
    assert short == [None] * 4
    assert spells.update(20.0, _w(False)) is None  # regular again: the run is over
    events = [spells.update(t, _w(True)) for t in np.arange(30.0, 30.0 + 3 * EPISODE_S, 5.0)]
    recorded = [e for e in events if e is not None]
    assert len(recorded) == 1 and "irregular for 30 s" in recorded[0]  # once, at 30 s
    assert spells.update(200.0, _w(False, quality=0.2)) is None  # too poor to judge: still open
    assert spells.update(205.0, _w(True)) is None  # the same spell, not a new one

"""Accelerated sessions with virtual listeners, through the device's own session loop.

One simulated session is a real `Session`: sensors (fast feeds of the listener's beats and skin
conductance), PhysiologyStream, the device's own estimator (the shipped model, the rules as its
fallback), the sequencer with its safety guard, the store (in memory), on a simulated clock.
Only audio is skipped. Listeners are grouped onto "devices" of DEVICE_SIZE, whose store they
share (the bandit's population prior), and each device plays its listeners' sessions
round-robin, as a care home's box would. Each session also records how its arousal estimate
followed the listener's hidden truth.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from appliance.affect.model_estimator import EstimatorSource
from appliance.affect.tracker import AffectTracker
from appliance.clock import SimulatedClock
from appliance.music.mixer import Mixer
from appliance.sequencer.adaptive import AdaptiveSequencer
from appliance.sequencer.arms import PersonalLibrary
from appliance.sequencer.decision import SequencerState
from appliance.sequencer.profile import SequencerProfile
from appliance.sequencer.safety import SafetyGuard
from appliance.session.loop import Session, SessionPlan
from appliance.session.records import SessionRecords
from appliance.session.seams import Rendering
from appliance.session.sensors import Sensors
from appliance.session.status import SessionStatus
from appliance.signals.stream import PhysiologyStream
from appliance.simulate.audit import unguarded_hr, violations
from appliance.simulate.feeds import (
    SIM_SAMPLE_RATE,
    ListenerGsrSource,
    ListenerHrSource,
    NullSink,
    SilentRenderer,
    SimulatedLibrary,
)
from appliance.simulate.resting import age_band_of
from appliance.simulate.tracking import CALIBRATION_S, Tracking, tracking
from appliance.store.bandit_state import LearningStore
from appliance.store.calibrations import personal_reference
from appliance.store.db import MEMORY, Store

Factory = Callable[[int, int, int], Any]
DEVICE_SIZE = 5
SEGMENT_S = 120.0
SIM_TICK_S = 5.0  # the session loop ticks this often: the listener feeds are read this often
SIM_UPDATE_S = 10.0  # physiology windows (60 s) re-analysed this often (the device: 5 s)
PROBE_STEP_S = 5.0
DEFAULT_PROFILE = {"goal": "relax", "constraint": "none"}
# The device's estimator, loaded once per process as the service loads it once per boot.
ESTIMATORS = EstimatorSource()


@dataclass
class SessionRecord:
    policy: str
    listener: int
    session: int
    reduction: float  # true arousal at the start − its mean over the music after calibration
    status: str
    violations: list[str] = field(default_factory=list)
    alerts: int = 0
    decisions: int = 0
    tracking: Tracking | None = None  # how the session's estimate followed the hidden truth


def load_factory(spec: str | None) -> Factory:
    """`path/to/module.py:FACTORY` (or `package.module:FACTORY`); None: the built-in population."""
    if not spec:
        from appliance.simulate.population import builtin

        return builtin
    where, _, name = spec.rpartition(":")
    if not where or not name:
        raise ValueError(f"listener model {spec!r} is not MODULE.py:FACTORY")
    if where.endswith(".py"):
        path = Path(where).resolve()
        module_name = f"attune_listener_model_{abs(hash(str(path)))}"
        module = sys.modules.get(module_name)
        if module is None:
            loader = importlib.util.spec_from_file_location(module_name, path)
            if loader is None or loader.loader is None:
                raise ValueError(f"cannot load listener model module {path}")
            module = importlib.util.module_from_spec(loader)
            sys.modules[module_name] = module
            loader.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    factory = getattr(module, name, None)
    if not callable(factory):
        raise ValueError(f"{where} has no callable {name}")
    return factory


def listener_id(index: int) -> str:
    return f"sim-{index:04d}"


def profile_of(model: Any) -> SequencerProfile:
    return SequencerProfile.from_dict(getattr(model, "profile", None) or DEFAULT_PROFILE)


def simulate_session(
    model: Any,
    *,
    index: int,
    session: int,
    policy: str,
    store: Store,
    seed: int,
    started_wall: datetime | None = None,
    recorded_policy: str | None = None,
    randomised: bool = False,
    library: PersonalLibrary | None = None,
) -> SessionRecord:
    """One session of `policy`; `started_wall`, `recorded_policy` and `randomised` go into
    its record as a device's would (record.py dates and labels the sessions it keeps);
    `library`: the listener's personal music (default: a simulated library with a track at
    every tempo, of the families the model's `personal_families` names)."""
    profile = profile_of(model)
    band = age_band_of(model)  # the profile's resting norms for the entry estimate
    lid = listener_id(index)
    own = personal_reference(store, lid)  # the listener's earlier calibrations on this device
    learning = LearningStore(store)
    quarantined = learning.quarantined(lid)
    clock = SimulatedClock()
    sensors = Sensors(
        hr=ListenerHrSource(model, clock.now, seed=seed),
        gsr=ListenerGsrSource(model, clock.now, seed=seed + 1),
    )
    sequencer = AdaptiveSequencer(
        profile=profile,
        session_s=profile.session_s(),
        calibration_s=CALIBRATION_S,
        segment_s=SEGMENT_S,
        policy=policy,
        guard=SafetyGuard(),
        learning=learning,
        listener_id=lid,
        library=library or SimulatedLibrary(lid, getattr(model, "personal_families", ("other",))),
        seed=seed,
    )
    plan = SessionPlan(
        lid,
        profile.goal,
        sequencer.session_s,
        CALIBRATION_S,
        tick_s=SIM_TICK_S,
        policy=recorded_policy,
        randomised=randomised,
        started_wall=started_wall,
    )
    a0 = float(model.true_arousal(0.0))
    arousal: list[float] = []
    seen: list[tuple[float, float, float]] = []  # elapsed, estimate, truth

    def on_status(status: SessionStatus) -> None:
        truth = float(model.true_arousal(clock.now()))
        seen.append((status.elapsed_s, status.arousal, truth))
        if status.elapsed_s >= CALIBRATION_S:
            arousal.append(truth)

    run = Session(
        plan=plan,
        clock=clock,
        sensors=sensors,
        stream=PhysiologyStream(window_s=60.0, update_s=SIM_UPDATE_S),
        affect=AffectTracker(
            ESTIMATORS,
            calibration_s=plan.calibration_s,
            window_s=60.0,
            age_band=band,
            reference=own,
        ),
        sequencer=sequencer,
        renderer=SilentRenderer(),
        rendering=Rendering.INLINE,
        mixer=Mixer(sample_rate=SIM_SAMPLE_RATE, crossfade_s=6.0),
        sink=NullSink(),
        store=SessionRecords(store, keep_data=True),  # virtual listeners consent: all is kept
        on_segment=lambda d, t: model.hear(d.recipe, t),
        on_status=on_status,
    )
    result = run.run()
    decisions = store.decisions(result.session_id)
    found = violations(decisions, profile, quarantined=quarantined, session_s=plan.session_s)
    rows = store.physiology(result.session_id)
    found += unguarded_hr(rows, sequencer.guard, result.status, update_s=SIM_UPDATE_S)
    events = store.events(result.session_id)
    return SessionRecord(
        policy=policy,
        listener=index,
        session=session,
        reduction=a0 - float(np.mean(arousal)) if arousal else math.nan,
        status=result.status,
        violations=found,
        alerts=sum(e["kind"] == "staff_alert" for e in events),
        decisions=len(decisions),
        tracking=tracking(result.summary, *np.array(seen, dtype=float).reshape(-1, 3).T),
    )


def run_device(task: tuple[str, list[int], int, int, str | None]) -> list[SessionRecord]:
    """One device's sessions for one policy: (policy, listener indices, sessions, seed,
    factory spec). A top-level function so it runs in a worker process."""
    policy, indices, sessions, seed, spec = task
    factory = load_factory(spec)
    records: list[SessionRecord] = []
    with Store(MEMORY) as store:
        for k in range(sessions):
            for i in indices:
                model = factory(i, k, seed)
                sequencer_seed = int(np.random.default_rng([seed, i, k, 7]).integers(1 << 31))
                records.append(
                    simulate_session(
                        model, index=i, session=k, policy=policy, store=store, seed=sequencer_seed
                    )
                )
    return records


def probe_arm(model: Any, arm_key: str, seed: int) -> float:
    """The true arousal reduction of one session with the rules and one fixed arm, with no
    sensing pipeline (the regret oracle: cheap, and exact about the listener's truth)."""
    profile = profile_of(model)
    seq = AdaptiveSequencer(
        profile=profile,
        session_s=profile.session_s(),
        calibration_s=CALIBRATION_S,
        segment_s=SEGMENT_S,
        policy=f"arm:{arm_key}",
        library=SimulatedLibrary("probe"),
        seed=seed,
    )
    a0 = float(model.true_arousal(0.0))
    t, previous, arousal = 0.0, None, []
    while True:
        beats = np.asarray(model.beat_times_between(max(t - 30.0, 0.0), t)) if t > 0 else []
        hr = 60.0 / float(np.mean(np.diff(beats))) if len(beats) > 2 else None
        state = SequencerState(
            elapsed_s=t,
            session_s=seq.session_s,
            estimate=None,
            baseline_arousal=None,
            previous=previous,
            hr_bpm=hr,
        )
        decision = seq.next(state)
        if decision.duration_s <= 0:
            break
        model.hear(decision.recipe, t)
        end = t + decision.duration_s
        while t < end - 1e-9:
            t = min(t + PROBE_STEP_S, end)
            if t >= CALIBRATION_S:
                arousal.append(float(model.true_arousal(t)))
        previous = decision
    return a0 - float(np.mean(arousal)) if arousal else math.nan


def probe_listener(task: tuple[int, list[int], int, str | None]) -> dict[str, float]:
    """Arm key → mean true reduction over the probed sessions, for every arm the listener's
    constraint allows."""
    from appliance.sequencer.arms import ALL_ARMS, PERSONAL

    index, sessions, seed, spec = task
    factory = load_factory(spec)
    constraint = profile_of(factory(index, 0, seed)).constraint
    out: dict[str, float] = {}
    for arm in ALL_ARMS:
        if constraint == "no_minor" and arm.mode != "major":
            continue
        if constraint == "no_personal" and arm.instrument == PERSONAL:
            continue
        if constraint == "no_generated" and arm.instrument != PERSONAL:
            continue
        if arm.family not in (None, "other"):
            continue  # the probe's simulated library has no life-history families
        values = [probe_arm(factory(index, k, seed), arm.key, seed) for k in sessions]
        out[arm.key] = float(np.nanmean(values))
    return out

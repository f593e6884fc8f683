"""Composition root: the one place that turns a Config into wired parts.

The demo, the service, `attune hw check` and the tests all build through here (the hardware
through parts.py), so they share one code path; only the clock, the audio sink, where rendering
runs and (in emulated mode) the virtual listener behind the I2C emulators differ.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from appliance import parts
from appliance.affect.model_estimator import EstimatorSource
from appliance.affect.tracker import AffectTracker
from appliance.clock import Clock
from appliance.config import Config
from appliance.listeners.comparison import SEQUENCER_POLICY, draw_policy
from appliance.music.calibration import load_calibration, master_cap_dbfs
from appliance.music.engine import MusicEngine
from appliance.music.library import Library
from appliance.music.mixer import Mixer
from appliance.music.render import FluidSynthRenderer
from appliance.sequencer.adaptive import AdaptiveSequencer
from appliance.sequencer.decision import Decision
from appliance.sequencer.factory import make_sequencer
from appliance.sequencer.personal import LibraryTracks
from appliance.session.loop import RENDER_MARGIN_S, Session, SessionPlan
from appliance.session.records import SessionRecords
from appliance.session.render_ahead import RenderAhead, opening_state
from appliance.session.seams import Rendering
from appliance.session.sensors import Sensors
from appliance.session.status import SessionStatus
from appliance.signals.stream import PhysiologyStream
from appliance.simulate.listener import VirtualListener
from appliance.store import calibrations, writable
from appliance.store.bandit_state import session_learning
from appliance.store.db import MEMORY, Store
from drivers.audio import AudioSink

if TYPE_CHECKING:
    from appliance.listeners import ListenerProfile
    from drivers.ble_hr import BleHeartRateSource

log = logging.getLogger(__name__)

DB_NAME = "attune.db"


@dataclass
class Appliance:
    config: Config
    clock: Clock
    store: Store
    renderer: MusicEngine | RenderAhead
    estimators: EstimatorSource  # the affect model, loaded once for every session
    rendering: Rendering = Rendering.INLINE
    listener: VirtualListener | None = None  # behind the emulators, in emulated mode
    # The seed the prepared opening was chosen with: the next session's sequencer reuses it,
    # so it picks the very opening that was rendered ahead.
    opening_seed: int | None = None
    # Why the state folder cannot be written (store/writable.py); None while it can. Sessions
    # then play without being recorded.
    store_problem: str | None = None
    supply: parts.SupplyMemo = field(default_factory=parts.SupplyMemo)  # the GSR's Vcc

    def open_sensors(
        self,
        *,
        hr: BleHeartRateSource | None = None,
        awaited: tuple[BleHeartRateSource, str] | None = None,
        probe: bool = False,
    ) -> Sensors:
        """The session's sensors; `hr`, a running wearable source, is lent (not closed);
        `awaited` (the wearable, the listener's strap): lent once connected to that strap.
        `probe`: the idle check, measuring the GSR's supply a session reuses (SupplyMemo)."""
        sensors = parts.open_sensors(
            self.config, self.clock, self.listener, self.supply, measure_supply=probe
        )
        if hr is not None:
            sensors.hr, sensors.hr_owned = hr, False
        elif awaited is not None:
            parts.await_strap(sensors, *awaited)
        return sensors

    def open_wearable(self) -> BleHeartRateSource | None:
        """The configured BLE heart-rate strap's source, started; None when not configured."""
        return parts.open_wearable(self.config, self.clock)

    def make_sequencer(
        self,
        profile: ListenerProfile | None = None,
        listener_id: str | None = None,
        *,
        goal: str | None = None,
        seed: int | None = None,
        policy: str = "adaptive",
        guard: writable.WriteGuard | None = None,
    ) -> AdaptiveSequencer:
        """The rule-plus-bandit sequencer; it learns only for a known, consenting listener
        (through `guard`: a card that stops taking writes stops the writes, not the session)."""
        library = None
        if listener_id is not None:
            library = LibraryTracks(
                Library.in_state_dir(Path(self.config.device.state_dir)),
                listener_id,
                stretch_limit=self.config.music.stretch_limit_pct / 100.0,
                life=profile.life_history() if profile is not None else None,
            )
        return make_sequencer(
            self.config,
            profile=profile.for_sequencer() if profile is not None else None,
            learning=session_learning(self.store, recording=not self.store_problem, guard=guard),
            listener_id=listener_id,
            goal=goal,
            library=library,
            seed=seed,
            policy=policy,
        )

    def prepare_opening(self, profile: ListenerProfile | None = None) -> bool:
        """Render the next session's first segment ahead (when the renderer can)."""
        if not isinstance(self.renderer, RenderAhead):
            return False
        keeps = profile is not None and profile.keeps_data
        self.opening_seed = secrets.randbits(32)
        sequencer = self.make_sequencer(
            profile, profile.id if keeps else None, seed=self.opening_seed
        )
        session_s = sequencer.session_s
        try:
            decision = sequencer.next(opening_state(session_s))
        except Exception:  # a sequencer that needs more than the opening state: no harm
            log.debug("no render-ahead: the sequencer's opening is unknown", exc_info=True)
            return False
        if decision.duration_s <= 0:
            return False
        self.renderer.prepare(decision.recipe, decision.duration_s + RENDER_MARGIN_S)
        return True

    def warm_up(self) -> None:
        """Load what a session would otherwise load at its start (the affect model, and with
        the network its runtime), so a button press is followed by music without that wait. The
        service calls it on a thread after READY: none of it is needed to be ready, and on a
        Pi Zero 2 W it takes seconds. Safe on any thread. (No SciPy: a session needs none.)"""
        self.estimators.load()

    def make_sink(self, wav_path: Path | None = None) -> AudioSink:
        return parts.open_sink(self.config, wav_path)

    def new_session(
        self,
        *,
        sensors: Sensors,
        sink: AudioSink,
        listener_id: str | None = None,
        goal: str | None = None,
        on_status: Callable[[SessionStatus], None] | None = None,
        profile: ListenerProfile | None = None,
        keep_data: bool = True,
        on_decision: Callable[[Decision, float], None] | None = None,
        on_alert: Callable[[str], None] | None = None,
        on_breathing: Callable[[float | None], None] | None = None,
    ) -> Session:
        """A session ready to run. With `profile` its goal, length and constraint apply, and
        its consent decides what is kept; `keep_data=False` keeps only the anonymous outcome."""
        cfg = self.config
        if profile is not None:
            listener_id = profile.id
            keep_data = keep_data and profile.keeps_data
        if not keep_data:
            listener_id = None
        seed, self.opening_seed = self.opening_seed, None  # the prepared opening's, once
        policy, randomised = "adaptive", False
        compared = profile is not None and profile.compare_adaptation
        if compared and listener_id is not None and not self.store_problem:
            # The listener's opt-in comparison: this session's policy is drawn at random.
            policy, randomised = draw_policy(self.store, listener_id, secrets.SystemRandom()), True
        guard = writable.WriteGuard(Path(cfg.device.state_dir), on_down=self._store_went_down)
        sequencer = self.make_sequencer(
            profile, listener_id, goal=goal, seed=seed, policy=SEQUENCER_POLICY[policy], guard=guard
        )
        plan = SessionPlan(
            listener_id,
            sequencer.profile.goal,
            sequencer.session_s,
            sequencer.calibration_s,
            policy=policy,
            randomised=randomised,
        )
        mixer = Mixer(
            sample_rate=sink.sample_rate,
            crossfade_s=cfg.audio.crossfade_s,
            # The configured cap, lowered further by the calibrated SPL limit when measured.
            max_level_dbfs=master_cap_dbfs(
                cfg.audio.max_level_dbfs,
                cfg.audio.max_spl_db,
                load_calibration(Path(cfg.device.state_dir)),
            ),
            volume_db=cfg.audio.start_volume_db,
        )
        stream = PhysiologyStream(
            window_s=float(cfg.session.window_s),
            update_s=float(cfg.session.update_s),
            ppg_fs=float(cfg.hardware.ppg.sample_rate),
        )
        affect = AffectTracker(
            self.estimators,
            calibration_s=plan.calibration_s,
            window_s=stream.window_s,
            age_band=profile.age_band if profile is not None else None,
            reference=calibrations.personal_reference(self.store, listener_id),
        )
        listener = self.listener

        def on_segment(decision: Decision, t: float) -> None:
            if listener is not None:
                listener.hear(decision.recipe, t)
            if on_decision is not None:
                on_decision(decision, t)

        records = SessionRecords(self.store, keep_data=keep_data, guard=guard)
        if self.store_problem:  # played, not recorded: the records go to memory and vanish
            records = SessionRecords(Store(MEMORY), keep_data=False)
        elif listener_id is not None:
            self.store.upsert_listener(listener_id)
        return Session(
            plan=plan,
            clock=self.clock,
            sensors=sensors,
            stream=stream,
            affect=affect,
            sequencer=sequencer,
            renderer=self.renderer,
            rendering=self.rendering,
            mixer=mixer,
            sink=sink,
            store=records,
            on_segment=on_segment,
            on_status=on_status,
            on_alert=on_alert,
            on_breathing=on_breathing,
        )

    def _store_went_down(self, problem: str) -> None:
        self.store_problem = problem  # the service's check after the session shows it

    def check_store(self) -> str | None:
        """Try a write (at start-up and before each session): None, or why the state folder
        cannot be written. A store opened read-only stays so until the service restarts."""
        stuck = self.store.read_only or str(self.store.path) == MEMORY
        if not (self.store_problem and stuck):
            self.store_problem = writable.check(self.store)
        return self.store_problem

    def close(self) -> None:
        self.renderer.close()
        self.store.close()


def build(
    config: Config,
    clock: Clock,
    *,
    listener: VirtualListener | None = None,
    render_ahead: bool = False,
    rendering: Rendering = Rendering.INLINE,
    connect_db: Callable[..., sqlite3.Connection] = sqlite3.connect,
) -> Appliance:
    """Wire the appliance: `listener` behind the emulators; `render_ahead` (the service)
    renders the next opening while idle; `connect_db`: tests pass a read-only connection."""
    if config.hardware.emulated and listener is None:
        from appliance.simulate.listener import demo_listener

        listener = demo_listener()
    renderer = MusicEngine(
        FluidSynthRenderer(
            Path(config.music.soundfont),
            sample_rate=config.audio.sample_rate,
            polyphony=config.music.polyphony,
        ),
        Library.in_state_dir(Path(config.device.state_dir)),
    )
    store, store_problem = writable.open_store(Path(config.device.state_dir) / DB_NAME, connect_db)
    wrapped = RenderAhead(renderer) if render_ahead else renderer
    return Appliance(
        config,
        clock,
        store,
        wrapped,
        EstimatorSource(),
        rendering,
        listener if config.hardware.emulated else None,
        store_problem=store_problem,
    )

"""One session's lifecycle: sensors → physiology → affect → sequencer → music → audio → store.

The loop is driven by the injected clock, so the demo runs a 20-minute session on a simulated
clock in seconds and the service runs the very same loop in real time.
"""

from __future__ import annotations

import json
import logging
import math
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from appliance.affect.baseline import Baseline, calibration_arousal, round_for_record
from appliance.affect.estimate import AffectEstimate
from appliance.affect.model_estimator import make_estimator
from appliance.clock import Clock, SimulatedClock
from appliance.music.mixer import Mixer
from appliance.music.recipe import Recipe
from appliance.music.stream import SwelledSource
from appliance.sensors import Sensors
from appliance.sequencer.breathing import breathing_period, with_swell
from appliance.sequencer.decision import Decision, Outcome, SequencerState
from appliance.sequencer.reward import ARRIVAL_S, outcome_windows
from appliance.session_status import SessionResult, SessionStatus
from appliance.signals.features import WindowFeatures
from appliance.signals.stream import PhysiologyStream
from appliance.store.db import Store
from drivers.audio import AudioSink

log = logging.getLogger(__name__)

# Rendered past the segment's end so the crossfade into the next one, and a late render of
# the next one, never run into silence.
RENDER_MARGIN_S = 12.0
STOP_FADE_S = 4.0
CANCEL_FADE_S = 0.3  # a withdrawn start fades out this fast (the hold goes on to 3 s)
SESSION_CAP_GRACE_S = 60.0  # past the planned length by this much, the session stops anyway
KEPT_WINDOWS = 60  # recent physiology windows kept for segment rewards (5 min at 5 s)


class Renderer:  # what the session needs of the music engine
    def render(self, recipe: Recipe, seconds: float) -> np.ndarray: ...


@dataclass
class SessionPlan:
    listener_id: str | None
    goal: str
    session_s: float
    calibration_s: float
    tick_s: float = 0.1


class Session:
    def __init__(
        self,
        *,
        plan: SessionPlan,
        clock: Clock,
        sensors: Sensors,
        stream: PhysiologyStream,
        sequencer,
        renderer: Renderer,
        mixer: Mixer,
        sink: AudioSink,
        store: Store,
        on_segment: Callable[[Decision, float], None] | None = None,
        on_status: Callable[[SessionStatus], None] | None = None,
        on_alert: Callable[[str], None] | None = None,
        on_breathing: Callable[[float | None], None] | None = None,
    ) -> None:
        self.plan = plan
        self.clock = clock
        self.sensors = sensors
        self.stream = stream
        self.sequencer = sequencer
        self.renderer = renderer
        self.mixer = mixer
        self.sink = sink
        self.store = store
        self.on_segment = on_segment
        self.on_status = on_status
        self.on_alert = on_alert  # staff alert: the UI's alert pattern and prompt
        self.on_breathing = on_breathing  # the LED pulses with the swell (None: stop pulsing)
        self.status = SessionStatus()
        self._stop_requested: str | None = None
        self._stop_by_listener = self._distress = self._liked = self._cancelled = False
        self._windows: deque[WindowFeatures] = deque(maxlen=KEPT_WINDOWS)
        self._arrival: list[WindowFeatures] = []  # the first minute's: rewards compare to it
        # A sensor lost since the start: rules only; during this segment: no reward from it.
        self._sensor_lost = self._segment_sensor_lost = False
        self._stop_fade_s = STOP_FADE_S
        self._calibration: list[WindowFeatures] = []
        self._estimator = None  # the affect model, or the rule estimate without it
        self._drift_flagged = False
        self._baseline: Baseline | None = None
        self._baseline_arousal: float | None = None
        self._estimate: AffectEstimate | None = None
        self._features: WindowFeatures | None = None
        self._first_estimate: AffectEstimate | None = None
        # Real time renders in a worker so the audio keeps flowing; simulated time waits for
        # it, so a demo is reproducible.
        self._realtime = not isinstance(clock, SimulatedClock)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="render")
        self._pending: Future[np.ndarray] | None = None

    # -- controls (from the button, SIGTERM, staff) ------------------------------------------
    def request_stop(
        self, reason: str = "stopped", *, by_listener: bool = False, fade_s: float | None = None
    ) -> None:
        """End the session. `by_listener`: the listener (or staff for them) pressed stop, which
        tells the sequencer the music was not right (a shutdown does not). `fade_s`: a fade
        out other than STOP_FADE_S."""
        if fade_s is not None:
            self._stop_fade_s = fade_s
        self._stop_by_listener = self._stop_by_listener or by_listener
        self._stop_requested = reason

    def cancel_start(self, fade_s: float = CANCEL_FADE_S) -> None:
        """Withdraw the start (the press that began the session became a hold): a quick fade,
        recorded as stopped with `cancelled` in the summary; the sequencer learns nothing."""
        self._cancelled = True
        self.request_stop("stopped", fade_s=fade_s)

    def like(self) -> None:
        """The listener (or staff) pressed "I like this"."""
        self._liked = True

    def distress(self) -> None:
        """The distress button: stop now, log it, and never play this music to them again."""
        self._distress = True
        self.request_stop("stopped", by_listener=True)

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> SessionResult:
        plan = self.plan
        sid = self.store.start_session(plan.listener_id, plan.goal, plan.session_s)
        self.session_id = sid
        for name in self.sensors.missing():
            self.store.add_event(sid, 0.0, "sensor_missing", name)
        self.status.missing = tuple(self.sensors.missing())
        t0 = self.clock.now()
        self._t0 = t0
        frames_per_tick = round(plan.tick_s * self.sink.sample_rate)
        status = "completed"
        decision: Decision | None = None
        start: tuple[float, AffectEstimate | None] = (t0, None)  # segment start: time, estimate
        segment_end = 0.0
        next_tick = t0
        watch = getattr(self.sequencer, "watch", None)  # the safety guard, if it has one
        try:
            while True:
                now = self.clock.now()
                elapsed = now - t0
                self._poll_sensors(sid, elapsed)
                features = self._update_physiology(sid, now, elapsed)
                self._queue_rendered()
                if self._stop_requested:
                    status = self._stop_requested
                    if decision is not None and not self._cancelled:
                        self._observe(decision, start, now, stopped=self._stop_by_listener)
                    if self._distress:
                        self._record_distress(sid, elapsed, decision)
                    break
                forced = None
                if watch is not None and features is not None and decision is not None:
                    forced = watch(elapsed, features, self._baseline_hr())
                if forced is not None or decision is None or elapsed >= segment_end - 1e-9:
                    if decision is not None:
                        self._observe(decision, start, now)
                    decision = forced or self.sequencer.next(self._state(elapsed, decision))
                    if decision.alert:
                        self._raise_alert(sid, elapsed, decision.alert)
                    if decision.duration_s <= 0:  # a stop now; stop=True alone ends after it
                        status = "alert" if decision.alert else "completed"
                        self._stop_fade_s = float(decision.extra.get("fade_out_s", STOP_FADE_S))
                        break
                    self._start_segment(sid, decision, elapsed)
                    start = (now, self._estimate)
                    segment_end = elapsed + decision.duration_s
                if elapsed >= plan.session_s + SESSION_CAP_GRACE_S:
                    self.store.add_event(sid, elapsed, "session_cap", f"{elapsed / 60:.1f} min")
                    break
                self.sink.write(self.mixer.pull(frames_per_tick))
                self.status.elapsed_s = elapsed
                next_tick += plan.tick_s
                self.clock.sleep(max(0.0, next_tick - self.clock.now()))
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            elapsed = self.clock.now() - t0
            self._finish(sid, status, elapsed, frames_per_tick)
        return SessionResult(sid, status, elapsed, self._summary(status, elapsed))

    # -- learning and safety -------------------------------------------------------------------
    def _observe(
        self,
        decision: Decision,
        start: tuple[float, AffectEstimate | None],
        now: float,
        *,
        stopped: bool = False,
    ) -> None:
        start_t, start_estimate = start
        recent = [w for w in self._windows if w not in self._arrival]
        before, end = outcome_windows(self._arrival + recent, self._t0, start_t, now)
        self.sequencer.observe(
            Outcome(
                decision,
                start_estimate,
                self._estimate,
                liked=self._liked,
                stopped=stopped,
                distress=self._distress,
                start_windows=tuple(before),
                end_windows=tuple(end),
                baseline=self._baseline,
                learn=not self._segment_sensor_lost,
            )
        )
        self._liked = False
        self._segment_sensor_lost = False

    def _baseline_hr(self) -> float | None:
        b = self._baseline
        return None if b is None or math.isnan(b.hr_bpm) else b.hr_bpm

    def _raise_alert(self, sid: int, elapsed: float, alert: str) -> None:
        log.warning("staff alert: %s", alert)
        self.store.add_event(sid, elapsed, "staff_alert", alert)
        self.status.alert = alert
        if self.on_alert:
            self.on_alert(alert)
        if self.on_status:
            self.on_status(self.status)

    def _record_distress(self, sid: int, elapsed: float, decision: Decision | None) -> None:
        # The sequencer quarantines the music (observe); the record says what it was.
        music = decision.recipe.describe() if decision is not None else "nothing yet"
        log.warning("distress pressed during %s", music)
        self.store.add_event(sid, elapsed, "distress", music)

    def _state(self, elapsed: float, previous: Decision | None) -> SequencerState:
        f = self._features
        return SequencerState(
            elapsed_s=elapsed,
            session_s=self.plan.session_s,
            estimate=self._estimate,
            baseline_arousal=self._baseline_arousal,
            previous=previous,
            hr_bpm=None if f is None or math.isnan(f.hr_bpm) else f.hr_bpm,
            baseline_hr_bpm=self._baseline_hr(),
            breathing_rate_bpm=None if f is None else _finite(f.breathing_rate_bpm),
            sensors_ok=not self._sensor_lost,
        )

    def _poll_sensors(self, sid: int, elapsed: float) -> None:
        for name, problem in self.sensors.poll_into(self.stream):
            # A sensor failing mid-session degrades the session; it never ends it.
            log.warning("%s lost: %s; the session goes on without it", name, problem)
            self.store.add_event(sid, elapsed, "sensor_lost", f"{name}: {problem}")
            self.status.missing = tuple(self.sensors.missing())
            self._sensor_lost = self._segment_sensor_lost = True

    def _update_physiology(self, sid: int, now: float, elapsed: float) -> WindowFeatures | None:
        features = self.stream.update(now)
        if features is None:
            return None
        self._features = features
        self._windows.append(features)
        if elapsed <= ARRIVAL_S + 1e-6:
            self._arrival.append(features)
        estimate = None
        if elapsed < self.plan.calibration_s:
            self._calibration.append(features)
        else:
            if self._estimator is None:
                self._baseline = Baseline.from_windows(self._calibration)
                self._baseline_arousal = calibration_arousal(self._calibration)
                self._estimator, why_rules = make_estimator(
                    self._calibration,
                    window_s=self.stream.window_s,
                    calibration_s=self.plan.calibration_s,
                )
                self.store.add_event(sid, elapsed, "baseline", self._baseline.describe())
                if why_rules:
                    self.store.add_event(sid, elapsed, "affect_rules", why_rules)
            estimate = self._estimator.estimate(features)
            if not self._drift_flagged and estimate.features.get("drift") == 1.0:
                # Live inputs left the model's training distribution: say so in the record.
                self._drift_flagged = True
                report = json.dumps(self._estimator.drift_report(), default=str)
                self.store.add_event(sid, elapsed, "model_drift", report)
            if estimate.usable:
                self._estimate = estimate
                if self._first_estimate is None:
                    self._first_estimate = estimate
        self.store.add_physiology(sid, elapsed, features, estimate)
        st = self.status
        st.hr_bpm, st.scl_us, st.quality = features.hr_bpm, features.scl_us, features.quality
        st.arousal = estimate.arousal if estimate else math.nan
        st.elapsed_s = elapsed
        if self.on_status:
            self.on_status(st)
        return features

    def _start_segment(self, sid: int, decision: Decision, elapsed: float) -> None:
        self.store.add_decision(sid, elapsed, decision)
        seconds = decision.duration_s + RENDER_MARGIN_S
        period = breathing_period(decision.extra)
        if period != self.status.breathing_period_s:
            self.status.breathing_period_s = period
            if self.on_breathing:
                self.on_breathing(period)
        self._pending = self._pool.submit(self._render, decision.recipe, seconds, elapsed, period)
        if not self._realtime:
            self._pending.result()
        self._queue_rendered()
        if self.on_segment:
            self.on_segment(decision, self.clock.now())
        st = self.status
        st.phase, st.segment, st.tempo_bpm = (
            decision.phase,
            st.segment + 1,
            decision.recipe.tempo_bpm,
        )
        log.info("segment %d (%s): %s", st.segment, decision.rule, decision.reason)
        if self.on_status:
            self.on_status(st)

    def _render(self, recipe: Recipe, seconds: float, at: float, period: float | None):
        # The breathing guide's swell, in phase with session time (and so with the LED).
        rate = self.sink.sample_rate
        stream = getattr(self.renderer, "stream", None)
        if self._realtime and stream is not None:  # made as it plays: bounded memory
            source = stream(recipe, seconds)
            return source if period is None else SwelledSource(source, rate, period, at)
        return with_swell(self.renderer.render(recipe, seconds), rate, period, at)

    def _queue_rendered(self) -> None:
        if self._pending is not None and self._pending.done():
            pcm = self._pending.result()
            self._pending = None
            self.mixer.queue(pcm)

    def _finish(self, sid: int, status: str, elapsed: float, frames_per_tick: int) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        pending = self._pending
        if pending is not None and not pending.cancelled() and pending.exception() is None:
            getattr(pending.result(), "close", lambda: None)()  # a stream's synth
        # Fades never jump: the stop fades the music out, whatever ended the session.
        try:
            self.mixer.fade_out(self._stop_fade_s)
            for _ in range(math.ceil(self._stop_fade_s / self.plan.tick_s)):
                self.sink.write(self.mixer.pull(frames_per_tick))
        except Exception:  # the record below matters more than the last seconds of audio
            log.exception("could not fade out the audio")
        getattr(self.mixer, "close", lambda: None)()  # what still plays, streams included
        self.store.end_session(sid, status, elapsed, self._summary(status, elapsed))

    def _summary(self, status: str, elapsed: float) -> dict[str, object]:
        first, last = self._first_estimate, self._estimate
        summary: dict[str, object] = {
            "status": status,
            "duration_min": round(elapsed / 60.0, 2),
            "segments": self.status.segment,
            "missing_sensors": list(self.sensors.missing()),
        }
        if self._cancelled:
            summary["cancelled"] = True
        if self._estimate is not None:
            summary["affect_source"] = self._estimate.source
            summary["model_drift"] = self._drift_flagged
        if self._baseline is not None:
            summary["baseline_hr_bpm"] = round_for_record(self._baseline.hr_bpm)
        if self._features is not None:
            summary["end_hr_bpm"] = round_for_record(self._features.hr_bpm)
        if first is not None and last is not None:
            summary["arousal_start"] = round(first.arousal, 3)
            summary["arousal_end"] = round(last.arousal, 3)
            summary["arousal_change"] = round(last.arousal - first.arousal, 3)
        return summary


def _finite(x: float) -> float | None:
    return None if math.isnan(x) else x

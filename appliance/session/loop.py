"""One session's lifecycle: sensors → physiology → affect → sequencer → music → audio → store.

The loop is driven by the injected clock, so the demo runs a 20-minute session on a simulated
clock in seconds and the service runs the very same loop in real time.

Over 300 lines on purpose: one tick's steps (sensors, physiology, safety, the next segment,
audio) read in order in one class. Rendering (segments.py), the summary (summary.py) and the
seams it is handed (seams.py) live beside it.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from appliance.affect.estimate import AffectEstimate
from appliance.affect.tracker import AffectTracker
from appliance.clock import Clock
from appliance.music.mixer import Mixer
from appliance.sequencer.decision import Decision, Outcome, SequencerState
from appliance.sequencer.reward import ARRIVAL_S, outcome_windows
from appliance.session.rhythm_spells import RhythmSpells
from appliance.session.seams import Renderer, Rendering, Sequencer, SessionLog, require
from appliance.session.segments import SegmentRenderer
from appliance.session.sensors import Sensors
from appliance.session.status import SessionResult, SessionStatus
from appliance.session.summary import Trace, session_summary
from appliance.signals.features import WindowFeatures
from appliance.signals.stream import PhysiologyStream
from drivers.audio import AudioSink

log = logging.getLogger(__name__)

# Rendered past the segment's end so the crossfade into the next one, and a late render of
# the next one, never run into silence.
RENDER_MARGIN_S = 12.0
STOP_FADE_S = 4.0
CANCEL_FADE_S = 0.3  # a withdrawn start fades out this fast (the hold goes on to 3 s)
SESSION_CAP_GRACE_S = 60.0  # past the planned length by this much, the session stops anyway
# How often a running session notes how far it is: a power cut then loses at most this much
# of its recorded duration (one small UPDATE: no cost worth counting, even on an SD card).
PROGRESS_EVERY_S = 5.0
KEPT_WINDOWS = 60  # recent physiology windows kept for segment rewards (5 min at 5 s)


@dataclass
class SessionPlan:
    listener_id: str | None
    goal: str
    session_s: float
    calibration_s: float
    tick_s: float = 0.1
    policy: str | None = None  # recorded with the session: "adaptive" or "u_sequence"
    randomised: bool = False  # drawn at random for the listener's comparison
    started_wall: datetime | None = None  # None: now (a simulation dates its sessions itself)


class Session:
    def __init__(
        self,
        *,
        plan: SessionPlan,
        clock: Clock,
        sensors: Sensors,
        stream: PhysiologyStream,
        affect: AffectTracker,
        sequencer: Sequencer,
        renderer: Renderer,
        rendering: Rendering,
        mixer: Mixer,
        sink: AudioSink,
        store: SessionLog,
        on_segment: Callable[[Decision, float], None] | None = None,
        on_status: Callable[[SessionStatus], None] | None = None,
        on_alert: Callable[[str], None] | None = None,
        on_breathing: Callable[[float | None], None] | None = None,
    ) -> None:
        require(sequencer, Sequencer, "sequencer (with its safety guard)")
        require(renderer, Renderer, "renderer")
        require(store, SessionLog, "session log")
        self.plan = plan
        self.clock = clock
        self.sensors = sensors
        self.stream = stream
        self.affect = affect
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
        # A sensor lost (until it is back): rules only; during this segment: no reward from it.
        self._sensor_lost = self._segment_sensor_lost = False
        self._rhythm = RhythmSpells()  # irregular heart rhythm: recorded once per spell
        self._stop_fade_s = STOP_FADE_S
        self._features: WindowFeatures | None = None
        self._trace = Trace()  # every window, for the summary's start and end
        self._step = "starting"  # what the loop is doing: a failure's record names it
        self.segments = SegmentRenderer(renderer, mixer, sink.sample_rate, rendering)

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
        if by_listener and not self._distress and not self._stop_requested:
            self._trace.stops = 1  # a distress press is counted as distress, not as a stop
        self._stop_requested = reason

    def cancel_start(self, fade_s: float = CANCEL_FADE_S) -> None:
        """Withdraw the start (the press that began the session became a hold): a quick fade,
        recorded as stopped with `cancelled` in the summary; the sequencer learns nothing."""
        self._cancelled = True
        self.request_stop("stopped", fade_s=fade_s)

    def like(self) -> None:
        """The listener (or staff) pressed "I like this"."""
        self._liked = True
        self._trace.likes += 1

    def distress(self) -> None:
        """The distress button: stop now, log it, and never play this music to them again."""
        self._distress = True
        self._trace.distress += 1
        self.request_stop("stopped", by_listener=True)

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> SessionResult:
        plan = self.plan
        sid = self.store.start_session(
            plan.listener_id,
            plan.goal,
            plan.session_s,
            plan.started_wall,
            policy=plan.policy,
            randomised=plan.randomised,
        )
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
        noted_at = 0.0
        try:
            while True:
                now = self.clock.now()
                elapsed = now - t0
                self._step = "reading the sensors"
                self._poll_sensors(sid, now, elapsed)
                self._step = "updating the physiology"
                features = self._update_physiology(sid, now, elapsed)
                self._step = "rendering the music"
                self.segments.pump()
                if self._stop_requested:
                    status = self._stop_requested
                    if decision is not None and not self._cancelled:
                        self._observe(decision, start, now, stopped=self._stop_by_listener)
                    if self._distress:
                        self._record_distress(sid, elapsed, decision)
                    break
                self._step = "choosing the next segment"
                forced = None
                if features is not None and decision is not None:
                    forced = self.sequencer.watch(elapsed, features, self.affect.baseline_hr())
                if forced is not None or decision is None or elapsed >= segment_end - 1e-9:
                    if decision is not None:
                        self._observe(decision, start, now)
                    decision = forced or self.sequencer.next(self._state(elapsed, decision))
                    if decision.alert:
                        self._raise_alert(sid, elapsed, decision.alert)
                    if decision.duration_s <= 0:  # a stop now; stop=True alone ends after it
                        status = "alert" if decision.alert else "completed"
                        fade = decision.fade_out_s
                        self._stop_fade_s = STOP_FADE_S if fade is None else fade
                        break
                    self._start_segment(sid, decision, elapsed)
                    start = (now, self.affect.latest)
                    segment_end = elapsed + decision.duration_s
                if elapsed >= plan.session_s + SESSION_CAP_GRACE_S:
                    self.store.add_event(sid, elapsed, "session_cap", f"{elapsed / 60:.1f} min")
                    break
                self._step = "writing the audio"
                self.sink.write(self.mixer.pull(frames_per_tick))
                self.status.elapsed_s = elapsed
                if elapsed >= noted_at + PROGRESS_EVERY_S:
                    self._step = "noting the progress"
                    self.store.note_progress(sid, elapsed)
                    noted_at = elapsed
                next_tick += plan.tick_s
                self.clock.sleep(max(0.0, next_tick - self.clock.now()))
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        except Exception as exc:
            # Recorded as what happened (not 'completed'), then raised for the caller.
            status = "failed"
            self._record_failure(sid, self.clock.now() - t0, exc)
            raise
        finally:
            elapsed = self.clock.now() - t0
            self._finish(sid, status, elapsed, frames_per_tick)
        return SessionResult(sid, status, elapsed, self._summary(status, elapsed))

    def _record_failure(self, sid: int, elapsed: float, exc: Exception) -> None:
        cause = (str(exc) or type(exc).__name__).splitlines()[0]
        detail = f"while {self._step}: {type(exc).__name__}: {cause}"
        log.error("session %d failed after %.1f s %s", sid, elapsed, detail, exc_info=exc)
        try:
            self.store.add_event(sid, elapsed, "session_failed", detail)
        except Exception:  # the store may be what failed; the status below still says so
            log.exception("could not record why session %d failed", sid)

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
                self.affect.latest,
                liked=self._liked,
                stopped=stopped,
                distress=self._distress,
                start_windows=tuple(before),
                end_windows=tuple(end),
                baseline=self.affect.baseline,
                learn=not self._segment_sensor_lost,
            )
        )
        self._liked = False
        self._segment_sensor_lost = False

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
            estimate=self.affect.latest,
            baseline_arousal=self.affect.baseline_arousal,
            previous=previous,
            hr_bpm=None if f is None or math.isnan(f.hr_bpm) else f.hr_bpm,
            baseline_hr_bpm=self.affect.baseline_hr(),
            breathing_rate_bpm=None if f is None else _finite(f.breathing_rate_bpm),
            sensors_ok=not self._sensor_lost,
        )

    def _poll_sensors(self, sid: int, now: float, elapsed: float) -> None:
        for name, change, detail in self.sensors.poll_into(self.stream, now):
            if change == "lost":
                # A sensor failing mid-session degrades the session; it never ends it.
                log.warning("%s lost: %s; the session goes on without it", name, detail)
                self.store.add_event(sid, elapsed, "sensor_lost", f"{name}: {detail}")
                self._segment_sensor_lost = True
            else:
                log.info("%s", detail)
                self.store.add_event(sid, elapsed, "sensor_back", detail)
            self.status.missing = tuple(self.sensors.missing())
            # Rules only while a sensor is lost; this segment still teaches nothing.
            self._sensor_lost = bool(self.sensors.lost)

    def _update_physiology(self, sid: int, now: float, elapsed: float) -> WindowFeatures | None:
        features = self.stream.update(now)
        if features is None:
            return None
        self._features = features
        self._windows.append(features)
        if elapsed <= ARRIVAL_S + 1e-6:
            self._arrival.append(features)
        self._note_rhythm(sid, elapsed, features)
        estimate = self.affect.update(features, elapsed)
        for kind, detail in self.affect.take_notes():
            self.store.add_event(sid, elapsed, kind, detail)
        self.store.add_physiology(sid, elapsed, features, estimate)
        self._trace.add(elapsed, features, estimate)
        st = self.status
        st.hr_bpm, st.scl_us, st.quality = features.hr_bpm, features.scl_us, features.quality
        st.arousal = estimate.arousal if estimate else math.nan
        st.elapsed_s = elapsed
        if self.on_status:
            self.on_status(st)
        return features

    def _note_rhythm(self, sid: int, elapsed: float, features: WindowFeatures) -> None:
        detail = self._rhythm.update(elapsed, features)
        if detail is not None:
            log.info("irregular heart rhythm: %s", detail)
            self.store.add_event(sid, elapsed, "irregular_rhythm", detail)

    def _start_segment(self, sid: int, decision: Decision, elapsed: float) -> None:
        self.store.add_decision(sid, elapsed, decision)
        self._trace.note_target(decision.target_arousal)
        seconds = decision.duration_s + RENDER_MARGIN_S
        period = decision.breathing_period_s
        if period != self.status.breathing_period_s:
            self.status.breathing_period_s = period
            if self.on_breathing:
                self.on_breathing(period)
        self.segments.start(decision.recipe, seconds, elapsed, period)
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

    def _finish(self, sid: int, status: str, elapsed: float, frames_per_tick: int) -> None:
        self.segments.close()
        # Fades never jump: the stop fades the music out, whatever ended the session.
        try:
            self.mixer.fade_out(self._stop_fade_s)
            for _ in range(math.ceil(self._stop_fade_s / self.plan.tick_s)):
                self.sink.write(self.mixer.pull(frames_per_tick))
        except Exception:  # the record below matters more than the last seconds of audio
            log.exception("could not fade out the audio")
        self.mixer.close()  # what still plays, streams included
        try:
            self.store.end_session(sid, status, elapsed, self._summary(status, elapsed))
        except Exception:
            # Left 'running', the row becomes 'interrupted' at the next start, with the time
            # of the last thing recorded. A failure already propagating is the one to raise.
            log.exception("could not record the end of session %d (%s)", sid, status)
            if status != "failed":
                raise

    def _summary(self, status: str, elapsed: float) -> dict[str, object]:
        return session_summary(
            status,
            elapsed,
            segments=self.status.segment,
            missing=self.sensors.missing(),
            cancelled=self._cancelled,
            affect=self.affect,
            trace=self._trace,
            calibration_s=self.plan.calibration_s,
        )


def _finite(x: float) -> float | None:
    return None if math.isnan(x) else x

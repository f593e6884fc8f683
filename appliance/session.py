"""One session's lifecycle: sensors → physiology → affect → sequencer → music → audio → store.

The loop is driven by the injected clock, so the demo runs a 20-minute session on a simulated
clock in seconds and the service runs the very same loop in real time.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from appliance.affect.baseline import Baseline, calibration_arousal
from appliance.affect.estimate import AffectEstimate
from appliance.affect.rules import RuleEstimator
from appliance.clock import Clock, SimulatedClock
from appliance.music.mixer import Mixer
from appliance.music.recipe import Recipe
from appliance.sensors import Sensors
from appliance.sequencer.decision import Decision, Outcome, SequencerState
from appliance.signals.features import WindowFeatures
from appliance.signals.stream import PhysiologyStream
from appliance.store.db import Store
from drivers.audio import AudioSink

log = logging.getLogger(__name__)

# Rendered past the segment's end so the crossfade into the next one, and a late render of
# the next one, never run into silence.
RENDER_MARGIN_S = 12.0
STOP_FADE_S = 4.0


class Renderer:
    """What the session needs of the music engine."""

    def render(self, recipe: Recipe, seconds: float) -> np.ndarray: ...


@dataclass
class SessionPlan:
    listener_id: str | None
    goal: str
    session_s: float
    calibration_s: float
    tick_s: float = 0.1


@dataclass
class SessionStatus:
    """The live one-line status and, at the end, the summary."""

    phase: str = "starting"
    elapsed_s: float = 0.0
    hr_bpm: float = math.nan
    scl_us: float = math.nan
    arousal: float = math.nan
    tempo_bpm: float = math.nan
    segment: int = 0
    quality: float = math.nan
    missing: tuple[str, ...] = ()

    def line(self) -> str:
        def f(x: float, fmt: str) -> str:
            return "--" if x is None or math.isnan(x) else format(x, fmt)

        m, s = divmod(int(self.elapsed_s), 60)
        text = (
            f"{self.phase:<11} {m:02d}:{s:02d}  HR {f(self.hr_bpm, '5.1f')}  "
            f"EDA {f(self.scl_us, '5.2f')} µS  arousal {f(self.arousal, '4.2f')}  "
            f"tempo {f(self.tempo_bpm, '3.0f')} BPM  segment {self.segment}"
        )
        if self.missing:
            text += f"  (no {', '.join(self.missing)})"
        return text


@dataclass
class SessionResult:
    session_id: int
    status: str
    duration_s: float
    summary: dict[str, object] = field(default_factory=dict)


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
        self.status = SessionStatus()
        self._stop_requested: str | None = None
        self._liked = False
        self._calibration: list[WindowFeatures] = []
        self._estimator: RuleEstimator | None = None
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
    def request_stop(self, reason: str = "stopped") -> None:
        self._stop_requested = reason

    def like(self) -> None:
        """The listener (or staff) pressed "I like this"."""
        self._liked = True

    def distress(self) -> None:
        """The distress button: stop now."""
        self.request_stop("stopped")

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> SessionResult:
        plan = self.plan
        sid = self.store.start_session(plan.listener_id, plan.goal, plan.session_s)
        self.session_id = sid
        for name in self.sensors.missing():
            self.store.add_event(sid, 0.0, "sensor_missing", name)
        self.status.missing = tuple(self.sensors.missing())
        t0 = self.clock.now()
        frames_per_tick = round(plan.tick_s * self.sink.sample_rate)
        status = "completed"
        decision: Decision | None = None
        segment_start_est: AffectEstimate | None = None
        segment_end = 0.0
        next_tick = t0
        try:
            while True:
                now = self.clock.now()
                elapsed = now - t0
                self._poll_sensors(sid, elapsed)
                self._update_physiology(sid, now, elapsed)
                self._queue_rendered()
                if self._stop_requested:
                    status = self._stop_requested
                    break
                if decision is None or elapsed >= segment_end - 1e-9:
                    if decision is not None:
                        self.sequencer.observe(
                            Outcome(decision, segment_start_est, self._estimate, liked=self._liked)
                        )
                        self._liked = False
                    decision = self.sequencer.next(self._state(elapsed, decision))
                    if decision.alert:
                        self.store.add_event(sid, elapsed, "staff_alert", decision.alert)
                    if decision.duration_s <= 0:  # a stop now; stop=True alone ends after it
                        status = "alert" if decision.alert else "completed"
                        break
                    self._start_segment(sid, decision, elapsed)
                    segment_start_est = self._estimate
                    segment_end = elapsed + decision.duration_s
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

    def _state(self, elapsed: float, previous: Decision | None) -> SequencerState:
        f = self._features
        return SequencerState(
            elapsed_s=elapsed,
            session_s=self.plan.session_s,
            estimate=self._estimate,
            baseline_arousal=self._baseline_arousal,
            previous=previous,
            hr_bpm=None if f is None or math.isnan(f.hr_bpm) else f.hr_bpm,
            baseline_hr_bpm=None if self._baseline is None else self._baseline.hr_bpm,
            breathing_rate_bpm=None
            if f is None or math.isnan(f.breathing_rate_bpm)
            else f.breathing_rate_bpm,
        )

    def _poll_sensors(self, sid: int, elapsed: float) -> None:
        for name, problem in self.sensors.poll_into(self.stream):
            # A sensor failing mid-session degrades the session; it never ends it.
            log.warning("%s lost: %s; the session goes on without it", name, problem)
            self.store.add_event(sid, elapsed, "sensor_lost", f"{name}: {problem}")
            self.status.missing = tuple(self.sensors.missing())

    def _update_physiology(self, sid: int, now: float, elapsed: float) -> None:
        features = self.stream.update(now)
        if features is None:
            return
        self._features = features
        estimate = None
        if elapsed < self.plan.calibration_s:
            self._calibration.append(features)
        else:
            if self._estimator is None:
                self._baseline = Baseline.from_windows(self._calibration)
                self._baseline_arousal = calibration_arousal(self._calibration)
                self._estimator = RuleEstimator(self._baseline)
                self.store.add_event(sid, elapsed, "baseline", _baseline_text(self._baseline))
            estimate = self._estimator.estimate(features)
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

    def _start_segment(self, sid: int, decision: Decision, elapsed: float) -> None:
        self.store.add_decision(sid, elapsed, decision)
        seconds = decision.duration_s + RENDER_MARGIN_S
        self._pending = self._pool.submit(self.renderer.render, decision.recipe, seconds)
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

    def _queue_rendered(self) -> None:
        if self._pending is not None and self._pending.done():
            pcm = self._pending.result()
            self._pending = None
            self.mixer.queue(pcm)

    def _finish(self, sid: int, status: str, elapsed: float, frames_per_tick: int) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        # Fades never jump: the stop fades the music out, whatever ended the session.
        try:
            self.mixer.fade_out(STOP_FADE_S)
            for _ in range(math.ceil(STOP_FADE_S / self.plan.tick_s)):
                self.sink.write(self.mixer.pull(frames_per_tick))
        except Exception:  # the record below matters more than the last seconds of audio
            log.exception("could not fade out the audio")
        self.store.end_session(sid, status, elapsed, self._summary(status, elapsed))

    def _summary(self, status: str, elapsed: float) -> dict[str, object]:
        first, last = self._first_estimate, self._estimate
        summary: dict[str, object] = {
            "status": status,
            "duration_min": round(elapsed / 60.0, 2),
            "segments": self.status.segment,
            "missing_sensors": list(self.sensors.missing()),
        }
        if self._baseline is not None:
            summary["baseline_hr_bpm"] = _round(self._baseline.hr_bpm)
        if self._features is not None:
            summary["end_hr_bpm"] = _round(self._features.hr_bpm)
        if first is not None and last is not None:
            summary["arousal_start"] = round(first.arousal, 3)
            summary["arousal_end"] = round(last.arousal, 3)
            summary["arousal_change"] = round(last.arousal - first.arousal, 3)
        return summary


def _round(x: float) -> float | None:
    return None if x is None or math.isnan(x) else round(x, 1)


def _baseline_text(b: Baseline) -> str:
    return f"HR {_round(b.hr_bpm)} bpm, RMSSD {_round(b.rmssd_ms)} ms, SCL {_round(b.scl_us)} µS"

"""A session is built only from parts that honour its seams: above all, no sequencer without its
safety guard."""

from __future__ import annotations

import pytest

from appliance.affect.model_estimator import EstimatorSource
from appliance.affect.tracker import AffectTracker
from appliance.clock import SimulatedClock
from appliance.music.mixer import Mixer
from appliance.sequencer.adaptive import AdaptiveSequencer
from appliance.sequencer.rules import RuleSequencer
from appliance.session.loop import Session, SessionPlan
from appliance.session.seams import Rendering
from appliance.session.sensors import Sensors
from appliance.signals.stream import PhysiologyStream
from appliance.simulate.feeds import NullSink, SilentRenderer
from appliance.store.db import Store


def build(sequencer, **overrides):
    clock = SimulatedClock()
    parts = dict(
        plan=SessionPlan(None, "relax", 600.0, 180.0),
        clock=clock,
        sensors=Sensors(),
        stream=PhysiologyStream(window_s=60.0, update_s=5.0),
        affect=AffectTracker(EstimatorSource(), calibration_s=180.0, window_s=60.0),
        sequencer=sequencer,
        renderer=SilentRenderer(),
        rendering=Rendering.INLINE,
        mixer=Mixer(sample_rate=100),
        sink=NullSink(),
        store=Store(":memory:"),
    )
    parts.update(overrides)
    return Session(**parts)


def test_a_sequencer_without_a_safety_guard_cannot_run_a_session():
    # The rules alone choose music but cannot watch the listener's heart rate.
    unguarded = RuleSequencer(goal="relax", session_s=600.0)
    assert not hasattr(unguarded, "watch")
    with pytest.raises(TypeError, match=r"safety guard.*lacks watch"):
        build(unguarded)


def test_the_guard_cannot_be_left_out():
    with pytest.raises(TypeError, match="sequencer"):
        Session(**{k: v for k, v in _parts().items() if k != "sequencer"})


def _parts():
    session = build(_guarded())
    return {
        "plan": session.plan,
        "clock": session.clock,
        "sensors": session.sensors,
        "stream": session.stream,
        "affect": session.affect,
        "renderer": session.renderer,
        "rendering": Rendering.INLINE,
        "mixer": session.mixer,
        "sink": session.sink,
        "store": session.store,
    }


def _guarded() -> AdaptiveSequencer:
    from appliance.sequencer.profile import SequencerProfile

    return AdaptiveSequencer(profile=SequencerProfile(), session_s=600.0)


def test_a_guarded_sequencer_runs_and_its_guard_is_asked_every_window():
    sequencer = _guarded()
    watched: list[float] = []
    watch = sequencer.watch

    def counting(elapsed_s, features, baseline_hr_bpm):
        watched.append(elapsed_s)
        return watch(elapsed_s, features, baseline_hr_bpm)

    sequencer.watch = counting  # the real guard, observed
    from appliance.simulate.feeds import ListenerGsrSource, ListenerHrSource
    from appliance.simulate.listener import demo_listener

    clock = SimulatedClock()
    listener = demo_listener(seed=1)
    session = build(
        sequencer,
        clock=clock,
        sensors=Sensors(
            hr=ListenerHrSource(listener, clock.now), gsr=ListenerGsrSource(listener, clock.now)
        ),
        plan=SessionPlan(None, "relax", 600.0, 180.0, tick_s=1.0),
    )
    result = session.run()
    assert result.status == "completed"
    # One look per physiology window once the first segment plays (5 s updates, 10 minutes).
    assert len(watched) > 100 and watched == sorted(watched)


def test_a_renderer_that_cannot_stream_is_refused():
    class RenderOnly:
        sample_rate = 100

        def render(self, recipe, seconds): ...

    with pytest.raises(TypeError, match=r"renderer.*lacks stream"):
        build(_guarded(), renderer=RenderOnly())

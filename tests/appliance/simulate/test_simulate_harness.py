"""Accelerated sessions through the device's session loop; the safety guard end to end; the
population and the `attune simulate` command."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from appliance.cli import main
from appliance.music.recipe import Recipe
from appliance.simulate.harness import load_factory, run_device, simulate_session
from appliance.simulate.listener import GRID_S, ListenerTraits, VirtualListener
from appliance.simulate.population import MINOR_AVERSE_EFFECT, builtin, hidden_preferences
from appliance.store.db import MEMORY, Store

ESCALATING_MODEL = '''
from appliance.simulate.listener import ListenerTraits, VirtualListener


class Escalating:
    """Calm through calibration, then ever more aroused whatever is played."""

    def __init__(self):
        self.steps = 0

    def __call__(self, recipe, traits):
        self.steps += 1
        return 0.15 if self.steps * 0.25 < 240 else 1.0


def factory(index, session, seed):
    traits = ListenerTraits(baseline_hr_bpm=60, hr_gain_bpm=110, start_arousal=0.15, tau_s=90,
                            seed=seed + index)
    listener = VirtualListener(traits, Escalating())
    listener.profile = {"goal": "relax", "constraint": "none"}
    return listener
'''


def test_an_escalating_listener_is_stepped_back_then_stopped_and_staff_alerted(
    tmp_path: Path,
) -> None:
    module = tmp_path / "escalating.py"
    module.write_text(ESCALATING_MODEL)
    factory = load_factory(f"{module}:factory")
    model = factory(0, 0, 1)
    with Store(MEMORY) as store:
        record = simulate_session(model, index=0, session=0, policy="adaptive", store=store, seed=1)
        sid = store.sessions()[-1].id
        decisions = store.decisions(sid)
        events = store.events(sid)
    assert record.status == "alert" and record.alerts == 1
    assert any(d["phase"] == "safety-hold" for d in decisions)  # stepped back first
    alert = next(e for e in events if e["kind"] == "staff_alert")
    assert "stopped" in alert["detail"]
    stopped_at = max(d["t_s"] for d in decisions)
    assert stopped_at < 20 * 60 - 120  # well before the planned end
    assert record.violations == []


def test_a_small_population_runs_every_policy_without_violations() -> None:
    for policy in ("adaptive", "fixed"):
        records = run_device((policy, [0, 1], 2, 3, None))
        assert len(records) == 4
        assert all(r.violations == [] and r.status == "completed" for r in records)
        assert all(math.isfinite(r.reduction) for r in records)


def test_the_population_hides_the_promised_kinds_of_listener() -> None:
    assert hidden_preferences(0, 0, 1).minor == MINOR_AVERSE_EFFECT
    early, late = hidden_preferences(1, 0, 1), hidden_preferences(1, 9, 1)
    assert min(early.instrument, key=early.instrument.get) != min(
        late.instrument, key=late.instrument.get
    )  # the drifting listener's favourite changes
    assert hidden_preferences(2, 0, 1).music_gain < 0.5  # a non-responder
    a, b = builtin(3, 0, 1), builtin(4, 0, 1)
    assert a.traits.baseline_hr_bpm != b.traits.baseline_hr_bpm
    minor = Recipe(70, mode="minor")
    listener = builtin(0, 0, 1)
    assert listener._response(minor, listener.traits) > listener._response(
        minor.with_(mode="major"), listener.traits
    )


def test_a_bad_listener_model_is_refused_clearly(tmp_path: Path, capsys) -> None:
    with pytest.raises(ValueError, match=r"MODULE\.py:FACTORY"):
        load_factory("nonsense")
    (tmp_path / "m.py").write_text("x = 1\n")
    assert main(["simulate", "--listener-model", f"{tmp_path / 'm.py'}:factory"]) == 2
    assert "no callable factory" in capsys.readouterr().err


@pytest.mark.slow
def test_attune_simulate_prints_a_table_and_one_json_object_last(capsys) -> None:
    code = main(
        ["simulate", "--listeners", "2", "--sessions", "2", "--policy", "rules,adaptive",
         "--workers", "1", "--seed", "4"]
    )  # fmt: skip
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    assert set(result["late_arousal_reduction"]) == {"rules", "adaptive"}
    assert result["safety_violations"] == {"rules": 0, "adaptive": 0}
    assert len(result["mean_arousal_reduction_by_session"]["adaptive"]) == 2
    assert "cumulative_regret" in result and "adaptive_improvement" in result
    assert any(line.startswith("adaptive") for line in lines[:-1])


def test_a_plain_virtual_listener_is_a_valid_model() -> None:
    listener = VirtualListener(ListenerTraits(seed=2))
    with Store(MEMORY) as store:
        record = simulate_session(listener, index=7, session=0, policy="rules", store=store, seed=0)
    assert record.status == "completed" and record.decisions > 5
    assert GRID_S > 0


def _session(store: Store, listener, sequencer, clock, **kw):
    from appliance.affect.model_estimator import EstimatorSource
    from appliance.affect.tracker import AffectTracker
    from appliance.music.mixer import Mixer
    from appliance.session.loop import Session, SessionPlan
    from appliance.session.seams import Rendering
    from appliance.session.sensors import Sensors
    from appliance.signals.stream import PhysiologyStream
    from appliance.simulate.feeds import (
        ListenerGsrSource,
        ListenerHrSource,
        NullSink,
        SilentRenderer,
    )

    return Session(
        plan=SessionPlan("L-7", "relax", sequencer.session_s, 180.0, tick_s=5.0),
        clock=clock,
        sensors=Sensors(
            hr=ListenerHrSource(listener, clock.now), gsr=ListenerGsrSource(listener, clock.now)
        ),
        stream=PhysiologyStream(window_s=60.0, update_s=10.0),
        affect=AffectTracker(EstimatorSource(), calibration_s=180.0, window_s=60.0),
        sequencer=sequencer,
        renderer=SilentRenderer(),
        rendering=Rendering.INLINE,
        mixer=Mixer(sample_rate=100),
        sink=NullSink(),
        store=store,
        on_segment=lambda d, t: listener.hear(d.recipe, t),
        **kw,
    )


def test_a_distress_press_stops_logs_and_quarantines_and_breathing_reaches_the_led() -> None:
    from appliance.clock import SimulatedClock
    from appliance.sequencer.adaptive import AdaptiveSequencer
    from appliance.sequencer.arms import music_key
    from appliance.sequencer.profile import SequencerProfile
    from appliance.store.bandit_state import LearningStore

    with Store(MEMORY) as store:
        clock = SimulatedClock()
        listener = builtin(4, 0, 1)
        sequencer = AdaptiveSequencer(
            profile=SequencerProfile(breathing_guide=True), session_s=1200.0,
            learning=LearningStore(store), listener_id="L-7", seed=1,
        )  # fmt: skip
        periods: list[float | None] = []
        session = None

        def press(status) -> None:
            if status.elapsed_s >= 500 and session is not None:
                session.distress()

        session = _session(store, listener, sequencer, clock, on_status=press,
                           on_breathing=periods.append)  # fmt: skip
        result = session.run()
        playing = store.decisions(result.session_id)[-1]["recipe"]
        events = [e["kind"] for e in store.events(result.session_id)]
        quarantined = LearningStore(store).quarantined("L-7")
    assert result.status == "stopped" and 500 <= result.duration_s < 520
    assert "distress" in events
    assert music_key(Recipe(**playing)) in quarantined
    assert periods and periods[0] is not None and 4 < periods[0] < 10


def test_a_session_records_how_its_estimate_followed_the_hidden_truth() -> None:

    listener = VirtualListener(ListenerTraits(seed=2))
    with Store(MEMORY) as store:
        record = simulate_session(listener, index=7, session=0, policy="rules", store=store, seed=0)
        summary = store.session(store.sessions()[0].id).summary
    t = record.tracking
    assert t is not None
    # The estimate's figures are the session summary's own, not recomputed another way.
    assert t.estimated_change == summary["arousal_change"]
    assert t.estimated_entry == summary["arousal_entry"]
    assert 0.0 <= t.true_entry <= 1.0 and -1.0 <= t.rank_correlation <= 1.0


def test_tracking_compares_the_estimate_with_the_truth_over_the_same_spans() -> None:
    from appliance.simulate.tracking import CALIBRATION_S, tracking

    t = np.arange(0.0, 1200.0, 10.0)
    truth = np.where(t < CALIBRATION_S, 0.7, 0.7 - 0.4 * (t - CALIBRATION_S) / 1020.0)
    falling = np.where(t < CALIBRATION_S, np.nan, truth - 0.1)  # follows it, offset
    rising = np.where(t < CALIBRATION_S, np.nan, 1.0 - truth)  # moves against it
    summary = {"arousal_change": -0.3, "arousal_start": 0.6, "arousal_entry": 0.7}
    good = tracking(summary, t, falling, truth)
    bad = tracking(summary, t, rising, truth)
    assert good is not None and bad is not None
    assert good.true_change == pytest.approx(0.3275 - 0.6882, abs=0.005)
    assert good.true_entry == pytest.approx(0.7)  # the calibration minutes' hidden arousal
    assert good.rank_correlation == pytest.approx(1.0) and bad.rank_correlation == pytest.approx(
        -1.0
    )
    assert tracking({}, t, falling, truth) is None  # no change in the summary: nothing to compare


def test_tracking_figures_count_the_sign_only_where_the_truth_clearly_moved() -> None:
    from appliance.simulate.runner import tracking_figures
    from appliance.simulate.tracking import Tracking

    sessions = [
        Tracking(-0.2, -0.3, 0.6, 0.7, 0.8),  # clear fall, read as a fall
        Tracking(0.1, -0.3, 0.3, 0.4, -0.5),  # clear fall, read as a rise
        Tracking(0.1, -0.05, 0.5, 0.5, 0.1),  # too small a change to count
    ]
    figures = tracking_figures(sessions)
    assert figures["clear_changes"] == 2 and figures["sign_agreement"] == 0.5
    assert figures["rank_correlation"] == pytest.approx(0.1)
    assert figures["entry_error"] == pytest.approx(0.2 / 3)

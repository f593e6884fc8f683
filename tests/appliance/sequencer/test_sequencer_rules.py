"""The rules-only sequencer over whole simulated sessions, and its arcs."""

from __future__ import annotations

import itertools

import pytest

from appliance.affect.estimate import AffectEstimate
from appliance.sequencer import arcs
from appliance.sequencer.decision import Decision, Outcome, SequencerState
from appliance.sequencer.rules import RuleSequencer
from appliance.sequencer.steps import MUSICAL_PARAMETERS, changed_parameters

DESCENDING = ("iso", "descend", "trough", "plateau", "fade")


def run_session(
    sequencer: RuleSequencer,
    hr_bpm: float | None = 95.0,
    arousal: float | None = 0.7,
    session_s: float = 1200.0,
) -> list[Decision]:
    decisions: list[Decision] = []
    elapsed, previous = 0.0, None
    for _ in range(200):
        estimate = None
        if arousal is not None:
            estimate = AffectEstimate(
                t=elapsed, p_stress=0.5, arousal=0.5, confidence=0.9, quality=0.9
            )
        state = SequencerState(
            elapsed_s=elapsed,
            session_s=session_s,
            estimate=estimate,
            baseline_arousal=arousal,
            previous=previous,
            hr_bpm=hr_bpm,
        )
        decision = sequencer.next(state)
        decisions.append(decision)
        if decision.duration_s == 0:
            return decisions
        elapsed += decision.duration_s
        previous = decision
    raise AssertionError("the session never ended")


def _phases_in_order(decisions: list[Decision]) -> list[str]:
    order: list[str] = []
    for d in decisions:
        if not order or order[-1] != d.phase:
            order.append(d.phase)
    return order


def test_a_relax_session_follows_the_u_arc_within_every_rule() -> None:
    decisions = run_session(RuleSequencer(goal="relax"))
    music = decisions[:-1]
    assert _phases_in_order(decisions) == ["calibration", "iso", "descend", "trough", "rise", "end"]
    assert sum(d.duration_s for d in decisions) == pytest.approx(1200.0, abs=1e-9)
    assert sum(d.duration_s for d in music if d.phase == "calibration") == pytest.approx(180.0)
    assert decisions[-1].stop and decisions[-1].duration_s == 0
    assert music[-1].stop and not any(d.stop for d in music[:-1])
    for before, after in itertools.pairwise(music):
        a, b = before.recipe, after.recipe
        assert abs(b.tempo_bpm - a.tempo_bpm) <= 10
        assert len(changed_parameters(a, b)) <= 2, (after.phase, changed_parameters(a, b))
        if after.phase in DESCENDING:
            assert b.loudness_db <= a.loudness_db
        if after.phase == "descend":
            assert b.tempo_bpm <= a.tempo_bpm
    trough = [d for d in music if d.phase == "trough"]
    assert trough and all(60 <= d.recipe.tempo_bpm <= 80 and not d.recipe.vocals for d in trough)
    rise = [d for d in music if d.phase == "rise"]
    assert rise[-1].recipe.tempo_bpm > trough[-1].recipe.tempo_bpm
    for d in music:
        assert d.reason and d.rule and d.phase
        assert d.probability == 1.0
        assert (d.target_arousal is None) == (d.phase == "calibration")
    # The arc's targets go down then up.
    targets = [d.target_arousal for d in music if d.target_arousal is not None]
    bottom = targets.index(min(targets))
    assert targets[: bottom + 1] == sorted(targets[: bottom + 1], reverse=True)
    assert targets[-1] > min(targets)


def test_a_sleep_session_has_no_rise_and_ends_in_a_fade_of_at_least_a_minute() -> None:
    for session_s, segment_s in [(1200.0, 120.0), (420.0, 60.0), (600.0, 240.0)]:
        seq = RuleSequencer(
            goal="sleep", session_s=session_s, calibration_s=120, segment_s=segment_s
        )
        decisions = run_session(seq, session_s=session_s)
        music = decisions[:-1]
        assert "rise" not in {d.phase for d in decisions}
        assert _phases_in_order(decisions)[-2:] == ["fade", "end"]
        fade = [d for d in music if d.phase == "fade"]
        assert sum(d.duration_s for d in fade) >= 60.0
        assert fade[-1].fade_out_s == fade[-1].duration_s
        assert fade[-1].recipe.loudness_db <= -34  # near-silence before the fade-out
        assert sum(d.duration_s for d in decisions) == pytest.approx(session_s)
        tempos = [d.recipe.tempo_bpm for d in music]
        after_iso = tempos[[d.phase for d in music].index("iso") :]
        assert all(b <= a for a, b in itertools.pairwise(after_iso))


@pytest.mark.parametrize(("hr", "low", "high"), [(95, 90, 95), (62, 60, 64), (130, 90, 100)])
def test_iso_entry_tempo_follows_the_heart_rate(hr: float, low: float, high: float) -> None:
    decisions = run_session(RuleSequencer(), hr_bpm=hr)
    iso = next(d for d in decisions if d.phase == "iso")
    assert low <= iso.recipe.tempo_bpm <= high
    assert f"HR {hr:.0f} bpm" in iso.reason and "iso-matched" in iso.reason
    assert iso.rule == "iso-entry"


def test_iso_entry_without_heart_rate_uses_arousal_then_a_neutral_default() -> None:
    agitated = run_session(RuleSequencer(), hr_bpm=None, arousal=0.9)
    iso = next(d for d in agitated if d.phase == "iso")
    assert iso.recipe.tempo_bpm >= 85 and "arousal 0.90" in iso.reason
    unknown = run_session(RuleSequencer(), hr_bpm=None, arousal=None)
    assert next(d for d in unknown if d.phase == "iso").recipe.tempo_bpm == 70


def test_segments_never_exceed_a_quarter_over_length_and_end_on_the_session() -> None:
    seq = RuleSequencer(session_s=1000.0, calibration_s=100.0, segment_s=90.0)
    decisions = run_session(seq, session_s=1000.0)
    assert all(0 < d.duration_s <= 90 * 1.25 + 1e-9 for d in decisions[:-1])
    assert sum(d.duration_s for d in decisions) == pytest.approx(1000.0)


def test_a_call_at_or_after_the_end_stops() -> None:
    seq = RuleSequencer(session_s=600.0, calibration_s=120.0)
    state = SequencerState(
        elapsed_s=650.0, session_s=600.0, estimate=None, baseline_arousal=None, previous=None
    )
    d = seq.next(state)
    assert d.stop and d.duration_s == 0 and d.phase == "end" and d.reason


def test_observe_records_outcomes_and_bad_settings_are_refused() -> None:
    seq = RuleSequencer()
    d = run_session(seq)[3]
    seq.observe(Outcome(decision=d, start_estimate=None, end_estimate=None))
    assert seq.outcomes[0].decision is d
    with pytest.raises(ValueError, match="goal"):
        RuleSequencer(goal="party")
    with pytest.raises(ValueError, match="calibration"):
        RuleSequencer(session_s=100.0, calibration_s=180.0)


def test_musical_parameters_are_recipe_fields() -> None:
    from appliance.music.recipe import Recipe

    assert set(MUSICAL_PARAMETERS) <= set(Recipe(70).as_dict())


def test_arcs_shape_and_phases() -> None:
    assert arcs.target_arousal("relax", 0.0) == (1.0, "descend")
    assert arcs.target_arousal("relax", 0.7) == (0.0, "trough")
    level, phase = arcs.target_arousal("relax", 1.0)
    assert phase == "rise" and 0 < level < 1
    assert arcs.target_arousal("relax", 0.3)[0] == pytest.approx(0.5)
    assert arcs.target_arousal("sleep", 0.99) == (0.0, "fade")
    sleep = arcs.phases("sleep", arc_s=200.0)
    assert sleep[-1].name == "fade" and (sleep[-1].end - sleep[-1].start) * 200 >= 60
    levels = [arcs.target_arousal("sleep", f / 100)[0] for f in range(101)]
    assert all(b <= a for a, b in itertools.pairwise(levels))  # L: never rises
    with pytest.raises(ValueError):
        arcs.target_arousal("party", 0.5)


def test_a_call_just_before_a_boundary_gets_no_sliver_of_a_segment() -> None:
    seq = RuleSequencer(session_s=600.0, calibration_s=120.0, segment_s=60.0)
    early = SequencerState(
        elapsed_s=119.8, session_s=600.0, estimate=None, baseline_arousal=0.5, previous=None
    )
    d = seq.next(early)
    assert d.phase == "iso" and d.duration_s >= 30
    late = SequencerState(
        elapsed_s=599.7, session_s=600.0, estimate=None, baseline_arousal=0.5, previous=d
    )
    assert seq.next(late).stop

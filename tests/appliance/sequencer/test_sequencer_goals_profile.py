"""The J (waking, recovery) and focus arcs, and listener profiles."""

from __future__ import annotations

import itertools

import pytest
from test_sequencer_rules import _phases_in_order, run_session

from appliance.sequencer import arcs
from appliance.sequencer.profile import SequencerProfile
from appliance.sequencer.rules import RuleSequencer
from appliance.sequencer.steps import changed_parameters


@pytest.mark.parametrize("goal", ["wake", "recovery"])
def test_a_waking_session_is_a_j_dip_then_a_rise_above_the_entry(goal: str) -> None:
    decisions = run_session(RuleSequencer(goal=goal), hr_bpm=64.0, arousal=0.3)
    music = decisions[:-1]
    assert _phases_in_order(decisions) == ["calibration", "iso", "dip", "rise", "end"]
    iso = next(d for d in music if d.phase == "iso")
    dip = [d for d in music if d.phase == "dip"]
    assert all(d.recipe.tempo_bpm <= iso.recipe.tempo_bpm for d in dip)
    assert music[-1].recipe.tempo_bpm > iso.recipe.tempo_bpm  # leaves livelier than it came
    for a, b in itertools.pairwise(music):
        assert abs(b.recipe.tempo_bpm - a.recipe.tempo_bpm) <= 10
        assert len(changed_parameters(a.recipe, b.recipe)) <= 2
    levels = [arcs.target_arousal(goal, f / 100)[0] for f in range(101)]
    assert max(levels) > 1.0 and min(levels) < 1.0 and levels[-1] == max(levels)


def test_a_focus_session_settles_to_a_steady_moderate_plateau() -> None:
    for hr in (95.0, 62.0):
        decisions = run_session(RuleSequencer(goal="focus"), hr_bpm=hr)
        steady = [d for d in decisions if d.phase == "steady"]
        assert steady and _phases_in_order(decisions)[-2:] == ["steady", "end"]
        late = steady[len(steady) // 2 :]
        assert all(70 <= d.recipe.tempo_bpm <= 85 for d in late)
        assert len({d.recipe.tempo_bpm for d in late}) == 1  # a steady pulse
        assert all(not d.recipe.vocals for d in steady)
    assert arcs.target_arousal("focus", 0.9) == (arcs.FOCUS_LEVEL, "steady")


def test_profiles_read_defaults_and_refuse_unknown_values() -> None:
    p = SequencerProfile.from_dict(None)
    assert (p.goal, p.constraint, p.dementia, p.breathing_guide) == ("relax", "none", False, False)
    assert SequencerProfile.from_dict({}, default_goal="sleep").goal == "sleep"
    with pytest.raises(ValueError, match="constraint"):
        SequencerProfile.from_dict({"constraint": "no_jazz"})
    with pytest.raises(ValueError, match="unknown"):
        SequencerProfile.from_dict({"constriant": "no_minor"})  # misspelt: never ignored
    with pytest.raises(ValueError, match="true or false"):
        SequencerProfile.from_dict({"dementia": "no"})
    with pytest.raises(ValueError, match="session_min"):
        SequencerProfile.from_dict({"session_min": 240})


def test_session_length_is_20_min_by_default_30_with_dementia_and_capped() -> None:
    assert SequencerProfile().session_s() == 1200.0
    assert SequencerProfile(dementia=True).session_s() == 1800.0
    assert SequencerProfile(dementia=True).session_s(40) == 2400.0  # a longer configured length
    assert SequencerProfile(session_min=25).session_s() == 1500.0
    assert SequencerProfile().session_s(180) == 3600.0  # the session cap

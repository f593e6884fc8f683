"""Build the session's sequencer from the config and the listener's profile."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from appliance.sequencer.adaptive import AdaptiveSequencer
from appliance.sequencer.arms import PersonalLibrary
from appliance.sequencer.learning import LearningPersistence
from appliance.sequencer.profile import SequencerProfile
from appliance.sequencer.safety import SafetyGuard


def make_guard(config: Any) -> SafetyGuard:
    s = config.safety
    return SafetyGuard(
        margin_bpm=s.hr_margin_bpm,
        margin_s=s.hr_margin_s,
        max_bpm=s.hr_max_bpm,
        min_bpm=s.hr_min_bpm,
    )


def make_sequencer(
    config: Any,
    *,
    profile: SequencerProfile | None,
    learning: LearningPersistence | None,
    listener_id: str | None,
    goal: str | None = None,
    policy: str = "adaptive",
    library: PersonalLibrary | None = None,
    seed: int | None = None,
) -> AdaptiveSequencer:
    """The rule-plus-bandit sequencer for one session. `goal` wins over the profile's goal,
    which wins over the configured default goal; the profile's session length (or the
    dementia default) over the configured length. Anonymous sessions (no listener_id) learn
    nothing that outlives them, whatever `learning` is given."""
    profile = profile or SequencerProfile(goal=config.session.goal)
    if goal is not None:
        profile = replace(profile, goal=goal)  # validated again, like any profile
    return AdaptiveSequencer(
        profile=profile,
        session_s=profile.session_s(config.session.length_min),
        calibration_s=config.session.calibration_min * 60.0,
        segment_s=config.session.segment_min * 60.0,
        policy=policy,
        guard=make_guard(config),
        learning=learning,
        listener_id=listener_id,
        library=library,
        seed=seed,
    )

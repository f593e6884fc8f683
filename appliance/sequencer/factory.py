"""Build the session's sequencer from the config and the listener's profile."""

from __future__ import annotations

from typing import Any

from appliance.sequencer.adaptive import AdaptiveSequencer
from appliance.sequencer.arms import PersonalLibrary
from appliance.sequencer.profile import ListenerProfile
from appliance.sequencer.safety import SafetyGuard
from appliance.store.bandit_state import LearningStore
from appliance.store.db import Store


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
    listener_profile: dict[str, Any] | None,
    store: Store | None,
    listener_id: str | None,
    policy: str = "adaptive",
    library: PersonalLibrary | None = None,
    seed: int | None = None,
) -> AdaptiveSequencer:
    """The rule-plus-bandit sequencer for one session. The profile's goal wins over the
    configured default goal; its session length (or the dementia default) over the configured
    length. Anonymous sessions (no listener_id) learn nothing that outlives them."""
    profile = ListenerProfile.from_dict(listener_profile, default_goal=config.session.goal)
    learning = LearningStore(store) if store is not None and listener_id is not None else None
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

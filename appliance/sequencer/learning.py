"""What a listener's sessions teach the bandit: rewards from outcomes, persisted per listener.

Loads the listener's evidence, the device's other listeners' (the population prior) and the
quarantined music from where learning persists; turns each finished segment into a reward
(reward.py) and the bandit's update; saves the evidence after every update, so it survives
restarts.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from appliance.sequencer import arms as A
from appliance.sequencer import reward
from appliance.sequencer.bandit import Evidence, LinearThompson, population_prior_mean
from appliance.sequencer.decision import Outcome
from appliance.sequencer.own_music import WATCH_MODEL, OwnMusicWatch

MODEL_NAME = "linear-ts-v1"
ACTIVATING_GOALS = ("wake", "recovery")  # a J's rise rewards activation, not calming


class LearningPersistence(Protocol):
    """Where a listener's learning outlives the session (the store's LearningStore, handed in
    by the composition root): evidence per (listener, model) and the quarantined music."""

    def load_state(self, listener_id: str, model: str) -> dict[str, Any] | None: ...

    def save_state(self, listener_id: str, model: str, state: dict[str, Any]) -> None: ...

    def other_states(self, model: str, excluding: str | None) -> list[dict[str, Any]]:
        """Every other listener's state for `model`: the population prior."""
        ...

    def quarantined(self, listener_id: str) -> set[str]: ...

    def quarantine(self, listener_id: str, music: str, *, reason: str = "") -> None: ...


class ListenerLearning:
    def __init__(self, store: LearningPersistence | None, listener_id: str | None) -> None:
        self.store = store if listener_id is not None else None
        self.listener_id = listener_id
        self.quarantined: set[str] = set()
        prior, evidence = None, None
        self.watch = OwnMusicWatch()
        if self.store is not None and listener_id is not None:
            self.quarantined = self.store.quarantined(listener_id)
            self.watch = OwnMusicWatch.from_state(self.store.load_state(listener_id, WATCH_MODEL))
            others = self.store.other_states(MODEL_NAME, excluding=listener_id)
            prior = population_prior_mean([Evidence.from_state(s) for s in others])
            evidence = Evidence.from_state(self.store.load_state(listener_id, MODEL_NAME))
        self.bandit = LinearThompson(prior, evidence)
        self.rewards: list[tuple[str, float]] = []  # (arm key, reward) as learned

    def quarantine(self, key: str) -> None:
        """Distress: this music never again for this listener (until staff lift it)."""
        self.quarantined.add(key)
        if self.store is not None and self.listener_id is not None:
            self.store.quarantine(self.listener_id, key, reason="distress pressed")

    def learn(self, outcome: Outcome, goal: str) -> float | None:
        """The segment's reward, learned; None when there is nothing to learn from it."""
        d = outcome.decision
        if d.choice is None:
            return None  # calibration without a choice, safety decisions, the playlist
        stopped = outcome.stopped or outcome.distress
        if not stopped and not outcome.learn:
            return None  # sensor trouble: rules only, no learning
        direction = -1.0 if d.phase == "rise" and goal in ACTIVATING_GOALS else 1.0
        value = reward.segment_reward(
            outcome.start_windows,
            outcome.end_windows,
            outcome.baseline,
            liked=outcome.liked,
            stopped=stopped,
            direction=direction,
        )
        if value is None:
            return None
        arm = A.Arm.parse(d.choice.arm)
        if stopped:
            self.bandit.update_verdict(arm, value)
        else:
            self.bandit.update(arm, np.asarray(d.choice.context), value)
        own = arm.instrument == A.PERSONAL and not stopped
        drop = self.watch.add(value) if own else None
        if drop is not None:
            # Their own music turned: forget what made it the favourite, and say so to the
            # bandit about this music, so other music is tried again.
            self.bandit.forget_earlier()
            self.bandit.update_verdict(arm, drop)
        self.rewards.append((d.choice.arm, value))
        if self.store is not None and self.listener_id is not None:
            self.store.save_state(self.listener_id, MODEL_NAME, self.bandit.evidence.to_state())
            if own:
                self.store.save_state(self.listener_id, WATCH_MODEL, self.watch.to_state())
        return value

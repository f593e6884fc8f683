"""The rule-plus-bandit sequencer: the rules decide what is allowed, a policy picks among it.

Every step: the rules (RuleSequencer) set the phase, tempo, loudness and density; the listener's
constraint, quarantined music and the step rules (≤ 2 parameters change, no louder or busier
while calming) mask the arms (masks.py); the policy chooses one arm (choice.py); the safety
guard may override everything between steps (watch(), step_back.py). Outcomes teach the bandit
(learning.py). Policies: "adaptive" (Thompson sampling), "rules" (the clinical default arm),
"random" (uniform over the allowed arms), "fixed" (one relaxing playlist recipe, no arc), or
"arm:<key>" (one arm always: the regret oracle's).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from appliance.music.recipe import Recipe
from appliance.sequencer import arms as A
from appliance.sequencer import breathing
from appliance.sequencer import step_back as back
from appliance.sequencer.bandit import LinearThompson
from appliance.sequencer.choice import ArmChooser
from appliance.sequencer.decision import ArmChoice, Decision, Outcome, SequencerState
from appliance.sequencer.learning import MODEL_NAME, LearningPersistence, ListenerLearning
from appliance.sequencer.masks import NO_VOCALS_PHASES, allowed_arms, cap
from appliance.sequencer.profile import SequencerProfile
from appliance.sequencer.rules import RuleSequencer
from appliance.sequencer.safety import Action, SafetyGuard
from appliance.sequencer.step_back import (
    MIN_HOLD_S,
    SAFETY_FADE_S,
    STEP_BACK_LOUDNESS_DB,
    STEP_BACK_TEMPO_BPM,
)
from appliance.signals.features import WindowFeatures

__all__ = [
    "MIN_HOLD_S",
    "MODEL_NAME",
    "NO_VOCALS_PHASES",
    "PLAYLIST",
    "POLICIES",
    "SAFETY_FADE_S",
    "STEP_BACK_LOUDNESS_DB",
    "STEP_BACK_TEMPO_BPM",
    "AdaptiveSequencer",
]

POLICIES = ("adaptive", "rules", "random", "fixed")
# A "fixed relaxing playlist": slow, soft, sparse piano in a major key, the same for everyone.
PLAYLIST = Recipe(tempo_bpm=64.0, key="C", density=0.25, instrument="piano", loudness_db=-26.0)


class AdaptiveSequencer:
    def __init__(
        self,
        *,
        profile: SequencerProfile,
        session_s: float,
        calibration_s: float = 180.0,
        segment_s: float = 120.0,
        policy: str = "adaptive",
        guard: SafetyGuard | None = None,
        learning: LearningPersistence | None = None,
        listener_id: str | None = None,
        library: A.PersonalLibrary | None = None,
        seed: int | None = None,
    ) -> None:
        fixed_arm = A.Arm.parse(policy[4:]) if policy.startswith("arm:") else None
        if policy not in POLICIES and fixed_arm is None:
            raise ValueError(f"policy {policy!r} is not one of {', '.join(POLICIES)} or arm:KEY")
        self.profile = profile
        self.policy = policy
        self.guard = guard or SafetyGuard()
        self.listener_id = listener_id
        self.library = library
        self.rng = np.random.default_rng(seed)
        self.rules = RuleSequencer(
            goal=profile.goal,
            session_s=session_s,
            calibration_s=calibration_s,
            segment_s=segment_s,
            instrument=A.DEFAULT_ARM.instrument,
            seed=int(self.rng.integers(1 << 16)),
        )
        self.session_s = float(session_s)
        self.learning = ListenerLearning(learning, listener_id)
        self.chooser = ArmChooser(policy, self.learning.bandit, self.rng, fixed_arm)
        self._base: Decision | None = None  # the rules' own last decision, arm-free
        self._last: Decision | None = None  # what was played
        self._hold: Recipe | None = None  # set by a safety step back: calm until the end
        self._swell_bpm: float | None = None
        self._arm: A.Arm | None = None  # the arm last played (a personal one's family too)
        self.outcomes: list[Outcome] = []

    # --- what callers and tests read ------------------------------------------------------
    @property
    def calibration_s(self) -> float:
        return self.rules.calibration_s

    @property
    def bandit(self) -> LinearThompson:
        return self.learning.bandit

    @property
    def quarantined(self) -> set[str]:
        return self.learning.quarantined

    @property
    def rewards(self) -> list[tuple[str, float]]:
        return self.learning.rewards

    @property
    def fixed_arm(self) -> A.Arm | None:
        return self.chooser.fixed_arm

    # --- the seam -------------------------------------------------------------------------
    def next(self, state: SequencerState) -> Decision:
        if self.guard.stopped and self._last is not None and self._last.alert:
            decision = self._last
        elif self._hold is not None:
            decision = back.held(
                self._hold,
                state.elapsed_s,
                self.session_s,
                self.rules.boundaries(),
                self.rules.segment_s,
            )
        else:
            decision = self._step(state)
        self._last = decision
        return decision

    def watch(
        self, elapsed_s: float, features: WindowFeatures, baseline_hr_bpm: float | None
    ) -> Decision | None:
        """Between steps: feed one physiology window to the guard. A Decision means "play this
        now instead" (a step back) or "stop now" (duration 0, with a staff alert)."""
        hr = features.hr_bpm if math.isfinite(features.hr_bpm) else None
        verdict = self.guard.update(elapsed_s, hr, baseline_hr_bpm, features.quality)
        if verdict.action is Action.OK or self._last is None:
            return None
        playing = self._last.recipe
        if verdict.action is Action.STOP:
            decision: Decision | None = back.safety_stop(playing, verdict.reason)
        else:
            self._hold = back.calmer(playing)
            decision = back.step_back(
                self._hold, verdict.reason, elapsed_s, self.rules.boundaries(), self.session_s
            )
            if decision is None:
                return None
        self._last = decision
        return decision

    def observe(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        if outcome.distress and self.listener_id is not None:
            self.learning.quarantine(A.music_key(outcome.decision.recipe))
        self.learning.learn(outcome, self.profile.goal)

    # --- steps ----------------------------------------------------------------------------
    def _step(self, state: SequencerState) -> Decision:
        base = self.rules.next(replace(state, previous=self._base))
        previous = self._last.recipe if self._last is not None else None
        if base.duration_s <= 0:
            self._base = base
            return replace(base, recipe=previous or base.recipe)
        if self.policy == "fixed":
            self._base = base
            recipe = cap(PLAYLIST.with_(seed=base.recipe.seed), self.profile)
            return replace(
                base,
                recipe=recipe,
                rule="playlist",
                reason=f"fixed relaxing playlist: {recipe.describe()}",
                target_arousal=None,
                fade_out_s=None,  # the playlist keeps only the rules' timing
                policy="fixed",
            )
        learning_ok = self._learning_ok(base, state)
        adaptive = self.policy == "adaptive" and learning_ok
        kept = None if adaptive else self.chooser.kept_arm  # the bandit chooses at every step
        if self._prefers_familiar(base):
            kept = None  # the familiar music's arm must be among the options
        # The session's arm, when it still fits, is all a step needs to check (fast path).
        options = self._allowed(base, previous, (kept,)) if kept is not None else {}
        options = options or self._allowed(base, previous)
        if kept is None and self.policy == "adaptive":
            # The rules' calming step comes first: the bandit spends only the change budget the
            # step leaves, so a switch of music never delays a softer or sparser step.
            full = {arm: v for arm, v in options.items() if v[1] is base.recipe}
            options = full or options
        if not options:  # nothing fits (e.g. all quarantined): near-silence, masks still hold
            self._base = base
            quiet = base.recipe.with_(source="silence", file=None)
            why = "no allowed music fits this step: near-silence"
            return self._finish(base, cap(quiet, self.profile), None, 1.0, why, state)
        current = None
        if self._last is not None and self._base is not None:
            current = A.arm_of(self._last.recipe, self._base.recipe.density)
            if current.instrument == A.PERSONAL and self._arm is not None:
                current = self._arm  # arm_of cannot tell a personal track's family
        arm, probability, why = self.chooser.choose(
            list(options),
            self._context(base, state),
            current,
            learning_ok=learning_ok,
            opening=previous is None,
            preferred=self._preferred(base, list(options)),
        )
        recipe, used_base = options[arm]
        self._base = replace(base, recipe=used_base)
        return self._finish(base, recipe, arm, probability, why, state)

    def _prefers_familiar(self, base: Decision) -> bool:
        if self.learning.watch.turned:  # their own music stopped helping: no preference
            return False
        return self.policy == "adaptive" and (base.phase == "iso" or base.stop)

    def _preferred(self, base: Decision, arms: list[A.Arm]) -> tuple[A.Arm, str] | None:
        """At iso entry and in the session's last segment, the listener's familiar music
        (familiar, then reminiscence, then their culture's) when a track of it fits: where
        recognition helps most, meeting them where they are and sending them off."""
        if not self._prefers_familiar(base):
            return None
        where = "iso entry" if base.phase == "iso" else "the session's end"
        for family in A.TRACK_FAMILIES:
            arm = A.Arm(A.PERSONAL, A.ANY_MODE, family)
            if arm in arms:
                return arm, where
        return None

    @staticmethod
    def _learning_ok(base: Decision, state: SequencerState) -> bool:
        unusable = state.estimate is None or not state.estimate.usable
        return state.sensors_ok and (base.phase == "calibration" or not unusable)

    def _allowed(
        self, base: Decision, previous: Recipe | None, arms: tuple[A.Arm, ...] = A.ALL_ARMS
    ) -> dict[A.Arm, tuple[Recipe, Recipe]]:
        return allowed_arms(
            base,
            previous,
            self._base.recipe if self._base is not None else None,
            profile=self.profile,
            quarantined=self.quarantined,
            library=self.library,
            arms=arms,
        )

    def _context(self, base: Decision, state: SequencerState) -> np.ndarray:
        # How aroused the listener arrived (calibration's absolute guess, 0.5 = typical):
        # more room to calm, a larger reward, whatever the arm.
        arrival = state.baseline_arousal
        start_z = None if arrival is None else 4.0 * (arrival - 0.5)
        progress = (state.elapsed_s + base.duration_s) / self.session_s
        return A.context_vector(
            base.phase, start_z, base.recipe.tempo_bpm, base.recipe.loudness_db, progress
        )

    def _finish(
        self,
        base: Decision,
        recipe: Recipe,
        arm: A.Arm | None,
        probability: float,
        why: str,
        state: SequencerState,
    ) -> Decision:
        choice = None
        self._arm = arm
        if arm is not None:
            context = self._context(base, state).round(4).tolist()
            choice = ArmChoice(arm.key, tuple(context))
        if recipe.source == "file" and self.library is not None:
            why = f"{self.library.describe(recipe)}; {why}"
        if (note := self.learning.watch.take_note()) is not None:
            why += f"; {note}"
        period = None
        if self.profile.breathing_guide and base.phase in breathing.GUIDED_PHASES:
            self._swell_bpm = breathing.swell_rate_bpm(state.breathing_rate_bpm, self._swell_bpm)
            period = round(60.0 / self._swell_bpm, 2)
            why += f"; breathing guide {self._swell_bpm:.1f}/min"
        return replace(
            base,
            recipe=recipe,
            probability=probability,
            reason=f"{base.reason}; {why}",
            breathing_period_s=period,
            policy=self.policy,
            choice=choice,
        )

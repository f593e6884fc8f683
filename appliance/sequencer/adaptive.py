"""The rule-plus-bandit sequencer: the rules decide what is allowed, a policy picks among it.

Every step: the rules (RuleSequencer) set the phase, tempo, loudness and density; the listener's
constraint, quarantined music and the step rules (≤ 2 parameters change, no louder or busier
while calming) mask the arms (arms.py); the policy chooses one arm; the safety guard may
override everything between steps (watch()). Policies: "adaptive" (Thompson sampling),
"rules" (the clinical default arm), "random" (uniform over the allowed arms), "fixed" (one
relaxing playlist recipe, no arc), or "arm:<key>" (one arm always: the regret oracle's).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from appliance.music.recipe import Recipe
from appliance.sequencer import arms as A
from appliance.sequencer import breathing, reward
from appliance.sequencer import steps as rule
from appliance.sequencer.bandit import Evidence, LinearThompson, population_prior_mean
from appliance.sequencer.decision import Decision, Outcome, SequencerState
from appliance.sequencer.profile import QUIET_CAP_DB, ListenerProfile
from appliance.sequencer.rules import RuleSequencer
from appliance.sequencer.safety import Action, SafetyGuard
from appliance.signals.features import WindowFeatures
from appliance.store.bandit_state import LearningStore

POLICIES = ("adaptive", "rules", "random", "fixed")
MODEL_NAME = "linear-ts-v1"
# A "fixed relaxing playlist": slow, soft, sparse piano in a major key, the same for everyone.
PLAYLIST = Recipe(tempo_bpm=64.0, key="C", density=0.25, instrument="piano", loudness_db=-26.0)
STEP_BACK_TEMPO_BPM = 10.0
STEP_BACK_LOUDNESS_DB = 6.0
SAFETY_FADE_S = 10.0  # a safety stop fades out over this long, never cuts
MIN_HOLD_S = 30.0  # a step back plays at least this long before the next boundary
NO_VOCALS_PHASES = frozenset({"trough", "plateau", "fade", "steady", "safety-hold"})


class AdaptiveSequencer:
    def __init__(
        self,
        *,
        profile: ListenerProfile,
        session_s: float,
        calibration_s: float = 180.0,
        segment_s: float = 120.0,
        policy: str = "adaptive",
        guard: SafetyGuard | None = None,
        learning: LearningStore | None = None,
        listener_id: str | None = None,
        library: A.PersonalLibrary | None = None,
        seed: int | None = None,
    ) -> None:
        self.fixed_arm = A.Arm.parse(policy[4:]) if policy.startswith("arm:") else None
        if policy not in POLICIES and self.fixed_arm is None:
            raise ValueError(f"policy {policy!r} is not one of {', '.join(POLICIES)} or arm:KEY")
        self.profile = profile
        self.policy = policy
        self.guard = guard or SafetyGuard()
        self.learning = learning if listener_id is not None else None
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
        self.quarantined: set[str] = set()
        prior, evidence = None, None
        if self.learning is not None and listener_id is not None:
            self.quarantined = self.learning.quarantined(listener_id)
            others = self.learning.other_states(MODEL_NAME, excluding=listener_id)
            prior = population_prior_mean([Evidence.from_state(s) for s in others])
            evidence = Evidence.from_state(self.learning.load_state(listener_id, MODEL_NAME))
        self.bandit = LinearThompson(prior, evidence)
        self._base: Decision | None = None  # the rules' own last decision, arm-free
        self._last: Decision | None = None  # what was played
        self._hold: Recipe | None = None  # set by a safety step back: calm until the end
        self._swell_bpm: float | None = None
        self._session_choice: tuple[A.Arm, float, str] | None = None
        self.outcomes: list[Outcome] = []
        self.rewards: list[tuple[str, float]] = []  # (arm key, reward) as learned

    # --- the seam -------------------------------------------------------------------------
    @property
    def calibration_s(self) -> float:
        return self.rules.calibration_s

    def next(self, state: SequencerState) -> Decision:
        if self.guard.stopped and self._last is not None and self._last.alert:
            decision = self._last
        elif self._hold is not None:
            decision = self._held(state)
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
            decision = Decision(
                recipe=playing,
                duration_s=0.0,
                phase="safety-stop",
                rule="safety-stop",
                reason=verdict.reason,
                stop=True,
                alert=verdict.reason,
                extra={"fade_out_s": SAFETY_FADE_S},
            )
        else:
            self._hold = _calmer(playing)
            boundaries = [b for b in self.rules.boundaries() if b >= elapsed_s + MIN_HOLD_S]
            end = boundaries[0] if boundaries else self.session_s
            decision = Decision(
                recipe=self._hold,
                duration_s=max(end - elapsed_s, 0.0),
                phase="safety-hold",
                rule="safety-step-back",
                reason=f"{verdict.reason}: {self._hold.describe()}",
                stop=end >= self.session_s - 1e-6,
                extra={"safety": "step_back"},
            )
            if decision.duration_s <= 0:
                return None
        self._last = decision
        return decision

    def observe(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        d = outcome.decision
        if outcome.distress and self.learning is not None and self.listener_id is not None:
            key = A.music_key(d.recipe)
            self.quarantined.add(key)
            self.learning.quarantine(self.listener_id, key, reason="distress pressed")
        arm_key, context = d.extra.get("arm"), d.extra.get("context")
        if not isinstance(arm_key, str) or not isinstance(context, list):
            return  # calibration, safety decisions, the playlist: nothing to learn
        stopped = outcome.stopped or outcome.distress
        if not stopped and not outcome.learn:
            return  # sensor trouble: rules only, no learning
        direction = -1.0 if d.phase == "rise" and self.profile.goal in ("wake", "recovery") else 1.0
        value = reward.segment_reward(
            outcome.start_windows,
            outcome.end_windows,
            outcome.baseline,
            liked=outcome.liked,
            stopped=stopped,
            direction=direction,
        )
        if value is None:
            return
        self.bandit.update(A.Arm.parse(arm_key), np.asarray(context), value)
        self.rewards.append((arm_key, value))
        if self.learning is not None and self.listener_id is not None:
            self.learning.save_state(self.listener_id, MODEL_NAME, self.bandit.evidence.to_state())

    # --- steps ----------------------------------------------------------------------------
    def _step(self, state: SequencerState) -> Decision:
        base = self.rules.next(replace(state, previous=self._base))
        previous = self._last.recipe if self._last is not None else None
        if base.duration_s <= 0:
            self._base = base
            return replace(base, recipe=previous or base.recipe)
        if self.policy == "fixed":
            self._base = base
            recipe = self._cap(PLAYLIST.with_(seed=base.recipe.seed))
            return replace(
                base,
                recipe=recipe,
                rule="playlist",
                reason=f"fixed relaxing playlist: {recipe.describe()}",
                target_arousal=None,
                extra={"segment": base.extra.get("segment"), "policy": "fixed"},
            )
        kept = self._session_choice[0] if self._session_choice is not None else None
        if self.policy == "adaptive" and self._learning_ok(base, state):
            kept = None  # the bandit chooses at every step
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
            return self._finish(base, self._cap(quiet), None, 1.0, why, state)
        arms = list(options)
        arm, probability, why = self._choose(arms, base, state)
        recipe, used_base = options[arm]
        self._base = replace(base, recipe=used_base)
        return self._finish(base, recipe, arm, probability, why, state)

    def _choose(
        self, arms: list[A.Arm], base: Decision, state: SequencerState
    ) -> tuple[A.Arm, float, str]:
        """The baselines (rules, random, one fixed arm) keep one arm per session, chosen at its
        start; a new choice only when it is not allowed at a step. The bandit chooses at every
        step while it can learn: its evidence compares a session's segments with each other
        (bandit.py), which needs more than one choice per session, and ten sessions would
        otherwise be only ten observations per listener."""
        chosen = self._session_choice
        keep = self.policy != "adaptive" or not self._learning_ok(base, state)
        if keep and chosen is not None and chosen[0] in arms:
            arm, probability, _ = chosen
            return arm, probability, f"{arm.key} kept for the session (p={probability:.2f})"
        current = None
        if self._last is not None and self._base is not None:
            current = A.arm_of(self._last.recipe, self._base.recipe.density)
        self._session_choice = self._pick(arms, base, state, current)
        return self._session_choice

    def _pick(
        self, arms: list[A.Arm], base: Decision, state: SequencerState, current: A.Arm | None
    ) -> tuple[A.Arm, float, str]:
        if self.fixed_arm is not None:
            arm = self.fixed_arm if self.fixed_arm in arms else (current or arms[0])
            arm = arm if arm in arms else arms[0]
            return arm, 1.0, f"{arm.key}: fixed for evaluation"
        if self.policy == "random":
            arm = arms[int(self.rng.integers(len(arms)))]
            return arm, 1.0 / len(arms), f"{arm.key} at random (p={1 / len(arms):.2f})"
        default = A.DEFAULT_ARM if A.DEFAULT_ARM in arms else None
        default = default or (current if current in arms else arms[0])
        if self.policy == "rules":
            return default, 1.0, f"{default.key}: the clinical default"
        if not self._learning_ok(base, state):
            arm = current if current in arms else default
            return arm, 1.0, f"{arm.key} (sensors lost or unusable: rules only)"
        arm, probability, expected = self.bandit.choose(arms, self._context(base, state), self.rng)
        why = f"{arm.key} by the bandit (p={probability:.2f}, expected {expected:+.2f})"
        return arm, probability, why

    @staticmethod
    def _learning_ok(base: Decision, state: SequencerState) -> bool:
        unusable = state.estimate is None or not state.estimate.usable
        return state.sensors_ok and (base.phase == "calibration" or not unusable)

    def _allowed(
        self, base: Decision, previous: Recipe | None, arms: tuple[A.Arm, ...] = A.ALL_ARMS
    ) -> dict[A.Arm, tuple[Recipe, Recipe]]:
        """Arm → (the recipe it plays, the rules' recipe as followed) for every arm (of `arms`)
        the masks let through."""
        constraint = self.profile.constraint
        allow_vocals = constraint != "no_vocals" and base.phase not in NO_VOCALS_PHASES
        prev_base = self._base.recipe if self._base is not None else None
        out: dict[A.Arm, tuple[Recipe, Recipe]] = {}
        for arm in arms:
            if constraint == "no_minor" and arm.mode != "major":
                continue  # a personal track's mode is unknown: not under "no minor"
            if constraint == "no_personal" and arm.source == A.PERSONAL:
                continue
            if constraint == "no_generated" and arm.source != A.PERSONAL:
                continue
            candidates = [base.recipe]
            if prev_base is not None and base.phase != "fade":
                # Without the rules' secondary step, an arm change may still fit in two changes.
                candidates.append(
                    base.recipe.with_(density=prev_base.density, loudness_db=prev_base.loudness_db)
                )
            for used in candidates:
                recipe = A.apply_arm(
                    used, arm, library=self.library, allow_vocals=allow_vocals, previous=previous
                )
                if recipe is None:
                    break
                recipe = self._cap(recipe)
                if self._fits(previous, recipe, base.phase):
                    out[arm] = (recipe, used)
                    break
        return out

    def _fits(self, previous: Recipe | None, recipe: Recipe, phase: str) -> bool:
        if A.music_key(recipe) in self.quarantined:
            return False
        if phase in ("trough", "plateau") and not (
            rule.TROUGH_TEMPO_BPM <= recipe.tempo_bpm <= rule.TROUGH_TEMPO_MAX_BPM
        ):
            return False  # a personal track too keeps the trough's 60-80 BPM
        if previous is None:
            return True
        if len(rule.changed_parameters(previous, recipe)) > rule.MAX_CHANGES_PER_STEP:
            return False
        if abs(recipe.tempo_bpm - previous.tempo_bpm) > rule.MAX_TEMPO_STEP_BPM + 1e-9:
            return False
        # No crescendo, no busier texture while calming (Bernardi 2009).
        return phase not in rule.NON_RISING_PHASES or (
            recipe.loudness_db <= previous.loudness_db + 1e-9
            and recipe.density <= previous.density + 1e-9
        )

    def _cap(self, recipe: Recipe) -> Recipe:
        if self.profile.constraint == "quiet" and recipe.loudness_db > QUIET_CAP_DB:
            return recipe.with_(loudness_db=QUIET_CAP_DB)
        return recipe

    def _context(self, base: Decision, state: SequencerState) -> np.ndarray:
        # How aroused the listener arrived (calibration's absolute guess, 0.5 = typical):
        # more room to calm, a larger reward, whatever the arm.
        arrival = state.baseline_arousal
        start_z = None if arrival is None else 4.0 * (arrival - 0.5)
        return A.context_vector(base.phase, start_z, base.recipe.tempo_bpm, base.recipe.loudness_db)

    def _finish(
        self,
        base: Decision,
        recipe: Recipe,
        arm: A.Arm | None,
        probability: float,
        why: str,
        state: SequencerState,
    ) -> Decision:
        extra = dict(base.extra)
        extra["policy"] = self.policy
        if arm is not None:
            extra["arm"] = arm.key
            extra["context"] = self._context(base, state).round(4).tolist()
        if self.profile.breathing_guide and base.phase in breathing.GUIDED_PHASES:
            self._swell_bpm = breathing.swell_rate_bpm(state.breathing_rate_bpm, self._swell_bpm)
            extra["breathing_period_s"] = round(60.0 / self._swell_bpm, 2)
            extra["breathing_swell_db"] = breathing.SWELL_DEPTH_DB
            why += f"; breathing guide {self._swell_bpm:.1f}/min"
        return replace(
            base,
            recipe=recipe,
            probability=probability,
            reason=f"{base.reason}; {why}",
            extra=extra,
        )

    def _held(self, state: SequencerState) -> Decision:
        assert self._hold is not None
        if state.elapsed_s >= self.session_s - 1e-6:
            return Decision(
                self._hold, 0.0, "end", "session-end", "session length reached", stop=True
            )
        duration = rule.segment_duration(
            state.elapsed_s, self.rules.boundaries(), self.rules.segment_s
        )
        return Decision(
            recipe=self._hold.with_(seed=self._hold.seed + 1),
            duration_s=duration,
            phase="safety-hold",
            rule="safety-hold",
            reason=f"holding calm after a safety step back: {self._hold.describe()}",
            stop=state.elapsed_s + duration >= self.session_s - 1e-6,
        )


def _calmer(recipe: Recipe) -> Recipe:
    """One step back: slower and softer (two changes), or near-silence at the tempo floor or
    from a personal track."""
    softer = recipe.loudness_db - STEP_BACK_LOUDNESS_DB
    if recipe.source != "generated" or recipe.tempo_bpm <= rule.TROUGH_TEMPO_BPM + 1e-9:
        return recipe.with_(source="silence", file=None, loudness_db=softer)
    tempo = max(rule.TROUGH_TEMPO_BPM, recipe.tempo_bpm - STEP_BACK_TEMPO_BPM)
    return recipe.with_(tempo_bpm=tempo, loudness_db=softer)

"""How each policy picks one arm among those the masks allow, and why (for the audit trail).

The baselines (rules, random, one fixed arm) keep one arm per session, chosen at its start; a
new choice only when it is not allowed at a step. The bandit chooses at every step while it
can learn: its evidence compares a session's segments with each other (evidence.py), which
needs more than one choice per session. The session's opening is the one free choice (nothing
plays yet, so the step rules allow any arm) and sets the music later steps move from one
parameter at a time: it plays the best-known arm rather than a draw, and leaves the clinical
default only when the evidence is confident (LinearThompson.conservative_best). Exploration
happens at the later steps, as small moves from there.
"""

from __future__ import annotations

import numpy as np

from appliance.sequencer import arms as A
from appliance.sequencer.bandit import LinearThompson

Choice = tuple[A.Arm, float, str]  # (arm, its choice probability, the reason)


class ArmChooser:
    def __init__(
        self,
        policy: str,
        bandit: LinearThompson,
        rng: np.random.Generator,
        fixed_arm: A.Arm | None = None,
    ) -> None:
        self.policy = policy
        self.bandit = bandit
        self.rng = rng
        self.fixed_arm = fixed_arm
        self.session_choice: Choice | None = None

    @property
    def kept_arm(self) -> A.Arm | None:
        return self.session_choice[0] if self.session_choice is not None else None

    def choose(
        self,
        arms: list[A.Arm],
        context: np.ndarray,
        current: A.Arm | None,
        *,
        learning_ok: bool,
        opening: bool,
        preferred: tuple[A.Arm, str] | None = None,
    ) -> Choice:
        """`preferred`: (the listener's familiar music's arm, where in the session): played
        unless the evidence is confident something else does better for them."""
        chosen = self.session_choice
        keep = self.policy != "adaptive" or not learning_ok
        if preferred is not None:  # a rule of its own: it holds whether the bandit learns or not
            self.session_choice = self._prefer(arms, context, *preferred, learning_ok)
            return self.session_choice
        if keep and chosen is not None and chosen[0] in arms:
            arm, probability, _ = chosen
            return arm, probability, f"{arm.key} kept for the session (p={probability:.2f})"
        self.session_choice = self._pick(arms, context, current, learning_ok, opening)
        return self.session_choice

    def _prefer(
        self, arms: list[A.Arm], context: np.ndarray, arm: A.Arm, where: str, learning_ok: bool
    ) -> Choice:
        best, confidence = (arm, 0.5)
        if learning_ok:
            best, confidence = self.bandit.conservative_best(arms, context, arm)
        if best == arm:
            return arm, 1.0, f"{arm.key}: {arm.family} music preferred at {where}"
        why = f"{best.key} at {where}: {confidence:.0%} sure it does better than {arm.family}"
        return best, 1.0, f"{why} music for them now"

    def _pick(
        self,
        arms: list[A.Arm],
        context: np.ndarray,
        current: A.Arm | None,
        learning_ok: bool,
        opening: bool,
    ) -> Choice:
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
        if not learning_ok:
            arm = current if current in arms else default
            return arm, 1.0, f"{arm.key} (sensors lost or unusable: rules only)"
        if opening:
            arm, confidence = self.bandit.conservative_best(arms, context, default)
            if arm == default:
                why = f"{arm.key} opens: the default until the evidence is confident"
            else:
                why = f"{arm.key} opens: the best known, {confidence:.0%} sure it beats the default"
            return arm, 1.0, why
        arm, probability, expected = self.bandit.choose(arms, context, self.rng)
        why = f"{arm.key} by the bandit (p={probability:.2f}, expected {expected:+.2f})"
        return arm, probability, why

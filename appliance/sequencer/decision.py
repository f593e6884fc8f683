"""The sequencer seam: a state goes in, a Decision with its reason comes out."""

from __future__ import annotations

from dataclasses import dataclass

from appliance.affect.baseline import Baseline
from appliance.affect.estimate import AffectEstimate
from appliance.music.recipe import Recipe
from appliance.signals.features import WindowFeatures


@dataclass(frozen=True)
class SequencerState:
    elapsed_s: float  # session time so far
    session_s: float  # planned session length
    estimate: AffectEstimate | None  # latest usable estimate, None before the first
    baseline_arousal: float | None  # arousal measured over the calibration minutes
    previous: Decision | None  # the segment now ending
    hr_bpm: float | None = None
    baseline_hr_bpm: float | None = None
    breathing_rate_bpm: float | None = None
    sensors_ok: bool = True  # False once a sensor present at the start is lost: rules only


@dataclass(frozen=True)
class ArmChoice:
    """The bandit's bookkeeping for an arm it chose: what observe() learns from once the
    segment's outcome comes back."""

    arm: str  # the arm's key (arms.Arm.key)
    context: tuple[float, ...]  # the context vector the choice was made in (4 decimals)


@dataclass(frozen=True)
class Decision:
    recipe: Recipe
    duration_s: float
    phase: str  # calibration, iso, descend, trough, rise, fade, plateau, ...
    rule: str  # the rule that allowed/chose it
    reason: str  # one line a clinician can read
    probability: float = 1.0  # the policy's probability of this choice (1.0 for rules)
    target_arousal: float | None = None
    stop: bool = False  # the session ends after this segment (or now, when duration is 0)
    alert: str | None = None  # staff alert raised with this decision
    # How to play it; None leaves the player's default.
    fade_out_s: float | None = None  # a stop fades the music out over this long
    breathing_period_s: float | None = None  # the breathing guide's swell period (LED too)
    # Where it came from, for the record and for learning.
    segment: int | None = None  # the rules' step number (calibration and arc steps)
    policy: str | None = None  # the adaptive sequencer's policy that chose it
    choice: ArmChoice | None = None  # the bandit's arm and context, when it chose one


@dataclass(frozen=True)
class Outcome:
    """What happened during a finished segment: feeds observe()."""

    decision: Decision
    start_estimate: AffectEstimate | None
    end_estimate: AffectEstimate | None
    liked: bool = False
    stopped: bool = False
    distress: bool = False
    # The physiology the reward is computed from (reward.py): the window the segment began
    # from, the windows over its last minutes, and the listener's calibration baseline.
    start_windows: tuple[WindowFeatures, ...] = ()
    end_windows: tuple[WindowFeatures, ...] = ()
    baseline: Baseline | None = None
    learn: bool = True  # False: sensor trouble during the segment, no reward is drawn from it

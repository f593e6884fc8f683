"""The rules-only sequencer: calibration, iso entry, then the goal's arc in gradual steps.

Each Decision names its phase, the rule that produced it and a one-line reason a clinician can
read. A bandit later chooses among what these rules allow; the rules stay in charge of safety.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from appliance.music.recipe import Recipe
from appliance.sequencer import arcs
from appliance.sequencer import steps as rule
from appliance.sequencer.decision import Decision, Outcome, SequencerState

CALM_TARGET_AROUSAL = 0.2  # the arc's bottom on the absolute 0..1 scale
UNKNOWN_AROUSAL = 0.5
CALM_KEYS = ("C", "F", "G", "D", "Bb", "Eb")  # keys with warm, familiar open voicings
LOW_PHASES = ("trough", "plateau", "fade")
SNAP_S = 1.0  # a call this close before a segment boundary counts as at it


class RuleSequencer:
    def __init__(
        self,
        *,
        goal: str = "relax",
        session_s: float = 1200.0,
        calibration_s: float = 180.0,
        segment_s: float = 120.0,
        instrument: str = "piano",
        seed: int = 0,
    ) -> None:
        arcs.phases(goal)  # rejects an unknown goal now, not mid-session
        if not 0 <= calibration_s < session_s:
            raise ValueError(f"calibration {calibration_s} s must be shorter than the session")
        if segment_s <= 0:
            raise ValueError(f"segment length must be positive, not {segment_s}")
        self.goal = goal
        self.session_s = float(session_s)
        self.calibration_s = float(calibration_s)
        self.segment_s = float(segment_s)
        self.seed = seed
        key = str(np.random.default_rng(seed).choice(CALM_KEYS))
        self._base = Recipe(
            tempo_bpm=rule.CALIBRATION_TEMPO_BPM,
            key=key,
            density=rule.CALIBRATION_DENSITY,
            instrument=instrument,
            loudness_db=rule.CALIBRATION_LOUDNESS_DB,
            seed=seed,
        )
        self._entry_tempo: float | None = None
        self._entry_arousal = UNKNOWN_AROUSAL
        self._entry_label = "no measurement"
        self._last: Decision | None = None
        self._count = 0
        self.outcomes: list[Outcome] = []

    # --- the seam -------------------------------------------------------------------------
    def next(self, state: SequencerState) -> Decision:
        state = self._snap(state)
        previous = state.previous.recipe if state.previous else None
        if previous is None and self._last is not None:
            previous = self._last.recipe
        if state.elapsed_s >= self.session_s - 1e-6:
            decision = self._end(previous)
        elif state.elapsed_s < self.calibration_s - 1e-6:
            decision = self._calibration(state, previous)
        else:
            decision = self._arc(state, previous)
        self._last = decision
        self._count += 1
        return decision

    def observe(self, outcome: Outcome) -> None:
        """Rules do not learn; outcomes are kept for the record (and a later policy)."""
        self.outcomes.append(outcome)

    # --- timing ---------------------------------------------------------------------------
    @property
    def arc_s(self) -> float:
        return self.session_s - self.calibration_s

    def calibration_segments(self) -> int:
        # At least two, so the second can already lean towards the measured state and iso
        # entry needs no tempo jump (steps stay ≤ MAX_TEMPO_STEP_BPM throughout).
        if self.calibration_s <= 0:
            return 0
        minimum = 2 if self.calibration_s >= 60 else 1
        return max(minimum, math.ceil(self.calibration_s / self.segment_s - 1e-9))

    def boundaries(self) -> list[float]:
        """Absolute times where a segment must end: calibration segments, phases, session end."""
        n = self.calibration_segments()
        ends = [self.calibration_s * (k + 1) / n for k in range(n)]
        ends += [
            self.calibration_s + p.end * self.arc_s for p in arcs.phases(self.goal, self.arc_s)
        ]
        return sorted(set(ends))

    def _snap(self, state: SequencerState) -> SequencerState:
        # A caller a fraction of a second early (scheduling jitter) would otherwise get a
        # sliver of a segment before the boundary; treat it as at the boundary.
        for boundary in self.boundaries():
            if 0 < boundary - state.elapsed_s < SNAP_S:
                return replace(state, elapsed_s=boundary)
        return state

    # --- phases ---------------------------------------------------------------------------
    def _calibration(self, state: SequencerState, previous: Recipe | None) -> Decision:
        n = self.calibration_segments()
        length = self.calibration_s / n
        k = min(int(state.elapsed_s / length + 1e-9), n - 1)
        duration = (k + 1) * length - state.elapsed_s
        recipe = self._base.with_(seed=self._next_seed())
        reason = (
            f"calibration {k + 1}/{n}: quiet {recipe.tempo_bpm:.0f} BPM "
            "while the baseline is measured"
        )
        measured, label = self._iso_target(state)
        if k > 0 and previous is not None and label != "no measurement":
            tempo = rule.step_tempo(previous.tempo_bpm, measured)
            recipe = previous.with_(tempo_bpm=tempo, seed=recipe.seed)
            reason = (
                f"calibration {k + 1}/{n}: {label} so far, {tempo:.0f} BPM leaning towards "
                f"iso entry at {measured:.0f}"
            )
        return Decision(
            recipe=recipe,
            duration_s=duration,
            phase="calibration",
            rule="calibration",
            reason=reason,
            target_arousal=None,
            segment=self._count,
        )

    def _arc(self, state: SequencerState, previous: Recipe | None) -> Decision:
        first = self._entry_tempo is None
        if first:
            self._enter(state)
        entry = self._entry_tempo if self._entry_tempo is not None else rule.CALIBRATION_TEMPO_BPM
        fraction = (state.elapsed_s - self.calibration_s) / self.arc_s
        phase = arcs.phase_at(self.goal, fraction, self.arc_s).name
        duration = rule.segment_duration(state.elapsed_s, self.boundaries(), self.segment_s)
        # Aim for where the arc should be when this segment ends (iso entry: the entry state).
        end_fraction = (state.elapsed_s + duration - self.calibration_s) / self.arc_s
        level = 1.0 if first else arcs.target_arousal(self.goal, end_fraction - 1e-9, self.arc_s)[0]
        target_tempo = rule.goal_tempo(self.goal, level, entry)
        if phase in LOW_PHASES:
            target_tempo = rule.low_phase_tempo(target_tempo)
        seed = self._next_seed()
        if previous is None:
            previous = self._base.with_(tempo_bpm=entry)
        tempo = rule.step_tempo(previous.tempo_bpm, target_tempo)
        if phase == "rise":
            tempo = max(tempo, previous.tempo_bpm)  # a rise never slows down
        recipe = previous.with_(tempo_bpm=tempo, seed=seed)
        approaching = phase in ("descend", "dip") and target_tempo > previous.tempo_bpm + 0.5
        label = "iso" if first or approaching else phase
        secondary = None if label == "iso" else rule.secondary_step(previous, phase)
        if secondary is not None:
            recipe = recipe.with_(**{secondary[0]: secondary[1]})
        recipe = rule.low_phase_recipe(rule.no_louder_while_calming(previous, recipe, phase), phase)
        if len(rule.changed_parameters(previous, recipe)) > rule.MAX_CHANGES_PER_STEP:
            secondary = None  # keep the tempo step and the safety edits, drop the nicety
            recipe = rule.low_phase_recipe(previous.with_(tempo_bpm=tempo, seed=seed), phase)
        last = state.elapsed_s + duration >= self.session_s - 1e-6
        floor = min(CALM_TARGET_AROUSAL, self._entry_arousal)
        target = floor + level * (self._entry_arousal - floor)
        return Decision(
            recipe=recipe,
            duration_s=duration,
            phase=label,
            rule=_rule_name(label, phase, previous, recipe),
            reason=self._reason(label, phase, previous, recipe, target_tempo, secondary, last),
            target_arousal=round(target, 3),
            stop=last,
            fade_out_s=duration if last and phase == "fade" else None,  # to silence by the end
            segment=self._count,
        )

    def _end(self, previous: Recipe | None) -> Decision:
        return Decision(
            recipe=previous or self._base,
            duration_s=0.0,
            phase="end",
            rule="session-end",
            reason=f"session length {self.session_s / 60:.1f} min reached",
            stop=True,
        )

    # --- helpers --------------------------------------------------------------------------
    def _iso_target(self, state: SequencerState) -> tuple[float, str]:
        hr = state.hr_bpm if state.hr_bpm is not None else state.baseline_hr_bpm
        arousal = state.baseline_arousal
        if arousal is None and state.estimate is not None:
            arousal = state.estimate.arousal
        return rule.iso_tempo(hr, arousal)

    def _enter(self, state: SequencerState) -> None:
        # Arc targets live on the estimator's scale (what rewards compare against), so the
        # entry level is the latest estimate; the absolute calibration guess is the fallback.
        self._entry_tempo, self._entry_label = self._iso_target(state)
        if state.estimate is not None:
            self._entry_arousal = state.estimate.arousal
        elif state.baseline_arousal is not None:
            self._entry_arousal = state.baseline_arousal

    def _next_seed(self) -> int:
        return self.seed * 1000 + self._count

    def _reason(
        self,
        label: str,
        phase: str,
        previous: Recipe,
        recipe: Recipe,
        target_tempo: float,
        secondary: tuple[str, float] | None,
        last: bool,
    ) -> str:
        tempo = f"{recipe.tempo_bpm:.0f} BPM"
        if label == "iso":
            held = (
                ""
                if abs(recipe.tempo_bpm - target_tempo) < 1
                else f" (step-limited, aiming at {target_tempo:.0f})"
            )
            return f"{self._entry_label}: iso-matched at {tempo}{held}, descending next"
        moved = (
            f"{previous.tempo_bpm:.0f} → {tempo}"
            if recipe.tempo_bpm != previous.tempo_bpm
            else f"holding {tempo}"
        )
        also = ""
        if secondary is not None:
            name, value = secondary
            also = f", density {value:.2f}" if name == "density" else f", level {value:.0f} dB"
        text = {
            "descend": f"descend: {moved} towards {target_tempo:.0f}{also}",
            "trough": f"trough: {moved}, steady pulse, no vocals{also}",
            "plateau": f"plateau: {moved}, steady pulse, no vocals{also}",
            "rise": f"rise: {moved}{also}, a gentle lift before the end",
            "fade": f"fade: {moved}{also}, towards near-silence",
            "dip": f"dip: {moved}{also}, settling before the lift",
            "settle": f"settle: {moved} towards a moderate {target_tempo:.0f}{also}",
            "steady": f"steady: {moved}, a moderate even pulse{also}",
        }[phase]
        return text + ("; fading out by the end" if last and phase == "fade" else "")


def _rule_name(label: str, phase: str, previous: Recipe, recipe: Recipe) -> str:
    if label == "iso":
        return "iso-entry"
    if phase in ("trough", "plateau") and recipe.tempo_bpm == previous.tempo_bpm:
        return "trough-hold"
    return {
        "descend": "arc-descend",
        "trough": "arc-trough",
        "plateau": "arc-trough",
        "rise": "arc-rise",
        "fade": "fade-out",
        "dip": "arc-dip",
        "settle": "arc-settle",
        "steady": "arc-steady",
    }[phase]

"""The physiology guard: rules, never learned, that step back or stop a session.

- HR above the listener's calibration baseline by `margin_bpm` for `margin_s` → step back to
  calmer music (or near-silence).
- After a step back, HR still rising, or still above the margin for another `margin_s` → fade
  out, stop, and alert staff.
- HR outside the absolute limits for LIMIT_PERSIST_S → fade out, stop, and alert staff at once.

Music can raise HR and blood pressure (Bernardi 2006, 2009); a listener who cannot say so (in
dementia, after sedation) must be protected by the device. Only windows of usable quality count,
so a motion artefact's phantom 180 bpm never stops a session, and a lost sensor never does
either (the guard then only waits: the session carries on rules-only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from appliance.vocabulary import USABLE_QUALITY

LIMIT_PERSIST_S = 10.0  # two consecutive 5-s updates beyond a limit: not a single glitch
RISING_BPM = 5.0  # after a step back, this much above the HR at the step back = still rising


class Action(Enum):
    OK = "ok"
    STEP_BACK = "step_back"
    STOP = "stop"


@dataclass(frozen=True)
class Verdict:
    action: Action
    reason: str = ""


OK = Verdict(Action.OK)


class SafetyGuard:
    def __init__(
        self,
        *,
        margin_bpm: float = 25.0,
        margin_s: float = 60.0,
        max_bpm: float = 150.0,
        min_bpm: float = 40.0,
    ) -> None:
        if not min_bpm < max_bpm:
            raise ValueError(f"HR limits {min_bpm}..{max_bpm} bpm are not in order")
        self.margin_bpm = float(margin_bpm)
        self.margin_s = float(margin_s)
        self.max_bpm = float(max_bpm)
        self.min_bpm = float(min_bpm)
        self._elevated_since: float | None = None
        self._outside_since: float | None = None
        self._stepped_back_at: tuple[float, float] | None = None  # (t, HR)
        self.stopped = False

    def update(
        self, t: float, hr_bpm: float | None, baseline_hr_bpm: float | None, quality: float
    ) -> Verdict:
        """Feed one physiology window (t in seconds); say what the session must do now."""
        if self.stopped:
            return OK
        if hr_bpm is None or not math.isfinite(hr_bpm) or quality < USABLE_QUALITY:
            return OK  # unknown is not alarming; the streak resumes with the next good window
        verdict = self._limits(t, hr_bpm)
        if verdict.action is Action.OK and baseline_hr_bpm is not None:
            verdict = self._margin(t, hr_bpm, baseline_hr_bpm)
        if verdict.action is Action.STOP:
            self.stopped = True
        return verdict

    def _limits(self, t: float, hr: float) -> Verdict:
        if self.min_bpm <= hr <= self.max_bpm:
            self._outside_since = None
            return OK
        if self._outside_since is None:
            self._outside_since = t
        if t - self._outside_since >= LIMIT_PERSIST_S - 1e-6:
            side = "above" if hr > self.max_bpm else "below"
            limit = self.max_bpm if hr > self.max_bpm else self.min_bpm
            return Verdict(
                Action.STOP, f"HR {hr:.0f} bpm {side} the {limit:.0f} bpm limit: stopped"
            )
        return OK

    def _margin(self, t: float, hr: float, baseline: float) -> Verdict:
        if hr <= baseline + self.margin_bpm:
            self._elevated_since = None  # a streak must be unbroken
            return OK
        if self._elevated_since is None:
            self._elevated_since = t
        elevated_for = t - self._elevated_since
        if self._stepped_back_at is None:
            if elevated_for >= self.margin_s - 1e-6:
                self._stepped_back_at = (t, hr)
                self._elevated_since = t  # the step back gets its own margin_s to work
                return Verdict(
                    Action.STEP_BACK,
                    f"HR {hr:.0f} bpm, {hr - baseline:.0f} above baseline for "
                    f"{elevated_for:.0f} s: stepping back to calmer music",
                )
            return OK
        _, hr_then = self._stepped_back_at
        if hr >= hr_then + RISING_BPM:
            return Verdict(
                Action.STOP,
                f"HR still rising after stepping back ({hr_then:.0f} → {hr:.0f} bpm): "
                "stopped, staff alerted",
            )
        if elevated_for >= self.margin_s - 1e-6:
            return Verdict(
                Action.STOP,
                f"HR {hr:.0f} bpm still {hr - baseline:.0f} above baseline "
                f"{elevated_for:.0f} s after stepping back: stopped, staff alerted",
            )
        return OK

"""When an irregular heart rhythm goes into the session's record.

Each window's HRV is left out as soon as the window is irregular (signals/rhythm.py); the
record is for a clinician, so it names a spell only once it has lasted EPISODE_S, the shortest
episode clinical monitoring counts as atrial fibrillation (30 s: Hindricks et al. 2021, ESC
Guidelines for AF, Eur Heart J 42:373). Shorter runs of irregular windows are mostly wrist-pulse
jitter and motion in healthy people. A spell ends on a regular window of usable quality; a
window too poor to judge leaves it open.
"""

from __future__ import annotations

from appliance.signals.features import WindowFeatures
from appliance.vocabulary import USABLE_QUALITY

EPISODE_S = 30.0


class RhythmSpells:
    def __init__(self) -> None:
        self._since: float | None = None  # when the current irregular run began
        self._recorded = False

    def update(self, elapsed_s: float, window: WindowFeatures) -> str | None:
        """The event's detail when a spell has just lasted EPISODE_S, else None."""
        if window.irregular_rhythm:
            if self._since is None:
                self._since = elapsed_s
            if not self._recorded and elapsed_s - self._since >= EPISODE_S:
                self._recorded = True
                return (
                    f"pulse irregular for {elapsed_s - self._since:.0f} s at "
                    f"{window.hr_bpm:.0f} bpm (as in AF or frequent ectopic beats); "
                    "pulse-rate variability left out while it lasts"
                )
        elif window.ppg_quality >= USABLE_QUALITY:
            self._since, self._recorded = None, False
        return None

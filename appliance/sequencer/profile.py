"""A listener's profile as the sequencer needs it: one goal, one constraint, and two flags.

This module is the one place that says which keys and values exist and what they mean for the
music. The technician's YAML profile (appliance/listeners) builds a SequencerProfile directly;
a virtual listener model's plain dict (simulate/) goes through from_dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from appliance.vocabulary import GOALS

# The one constraint a listener (or their family/clinician) may set; each is a hard mask.
CONSTRAINTS: dict[str, str] = {
    "none": "no constraint",
    "no_vocals": "never music with singing (generated music has none; personal tracks tagged "
    "vocals are skipped)",
    "no_minor": "never the minor mode",
    "quiet": f"a lower volume cap: segments never above {-30:.0f} dB",
    "no_personal": "never personal music (only generated)",
    "no_generated": "only personal music, when the listener has any",
}
QUIET_CAP_DB = -30.0  # the "quiet" constraint's loudness cap (recipe level, before the master)

DEFAULT_SESSION_MIN = 20.0
DEMENTIA_SESSION_MIN = 30.0  # longer settling and a slower arc suit people living with dementia
MAX_SESSION_MIN = 60.0  # the session cap: no profile may ask for more
MIN_SESSION_MIN = 5.0


@dataclass(frozen=True)
class SequencerProfile:
    goal: str = "relax"
    constraint: str = "none"
    dementia: bool = False
    breathing_guide: bool = False  # opt-in: loudness swell paced towards ~6 breaths/min
    session_min: float | None = None  # None: 30 with dementia, else the configured length

    def __post_init__(self) -> None:
        if self.goal not in GOALS:
            raise ValueError(f"goal {self.goal!r} is not one of {', '.join(GOALS)}")
        if self.constraint not in CONSTRAINTS:
            raise ValueError(
                f"constraint {self.constraint!r} is not one of {', '.join(CONSTRAINTS)}"
            )
        if self.session_min is not None and not (
            MIN_SESSION_MIN <= self.session_min <= MAX_SESSION_MIN
        ):
            limits = f"{MIN_SESSION_MIN:g}..{MAX_SESSION_MIN:g}"
            raise ValueError(f"session_min {self.session_min} is outside {limits}")

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any] | None, *, default_goal: str = "relax"
    ) -> SequencerProfile:
        """Read a profile dict; missing keys take the defaults, unknown keys are refused (a
        misspelt constraint must never silently mean "no constraint")."""
        data = dict(data or {})
        known = {"goal", "constraint", "dementia", "breathing_guide", "session_min"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown listener profile keys: {', '.join(unknown)}")
        for flag in ("dementia", "breathing_guide"):
            if flag in data and not isinstance(data[flag], bool):
                raise ValueError(f"{flag} must be true or false, not {data[flag]!r}")
        session_min = data.get("session_min")
        return cls(
            goal=str(data.get("goal") or default_goal),
            constraint=str(data.get("constraint") or "none"),
            dementia=bool(data.get("dementia", False)),
            breathing_guide=bool(data.get("breathing_guide", False)),
            session_min=None if session_min is None else float(session_min),
        )

    def session_s(self, configured_min: float = DEFAULT_SESSION_MIN) -> float:
        """Planned length: the profile's own, else 30 min with dementia, else the configured
        length; never above the session cap."""
        if self.session_min is not None:
            minutes = self.session_min
        elif self.dementia:
            minutes = max(DEMENTIA_SESSION_MIN, configured_min)
        else:
            minutes = configured_min
        return 60.0 * min(minutes, MAX_SESSION_MIN)

"""What a session needs of the parts the composition root hands it, as typed seams.

The sequencer's safety guard (`watch`) is part of the Sequencer seam, not an optional extra: a
session refuses, at construction, a sequencer that cannot be watched over, so no session can
run unguarded.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Protocol, runtime_checkable

import numpy as np

from appliance.affect.estimate import AffectEstimate
from appliance.music.recipe import Recipe
from appliance.music.stream import SegmentSource
from appliance.sequencer.decision import Decision, Outcome, SequencerState
from appliance.signals.features import WindowFeatures


@runtime_checkable
class Sequencer(Protocol):
    def next(self, state: SequencerState) -> Decision:
        """The next segment (or a stop) from the rules and what has worked for this listener."""
        ...

    def observe(self, outcome: Outcome) -> None:
        """A finished segment's outcome: what the sequencer learns from."""
        ...

    def watch(
        self, elapsed_s: float, features: WindowFeatures, baseline_hr_bpm: float | None
    ) -> Decision | None:
        """The safety guard, fed every physiology window: a Decision overrides the segment
        playing (a step back to calmer music, or a stop now with a staff alert)."""
        ...


@runtime_checkable
class Renderer(Protocol):
    sample_rate: int

    def render(self, recipe: Recipe, seconds: float) -> np.ndarray:
        """The whole segment's PCM, (frames, 2) float32."""
        ...

    def stream(self, recipe: Recipe, seconds: float) -> SegmentSource:
        """The same samples as a source the mixer reads as it plays (bounded memory)."""
        ...


@runtime_checkable
class SessionLog(Protocol):
    """Where a session writes its record: the store, or the consent filter in front of it."""

    def start_session(
        self,
        listener_id: str | None,
        goal: str,
        planned_s: float,
        wall_start: datetime | None = None,
        *,
        policy: str | None = None,
        randomised: bool = False,
    ) -> int: ...

    def add_decision(self, session_id: int, t_s: float, decision: Decision) -> None: ...

    def add_physiology(
        self,
        session_id: int,
        t_s: float,
        features: WindowFeatures,
        estimate: AffectEstimate | None,
    ) -> None: ...

    def add_event(self, session_id: int, t_s: float, kind: str, detail: str = "") -> None: ...

    def note_progress(self, session_id: int, t_s: float) -> None: ...

    def end_session(
        self, session_id: int, status: str, duration_s: float, summary: dict[str, Any]
    ) -> None: ...


class Rendering(Enum):
    """Where a segment is rendered, chosen by whoever builds the session."""

    # On the session's own thread, waited for: a simulated clock's session is reproducible.
    INLINE = "inline"
    # In a worker while the loop keeps the audio flowing; the music is streamed as it plays.
    BACKGROUND = "background"


def require(part: object, seam: type, name: str) -> None:
    """Refuse a part that lacks what its seam names, saying which methods are missing."""
    if not isinstance(part, seam):
        wanted = [m for m in seam.__dict__ if not m.startswith("_") and callable(seam.__dict__[m])]
        missing = [m for m in wanted if not callable(getattr(part, m, None))]
        raise TypeError(
            f"a session's {name} must provide {', '.join(wanted)}; "
            f"{type(part).__name__} lacks {', '.join(missing) or 'attributes the seam names'}"
        )

"""`attune outcomes compare`: the randomised comparison of the adaptive music against the fixed
U-sequence for one listener, in words a clinician can read.

The outcome compared is each session's change in estimated arousal (the session outcome's one
definition), as calming: how far arousal fell from the start to the end. Only sessions whose
policy was drawn at random count (listeners/comparison.py); the difference in mean calming
comes with a bootstrap interval and the number of sessions behind it, and nothing is claimed
below MIN_PER_POLICY sessions of each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from appliance.listeners.comparison import ADAPTIVE, U_SEQUENCE, WORDS
from appliance.report.outcomes import session_outcome
from appliance.report.stats import LEVEL, Estimate, mean_difference
from appliance.store.db import Store

MIN_PER_POLICY = 4  # below this, a bootstrap interval of a mean is not worth reading


@dataclass
class Comparison:
    listener_id: str
    calming: dict[str, list[float]] = field(default_factory=dict)  # policy → per session
    difference: Estimate | None = None  # adaptive − U-sequence mean calming

    @property
    def sessions(self) -> int:
        return sum(len(v) for v in self.calming.values())

    @property
    def needed(self) -> int:
        return 2 * MIN_PER_POLICY

    @property
    def enough(self) -> bool:
        return all(len(self.calming.get(p, [])) >= MIN_PER_POLICY for p in (ADAPTIVE, U_SEQUENCE))

    def lines(self) -> list[str]:
        a, u = (self.calming.get(p, []) for p in (ADAPTIVE, U_SEQUENCE))
        counts = f"{len(a)} with the adaptive music, {len(u)} with the fixed U-sequence"
        head = f"Listener {self.listener_id}: "
        if not self.enough:
            return [
                head + f"not yet enough sessions: {self.sessions} of the {self.needed} needed "
                f"({counts}; at least {MIN_PER_POLICY} of each)."
            ]
        d = self.difference
        assert d is not None
        mean_a, mean_u = (sum(v) / len(v) for v in (a, u))
        lines = [
            head + f"{self.sessions} randomised sessions ({counts}).",
            f"Arousal fell by {mean_a:.2f} on average with the adaptive music and by {mean_u:.2f} "
            f"with the fixed U-sequence (0-1 scale).",
            f"Difference: {_signed(d.value)} for the adaptive music "
            f"({LEVEL:.0%} interval {_signed(d.low)} to {_signed(d.high)}).",
        ]
        if math.isfinite(d.low) and d.low > 0:
            lines.append("The adaptive music calms this resident more than the fixed U-sequence.")
        elif math.isfinite(d.high) and d.high < 0:
            lines.append("The fixed U-sequence calms this resident more than the adaptive music.")
        else:
            lines.append(
                "No clear difference: the interval includes no difference. More sessions narrow it."
            )
        return lines


def _signed(x: float) -> str:
    return f"{x:+.2f}"


def session_calming(store: Store, session_id: int) -> float | None:
    """How far estimated arousal fell over the session (the session outcome's arousal
    change, negated); None when it was not measured."""
    change = session_outcome(store, session_id).arousal.change
    return None if change is None else -change


def compare_listener(store: Store, listener_id: str) -> Comparison:
    result = Comparison(listener_id, {ADAPTIVE: [], U_SEQUENCE: []})
    for session_id, (policy, randomised) in store.policies(listener_id).items():
        if not randomised or policy not in WORDS:
            continue
        calming = session_calming(store, session_id)
        if calming is not None and math.isfinite(calming):
            result.calming[policy].append(calming)
    if result.enough:
        result.difference = mean_difference(result.calming[ADAPTIVE], result.calming[U_SEQUENCE])
    return result


def compared_listeners(store: Store) -> list[str]:
    """Listeners with at least one randomised session, in id order."""
    found = {s.listener_id for s in store.sessions() if s.listener_id is not None}
    return sorted(lid for lid in found if any(r for _, r in store.policies(lid).values()))

"""The opt-in comparison: does the adaptive music help this listener more than the fixed
U-sequence?

For a listener whose profile says `compare_adaptation: true` (with consent), each session is
drawn at random between the two policies, in blocks of two: after an even number of randomised
sessions each policy has played equally often, so a short run of sessions is still balanced
and the order within each block is a coin toss. Which one played is recorded with the session
(store: sessions.policy and sessions.randomised); `attune outcomes compare` reads it back.
"""

from __future__ import annotations

from typing import Protocol

from appliance.store.db import Store

ADAPTIVE = "adaptive"
U_SEQUENCE = "u_sequence"
# Recorded name → the sequencer's policy. The U-sequence is the rules' arc (descend, hold,
# rise) with the clinical default music and no learning in the choice: open loop in what it
# plays, as the products care homes already buy are.
SEQUENCER_POLICY = {ADAPTIVE: "adaptive", U_SEQUENCE: "rules"}
WORDS = {ADAPTIVE: "adaptive music", U_SEQUENCE: "fixed U-sequence"}


class Coin(Protocol):
    def random(self) -> float: ...


def draw_policy(store: Store, listener_id: str, rng: Coin) -> str:
    """The policy of the listener's next randomised session (blocks of two)."""
    played = [p for p, randomised in store.policies(listener_id).values() if randomised and p]
    adaptive = played.count(ADAPTIVE)
    u_sequence = played.count(U_SEQUENCE)
    if adaptive != u_sequence:  # the second half of a block: the other one
        return ADAPTIVE if adaptive < u_sequence else U_SEQUENCE
    return ADAPTIVE if rng.random() < 0.5 else U_SEQUENCE

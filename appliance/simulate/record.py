"""Simulated sessions kept in a real store, dated as a care home's would be: one a day at
14:00 UTC, the last one today. A simulated resident's sessions then make a real trend report
(`attune listeners report`) and, with the comparison's randomisation, a real `attune outcomes
compare`.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import numpy as np

from appliance.listeners.comparison import SEQUENCER_POLICY, draw_policy
from appliance.simulate.harness import SessionRecord, listener_id, load_factory, simulate_session
from appliance.store.db import Store

RECORDED = ("adaptive", "rules", "compare")  # what a recorded run may play
# The name a session's record keeps for the sequencer's policy (rules: the fixed U-sequence).
RECORD_NAME = {sequencer: recorded for recorded, sequencer in SEQUENCER_POLICY.items()}
SESSION_TIME = time(14, 0, tzinfo=UTC)


def record_sessions(
    store: Store,
    *,
    listeners: int,
    sessions: int,
    policy: str,
    seed: int,
    model: str | None = None,
    today: datetime | None = None,
) -> list[SessionRecord]:
    """Every listener's sessions, day by day, into `store`. `policy` "compare" draws each
    session's policy as the device does for a listener in the comparison."""
    if policy not in RECORDED:
        raise ValueError(f"a recorded simulation plays one of {', '.join(RECORDED)}")
    factory = load_factory(model)
    last_day = (today or datetime.now(UTC)).date()
    coin = random.Random(seed)
    records = []
    for k in range(sessions):
        day = last_day - timedelta(days=sessions - 1 - k)
        for i in range(listeners):
            played, randomised = policy, False
            if policy == "compare":
                played = SEQUENCER_POLICY[draw_policy(store, listener_id(i), coin)]
                randomised = True
            sequencer_seed = int(np.random.default_rng([seed, i, k, 7]).integers(1 << 31))
            # One commit per simulated session, not one per window: a simulation needs no
            # power-cut durability of each row, and a file store's fsyncs would dominate.
            with store.transaction():
                record = simulate_session(
                    factory(i, k, seed),
                    index=i,
                    session=k,
                    policy=played,
                    store=store,
                    seed=sequencer_seed,
                    started_wall=datetime.combine(day, SESSION_TIME) + timedelta(minutes=30 * i),
                    recorded_policy=RECORD_NAME.get(played),
                    randomised=randomised,
                )
            records.append(record)
    return records

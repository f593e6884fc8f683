"""A Pi without a real-time clock boots at the last saved time and steps its wall clock at
NTP's first sync: the sessions recorded before the step move with it, the schedules follow the
clock as it now is. The wall clock here is the monotonic one plus an offset the test steps."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from appliance.clock import SimulatedClock, WallSteps
from appliance.service.state import State
from appliance.store.db import Store

STEP = timedelta(days=200)  # a box left in a cupboard: booted at its last shutdown's time
# Monday 1 June 2026, 14:30 local (stale) and, after the step, mid-December at the same hour:
# the first is within the profile's slot, the second on a Friday outside it.
STALE = datetime(2026, 6, 1, 14, 30)


def test_wall_steps_sees_a_step_once_and_ignores_jitter() -> None:
    mono = SimulatedClock(start=50.0)
    offset = [1_700_000_000.0]
    steps = WallSteps(wall=lambda: offset[0] + mono.now(), monotonic=mono.now)
    mono.advance(3600.0)
    offset[0] += 0.5  # NTP slewing: below a step
    assert steps.step() == 0.0
    offset[0] += STEP.total_seconds()
    assert steps.step() == STEP.total_seconds() + 0.5
    mono.advance(60.0)
    assert steps.step() == 0.0  # seen once
    offset[0] -= 30.0
    assert steps.step() == -30.0


def run_session(h) -> int:
    h.tap()
    assert h.service.state is State.SESSION
    h.tap()
    h.until(lambda: h.service.state is State.IDLE, "idle")
    return h.service.last_result.session_id


def test_sessions_recorded_before_the_step_move_with_it_and_schedules_follow(
    harness, tmp_path: Path
) -> None:
    profile = (
        "id: L-0300\ngoal: relax\nsession_min: 5\nschedule: ['mon 14:00-15:00']\n"
        "consent:\n  given: true\n  date: 2024-01-01\n"
    )
    offset = [STALE.timestamp() - time.monotonic()]

    def wall() -> float:
        return offset[0] + time.monotonic()

    with Store(tmp_path / "state" / "attune.db") as previous:  # what an earlier start recorded
        earlier = previous.start_session(None, "relax", 60.0)
        previous.end_session(earlier, "completed", 60.0, {})
    h = harness(
        listeners=profile,
        now_local=lambda: datetime.fromtimestamp(wall()),
        wall_steps=WallSteps(wall=wall),
    )
    store = h.service.appliance.store
    h.service.start()
    first = run_session(h)
    assert store.session(first).listener_id == "L-0300"  # Monday 14:30: the slot's listener
    before = {i: store.session(i) for i in (earlier, first)}

    offset[0] += STEP.total_seconds()  # NTP's first sync
    h.run(0.1)

    after = {i: store.session(i) for i in (earlier, first)}
    assert after[earlier] == before[earlier]
    assert after[first].started_wall - before[first].started_wall == STEP
    assert after[first].ended_wall - before[first].ended_wall == STEP
    assert after[first].duration_s == before[first].duration_s
    # Now mid-December (a Friday): outside the slot, so no listener is chosen by it.
    second = run_session(h)
    assert store.session(second).listener_id is None
    stamped = store.session(second).started_wall
    h.run(0.1)
    assert store.session(second).started_wall == stamped  # recorded after the step: stays
    assert store.session(first).started_wall == after[first].started_wall  # moved only once

"""The soak's seeded fault plan: what bench/bench_soak.py injects into each session."""

from __future__ import annotations

import random

from bench.bench_soak import plan_faults

SESSION_S = 600.0


def test_every_plan_has_short_bursts_and_an_unplug_that_is_back_before_the_end() -> None:
    rng = random.Random(1)
    plans = [plan_faults(rng, SESSION_S) for _ in range(200)]
    for plan in plans:
        assert 1 <= len(plan.bursts) <= 3 and len(plan.unplugs) <= 1
        for name, start, length in plan.bursts:
            assert name in ("ppg", "gsr") and 0.2 <= length <= 2.0
            assert start > 0.0 and start + length < SESSION_S
        for name, start, length in plan.unplugs:
            assert name in ("ppg", "gsr") and 10.0 <= length <= 60.0
            assert start + length + 30.0 <= SESSION_S  # re-plugged with time to come back
    assert any(plan.unplugs for plan in plans) and not all(plan.unplugs for plan in plans)


def test_the_same_seed_plans_the_same_faults() -> None:
    assert plan_faults(random.Random(7), SESSION_S) == plan_faults(random.Random(7), SESSION_S)

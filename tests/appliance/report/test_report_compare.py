"""The randomised comparison on simulated residents whose true effect is known: a positive
effect gives an interval above zero that holds the truth, no effect an interval that holds
zero, and too few sessions say so instead of a number."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from appliance.app import DB_NAME
from appliance.cli import main as attune
from appliance.listeners.comparison import ADAPTIVE, U_SEQUENCE, draw_policy
from appliance.report.compare import MIN_PER_POLICY, compare_listener
from appliance.report.stats import mean_difference
from appliance.store.db import Store
from tests.appliance.report.residents import record_session

U_CALMING = 0.10  # how far the fixed U-sequence brings arousal down, on average
SPREAD = 0.05  # session-to-session variation of the calming


def resident(store: Store, listener_id: str, *, effect: float, sessions: int, seed: int) -> None:
    """A resident in the comparison: each session's policy drawn by the device's own
    randomisation, its calming drawn around the policy's true mean."""
    rng = np.random.default_rng(seed)
    for day in range(sessions):
        policy = draw_policy(store, listener_id, rng)
        mean = U_CALMING + (effect if policy == ADAPTIVE else 0.0)
        record_session(
            store,
            listener_id,
            day=day,
            calming=float(rng.normal(mean, SPREAD)),
            policy=policy,
            randomised=True,
            rng=rng,
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_known_positive_effect_is_found_with_an_interval_that_holds_it(
    tmp_path: Path, seed: int
) -> None:
    with Store(tmp_path / "s.db") as store:
        resident(store, "L-1", effect=0.12, sessions=16, seed=seed)
        result = compare_listener(store, "L-1")
    d = result.difference
    assert result.sessions == 16 and len(result.calming[ADAPTIVE]) == 8
    assert d is not None and 0 < d.low < 0.12 < d.high
    assert "calms this resident more than the fixed U-sequence" in result.lines()[-1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_effect_gives_an_interval_that_holds_zero(tmp_path: Path, seed: int) -> None:
    with Store(tmp_path / "s.db") as store:
        resident(store, "L-2", effect=0.0, sessions=16, seed=seed)
        result = compare_listener(store, "L-2")
    d = result.difference
    assert d is not None and d.low < 0 < d.high
    assert result.lines()[-1].startswith("No clear difference")


def test_below_the_minimum_it_says_not_yet_enough_sessions(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        resident(store, "L-3", effect=0.3, sessions=3, seed=0)
        # A session before the listener opted in is not randomised: it does not count.
        record_session(store, "L-3", day=9, calming=0.5, rng=np.random.default_rng(0))
        result = compare_listener(store, "L-3")
    assert result.difference is None
    assert result.lines() == [
        "Listener L-3: not yet enough sessions: 3 of the 8 needed (2 with the adaptive music, "
        "1 with the fixed U-sequence; at least 4 of each)."
    ]


def test_randomisation_is_balanced_in_blocks_of_two(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    with Store(tmp_path / "s.db") as store:
        drawn = []
        for _ in range(20):
            policy = draw_policy(store, "L-4", rng)
            drawn.append(policy)
            store.start_session("L-4", "relax", 60, policy=policy, randomised=True)
    pairs = [tuple(sorted(drawn[i : i + 2])) for i in range(0, 20, 2)]
    assert set(pairs) == {(ADAPTIVE, U_SEQUENCE)}
    firsts = {drawn[i] for i in range(0, 20, 2)}
    assert firsts == {ADAPTIVE, U_SEQUENCE}  # the order within a block is drawn, not fixed


def test_outcomes_compare_prints_every_compared_listener(tmp_path: Path, capsys) -> None:
    state = tmp_path / "state"
    with Store(state / DB_NAME) as store:
        resident(store, "L-5", effect=0.12, sessions=12, seed=4)
        resident(store, "L-6", effect=0.0, sessions=2, seed=4)
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {state}\n")
    assert attune(["--config", str(config), "outcomes", "compare"]) == 0
    out = capsys.readouterr().out
    assert "Listener L-5: 12 randomised sessions (6 with the adaptive music" in out
    assert "95% interval" in out
    assert "Listener L-6: not yet enough sessions: 2 of the 8 needed" in out
    assert attune(["--config", str(config), "outcomes", "compare", "Mrs Smith"]) == 2
    assert "Mrs Smith" in capsys.readouterr().err


def test_at_the_minimum_the_interval_holds_the_truth_about_as_often_as_it_says() -> None:
    """Over many residents with no effect and the fewest sessions that give a verdict, the
    95% interval holds zero about 95% of the time (a plain percentile interval: 85%)."""
    rng = np.random.default_rng(0)
    residents = 300
    held = 0
    for _ in range(residents):
        a = rng.normal(U_CALMING, SPREAD, MIN_PER_POLICY)
        b = rng.normal(U_CALMING, SPREAD, MIN_PER_POLICY)
        d = mean_difference(a, b)
        held += d.low <= 0 <= d.high
    assert 0.91 <= held / residents <= 0.99

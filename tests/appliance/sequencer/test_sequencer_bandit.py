"""Linear Thompson sampling: it learns, it reports honest probabilities, its state round-trips."""

from __future__ import annotations

import json

import numpy as np
import pytest

from appliance.sequencer import arms as A
from appliance.sequencer.bandit import (
    Evidence,
    LinearThompson,
    clinical_prior_mean,
    population_prior_mean,
)

CONTEXT = A.context_vector("descend", 0.0)


def true_reward(arm: A.Arm) -> float:
    # Strings and the sparse texture are good, minor is bad for this synthetic listener.
    return (
        0.8 * (arm.instrument == "strings")
        + 0.3 * (arm.texture == "sparse")
        - 0.6 * (arm.mode == "minor")
    )


def test_it_learns_the_best_arm_from_noisy_rewards() -> None:
    rng = np.random.default_rng(1)
    bandit = LinearThompson()
    arms = [a for a in A.ALL_ARMS if a.instrument != A.PERSONAL]
    picks = []
    for _ in range(300):
        arm, p, _ = bandit.choose(arms, CONTEXT, rng)
        assert 0 < p <= 1
        bandit.update(arm, CONTEXT, true_reward(arm) + rng.normal(0, 1.0))
        picks.append(arm)
    assert bandit.best(arms, CONTEXT) == A.Arm("strings", "major", "sparse")
    late = picks[-100:]
    assert sum(a.instrument == "strings" for a in late) > 50  # 1 in 6 at random
    assert sum(a.mode == "minor" for a in late) < 15


def test_without_evidence_the_clinical_default_is_preferred() -> None:
    bandit = LinearThompson()
    assert bandit.best(list(A.ALL_ARMS), CONTEXT) == A.DEFAULT_ARM
    assert clinical_prior_mean()[: A.N_ARM_FEATURES] @ A.arm_vector(A.DEFAULT_ARM) > 0
    rng = np.random.default_rng(0)
    counts = {}
    draws = 3000
    for _ in range(draws):
        arm, _, _ = bandit.choose(list(A.ALL_ARMS), CONTEXT, rng)
        counts[arm] = counts.get(arm, 0) + 1
    uniform = draws / len(A.ALL_ARMS)
    assert counts[A.DEFAULT_ARM] > 1.2 * uniform  # leaning to the default, yet it explores
    assert len(counts) > 3


def test_the_choice_probability_matches_how_often_the_arm_is_drawn() -> None:
    bandit = LinearThompson()
    rng = np.random.default_rng(3)
    for _ in range(30):
        bandit.update(A.Arm("harp", "major"), CONTEXT, 1.0)
        bandit.update(A.Arm("winds", "major"), CONTEXT, 0.8)
    arms = [A.Arm("harp", "major"), A.Arm("winds", "major")]
    draws = [bandit.choose(arms, CONTEXT, rng) for _ in range(400)]
    share = sum(a == arms[0] for a, _, _ in draws) / len(draws)
    reported = np.mean([p for a, p, _ in draws if a == arms[0]])
    assert reported == pytest.approx(share, abs=0.1)


def test_evidence_survives_a_json_round_trip_and_refuses_other_layouts() -> None:
    e = Evidence()
    e.add(A.design([A.DEFAULT_ARM], CONTEXT)[0], 1.5)
    state = json.loads(json.dumps(e.to_state()))
    back = Evidence.from_state(state)
    assert np.allclose(back.xx, e.xx) and np.allclose(back.xr, e.xr) and back.n == e.n
    assert Evidence.from_state({**state, "n_features": 3}).n == 0.0
    assert Evidence.from_state(None).n == 0.0


def test_discounting_forgets_old_evidence() -> None:
    e = Evidence()
    x = A.design([A.DEFAULT_ARM], CONTEXT)[0]
    e.add(x, 1.0, discount=0.9)
    for _ in range(50):
        e.add(np.zeros_like(x), 0.0, discount=0.9)
    assert e.xr @ x < 0.01 * (x @ x)


def test_other_listeners_move_the_prior_part_of_the_way() -> None:
    other = Evidence()
    harp = A.design([A.Arm("harp", "major")], CONTEXT)[0]
    for _ in range(100):
        other.add(harp, 2.0, discount=1.0)
    prior = population_prior_mean([other])
    clinical = clinical_prior_mean()
    assert A.arm_vector(A.Arm("harp", "major")) @ prior[: A.N_ARM_FEATURES] > (
        A.arm_vector(A.Arm("harp", "major")) @ clinical[: A.N_ARM_FEATURES]
    )
    assert np.array_equal(population_prior_mean([]), clinical)


def test_a_session_wide_offset_is_not_blamed_on_its_music() -> None:
    # Strings beat harp by 0.5 within every session; the harp-only session happened on a very
    # good day (+3 for everything). Within-session evidence still ranks strings above harp.
    strings, harp, winds = (
        A.Arm("strings", "major"),
        A.Arm("harp", "major"),
        A.Arm("winds", "major"),
    )
    state = None
    for day, pairs in ((0.0, (strings, winds)), (3.0, (harp, winds)), (0.0, (strings, harp))):
        bandit = LinearThompson(evidence=Evidence.from_state(state))
        for k in range(8):
            arm = pairs[k % 2]
            value = {strings: 1.0, harp: 0.5, winds: 0.4}[arm]
            bandit.update(arm, CONTEXT, day + value)
        state = bandit.evidence.to_state()
    assert bandit.best([strings, harp], CONTEXT) == strings


def test_one_segment_compares_with_nothing() -> None:
    bandit = LinearThompson()
    bandit.update(A.Arm("harp", "major"), CONTEXT, 3.0)
    assert not bandit.evidence.xr.any()
    bandit.update(A.Arm("winds", "major"), CONTEXT, 1.0)
    assert (
        bandit.best([A.Arm("harp", "major"), A.Arm("winds", "major")], CONTEXT).instrument == "harp"
    )

"""How fast and how safely the bandit learns: noise estimate, change detection, the session's
progress, the conservative opening, a stop's verdict, reading older stored states."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.affect.baseline import Baseline
from appliance.sequencer import arms as A
from appliance.sequencer.adaptive import MODEL_NAME, AdaptiveSequencer
from appliance.sequencer.bandit import CHANGE_DISCOUNT, DISCOUNT, LinearThompson
from appliance.sequencer.decision import Outcome, SequencerState
from appliance.sequencer.evidence import (
    NOISE_SD,
    Evidence,
    clinical_prior_mean,
    noise_variance,
)
from appliance.sequencer.profile import SequencerProfile
from appliance.simulate.feeds import SimulatedLibrary
from appliance.store.bandit_state import LearningStore
from appliance.store.db import MEMORY, Store

CONTEXT = A.context_vector("descend", 0.0)
STRINGS, HARP, WINDS = A.Arm("strings", "major"), A.Arm("harp", "major"), A.Arm("winds", "major")


def session(
    bandit_state: dict | None,
    values: dict[A.Arm, float],
    rng: np.random.Generator,
    sd: float,
    day_scale: float = 1.0,
) -> LinearThompson:
    """One session of eight segments alternating over `values`' arms, noisy rewards, all on
    the day's reward scale (the calibration's spread divides every reward of a day alike)."""
    bandit = LinearThompson(evidence=Evidence.from_state(bandit_state))
    arms = list(values)
    for k in range(8):
        arm = arms[k % len(arms)]
        bandit.update(arm, CONTEXT, day_scale * (values[arm] + rng.normal(0, sd)))
    return bandit


def test_the_reward_noise_is_estimated_from_the_listeners_own_residuals() -> None:
    rng = np.random.default_rng(0)
    estimates = {}
    for sd in (0.3, 2.0):
        state = None
        for _ in range(15):
            bandit = session(state, {STRINGS: 1.0, HARP: 0.2, WINDS: 0.5}, rng, sd)
            state = bandit.evidence.to_state()
        estimates[sd] = np.sqrt(bandit.posterior()[2])
    assert estimates[0.3] < 0.6 < NOISE_SD  # learns that this listener's rewards are clean
    assert estimates[2.0] > 1.5  # …and that this one's are not
    # Without residuals the prior guess stands.
    assert noise_variance(Evidence(), clinical_prior_mean()) == pytest.approx(NOISE_SD**2)


def test_cleaner_rewards_sharpen_the_posterior_and_exploit_sooner() -> None:
    spread = {}
    for sd in (0.3, 1.5):
        rng = np.random.default_rng(1)
        state = None
        for _ in range(4):
            bandit = session(state, {STRINGS: 1.0, HARP: 0.5}, rng, sd)
            state = bandit.evidence.to_state()
        _, _, p = bandit.choose([STRINGS, HARP], CONTEXT, np.random.default_rng(2))
        spread[sd] = p if bandit.best([STRINGS, HARP], CONTEXT) == STRINGS else 0.0
    assert spread[0.3] > spread[1.5]


def test_change_detection_fires_when_the_listeners_taste_changes() -> None:
    rng = np.random.default_rng(3)
    state = None
    for _ in range(6):  # strings clearly best, session after session
        bandit = session(state, {STRINGS: 1.5, HARP: 0.0}, rng, 0.3)
        assert not bandit.change_detected
        state = bandit.evidence.to_state()
    before = Evidence.from_state(state)
    drifted = session(state, {STRINGS: 0.0, HARP: 1.5}, rng, 0.3)  # now harp
    assert drifted.change_detected
    # The earlier sessions were faded hard, so this session's evidence already weighs.
    assert drifted.earlier.n == pytest.approx(before.n * DISCOUNT * CHANGE_DISCOUNT)
    following = session(drifted.evidence.to_state(), {STRINGS: 0.0, HARP: 1.5}, rng, 0.3)
    assert following.best([STRINGS, HARP], CONTEXT) == HARP  # followed within two sessions


def test_change_detection_rarely_fires_on_a_steady_listener_whatever_the_days_scale() -> None:
    # Each day's rewards come on that day's scale (×0.5..×2): a steady taste is no change.
    alarms = sessions = 0
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        state = None
        for _ in range(8):
            day = float(np.exp(rng.normal(0.0, 0.4)))
            bandit = session(state, {STRINGS: 1.0, HARP: 0.4, WINDS: 0.7}, rng, 0.5, day)
            alarms += bandit.change_detected
            sessions += 1
            state = bandit.evidence.to_state()
    assert alarms <= 0.025 * sessions  # of 320 sessions; the test's level is 1 %


def test_a_change_of_taste_is_caught_within_two_sessions_on_any_days_scale() -> None:
    caught = []
    for seed in range(10):
        rng = np.random.default_rng(200 + seed)
        state = None
        for _ in range(6):  # strings clearly best
            day = float(np.exp(rng.normal(0.0, 0.4)))
            state = session(state, {STRINGS: 1.5, HARP: 0.0}, rng, 0.5, day).evidence.to_state()
        detected = False
        for _ in range(2):  # …then harp
            day = float(np.exp(rng.normal(0.0, 0.4)))
            bandit = session(state, {STRINGS: 0.0, HARP: 1.5}, rng, 0.5, day)
            detected = detected or bandit.change_detected
            state = bandit.evidence.to_state()
        caught.append(detected)
    assert sum(caught) >= 9


def test_the_opening_keeps_the_default_while_the_evidence_is_thin() -> None:
    fresh = LinearThompson()
    arms = list(A.ALL_ARMS)
    assert fresh.conservative_best(arms, CONTEXT, A.DEFAULT_ARM)[0] == A.DEFAULT_ARM
    thin = LinearThompson()
    for arm in (A.DEFAULT_ARM, HARP, A.DEFAULT_ARM, HARP):  # harp a little better, twice
        thin.update(arm, CONTEXT, 0.3 if arm == HARP else 0.0)
    # A greedy opening would switch to harp; the evidence is far from 75 % sure of it.
    assert thin.best(arms, CONTEXT) == HARP
    assert 0.5 < thin.probability_better(HARP, A.DEFAULT_ARM) < 0.75
    assert thin.conservative_best(arms, CONTEXT, A.DEFAULT_ARM)[0] == A.DEFAULT_ARM
    rng = np.random.default_rng(4)
    state = None
    for _ in range(5):  # …then, consistently and clearly, over five sessions
        bandit = session(state, {A.DEFAULT_ARM: 0.0, HARP: 1.0}, rng, 0.3)
        state = bandit.evidence.to_state()
    arm, confidence = bandit.conservative_best(arms, CONTEXT, A.DEFAULT_ARM)
    assert arm.instrument == "harp" and confidence >= 0.75


def test_a_stop_teaches_even_as_the_sessions_only_segment() -> None:
    bandit = LinearThompson()
    before = bandit.best([STRINGS, HARP], CONTEXT)
    bandit.update_verdict(before, -3.0)
    assert bandit.evidence.n == 1
    assert bandit.best([STRINGS, HARP], CONTEXT) != before
    # A physiological reward alone, by contrast, compares with nothing yet.
    plain = LinearThompson()
    plain.update(HARP, CONTEXT, -3.0)
    assert not plain.evidence.xr.any()


def test_a_stop_in_the_first_segment_steers_the_next_session_away() -> None:
    base = Baseline(hr_bpm=80, rmssd_ms=30, scl_us=5, scr_per_min=4)
    with Store(MEMORY) as store:
        learning = LearningStore(store)

        def sequencer(seed: int) -> AdaptiveSequencer:
            return AdaptiveSequencer(
                profile=SequencerProfile(), session_s=1200.0, learning=learning,
                listener_id="L-1", library=SimulatedLibrary("L-1"), seed=seed,
            )  # fmt: skip

        first = sequencer(0)
        d = first.next(SequencerState(0.0, 1200.0, None, None, None, hr_bpm=70.0))
        # The opening plays the default.
        assert d.choice is not None and d.choice.arm == A.DEFAULT_ARM.key
        first.observe(Outcome(d, None, None, stopped=True, baseline=base))
        stored = Evidence.from_state(learning.load_state("L-1", MODEL_NAME))
        assert stored.n == 1
        again = sequencer(1).next(SequencerState(0.0, 1200.0, None, None, None, hr_bpm=70.0))
        assert again.choice is not None and again.choice.arm != A.DEFAULT_ARM.key


def test_an_older_stored_state_keeps_what_it_taught() -> None:
    # Version 3: no track-family factors; version 2 not the session-progress feature either,
    # nor a residual record.
    e = Evidence()
    for arm, value in ((HARP, 1.0), (STRINGS, 0.2)):
        e.add(A.design([arm], CONTEXT)[0], value)
    families = list(range(A.N_ARM_FEATURES - len(A.TRACK_FAMILIES), A.N_ARM_FEATURES))
    kept = [i for i in range(A.N_FEATURES) if i not in families]
    v3_xx, v3_xr = e.xx[np.ix_(kept, kept)], e.xr[kept]
    v3 = {"version": 3, "n_features": len(kept), "xx": v3_xx.tolist(), "xr": v3_xr.tolist(),
          "n": e.n, "rr": 0.5, "dof": 1.0}  # fmt: skip
    old = {
        "version": 2,
        "n_features": len(kept) - 1,
        "xx": v3_xx[:-1, :-1].tolist(),
        "xr": v3_xr[:-1].tolist(),
        "n": e.n,
    }
    from_v3 = Evidence.from_state(v3)
    assert np.allclose(from_v3.xx, e.xx) and np.allclose(from_v3.xr, e.xr)
    assert from_v3.rr == 0.5 and not from_v3.xx[families].any()
    back = Evidence.from_state(old)
    assert back.xx.shape == (A.N_FEATURES, A.N_FEATURES)
    assert np.allclose(back.xx[:-1, :-1], e.xx[:-1, :-1]) and not back.xx[-1].any()
    assert back.n == e.n and back.rr == 0 and back.dof == 0
    assert LinearThompson(evidence=back).best([HARP, STRINGS], CONTEXT) == HARP
    assert Evidence.from_state({**old, "version": 1}).n == 0
    assert Evidence.from_state({**old, "n_features": 5}).n == 0
    assert Evidence.from_state({**v3, "n_features": A.N_FEATURES}).n == 0  # shape mismatch


def test_the_sessions_own_progress_is_not_credited_to_music_played_late() -> None:
    # Every segment is calmer than the one before whatever plays (the arc accumulates); harp
    # and strings are equally good, but harp mostly comes second, as music a policy moves to.
    rng = np.random.default_rng(5)
    state = None
    for k in range(8):
        bandit = LinearThompson(evidence=Evidence.from_state(state))
        order = (STRINGS, HARP) if k % 4 else (HARP, STRINGS)
        for j in range(8):
            progress = (j + 1) / 8
            arm = order[0] if j < 4 else order[1]
            context = A.context_vector("descend", 0.0, progress=progress)
            bandit.update(arm, context, 2.0 * progress + rng.normal(0, 0.2))
        state = bandit.evidence.to_state()
    mean, _, _ = bandit.posterior()
    gap = (A.arm_vector(HARP) - A.arm_vector(STRINGS)) @ mean[: A.N_ARM_FEATURES]
    assert abs(gap) < 0.2  # the trend (2.0 over a session) went to the progress term

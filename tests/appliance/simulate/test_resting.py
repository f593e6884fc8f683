"""Virtual listeners' resting hearts follow the published norms by age band, carry the band as
a profile would, and the entry estimate reads a calm arrival lower than an agitated one."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from appliance.affect.priors import AGE_BANDS
from appliance.simulate.harness import simulate_session
from appliance.simulate.listener import RMSSD_FALL, VirtualListener
from appliance.simulate.population import age_band_for, builtin, traits_for
from appliance.simulate.resting import (
    LN_RMSSD_SD,
    RESTING_HR_BPM,
    RESTING_HR_SD_BPM,
    RESTING_RMSSD_MS,
    age_band_of,
    resting_heart,
)
from appliance.store.db import MEMORY, Store


def test_resting_hearts_follow_the_published_norms_by_age_band() -> None:
    rng = np.random.default_rng(0)
    hearts = [resting_heart(rng, float(rng.uniform(0.4, 0.55))) for _ in range(4000)]
    hr = np.array([h.resting_hr_bpm for h in hearts])
    assert abs(hr.mean() - RESTING_HR_BPM) < 1.0 and abs(hr.std() - RESTING_HR_SD_BPM) < 1.0
    medians = {}
    for band in AGE_BANDS:
        ln = np.log([h.resting_rmssd_ms for h in hearts if h.age_band == band])
        assert len(ln) > 500  # every band is drawn
        medians[band] = math.exp(float(np.median(ln)))
        assert medians[band] == pytest.approx(RESTING_RMSSD_MS[band], rel=0.1)
        assert abs(ln.std() - LN_RMSSD_SD) < 0.06
    assert medians["18-39"] > 1.6 * medians["80+"]  # HRV falls with age


def test_the_arousal_zero_traits_give_the_resting_heart_at_rest() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        rest = float(rng.uniform(0.4, 0.55))
        h = resting_heart(rng, rest)
        assert h.baseline_hr_bpm + h.hr_gain_bpm * rest == pytest.approx(h.resting_hr_bpm)
        assert h.baseline_rmssd_ms * (1 - RMSSD_FALL * rest) == pytest.approx(h.resting_rmssd_ms)
        assert h.baseline_hr_bpm > 40.0  # calming music cannot drive a heart below the guard


def test_a_virtual_listener_carries_an_age_band_for_all_their_sessions() -> None:
    bands = {builtin(i, 0, 5).age_band for i in range(40)}  # type: ignore[attr-defined]
    assert bands <= set(AGE_BANDS) and len(bands) >= 4
    assert builtin(3, 0, 5).age_band == builtin(3, 2, 5).age_band == age_band_for(3, 5)  # type: ignore[attr-defined]
    assert traits_for(3, 0, 5).baseline_hr_bpm == traits_for(3, 2, 5).baseline_hr_bpm


def test_an_unknown_age_band_is_refused_before_the_session() -> None:
    listener = builtin(0, 0, 1)
    listener.age_band = "1941-03-02"  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="age_band"):
        age_band_of(listener)


def entry(index: int, start_arousal: float, age_band: str | None, seed: int = 3) -> float:
    """The entry estimate of listener `index` of `seed`, arriving at `start_arousal`."""
    model = builtin(index, 0, seed)
    listener = VirtualListener(replace(model.traits, start_arousal=start_arousal), model._response)
    listener.profile = {"goal": "relax", "constraint": "none", "session_min": 5}  # type: ignore[attr-defined]
    listener.age_band = age_band  # type: ignore[attr-defined]
    with Store(MEMORY) as store:
        record = simulate_session(
            listener, index=index, session=0, policy="rules", store=store, seed=1
        )
    assert record.tracking is not None
    return record.tracking.estimated_entry


@pytest.mark.parametrize("index", [4, 7])
def test_the_same_person_arriving_agitated_reads_higher_than_arriving_calm(index: int) -> None:
    band = age_band_for(index, 3)
    assert entry(index, 0.9, band) > entry(index, 0.45, band) + 0.05


def test_the_age_band_reaches_the_entry_estimate() -> None:
    # The same heart read against the norms of twenty-year-olds looks more aroused than
    # against those of eighty-year-olds (whose RMSSD is lower at rest).
    assert entry(4, 0.7, "18-39") > entry(4, 0.7, "80+") + 0.03

"""`attune simulate` reads each virtual listener's entry against their own earlier sessions,
as the device does: the same store, the same summary record, only sessions already played."""

from __future__ import annotations

import pytest

from appliance.affect.baseline import Baseline
from appliance.affect.personal import Calibration, PersonalReference
from appliance.affect.priors import entry_arousal, resting_norm
from appliance.simulate.harness import listener_id, simulate_session
from appliance.simulate.population import builtin
from appliance.store.db import MEMORY, Store

INDEX, SEED = 4, 3


def short(k: int):
    model = builtin(INDEX, k, SEED)
    model.profile = dict(model.profile, session_min=5)  # type: ignore[attr-defined]
    return model


def test_each_session_reads_its_entry_against_the_listener_s_earlier_sessions_only() -> None:
    with Store(MEMORY) as store:
        for k in range(3):
            simulate_session(short(k), index=INDEX, session=k, policy="rules", store=store, seed=k)
        summaries = [s.summary for s in store.sessions(listener_id(INDEX))]
    band = short(0).age_band  # type: ignore[attr-defined]
    calibrations = [Calibration.from_record(s["calibration"]) for s in summaries]
    assert [s["entry_reference_sessions"] for s in summaries] == [0, 1, 2]
    for k, summary in enumerate(summaries):
        mine = calibrations[k]
        assert mine is not None and mine.usable
        base = Baseline(hr_bpm=mine.hr_bpm, rmssd_ms=mine.rmssd_ms)
        own = PersonalReference.of(calibrations[:k]).norm(resting_norm(band))
        # The recorded entry is this calibration read against sessions 0..k-1, never later.
        assert summary["arousal_entry"] == pytest.approx(entry_arousal(base, norm=own), abs=0.01)
        if k:
            later = PersonalReference.of(calibrations[: k + 1]).norm(resting_norm(band))
            assert abs(entry_arousal(base, norm=later) - summary["arousal_entry"]) > 0.02
    first = calibrations[0]
    assert first is not None
    population = entry_arousal(Baseline(hr_bpm=first.hr_bpm, rmssd_ms=first.rmssd_ms), band)
    assert summaries[0]["arousal_entry"] == pytest.approx(population, abs=0.01)

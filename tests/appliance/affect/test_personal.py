"""The entry estimate read against the listener's own earlier calibrations."""

from __future__ import annotations

import math

import pytest

from appliance.affect.baseline import Baseline
from appliance.affect.model_estimator import EstimatorSource
from appliance.affect.personal import (
    MAX_PAST,
    MIN_USABLE_WINDOWS,
    WITHIN_SD_HR_BPM,
    Calibration,
    PersonalReference,
    calibration_of,
    shrink,
)
from appliance.affect.priors import ALL_ADULTS, entry_arousal, resting_norm
from appliance.affect.tracker import AffectTracker
from appliance.signals.features import WindowFeatures


def past(*hr_bpm: float, rmssd_ms: float = 40.0) -> PersonalReference:
    return PersonalReference.of([Calibration(hr, rmssd_ms, 10) for hr in hr_bpm])


def read(
    hr_bpm: float, rmssd_ms: float, reference: PersonalReference | None, band: str | None = None
) -> float:
    norm = resting_norm(band)
    if reference is not None:
        norm = reference.norm(norm)
    return entry_arousal(Baseline(hr_bpm=hr_bpm, rmssd_ms=rmssd_ms), norm=norm)


def test_a_slow_resting_heart_at_75_reads_agitated_where_the_population_reads_it_calm() -> None:
    # Resting at 55 bpm in three earlier sessions: 75 bpm is 20 above their own level, while
    # against the population's 72 it is ordinary.
    assert read(75, 40, None) < 0.55
    assert read(75, 40, past(55, 56, 54)) > 0.9
    # And the reverse: a fast resting heart at 85 is not agitated for its owner.
    assert read(85, 40, past(85, 86, 84)) < 0.6 < read(85, 40, None)


def test_with_no_earlier_session_the_entry_reads_exactly_as_before() -> None:
    base = Baseline(hr_bpm=81.0, rmssd_ms=25.0)
    before = entry_arousal(base, "70-79")
    assert read(81, 25, PersonalReference(), "70-79") == before
    assert PersonalReference().norm(resting_norm("70-79")) == resting_norm("70-79")


def test_one_earlier_session_moves_the_reference_less_than_three() -> None:
    one, three = past(55).norm(ALL_ADULTS), past(55, 55, 55).norm(ALL_ADULTS)
    assert 55 < three.hr_bpm < one.hr_bpm < 58  # shrunk toward 72, less with more sessions
    assert WITHIN_SD_HR_BPM < three.hr_sd_bpm < one.hr_sd_bpm < ALL_ADULTS.hr_sd_bpm


def test_shrinkage_weighs_n_earlier_values_against_the_prior_by_n_over_n_plus_k() -> None:
    assert shrink(72.0, 10.0, [], 2.0, 1.0) == (72.0, 10.0)
    mean, sd = shrink(72.0, 10.0, [60.0, 62.0], 2.0, 1.0)
    assert mean == pytest.approx(72.0 + 2 / 3 * (61.0 - 72.0))
    assert sd == pytest.approx(math.sqrt(4.0 + 1.0 / (1 / 100 + 2 / 4)))


def test_poor_calibrations_are_no_reference_and_only_the_recent_ones_count() -> None:
    poor = Calibration(50.0, 40.0, MIN_USABLE_WINDOWS - 1)
    assert PersonalReference.of([poor, None]).sessions == 0
    assert PersonalReference.of([Calibration(math.nan, math.nan, 10)]).sessions == 0
    many = [Calibration(60.0 + i, 40.0, 10) for i in range(MAX_PAST + 5)]
    kept = PersonalReference.of(many).past
    assert len(kept) == MAX_PAST and kept[-1].hr_bpm == 60.0 + MAX_PAST + 4


def test_a_missing_channel_in_the_past_keeps_the_population_norm_for_it() -> None:
    norm = PersonalReference.of([Calibration(60.0, math.nan, 10)]).norm(ALL_ADULTS)
    assert norm.hr_bpm < 63 and norm.ln_rmssd == ALL_ADULTS.ln_rmssd
    assert norm.ln_rmssd_sd == ALL_ADULTS.ln_rmssd_sd


def test_the_summary_record_round_trips_and_refuses_garbage() -> None:
    c = Calibration(61.234, 38.06, 12)
    assert c.record() == {"hr_bpm": 61.2, "rmssd_ms": 38.1, "usable_windows": 12}
    assert Calibration.from_record(c.record()) == Calibration(61.2, 38.1, 12)
    none = Calibration.from_record({"hr_bpm": None, "rmssd_ms": None, "usable_windows": 0})
    assert none is not None and math.isnan(none.hr_bpm) and not none.usable
    assert Calibration.from_record("61") is None
    assert Calibration.from_record({"hr_bpm": "fast"}) is None


def window(hr: float, quality: float, t_end: float = 60.0) -> WindowFeatures:
    return WindowFeatures(t_end, 60.0, hr_bpm=hr, rmssd_ms=40.0, ppg_quality=quality)


def test_only_usable_windows_count_toward_a_calibration() -> None:
    windows = [window(60.0, 0.9)] * 4 + [window(60.0, 0.0)] * 3 + [window(math.nan, 0.9)]
    assert calibration_of(Baseline.from_windows(windows), windows).usable_windows == 4


def tracker_entry(reference: PersonalReference | None) -> AffectTracker:
    tracker = AffectTracker(
        EstimatorSource(), calibration_s=60.0, window_s=60.0, reference=reference
    )
    for t in range(0, 70, 10):  # six calibration windows, then the first estimate
        tracker.update(window(75.0, 0.9, 60.0 + t), float(t))
    return tracker


def test_the_tracker_reads_its_calibration_against_the_reference_and_records_it() -> None:
    own, population = tracker_entry(past(55, 55)), tracker_entry(None)
    assert own.baseline_arousal is not None and population.baseline_arousal is not None
    assert own.baseline_arousal > population.baseline_arousal + 0.3
    assert (own.reference_sessions, population.reference_sessions) == (2, 0)
    assert own.calibration_record() == {"hr_bpm": 75.0, "rmssd_ms": 40.0, "usable_windows": 6}

"""The entry estimate: a calibration read against resting norms, by age band when known."""

from __future__ import annotations

import math

import pytest

from appliance.affect.baseline import Baseline
from appliance.affect.priors import AGE_BANDS, entry_arousal


def calibration(hr_bpm: float, rmssd_ms: float) -> Baseline:
    return Baseline(hr_bpm=hr_bpm, rmssd_ms=rmssd_ms)


def test_an_agitated_arrival_reads_agitated_and_a_calm_one_calm() -> None:
    assert entry_arousal(calibration(95, 18)) > 0.75
    assert entry_arousal(calibration(60, 60)) < 0.3
    assert entry_arousal(calibration(72, 35)) == pytest.approx(0.5, abs=0.02)


def test_without_a_pulse_there_is_no_guess_either_way() -> None:
    assert entry_arousal(calibration(math.nan, math.nan)) == 0.5


def test_the_same_low_rmssd_is_agitation_at_thirty_and_ordinary_at_eighty() -> None:
    young, old = (
        entry_arousal(calibration(72, 20), "18-39"),
        entry_arousal(calibration(72, 20), "80+"),
    )
    assert young > 0.6 and old == pytest.approx(0.5, abs=0.02)
    # Every band still tells an agitated arrival from a calm one.
    for band in AGE_BANDS:
        assert (
            entry_arousal(calibration(95, 12), band)
            > entry_arousal(calibration(62, 45), band) + 0.4
        )


def test_an_unknown_band_is_refused() -> None:
    with pytest.raises(KeyError):
        entry_arousal(calibration(72, 35), "1950")

"""Grove GSR conversion and the GsrSource over the emulated ADS1115."""

from __future__ import annotations

import math

import numpy as np
import pytest

from appliance.clock import SimulatedClock
from drivers.ads1115 import Ads1115
from drivers.emulated.ads1115 import Ads1115Emulator
from drivers.emulated.signals import ConstantConductance
from drivers.emulated.smbus import EmulatedSMBus
from drivers.grove_gsr import (
    SEEED_K_OHM,
    GroveGsrSource,
    microsiemens_from_volts,
    volts_from_microsiemens,
)

VCC, K = 3.3, SEEED_K_OHM


def test_known_points_of_the_formula() -> None:
    assert microsiemens_from_volts(0.0, VCC, K) == pytest.approx(50.0)  # R = K
    assert microsiemens_from_volts(0.25 * VCC, VCC, K) == pytest.approx(50.0 / 3.0)  # R = 3K
    assert microsiemens_from_volts(0.25 * VCC, VCC, 200.0) == pytest.approx(5.0 / 3.0)


def test_k_is_seeeds_formula() -> None:
    # Seeed: R = (1024 + 2·reading)·10000 / (512 − reading) ohms, reading 0..1023 (10-bit).
    for reading in (0, 100, 256, 400, 500):
        seeed_ohms = (1024 + 2 * reading) * 10000 / (512 - reading)
        us = microsiemens_from_volts(reading / 1024 * VCC, VCC, SEEED_K_OHM)
        assert us == pytest.approx(1e6 / seeed_ohms)


def test_round_trip() -> None:
    us = np.array([0.6, 1.0, 2.0, 3.5, 4.9, 20.0, 45.0])  # below ~0.5 µS reads as open
    volts = volts_from_microsiemens(us, VCC, K)
    assert np.all(np.diff(volts) < 0)  # more conductance, lower voltage
    assert np.allclose(microsiemens_from_volts(volts, VCC, K), us)


@pytest.mark.parametrize("v", [0.49 * VCC, 0.5 * VCC, VCC, -0.01, math.nan, math.inf])
def test_not_skin_is_nan(v: float) -> None:
    assert math.isnan(microsiemens_from_volts(v, VCC, K))


def test_electrodes_off_maps_to_half_supply_and_back_to_nan() -> None:
    assert volts_from_microsiemens(math.nan, VCC, K) == pytest.approx(VCC / 2)
    assert math.isnan(microsiemens_from_volts(volts_from_microsiemens(math.nan, VCC, K), VCC, K))


def test_beyond_range_clips_at_zero_volts() -> None:
    assert volts_from_microsiemens(60.0, VCC, K) == 0.0


def test_bad_circuit_constants() -> None:
    with pytest.raises(ValueError, match="k_ohm"):
        microsiemens_from_volts(1.0, VCC, 0.0)
    with pytest.raises(ValueError, match="supply_v"):
        volts_from_microsiemens(1.0, -3.3, K)


def source(us: float, poll_hz: float = 10.0):
    clock = SimulatedClock(50.0)
    bus = EmulatedSMBus()
    chip = Ads1115Emulator(clock.now, ConstantConductance(us), supply_v=VCC, k_ohm=K)
    bus.attach(0x48, chip)
    gsr = GroveGsrSource(Ads1115(bus), now=clock.now, supply_v=VCC, k_ohm=K, poll_hz=poll_hz)
    return clock, chip, gsr


def test_source_samples_once_per_poll_period() -> None:
    clock, _, gsr = source(2.0)
    times, values = [], []
    for _ in range(40):  # 2 s read every 50 ms
        clock.sleep(0.05)
        batch = gsr.read()
        assert len(batch) in (0, 1)
        times += list(batch.t)
        values += list(batch.microsiemens)
    assert len(times) == 20
    assert np.allclose(np.diff(times), 0.1)
    assert np.allclose(values, 2.0, rtol=2e-3)  # within the ADC's quantisation


def test_source_reports_electrodes_off_as_nan() -> None:
    clock, _, gsr = source(math.nan)
    clock.sleep(0.1)
    batch = gsr.read()
    assert len(batch) == 1 and math.isnan(batch.microsiemens[0])


def test_close_powers_the_adc_down() -> None:
    _, chip, gsr = source(2.0)
    assert not chip.config & 0x0100  # continuous while in use
    gsr.close()
    assert chip.config & 0x0100

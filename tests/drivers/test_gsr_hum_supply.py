"""The Grove GSR's real-world faults on the emulated ADS1115: mains hum and a supply that is not
the nominal 3.3 V."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.clock import SimulatedClock
from drivers.ads1115 import Ads1115
from drivers.emulated.ads1115 import Ads1115Emulator
from drivers.emulated.signals import ConstantConductance
from drivers.emulated.smbus import EmulatedSMBus
from drivers.grove_gsr import GroveGsrSource

TRUE_US = 5.0
HUM_V = 0.05  # 50 mV of mains on the electrode leads


def hum_error_us(data_rate: int, hum_hz: float, poll_hz: int = 16, seconds: float = 20.0) -> float:
    """RMS error of the conductance read with hum on the GSR output."""
    clock = SimulatedClock(100.0)
    bus = EmulatedSMBus()
    chip = Ads1115Emulator(clock.now, ConstantConductance(TRUE_US), hum_v=HUM_V, hum_hz=hum_hz)
    bus.attach(0x48, chip)
    gsr = GroveGsrSource(Ads1115(bus, data_rate=data_rate), now=clock.now, poll_hz=poll_hz)
    values = []
    for _ in range(round(seconds * poll_hz)):
        clock.sleep(1.0 / poll_hz)
        values.extend(gsr.read().microsiemens)
    return float(np.sqrt(np.mean((np.asarray(values) - TRUE_US) ** 2)))


@pytest.mark.parametrize("hum_hz", [50.0, 60.0])
def test_the_default_data_rate_keeps_mains_hum_from_folding_in(hum_hz: float) -> None:
    aliased = hum_error_us(128, hum_hz)  # a short conversion sampled at 16 Hz: hum folds to 2-4 Hz
    filtered = hum_error_us(16, hum_hz)  # the shipped data rate: each conversion spans 62.5 ms
    assert aliased > 0.1  # the hum is there to be removed…
    assert filtered < aliased / 10  # …and averaging over the conversion removes 20 dB of it


def rig(true_supply_v: float, *, wired: bool, configured: int | None):
    clock = SimulatedClock(10.0)
    bus = EmulatedSMBus()
    chip = Ads1115Emulator(
        clock.now,
        ConstantConductance(10.0),
        supply_v=true_supply_v,
        supply_channel=1 if wired else None,
    )
    bus.attach(0x48, chip)
    gsr = GroveGsrSource(
        Ads1115(bus, data_rate=16),
        now=clock.now,
        supply_v=3.3,
        supply_channel=configured,
        sleep=clock.sleep,
    )
    clock.sleep(0.2)
    return gsr, float(gsr.read().microsiemens[0])


def test_a_measured_supply_removes_the_nominal_supply_s_error() -> None:
    nominal, us_nominal = rig(3.22, wired=True, configured=None)
    measured, us_measured = rig(3.22, wired=True, configured=1)
    assert nominal.supply_v == 3.3 and measured.supply_v == pytest.approx(3.22, abs=1e-3)
    assert abs(us_nominal - 10.0) > 0.5  # 2.4 % low supply, read as 3.3 V
    assert us_measured == pytest.approx(10.0, abs=0.02)
    assert measured.supply_problem == ""


def test_a_supply_input_left_unwired_falls_back_and_says_what_to_wire() -> None:
    gsr, us = rig(3.3, wired=False, configured=1)
    assert gsr.supply_v == 3.3 and us == pytest.approx(10.0, abs=0.02)
    assert "AIN1 reads 0.000 V" in gsr.supply_problem
    assert "wire the Grove VCC to AIN1" in gsr.supply_problem


def test_measuring_the_supply_leaves_the_gsr_input_converting() -> None:
    _, us = rig(3.3, wired=True, configured=1)
    assert us == pytest.approx(10.0, abs=0.02)  # AIN0 again, not the supply on AIN1


def test_an_i2c_fault_while_measuring_the_supply_reads_as_the_sensor_not_there() -> None:
    from drivers.sources import SensorNotFound

    clock = SimulatedClock(10.0)
    bus = EmulatedSMBus()
    bus.attach(0x48, Ads1115Emulator(clock.now, ConstantConductance(10.0), supply_channel=1))
    adc = Ads1115(bus, data_rate=16)
    adc.open()
    bus.detach(0x48)  # the clip pulled off between opening and measuring
    with pytest.raises(SensorNotFound, match="measuring the supply on AIN1"):
        GroveGsrSource(adc, now=clock.now, supply_channel=1, sleep=clock.sleep)


def test_a_kept_supply_reading_is_used_without_converting_again() -> None:
    measured, us = rig(3.22, wired=True, configured=1)
    assert measured.supply_reading_v == pytest.approx(3.22, abs=1e-3)
    clock = SimulatedClock(10.0)
    bus = EmulatedSMBus()
    bus.attach(
        0x48,
        Ads1115Emulator(clock.now, ConstantConductance(10.0), supply_v=3.22, supply_channel=1),
    )
    slept: list[float] = []
    kept = GroveGsrSource(
        Ads1115(bus, data_rate=16),
        now=clock.now,
        supply_v=3.3,
        supply_channel=1,
        sleep=slept.append,  # a conversion would wait here
        supply_reading_v=measured.supply_reading_v,
    )
    assert slept == [] and kept.supply_v == measured.supply_v
    clock.sleep(0.2)
    assert float(kept.read().microsiemens[0]) == pytest.approx(us, rel=1e-9)


def test_a_kept_reading_that_is_not_the_supply_is_refused_as_a_fresh_one_would_be() -> None:
    clock = SimulatedClock(10.0)
    bus = EmulatedSMBus()
    bus.attach(0x48, Ads1115Emulator(clock.now, ConstantConductance(10.0)))
    gsr = GroveGsrSource(
        Ads1115(bus, data_rate=16),
        now=clock.now,
        supply_channel=1,
        sleep=clock.sleep,
        supply_reading_v=0.0,
    )
    assert gsr.supply_v == 3.3 and "AIN1 reads 0.000 V" in gsr.supply_problem

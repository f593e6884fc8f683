"""The ADS1115 driver and emulator: byte order, configuration, conversions, faults."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.clock import SimulatedClock
from drivers.ads1115 import Ads1115, config_word, swap_bytes, volts_from_conversion
from drivers.emulated.ads1115 import Ads1115Emulator
from drivers.emulated.max30102 import Max30102Emulator
from drivers.emulated.signals import ConstantConductance, SyntheticPpg
from drivers.emulated.smbus import EmulatedSMBus
from drivers.grove_gsr import SEEED_K_OHM, volts_from_microsiemens
from drivers.sources import SensorNotFound

ADDR = 0x48


class StepConductance:
    """2 µS until `at`, then 4 µS."""

    def __init__(self, at: float) -> None:
        self.at = at

    def conductance(self, t: np.ndarray) -> np.ndarray:
        return np.where(np.asarray(t) < self.at, 2.0, 4.0)


def rig(signal=None, **options):
    clock = SimulatedClock(10.0)
    chip = Ads1115Emulator(clock.now, signal or ConstantConductance(2.0))
    bus = EmulatedSMBus()
    bus.attach(ADDR, chip)
    return clock, chip, bus, Ads1115(bus, **options)


def test_config_word_matches_the_datasheet_example() -> None:
    assert config_word(0, 4.096, 128, continuous=False) == 0xC383  # single-shot AIN0 ±4.096 V
    assert config_word(0, 4.096, 128, continuous=True) == 0x4283
    assert config_word(3, 0.256, 860, continuous=True) == 0x7AE3


def test_open_writes_config_big_endian() -> None:
    _, chip, bus, adc = rig()
    adc.open()
    assert chip.config == 0x4283  # the chip saw 0x42 then 0x83
    assert bus.read_word_data(ADDR, 0x01) == 0x8342  # smbus2's little-endian view
    assert swap_bytes(0x8342) == 0x4283


def test_conversion_is_big_endian_and_signed() -> None:
    assert volts_from_conversion(0x7FFF, 4.096) == pytest.approx(4.096 * 32767 / 32768)
    assert volts_from_conversion(0x8000, 4.096) == pytest.approx(-4.096)
    assert volts_from_conversion(0xFFFF, 2.048) == pytest.approx(-2.048 / 32768)


def test_reads_the_grove_voltage() -> None:
    clock, _, _, adc = rig()
    adc.open()
    clock.sleep(0.01)
    expected = volts_from_microsiemens(2.0, 3.3, SEEED_K_OHM)
    assert adc.read_volts() == pytest.approx(expected, abs=4.096 / 32768)


def test_negative_differential_reading_through_the_bus() -> None:
    clock, chip, bus, _ = rig()
    chip.gsr_channel = 1
    bus.write_word_data(ADDR, 0x01, swap_bytes(0x0283))  # AIN0 − AIN1, continuous
    clock.sleep(0.01)
    word = swap_bytes(bus.read_word_data(ADDR, 0x00))
    assert word & 0x8000
    expected = -volts_from_microsiemens(2.0, 3.3, SEEED_K_OHM)
    assert volts_from_conversion(word, 4.096) == pytest.approx(expected, abs=4.096 / 32768)


def test_clips_at_full_scale() -> None:
    clock, _, _, adc = rig(signal=ConstantConductance(float("nan")), full_scale_v=0.256)
    adc.open()
    clock.sleep(0.01)
    assert adc.read_volts() == pytest.approx(0.256 * 32767 / 32768)


def test_conversion_register_updates_at_conversion_instants() -> None:
    clock, _, _, adc = rig(signal=StepConductance(at=10.05), data_rate=8)  # 125 ms per conversion
    adc.open()
    assert adc.read_volts() == 0.0  # nothing converted yet
    clock.sleep(0.13)  # first conversion at 10.125 s, averaging 10.0-10.125 s across the step
    two, four = (volts_from_microsiemens(us, 3.3, SEEED_K_OHM) for us in (2.0, 4.0))
    assert adc.read_volts() == pytest.approx(0.4 * two + 0.6 * four, abs=1e-3)
    clock.sleep(0.125)  # the next one lies wholly after the step
    assert adc.read_volts() == pytest.approx(four, abs=1e-3)


def test_invalid_settings_list_what_is_allowed() -> None:
    bus = EmulatedSMBus()
    with pytest.raises(ValueError, match=r"6.144, 4.096, 2.048, 1.024, 0.512, 0.256"):
        Ads1115(bus, full_scale_v=5.0)
    with pytest.raises(ValueError, match=r"8, 16, 32, 64, 128, 250, 475, 860"):
        Ads1115(bus, data_rate=100)
    with pytest.raises(ValueError, match="channel"):
        Ads1115(bus, channel=4)


def test_absent_adc_names_bus_and_address() -> None:
    adc = Ads1115(EmulatedSMBus(bus_number=1), address=0x49)
    with pytest.raises(SensorNotFound, match=r"ADS1115 not found on I2C bus 1 at address 0x49"):
        adc.open()


def test_other_chip_at_the_address_fails_the_readback() -> None:
    clock = SimulatedClock()
    bus = EmulatedSMBus()
    bus.attach(ADDR, Max30102Emulator(clock.now, SyntheticPpg()))
    with pytest.raises(SensorNotFound, match="read back"):
        Ads1115(bus).open()


def test_close_returns_to_power_down() -> None:
    clock, chip, bus, adc = rig()
    with adc:
        clock.sleep(0.01)
        adc.read_volts()
    assert chip.config & 0x0100  # MODE: single-shot / power-down
    assert swap_bytes(bus.read_word_data(ADDR, 0x01)) & 0x8000  # OS: idle


def test_read_before_open_is_an_error() -> None:
    _, _, _, adc = rig()
    with pytest.raises(RuntimeError):
        adc.read_volts()


def test_single_shot_conversion_on_the_emulator() -> None:
    clock, _, bus, _ = rig()
    bus.write_word_data(ADDR, 0x01, swap_bytes(0xC383))
    assert not swap_bytes(bus.read_word_data(ADDR, 0x01)) & 0x8000  # converting
    clock.sleep(0.01)
    assert swap_bytes(bus.read_word_data(ADDR, 0x01)) == 0xC383  # done, idle
    word = swap_bytes(bus.read_word_data(ADDR, 0x00))
    expected = volts_from_microsiemens(2.0, 3.3, SEEED_K_OHM)
    assert volts_from_conversion(word, 4.096) == pytest.approx(expected, abs=4.096 / 32768)

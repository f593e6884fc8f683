"""The MAX30102 emulator behaves as the datasheet says, checked through raw bus operations."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.clock import SimulatedClock
from drivers.emulated.max30102 import Max30102Emulator
from drivers.emulated.smbus import EmulatedSMBus

ADDR = 0x57
WR, OVF, RD, DATA = 0x04, 0x05, 0x06, 0x07
FIFO_CONFIG, MODE, SPO2, LED1, LED2 = 0x08, 0x09, 0x0A, 0x0C, 0x0D
ROLLOVER = 0x10
SPO2_100SPS_411US = 0x67  # 16384 nA, 100 sps, 411 µs


class TimeCodePpg:
    """Counts that encode the sample instant: red = ms, IR = ms + 7; order checks become exact."""

    def ppg(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ms = np.rint(np.asarray(t) * 1000.0)
        return ms, ms + 7


def start(rollover: bool = True, gain: float = 1.0, t0: float = 1.0):
    clock = SimulatedClock(t0)
    chip = Max30102Emulator(clock.now, TimeCodePpg(), gain=gain)
    bus = EmulatedSMBus()
    bus.attach(ADDR, chip)
    bus.write_byte_data(ADDR, FIFO_CONFIG, ROLLOVER if rollover else 0)
    bus.write_byte_data(ADDR, SPO2, SPO2_100SPS_411US)
    bus.write_byte_data(ADDR, LED1, 0x23)
    bus.write_byte_data(ADDR, LED2, 0x23)
    bus.write_byte_data(ADDR, MODE, 0x03)
    return clock, chip, bus


def pointers(bus: EmulatedSMBus) -> tuple[int, int, int]:
    wr, ovf, rd = bus.read_i2c_block_data(ADDR, WR, 3)
    return wr, ovf, rd


def pop_samples(bus: EmulatedSMBus, n: int) -> list[tuple[int, int]]:
    out = []
    for _ in range(n):
        b = bus.read_i2c_block_data(ADDR, DATA, 6)
        out.append(((b[0] << 16 | b[1] << 8 | b[2]), (b[3] << 16 | b[4] << 8 | b[5])))
    return out


def test_identity_registers() -> None:
    _, _, bus = start()
    assert bus.read_byte_data(ADDR, 0xFF) == 0x15
    assert bus.read_byte_data(ADDR, 0xFE) == 0x03


def test_samples_arrive_at_the_configured_rate() -> None:
    clock, _, bus = start()
    assert pointers(bus) == (0, 0, 0)
    clock.sleep(0.105)
    assert pointers(bus) == (10, 0, 0)
    assert pop_samples(bus, 2) == [(1010, 1017), (1020, 1027)]
    assert pointers(bus) == (10, 0, 2)


def test_fifo_data_does_not_auto_increment() -> None:
    clock, _, bus = start()
    clock.sleep(0.03)
    raw = bus.read_i2c_block_data(ADDR, DATA, 18)  # three whole samples from one register
    reds = [raw[i] << 16 | raw[i + 1] << 8 | raw[i + 2] for i in (0, 6, 12)]
    assert reds == [1010, 1020, 1030]


def test_write_pointer_wraps_and_rollover_keeps_newest() -> None:
    clock, _, bus = start(rollover=True)
    clock.sleep(0.405)  # 40 samples into a 32-sample FIFO
    assert pointers(bus) == (8, 8, 8)  # wrapped past 31; 8 oldest overwritten
    samples = pop_samples(bus, 32)
    assert samples[0][0] == 1090 and samples[-1][0] == 1400
    assert pointers(bus) == (8, 0, 8)  # popping resets OVF_COUNTER


def test_rollover_off_drops_new_samples() -> None:
    clock, _, bus = start(rollover=False)
    clock.sleep(0.405)
    assert pointers(bus) == (0, 8, 0)
    samples = pop_samples(bus, 32)
    assert samples[0][0] == 1010 and samples[-1][0] == 1320


def test_overflow_counter_saturates() -> None:
    clock, _, bus = start()
    clock.sleep(10.0)
    assert pointers(bus)[1] == 0x1F


def test_wrap_with_incremental_reads() -> None:
    clock, _, bus = start()
    seen = []
    for _ in range(9):  # 9 × 7 samples: pointers cross 32 twice
        clock.sleep(0.07)
        wr, _, rd = pointers(bus)
        seen += [red for red, _ in pop_samples(bus, (wr - rd) & 0x1F)]
    assert seen == list(range(1010, 1010 + 63 * 10, 10))


def test_interrupt_status_set_by_samples_and_cleared_on_read() -> None:
    clock, _, bus = start()
    bus.read_byte_data(ADDR, 0x00)
    assert bus.read_byte_data(ADDR, 0x00) == 0
    clock.sleep(0.015)
    assert bus.read_byte_data(ADDR, 0x00) & 0x40  # PPG_RDY
    assert bus.read_byte_data(ADDR, 0x00) == 0
    bus.write_byte_data(ADDR, FIFO_CONFIG, ROLLOVER | 0x0F)  # A_FULL with 15 slots left
    clock.sleep(0.175)
    assert bus.read_byte_data(ADDR, 0x00) & 0x80


def test_reset_self_clears_and_restores_power_on_state() -> None:
    _, _, bus = start()
    bus.write_byte_data(ADDR, MODE, 0x40)
    assert bus.read_byte_data(ADDR, MODE) & 0x40  # busy for one read
    assert bus.read_byte_data(ADDR, MODE) == 0
    assert bus.read_byte_data(ADDR, SPO2) == 0
    assert bus.read_byte_data(ADDR, LED1) == 0


def test_shutdown_stops_sampling() -> None:
    clock, _, bus = start()
    clock.sleep(0.05)
    bus.write_byte_data(ADDR, MODE, 0x83)
    wr_before = pointers(bus)[0]
    clock.sleep(1.0)
    assert pointers(bus)[0] == wr_before == 5


def test_led_off_reads_zero() -> None:
    clock, _, bus = start()
    bus.write_byte_data(ADDR, LED2, 0)
    bus.write_i2c_block_data(ADDR, WR, [0, 0, 0])
    clock.sleep(0.02)
    red, ir = pop_samples(bus, 1)[0]
    assert red > 0 and ir == 0


def test_saturation_clips_at_full_scale() -> None:
    clock, _, bus = start(gain=1000.0)
    clock.sleep(0.02)
    assert pop_samples(bus, 1)[0] == (0x3FFFF, 0x3FFFF)


@pytest.mark.parametrize(("pw_code", "low_zero_bits"), [(0, 3), (1, 2), (2, 1)])
def test_resolution_leaves_low_bits_zero(pw_code: int, low_zero_bits: int) -> None:
    clock, _, bus = start()
    bus.write_byte_data(ADDR, SPO2, 0x64 | pw_code)
    clock.sleep(0.5)
    wr, _, rd = pointers(bus)
    reds = [red for red, _ in pop_samples(bus, (wr - rd) & 0x1F or 32)]
    assert all(r % (1 << low_zero_bits) == 0 for r in reds)
    assert any(r % (1 << (low_zero_bits + 1)) for r in reds)


def test_empty_fifo_gives_stale_bytes_and_keeps_pointers() -> None:
    _, _, bus = start()
    bus.read_i2c_block_data(ADDR, DATA, 6)
    assert pointers(bus) == (0, 0, 0)

"""The MAX30102 driver against the register-level emulator on the emulated bus."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.clock import SimulatedClock
from drivers.emulated.ads1115 import Ads1115Emulator
from drivers.emulated.max30102 import Max30102Emulator
from drivers.emulated.signals import ConstantConductance, SyntheticPpg
from drivers.emulated.smbus import EmulatedSMBus
from drivers.max30102 import Max30102
from drivers.sources import SensorNotFound

ADDR = 0x57
PERIOD = 0.01  # 100 sps


class TimeCodePpg:
    """Counts that encode the sample instant: red = ms, IR = ms + 7."""

    def ppg(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ms = np.rint(np.asarray(t) * 1000.0)
        return ms, ms + 7


def rig(signal=None, t0: float = 1.0, **driver_options):
    clock = SimulatedClock(t0)
    chip = Max30102Emulator(clock.now, signal or TimeCodePpg())
    bus = EmulatedSMBus(bus_number=1)
    bus.attach(ADDR, chip)
    sensor = Max30102(bus, now=clock.now, **driver_options)
    return clock, chip, bus, sensor


def test_open_configures_the_chip() -> None:
    _, chip, _, sensor = rig()
    sensor.open()
    regs = chip.registers
    assert regs[0x09] == 0x03  # SpO2 mode, not shut down
    assert regs[0x0A] == 0x67  # 16384 nA, 100 sps, 411 µs
    assert regs[0x08] & 0xF0 == 0x00  # no averaging, rollover off (the documented behaviour)
    assert (regs[0x0C], regs[0x0D]) == (35, 35)  # 7.0 mA at 0.2 mA/step
    assert regs[0x0B] == 0  # not the reserved register some drivers write
    assert regs[0x04:0x07] == bytes(3)


def test_absent_sensor_names_bus_and_address() -> None:
    bus = EmulatedSMBus(bus_number=3)
    sensor = Max30102(bus, now=SimulatedClock().now, bus_number=3)
    with pytest.raises(SensorNotFound, match=r"bus 3 at address 0x57") as info:
        sensor.open()
    assert "Remote I/O" in str(info.value)


def test_wrong_chip_at_the_address_is_refused() -> None:
    clock = SimulatedClock()
    bus = EmulatedSMBus()
    bus.attach(ADDR, Ads1115Emulator(clock.now, ConstantConductance(2.0)))  # not a MAX30102
    sensor = Max30102(bus, now=clock.now)
    with pytest.raises(SensorNotFound, match=r"PART_ID \(0xFF\) read 0x7F, expected 0x15"):
        sensor.open()


def test_reset_that_never_finishes_fails_in_bounded_time() -> None:
    _, chip, _, sensor = rig()
    chip.reset_busy_reads = 10**9
    with pytest.raises(OSError, match="did not finish its reset"):
        sensor.open()


@pytest.mark.parametrize(("rate", "width"), [(1600, 411), (800, 411), (1000, 215), (3200, 69)])
def test_invalid_rate_and_pulse_width_refused_with_the_table(rate: int, width: int) -> None:
    with pytest.raises(ValueError, match="allowed pulse widths") as info:
        Max30102(EmulatedSMBus(), now=SimulatedClock().now, sample_rate=rate, pulse_width_us=width)
    assert "1600 sps: 69" in str(info.value) and "400 sps: 69, 118, 215, 411" in str(info.value)


def test_unknown_settings_refused() -> None:
    bus, now = EmulatedSMBus(), SimulatedClock().now
    with pytest.raises(ValueError, match="sample_rate must be one of"):
        Max30102(bus, now=now, sample_rate=150)
    with pytest.raises(ValueError, match="led_current_ma"):
        Max30102(bus, now=now, led_current_ma=60.0)


def test_empty_fifo_returns_empty_batch() -> None:
    _, _, _, sensor = rig()
    sensor.open()
    for _ in range(3):
        batch = sensor.read()
        assert len(batch) == 0 and len(batch.red) == 0 and len(batch.ir) == 0


def test_reads_samples_in_order_across_the_wrap() -> None:
    clock, _, _, sensor = rig()
    sensor.open()
    reds = []
    for _ in range(10):  # 10 × 13 samples: the pointers wrap four times
        clock.sleep(0.13)
        batch = sensor.read()
        assert np.array_equal(batch.ir - batch.red, np.full(len(batch), 7.0))
        reds.append(batch.red)
    assert np.array_equal(np.concatenate(reds), 1010.0 + 10.0 * np.arange(130))
    assert sensor.overflow_samples == 0


def test_full_fifo_after_overflow_is_read_not_stalled() -> None:
    clock, _, _, sensor = rig()
    sensor.open()
    clock.sleep(0.505)  # 50 samples: the FIFO keeps the first 32, 18 lost, OVF = 18
    batch = sensor.read()
    assert len(batch) == 32
    assert sensor.overflow_samples == 18
    assert np.array_equal(batch.red, 1010.0 + 10.0 * np.arange(32))  # the oldest 32
    # Stamped when they were taken, not now(): the 18 lost samples came after them.
    assert np.allclose(batch.t, batch.red / 1000.0, atol=PERIOD)
    assert len(sensor.read()) == 0  # drained: now really empty


def assert_stamped_when_taken(batches: list) -> None:
    """TimeCodePpg's red is the sample instant in ms: every timestamp within a period of it."""
    t = np.concatenate([b.t for b in batches])
    true_t = np.concatenate([b.red for b in batches]) / 1000.0
    assert np.all(np.diff(t) > 0)
    assert np.max(np.abs(t - true_t)) <= PERIOD + 1e-9


@pytest.mark.parametrize("burst", [False, True])
@pytest.mark.parametrize("stall_s", [0.5, 1.0, 3.7])
def test_timestamps_stay_right_across_a_stalled_poll(burst: bool, stall_s: float) -> None:
    clock, _, _, sensor = rig(burst_read=burst)
    sensor.open()
    batches = []
    for pause in [0.05] * 20 + [stall_s] + [0.05] * 20 + [0.6] + [0.05] * 10:
        clock.sleep(pause)
        batches.append(sensor.read())
    assert_stamped_when_taken(batches)
    lost = round((stall_s - 0.32) / PERIOD)  # beyond the 32 the FIFO holds
    assert sensor.overflow_samples >= min(lost, 31)
    reds = np.concatenate([b.red for b in batches])
    gaps = np.diff(reds)[np.diff(reds) > 10.0]
    assert len(gaps) == 2  # the two stalls, and nothing else missing or repeated


def test_timestamps_stay_right_when_the_first_read_finds_an_overflow() -> None:
    clock, _, _, sensor = rig()
    sensor.open()
    clock.sleep(0.6)  # 60 samples: 28 lost before the first read
    batches = [sensor.read()]
    for _ in range(10):
        clock.sleep(0.05)
        batches.append(sensor.read())
    assert_stamped_when_taken(batches)


def test_driver_never_asks_for_more_than_a_block() -> None:
    clock, _, bus, sensor = rig()
    sensor.open()
    clock.sleep(1.0)
    assert len(sensor.read()) == 32
    reads = [t for t in bus.transfers if t.operation == "read_i2c_block_data" and t.register == 7]
    assert [t.length for t in reads] == [30] * 6 + [12]  # whole samples, ≤ 32 bytes


def test_burst_read_through_i2c_rdwr_matches_block_reads() -> None:
    results = []
    for burst in (False, True):
        clock, _, bus, sensor = rig(burst_read=burst)
        sensor.open()
        clock.sleep(0.275)
        results.append(sensor.read())
        used = {t.operation for t in bus.transfers}
        assert ("i2c_rdwr read" in used) is burst
    assert np.array_equal(results[0].red, results[1].red)
    assert np.array_equal(results[0].ir, results[1].ir)
    assert len(results[0]) == 27


def test_swap_red_ir_for_clone_boards() -> None:
    clock, _, _, sensor = rig(swap_red_ir=True)
    sensor.open()
    clock.sleep(0.05)
    batch = sensor.read()
    assert np.array_equal(batch.red - batch.ir, np.full(5, 7.0))


def test_probe_and_close_shut_the_chip_down() -> None:
    clock, chip, _, sensor = rig()
    assert sensor.probe() == {"part_id": 0x15, "revision": 0x03}
    with sensor:
        clock.sleep(0.05)
        assert len(sensor.read()) == 5
    assert chip.registers[0x09] & 0x80  # SHDN
    wr = chip.registers[0x04]
    clock.sleep(1.0)
    assert chip.registers[0x04] == wr  # no more samples


def test_close_after_unplugging_does_not_raise() -> None:
    _, _, bus, sensor = rig()
    sensor.open()
    bus.detach(ADDR)
    with pytest.raises(OSError):
        sensor.read()
    sensor.close()


def test_streamed_minute_recovers_the_waveform() -> None:
    hr_bpm = 72.0
    signal = SyntheticPpg(hr_bpm=hr_bpm, seed=3)
    clock, _, _, sensor = rig(signal=signal, t0=100.0)
    sensor.open()
    rng = np.random.default_rng(7)
    batches = []
    while clock.now() < 160.0:
        clock.sleep(float(rng.uniform(0.1, 0.3)))
        batches.append(sensor.read())
    t = np.concatenate([b.t for b in batches])
    ir = np.concatenate([b.ir for b in batches])
    assert abs(len(t) - 6000) <= 30
    assert sensor.overflow_samples == 0
    steps = np.diff(t)
    assert np.all(steps > 0.5 * PERIOD) and np.all(steps <= PERIOD + 1e-9)
    assert np.mean(np.isclose(steps, PERIOD, atol=1e-9)) > 0.99
    true_t = 100.0 + PERIOD * np.floor((t - 100.0) / PERIOD + 1e-6)  # the chip's instants
    spectrum = np.abs(np.fft.rfft(ir - ir.mean()))
    freqs = np.fft.rfftfreq(len(ir), PERIOD)
    assert freqs[np.argmax(spectrum)] == pytest.approx(hr_bpm / 60.0, abs=0.02)
    # IR is inverted: its minima fall at the systolic peaks of blood volume.
    expected = signal.blood_volume(true_t)
    assert np.corrcoef(ir, expected)[0, 1] < -0.9


def test_timestamps_stay_within_a_sample_of_the_true_instant() -> None:
    clock, _, _, sensor = rig(t0=5.0)
    sensor.open()
    rng = np.random.default_rng(11)
    batches = []
    for _ in range(200):
        clock.sleep(float(rng.uniform(0.05, 0.3)))
        batches.append(sensor.read())
    t_ms = 1000.0 * np.concatenate([b.t for b in batches])
    sampled_ms = np.concatenate([b.red for b in batches])  # the instant the chip sampled
    lag = t_ms - sampled_ms
    assert np.all(lag > -0.5) and np.all(lag < 1000.0 * PERIOD + 0.5)

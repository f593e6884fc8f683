"""The hil suite's sensor checks on the emulators: they pass a right driver on a right board and
fail a wrong driver or a wrong board, each with what to do."""

from __future__ import annotations

import pytest

from appliance.clock import SimulatedClock
from appliance.hwcheck.sensor_checks import (
    check_fifo_stall,
    check_led_registers,
    judge_ppg_channels,
    judge_strap,
    poll_ppg,
)
from drivers import max30102
from drivers.emulated.max30102 import Max30102Emulator
from drivers.emulated.signals import SyntheticPpg
from drivers.emulated.smbus import EmulatedSMBus
from drivers.max30102 import Max30102
from drivers.sources import HrSample

LED_MA = 7.0


def finger(driver_class: type[Max30102] = Max30102, *, swap_red_ir: bool = False, **board):
    clock = SimulatedClock(10.0)
    chip = Max30102Emulator(clock.now, SyntheticPpg(hr_bpm=66.0, seed=2), **board)
    bus = EmulatedSMBus()
    bus.attach(0x57, chip)
    ppg = driver_class(bus, now=clock.now, swap_red_ir=swap_red_ir, led_current_ma=LED_MA)
    ppg.open()
    return clock, ppg


def channels(**kwargs):
    clock, ppg = finger(**kwargs)
    return judge_ppg_channels(
        poll_ppg(ppg, clock, 8.0), ppg.sample_rate, swap_red_ir=ppg.swap_red_ir
    )


def test_a_right_board_passes_every_ppg_check() -> None:
    verdict = channels()
    assert verdict.ok, verdict.message
    assert "R = 0.5" in verdict.message
    for burst in (False, True):
        clock, ppg = finger()
        ppg.burst_read = burst
        assert check_led_registers(ppg, clock, LED_MA).ok
        stall = check_fifo_stall(ppg, clock, LED_MA)
        assert stall.ok, stall.message


def test_swapped_leds_are_caught_and_the_setting_named() -> None:
    verdict = channels(swapped_leds=True)
    assert not verdict.ok
    assert "red and IR look swapped" in verdict.message
    assert "swap_red_ir: true" in verdict.message
    assert channels(swapped_leds=True, swap_red_ir=True).ok


def test_a_dead_led_and_a_saturated_adc_are_caught() -> None:
    dead = channels(dead_channel="ir")
    assert not dead.ok and "the IR channel reads 0 counts, dark" in dead.message
    saturated = channels(gain=3.0)
    assert not saturated.ok and "saturate" in saturated.message
    assert "led_current_ma" in saturated.message


class WrongRegisters(Max30102):
    """The common bug: LED currents written one register low (0x0B reserved, 0x0C)."""

    def set_led_currents(self, red_ma: float, ir_ma: float) -> None:
        self._bus.write_byte_data(self.address, 0x0B, max30102.led_pa_byte(red_ma))
        self._bus.write_byte_data(self.address, 0x0C, max30102.led_pa_byte(ir_ma))


def test_a_driver_writing_the_wrong_led_registers_is_caught() -> None:
    clock, ppg = finger(WrongRegisters)
    verdict = check_led_registers(ppg, clock, LED_MA)
    assert not verdict.ok and "wrong registers" in verdict.message


class RolloverOn(Max30102):
    """A driver that turns rollover on: the chip then keeps its newest samples."""

    def open(self) -> None:
        super().open()
        config = self._bus.read_byte_data(self.address, max30102.REG_FIFO_CONFIG)
        self._bus.write_byte_data(
            self.address, max30102.REG_FIFO_CONFIG, config | max30102.FIFO_ROLLOVER_EN
        )


def test_a_fifo_that_keeps_its_newest_samples_fails_the_stall_check() -> None:
    clock, ppg = finger(RolloverOn)
    verdict = check_fifo_stall(ppg, clock, LED_MA)
    assert not verdict.ok
    assert "did not keep its oldest samples" in verdict.message


def strap(rr_scale: float = 1.0, with_rr: bool = True) -> list[HrSample]:
    samples = []
    for i in range(30):
        bpm = 60 + (i % 5)
        rr = (rr_scale * 60.0 / bpm,) if with_rr else ()
        samples.append(HrSample(t=float(i), bpm=bpm, rr_s=rr, contact=None))
    return samples


@pytest.mark.parametrize(
    ("samples", "ok", "words"),
    [
        (strap(), True, "mean HR 62 bpm"),
        (strap(rr_scale=1024 / 1000 * 1.2), False, "RR and HR disagree"),
        (strap(with_rr=False), False, "carried RR intervals"),
    ],
)
def test_the_strap_s_rr_is_held_against_its_own_heart_rate(samples, ok: bool, words: str) -> None:
    verdict = judge_strap(samples)
    assert verdict.ok is ok and words in verdict.message

"""`attune hw calibrate gsr` against the emulated ADS1115 and a Grove GSR with its trimmer off."""

from __future__ import annotations

import math

import pytest

from appliance.clock import SimulatedClock
from appliance.hwcheck.gsr_setup import judge_resistors, judge_trimmer, run_setup
from drivers.ads1115 import Ads1115
from drivers.emulated.ads1115 import Ads1115Emulator
from drivers.emulated.signals import ConstantConductance
from drivers.emulated.smbus import EmulatedSMBus
from drivers.grove_gsr import SEEED_K_OHM

OPEN = ConstantConductance(math.nan)


class Bench:
    """The technician: follows each prompt by changing what the emulated GSR sees."""

    def __init__(self, *, open_ratio: float, true_k: float = SEEED_K_OHM, supply_v: float = 3.3):
        self.clock = SimulatedClock(1.0)
        self.chip = Ads1115Emulator(
            self.clock.now,
            OPEN,
            k_ohm=true_k,
            supply_v=supply_v,
            supply_channel=1,
            open_ratio=open_ratio,
        )
        bus = EmulatedSMBus()
        bus.attach(0x48, self.chip)
        self.adc = Ads1115(bus, data_rate=16)
        self.said: list[str] = []
        self.turns = 0

    def ask(self, prompt: str) -> str:
        if prompt.startswith("Take everything off"):
            self.chip.signal = OPEN
        elif prompt.startswith("Turn the trimmer"):
            self.turns += 1
            self.chip.open_ratio += (0.5 - self.chip.open_ratio) * 0.6  # closer each turn
        elif prompt.startswith("Clip a "):
            r_kohm = float(prompt.split()[2])
            self.chip.signal = ConstantConductance(1000.0 / r_kohm)
        return ""

    def run(self, configured_k: float = SEEED_K_OHM) -> int:
        with self.adc:
            return run_setup(
                self.adc,
                self.clock,
                nominal_supply_v=3.3,
                supply_channel=1,
                configured_k=configured_k,
                ask=self.ask,
                say=self.said.append,
            )


def test_a_trimmer_off_half_scale_is_turned_until_it_is_right_then_k_checks_out() -> None:
    bench = Bench(open_ratio=0.53, supply_v=3.25)
    assert bench.run() == 0
    assert bench.turns >= 2
    assert bench.said[0] == "Vcc 3.250 V measured on AIN1"
    assert "above half the supply (1.625 V)" in bench.said[1]
    assert "turn the trimmer" in bench.said[1]
    assert float(bench.said[-1].split()[1]) == pytest.approx(SEEED_K_OHM, rel=0.05)
    assert "agrees with grove_k_ohm 20" in bench.said[-1]


def test_a_wrong_k_is_measured_and_the_line_to_set_is_given() -> None:
    bench = Bench(open_ratio=0.5, true_k=26.0)
    assert bench.run() == 1
    assert "K is 26.0 kΩ" in bench.said[-1]
    assert "set hardware.gsr.grove_k_ohm: 26.0" in bench.said[-1]


def test_a_k_ten_times_too_big_shows_as_resistors_out_of_range() -> None:
    bench = Bench(open_ratio=0.5, true_k=200.0)  # the old 200 kΩ: 100 kΩ is past full scale
    assert bench.run() == 1
    assert "100 kΩ reads 0 V" in bench.said[-1]


def test_an_offset_left_over_is_called_an_offset_not_a_k_to_recalibrate() -> None:
    # Readings taken with the trimmer still off: K drifts from resistor to resistor.
    x_offset = 0.02
    readings = []
    for r in (100.0, 220.0, 470.0):
        ratio = r / SEEED_K_OHM
        readings.append((r, (ratio - 1) / (2 * (ratio + 1)) + x_offset))
    verdict = judge_resistors(readings, SEEED_K_OHM)
    assert not verdict.ok
    assert "an offset, which no K can fix" in verdict.message
    assert "set the trimmer first" in verdict.message
    assert "grove_k_ohm:" not in verdict.message


@pytest.mark.parametrize(("x", "ok"), [(0.5, True), (0.5019, True), (0.503, False), (0.49, False)])
def test_the_trimmer_must_be_within_half_a_percent_of_half_scale(x: float, ok: bool) -> None:
    assert judge_trimmer(x, 3.3).ok is ok


def test_a_resistor_not_clipped_on_is_named() -> None:
    verdict = judge_resistors([(100.0, 0.5)], SEEED_K_OHM)
    assert not verdict.ok and "100 kΩ reads as open electrodes" in verdict.message


def test_the_technician_can_stop_while_turning_the_trimmer() -> None:
    bench = Bench(open_ratio=0.56)
    bench.ask = lambda prompt: "q" if prompt.startswith("Turn") else ""
    assert bench.run() == 1


def test_hw_check_fails_a_trimmer_above_half_scale_and_sends_to_the_set_up() -> None:
    from appliance.hwcheck.probes import FAIL, OK, check_gsr

    rows = {}
    for open_ratio in (0.53, 0.5):
        bench = Bench(open_ratio=open_ratio)
        rows[open_ratio] = check_gsr(
            bench.adc,
            bus_number=1,
            supply_v=3.3,
            k_ohm=SEEED_K_OHM,
            clock=bench.clock,
            supply_channel=1,
        )
    assert rows[0.53].status == FAIL and "above half the supply" in rows[0.53].detail
    assert "attune hw calibrate gsr" in rows[0.53].remedy
    assert rows[0.5].status == OK and "electrodes not on skin" in rows[0.5].detail

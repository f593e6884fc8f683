"""`attune hw calibrate gsr`: the Grove GSR's set-up, in the order that makes K meaningful.

1. Vcc, measured on the spare ADS1115 input when one is wired (hardware.gsr.supply_channel).
2. The trimmer: with nothing on the electrodes the output must be Vcc/2. Seeed's formula, the
   electrodes-off rule and K all assume it; an offset here cannot be calibrated away by K.
3. K, from known resistors clipped across the electrodes: each gives K = R·(1−2x)/(1+2x). With
   the trimmer right they agree; if they drift with R, an offset is left (trimmer or wiring).

The daemon never rewrites the technician's YAML: the result is the line to put in it. The hil
suite judges its readings with the same functions.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from appliance.clock import Clock
from drivers.ads1115 import Ads1115
from drivers.grove_gsr import ELECTRODES_OFF_RATIO, SUPPLY_TOLERANCE

# |x − 0.5| with open electrodes: ±6.6 mV at 3.3 V. Any offset left tilts K from resistor to
# resistor (0.005 already spreads 100/470 kΩ by 9 %), so the trimmer has to be close.
TRIMMER_TOLERANCE = 0.002
K_AGREEMENT = 0.10  # the resistors' K may spread this much (1 % resistors, ADC noise)
K_TOLERANCE = 0.10  # the configured K may differ this much from the measured one
READ_S = 1.0  # each reading averages this long (hum and noise)
DEFAULT_RESISTORS_KOHM = (100.0, 220.0, 470.0)  # 10, 4.5 and 2.1 µS: the range of skin
TRIMMER_FIX = (
    "turn the trimmer (the small potentiometer on the Grove GSR board) until the open electrodes "
    "read {target:.3f} V, half the supply: `attune hw calibrate gsr` measures as you turn"
)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str
    k_ohm: float | None = None  # the K the resistors agree on


def average_ratio(adc: Ads1115, clock: Clock, supply_v: float, seconds: float = READ_S) -> float:
    """x = Vsig/Vcc averaged over `seconds`, one reading per conversion."""
    period = 1.0 / adc.data_rate
    values = []
    for _ in range(max(1, round(seconds / period))):
        clock.sleep(period)
        values.append(adc.read_volts())
    return statistics.fmean(values) / supply_v


def measure_supply(
    adc: Ads1115, clock: Clock, nominal_v: float, channel: int | None
) -> tuple[float, str]:
    """(Vcc, a note): measured on `channel`, or the nominal one and why."""
    if channel is None:
        return nominal_v, f"Vcc {nominal_v:g} V assumed (hardware.gsr.supply_channel: none)"
    volts = adc.measure(channel, clock.sleep)
    if abs(volts / nominal_v - 1.0) > SUPPLY_TOLERANCE:
        return nominal_v, (
            f"AIN{channel} reads {volts:.3f} V, not the supply: wire the Grove VCC to "
            f"AIN{channel} too (or set hardware.gsr.supply_channel: none); {nominal_v:g} V assumed"
        )
    return volts, f"Vcc {volts:.3f} V measured on AIN{channel}"


def judge_trimmer(x_open: float, supply_v: float) -> Verdict:
    """Open electrodes must read half the supply."""
    volts, target = x_open * supply_v, supply_v / 2
    if abs(x_open - 0.5) <= TRIMMER_TOLERANCE:
        return Verdict(True, f"open electrodes read {volts:.3f} V = {x_open:.3f}·Vcc: trimmer set")
    side = "above" if x_open > 0.5 else "below"
    return Verdict(
        False,
        f"open electrodes read {volts:.3f} V, {side} half the supply ({target:.3f} V): "
        + TRIMMER_FIX.format(target=target),
    )


def k_from_ratio(r_kohm: float, x: float) -> float:
    """The K that makes R = K·(1+2x)/(1−2x) true for a known resistor."""
    return r_kohm * (1 - 2 * x) / (1 + 2 * x)


def judge_resistors(readings: Sequence[tuple[float, float]], configured_k: float) -> Verdict:
    """(R kΩ, x) for each known resistor, read after the trimmer was set."""
    for r_kohm, x in readings:
        if x >= ELECTRODES_OFF_RATIO:
            return Verdict(
                False,
                f"{r_kohm:g} kΩ reads as open electrodes ({x:.3f}·Vcc): clip it across both "
                "electrodes (the GSR's SIG to AIN, its GND to GND)",
            )
        if x <= 0.0:
            return Verdict(False, f"{r_kohm:g} kΩ reads 0 V: check SIG and the Grove's VCC")
    ks = [k_from_ratio(r, x) for r, x in readings]
    k = statistics.median(ks)
    shown = ", ".join(f"{r:g} kΩ → {ki:.1f}" for (r, _), ki in zip(readings, ks, strict=True))
    if (max(ks) - min(ks)) / k > K_AGREEMENT:
        return Verdict(
            False,
            f"the resistors disagree on K ({shown} kΩ): an offset, which no K can fix; set the "
            "trimmer first (open electrodes at half the supply), then check that the GSR's GND "
            "and the ADS1115's GND are joined",
        )
    if abs(k / configured_k - 1.0) > K_TOLERANCE:
        return Verdict(
            False,
            f"K is {k:.1f} kΩ ({shown}), the config has {configured_k:g}: set "
            f"hardware.gsr.grove_k_ohm: {k:.1f} in /etc/attune/attune.yaml",
            k,
        )
    return Verdict(True, f"K {k:.1f} kΩ ({shown}) agrees with grove_k_ohm {configured_k:g}", k)


def run_setup(
    adc: Ads1115,
    clock: Clock,
    *,
    nominal_supply_v: float,
    supply_channel: int | None,
    configured_k: float,
    ask: Callable[[str], str],
    say: Callable[[str], None],
    resistors_kohm: Sequence[float] = DEFAULT_RESISTORS_KOHM,
) -> int:
    """The interactive set-up on an opened ADC; 0 when the GSR is ready, 1 otherwise."""
    supply_v, note = measure_supply(adc, clock, nominal_supply_v, supply_channel)
    say(note)
    ask("Take everything off the GSR electrodes (nothing touching them), then press Enter")
    while True:
        trimmer = judge_trimmer(average_ratio(adc, clock, supply_v), supply_v)
        say(trimmer.message)
        if trimmer.ok:
            break
        answer = ask("Turn the trimmer a little, then press Enter to measure again (q to stop)")
        if answer.strip().lower().startswith("q"):
            return 1
    readings = []
    for r_kohm in resistors_kohm:
        ask(f"Clip a {r_kohm:g} kΩ resistor across the electrodes, then press Enter")
        x = average_ratio(adc, clock, supply_v)
        readings.append((r_kohm, x))
        say(f"{r_kohm:g} kΩ: {x * supply_v:.3f} V, K = {k_from_ratio(r_kohm, x):.1f} kΩ")
    verdict = judge_resistors(readings, configured_k)
    say(verdict.message)
    return 0 if verdict.ok else 1

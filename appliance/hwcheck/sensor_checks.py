"""Checks that a driver reads its sensor right, not just that the sensor answers.

The hardware-in-the-loop suite (hil/) runs them on the real parts; the ordinary suite runs them
on the emulators, including emulators built wrong on purpose (swapped LEDs, a dead LED, a strap
whose RR disagrees with its heart rate), so a check that cannot fail would show. Each returns a
Verdict whose message says what to do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from appliance.clock import Clock
from appliance.hwcheck.gsr_setup import Verdict

# numpy filters, not scipy.signal: that costs about 75 MB of the service's 120 MB on a Pi.
from appliance.numeric.iir import butter_sos, zero_phase
from drivers.max30102 import FIFO_DEPTH, SAMPLE_MASK, Max30102
from drivers.sources import HrSample, PpgBatch

PPG_MIN_DC = 0.02 * SAMPLE_MASK  # a fingertip returns far more than this on both channels
PPG_MAX_DC = 0.9 * SAMPLE_MASK
PPG_MIN_PERFUSION = 1e-4  # AC/DC of the pulse: below this there is no pulse to see
# (AC/DC red) / (AC/DC IR) on a finger: about 0.4-0.7 at SpO2 95-100 %, never above 1 in a
# healthy technician; swapped channels give its inverse, 1.4-2.5.
RATIO_RANGE = (0.2, 1.0)
PULSE_BAND_HZ = (0.7, 3.5)  # 42-210 bpm
POLL_S = 0.05
DARK_FRACTION = 0.1  # an LED turned off leaves less than this of its channel
LEFT_ALONE = 0.2  # the other channel changes by less than this
STALL_S = 1.0
DARK_AFTER_S = 0.1  # into the stall, the red LED goes off
RR_AGREEMENT = 0.15  # mean RR against 60/mean HR
MIN_RR_SAMPLES = 10


def poll_ppg(ppg: Max30102, clock: Clock, seconds: float) -> PpgBatch:
    batches = []
    for _ in range(max(1, round(seconds / POLL_S))):
        clock.sleep(POLL_S)
        batches.append(ppg.read())
    return PpgBatch(
        t=np.concatenate([b.t for b in batches]),
        red=np.concatenate([b.red for b in batches]),
        ir=np.concatenate([b.ir for b in batches]),
    )


def _perfusion(x: np.ndarray, sample_rate: float) -> tuple[float, float]:
    """(DC, AC/DC) of a PPG trace: median, and the pulse band's standard deviation over it."""
    dc = float(np.median(x))
    sos = butter_sos(2, PULSE_BAND_HZ, "bandpass", sample_rate)
    ac = float(np.std(zero_phase(sos, x - dc)[len(x) // 10 :]))
    return dc, (ac / dc if dc > 0 else 0.0)


def judge_ppg_channels(batch: PpgBatch, sample_rate: float, *, swap_red_ir: bool) -> Verdict:
    """A finger on the sensor: both channels alive, unsaturated, pulsing, and red really red."""
    found = {}
    for name, x in (("red", batch.red), ("IR", batch.ir)):
        if len(x) < sample_rate * 4:
            return Verdict(False, f"only {len(x)} {name} samples: the FIFO is not streaming")
        if np.mean(x >= SAMPLE_MASK) > 0.01:
            return Verdict(
                False,
                f"the {name} channel saturates at full scale: lower hardware.ppg.led_current_ma "
                "or raise hardware.ppg.adc_range_na",
            )
        dc, perfusion = _perfusion(x, sample_rate)
        if dc < PPG_MIN_DC:
            return Verdict(
                False,
                f"the {name} channel reads {dc:.0f} counts, dark: cover the window fully with a "
                "fingertip; if it stays dark, that LED is dead or wired to the wrong pin",
            )
        if dc > PPG_MAX_DC:
            return Verdict(
                False,
                f"the {name} channel sits at {dc:.0f} of {SAMPLE_MASK} counts, about to "
                "saturate: lower hardware.ppg.led_current_ma",
            )
        if perfusion < PPG_MIN_PERFUSION:
            return Verdict(
                False,
                f"no pulse on the {name} channel (AC/DC {perfusion:.1e}): rest the finger "
                "lightly and keep it still (pressing hard stops the blood flow)",
            )
        found[name] = (dc, perfusion)
    ratio = found["red"][1] / found["IR"][1]
    detail = f"red DC {found['red'][0]:.0f}, IR DC {found['IR'][0]:.0f}, R = {ratio:.2f}"
    if ratio > RATIO_RANGE[1]:
        return Verdict(
            False,
            f"red and IR look swapped ({detail}; a finger gives R of about 0.4-0.7): set "
            f"hardware.ppg.swap_red_ir: {str(not swap_red_ir).lower()}",
        )
    if ratio < RATIO_RANGE[0]:
        return Verdict(False, f"{detail}: too low for a finger; rest it still and try again")
    return Verdict(True, detail)


def check_led_registers(ppg: Max30102, clock: Clock, led_ma: float) -> Verdict:
    """Turning each LED off darkens its own channel only (LED1 0x0C red, LED2 0x0D IR)."""
    before = poll_ppg(ppg, clock, 0.5)
    base = {"red": float(np.median(before.red)), "IR": float(np.median(before.ir))}
    try:
        for off, currents in (("red", (0.0, led_ma)), ("IR", (led_ma, 0.0))):
            ppg.set_led_currents(*currents)
            poll_ppg(ppg, clock, 0.1)  # samples taken before the change
            after = poll_ppg(ppg, clock, 0.4)
            now = {"red": float(np.median(after.red)), "IR": float(np.median(after.ir))}
            other = "IR" if off == "red" else "red"
            if (
                now[off] > DARK_FRACTION * base[off]
                or abs(now[other] / base[other] - 1) > LEFT_ALONE
            ):
                return Verdict(
                    False,
                    f"turning the {off} LED off left {off} at {now[off]:.0f} and {other} at "
                    f"{now[other]:.0f} counts (before {base[off]:.0f}, {base[other]:.0f}): the LED "
                    "currents go to the wrong registers, or the finger moved; try again still",
                )
            ppg.set_led_currents(led_ma, led_ma)
            poll_ppg(ppg, clock, 0.2)
    finally:
        ppg.set_led_currents(led_ma, led_ma)
    return Verdict(True, "each LED darkens only its own channel")


def check_fifo_stall(ppg: Max30102, clock: Clock, led_ma: float) -> Verdict:
    """Stop polling for a second: the full FIFO is read whole, keeps its oldest samples (rollover
    off, as the datasheet has it), the loss is counted, and the timestamps stay right.

    The proof of which samples were kept: 0.1 s into the stall the red LED goes off. A FIFO
    keeping its oldest 32 samples holds about 0.1 s of lit samples, then dark ones; one that kept
    its newest would hold only dark ones. The first dark sample's timestamp must match the
    moment the LED went off, and the first lit one after the stall the moment it came back.
    """
    rate = ppg.sample_rate
    lit = float(np.median(poll_ppg(ppg, clock, 1.0).red))
    overflow_before = ppg.overflow_samples
    clock.sleep(DARK_AFTER_S)
    dark_at = clock.now()
    ppg.set_led_currents(0.0, led_ma)
    clock.sleep(STALL_S - DARK_AFTER_S)
    full = ppg.read()
    relit_at = clock.now()
    ppg.set_led_currents(led_ma, led_ma)
    after = poll_ppg(ppg, clock, 0.5)
    period = 1.0 / rate
    if len(full) != FIFO_DEPTH:
        return Verdict(
            False,
            f"after a {STALL_S:g} s stall the FIFO read {len(full)} samples, not {FIFO_DEPTH}: "
            "the driver misreads a full FIFO (pointers equal with OVF_COUNTER set)",
        )
    if ppg.overflow_samples == overflow_before:
        return Verdict(False, "OVF_COUNTER counted no lost samples after a stall")
    bright = full.red > lit / 2
    n_lit = int(np.argmin(bright)) if not bright.all() else len(bright)
    expected = DARK_AFTER_S * rate
    if abs(n_lit - expected) > 3 or bright[n_lit:].any():
        return Verdict(
            False,
            f"the full FIFO held {n_lit} lit samples then dark ones (expected about "
            f"{expected:.0f}): the chip did not keep its oldest samples with rollover off",
        )
    slack = 2 * period + POLL_S
    first_dark_t = float(full.t[n_lit])
    first_relit = np.flatnonzero(after.red > lit / 2)
    if abs(first_dark_t - dark_at) > slack or not len(first_relit):
        return Verdict(
            False,
            f"the first dark sample is stamped {first_dark_t - dark_at:+.3f} s from when the "
            "LED went off: timestamps after a full FIFO are wrong",
        )
    relit_t = float(after.t[first_relit[0]])
    if abs(relit_t - relit_at) > slack:
        return Verdict(
            False,
            f"the first sample after the stall is stamped {relit_t - relit_at:+.3f} s from when "
            "it was taken: the lost samples are not accounted for",
        )
    lost = ppg.overflow_samples - overflow_before
    return Verdict(True, f"full FIFO read whole, oldest kept, {lost} lost counted, times right")


def judge_strap(samples: Sequence[HrSample]) -> Verdict:
    """The strap's RR intervals agree with its own heart rate."""
    with_rr = [s for s in samples if s.rr_s]
    if len(with_rr) < MIN_RR_SAMPLES:
        return Verdict(
            False,
            f"only {len(with_rr)} of {len(samples)} notifications carried RR intervals: wet the "
            "electrodes and wear the strap snugly; a strap that never sends RR cannot give HRV",
        )
    mean_rr = float(np.mean([rr for s in with_rr for rr in s.rr_s]))
    mean_hr = float(np.mean([s.bpm for s in with_rr]))
    agreement = mean_rr * mean_hr / 60.0
    detail = f"mean RR {mean_rr * 1000:.0f} ms, mean HR {mean_hr:.0f} bpm"
    if abs(agreement - 1.0) > RR_AGREEMENT:
        return Verdict(
            False,
            f"{detail}: RR and HR disagree by {100 * (agreement - 1):+.0f} %; the RR parsing "
            "(uint16 in 1/1024 s after the flags, HR and energy fields) is wrong",
        )
    contact = {s.contact for s in samples}
    return Verdict(True, f"{detail}; contact flags {sorted(map(str, contact))}")

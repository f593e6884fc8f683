"""MAX30102 register-level emulator: the FIFO, its pointers and flags as the datasheet has them.

Samples are generated lazily: on every bus transaction the emulator asks its signal for every
sample instant up to now() at the configured rate, and pushes them into the 32-sample FIFO with
the chip's rules (rollover or drop, OVF_COUNTER saturating at 0x1F).

With rollover off (what the driver sets) it follows the datasheet: a full FIFO keeps its oldest
samples, new ones are lost and counted. With rollover on the datasheet says only that the FIFO
keeps filling; that OVF_COUNTER then counts the overwritten samples is this emulator's guess.
"""

from __future__ import annotations

import math

import numpy as np

from drivers.emulated.signals import PpgSignal
from drivers.sources import Now

REG_INT_STATUS_1, REG_INT_STATUS_2, REG_INT_ENABLE_1 = 0x00, 0x01, 0x02
REG_FIFO_WR_PTR, REG_OVF_COUNTER, REG_FIFO_RD_PTR, REG_FIFO_DATA = 0x04, 0x05, 0x06, 0x07
REG_FIFO_CONFIG, REG_MODE_CONFIG, REG_SPO2_CONFIG = 0x08, 0x09, 0x0A
REG_LED1_PA, REG_LED2_PA, REG_SLOT_1_2, REG_SLOT_3_4 = 0x0C, 0x0D, 0x11, 0x12
REG_REV_ID, REG_PART_ID = 0xFE, 0xFF

PART_ID, REV_ID = 0x15, 0x03
FIFO_DEPTH = 32
POINTER_MASK = 0x1F
OVF_MAX = 0x1F
FULL_SCALE = 0x3FFFF  # 18-bit counts
INT_A_FULL, INT_PPG_RDY, INT_PWR_RDY = 0x80, 0x40, 0x01
MODE_SHDN, MODE_RESET = 0x80, 0x40
MODE_HR, MODE_SPO2, MODE_MULTI_LED = 0b010, 0b011, 0b111
FIFO_ROLLOVER_EN = 0x10
SAMPLE_RATES = (50, 100, 200, 400, 800, 1000, 1600, 3200)  # by SR[4:2]
ADC_BITS = (15, 16, 17, 18)  # by LED_PW[1:0]: 69, 118, 215, 411 µs
SLOT_RED, SLOT_IR = 1, 2  # multi-LED slot codes for LED1 and LED2
READ_ONLY = {REG_INT_STATUS_1, REG_INT_STATUS_2, REG_FIFO_DATA, REG_REV_ID, REG_PART_ID}


class Max30102Emulator:
    """A MAX30102 fed by a PpgSignal. `gain` > 1 drives the ADC into saturation.

    `swapped_leds` builds a clone board whose LED1 driver (slot 1, "red") lights the IR LED and
    LED2 the red one; `dead_channel` ("red" or "ir") is an LED that never lights.
    """

    def __init__(
        self,
        now: Now,
        signal: PpgSignal,
        *,
        gain: float = 1.0,
        swapped_leds: bool = False,
        dead_channel: str | None = None,
    ) -> None:
        self._now = now
        self._signal = signal
        self.gain = gain
        self.swapped_leds = swapped_leds
        self.dead_channel = dead_channel
        # Reads of MODE_CONFIG for which RESET still reads 1 after a reset; a huge value
        # emulates a chip that never finishes.
        self.reset_busy_reads = 1
        self._power_on()

    # -- state -----------------------------------------------------------------------------------
    def _power_on(self) -> None:
        self._regs = bytearray(256)
        self._regs[REG_INT_STATUS_1] = INT_PWR_RDY
        self._regs[REG_REV_ID] = REV_ID
        self._regs[REG_PART_ID] = PART_ID
        self._fifo = np.zeros((FIFO_DEPTH, 3), dtype=np.int64)  # up to 3 channels per sample
        self._count = 0
        self._pointer = 0
        self._sample_bytes = b""  # the sample being read out of FIFO_DATA
        self._reset_reads_left = 0
        self._schedule_start: float | None = None
        self._emitted = 0

    def _reset(self) -> None:
        """Soft reset: registers back to power-on state (the flag PWR_RDY stays clear)."""
        self._power_on()
        self._regs[REG_INT_STATUS_1] = 0
        self._reset_reads_left = self.reset_busy_reads

    @property
    def registers(self) -> bytes:
        """A snapshot of the register file, for tests and diagnostics."""
        self._generate()
        return bytes(self._regs)

    # -- I2C transactions ------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        if not data:
            return
        self._generate()
        self._pointer = data[0]
        for value in data[1:]:
            self._write_register(self._pointer, value)
            self._pointer = (self._pointer + 1) & 0xFF

    def read(self, length: int) -> bytes:
        self._generate()
        out = bytearray()
        for _ in range(length):
            out.append(self._read_register(self._pointer))
            if self._pointer != REG_FIFO_DATA:  # FIFO_DATA does not auto-increment
                self._pointer = (self._pointer + 1) & 0xFF
        return bytes(out)

    # -- registers -------------------------------------------------------------------------------
    def _read_register(self, register: int) -> int:
        if register == REG_FIFO_DATA:
            return self._read_fifo_byte()
        value = self._regs[register]
        if register == REG_INT_STATUS_1:
            self._regs[register] = 0  # cleared on read
        elif register == REG_MODE_CONFIG and self._reset_reads_left > 0:
            self._reset_reads_left -= 1
            value |= MODE_RESET
        return value

    def _write_register(self, register: int, value: int) -> None:
        if register in READ_ONLY:
            return
        if register in (REG_FIFO_WR_PTR, REG_OVF_COUNTER, REG_FIFO_RD_PTR):
            self._regs[register] = value & POINTER_MASK
            self._count = (self._regs[REG_FIFO_WR_PTR] - self._regs[REG_FIFO_RD_PTR]) & POINTER_MASK
            self._sample_bytes = b""
            return
        if register == REG_MODE_CONFIG:
            if value & MODE_RESET:
                self._reset()
                return
            self._regs[register] = value & 0xC7
            self._restart_schedule()
            return
        self._regs[register] = value
        if register in (REG_SPO2_CONFIG, REG_FIFO_CONFIG):
            self._restart_schedule()

    def _read_fifo_byte(self) -> int:
        self._regs[REG_INT_STATUS_1] &= ~INT_PPG_RDY & 0xFF
        if not self._sample_bytes:
            rd = self._regs[REG_FIFO_RD_PTR]
            channels = max(1, self._channels_per_sample())
            self._sample_bytes = b"".join(
                int(v).to_bytes(3, "big") for v in self._fifo[rd, :channels]
            )
            if self._count > 0:
                # The read pointer moves on the first byte of a sample; popping resets OVF.
                self._regs[REG_FIFO_RD_PTR] = (rd + 1) & POINTER_MASK
                self._count -= 1
                self._regs[REG_OVF_COUNTER] = 0
            # An empty FIFO hands out stale memory: garbage, as drivers that skip the
            # pointers discover.
        byte, self._sample_bytes = self._sample_bytes[0], self._sample_bytes[1:]
        return byte

    # -- sampling --------------------------------------------------------------------------------
    def _mode(self) -> int:
        return self._regs[REG_MODE_CONFIG] & 0x07

    def _sampling(self) -> bool:
        shutdown = self._regs[REG_MODE_CONFIG] & MODE_SHDN
        return not shutdown and self._channels_per_sample() > 0

    def _slots(self) -> list[int]:
        mode = self._mode()
        if mode == MODE_HR:
            return [SLOT_RED]
        if mode == MODE_SPO2:
            return [SLOT_RED, SLOT_IR]
        if mode == MODE_MULTI_LED:
            slots = []
            for reg in (REG_SLOT_1_2, REG_SLOT_3_4):
                for shift in (0, 4):
                    code = (self._regs[reg] >> shift) & 0x07
                    if code == 0:
                        return slots  # slots are used in order; the first empty one ends them
                    slots.append(code)
            return slots
        return []

    def _channels_per_sample(self) -> int:
        return min(3, len(self._slots()))

    def _average(self) -> int:
        return min(32, 1 << (self._regs[REG_FIFO_CONFIG] >> 5))

    def _adc_rate(self) -> int:
        return SAMPLE_RATES[(self._regs[REG_SPO2_CONFIG] >> 2) & 0x07]

    def _restart_schedule(self) -> None:
        self._schedule_start = self._now() if self._sampling() else None
        self._emitted = 0

    def _generate(self) -> None:
        """Push every FIFO sample due by now()."""
        if self._schedule_start is None:
            return
        average, adc_rate = self._average(), self._adc_rate()
        period = average / adc_rate
        due = math.floor((self._now() - self._schedule_start) / period + 1e-9)
        new = due - self._emitted
        if new <= 0:
            return
        first = self._emitted + 1
        self._emitted = due
        # Only the samples that can end up in the FIFO are worth computing.
        rollover = bool(self._regs[REG_FIFO_CONFIG] & FIFO_ROLLOVER_EN)
        if rollover:
            skipped = max(0, new - FIFO_DEPTH)
            kept = range(first + skipped, due + 1)
        else:
            skipped = 0
            kept = range(first, first + min(new, FIFO_DEPTH - self._count))
        if skipped:  # overwritten before anyone could read them: only the pointers remember
            for register in (REG_FIFO_WR_PTR, REG_FIFO_RD_PTR):
                self._regs[register] = (self._regs[register] + skipped) & POINTER_MASK
            self._bump_overflow(skipped)
        if len(kept):
            k = np.arange(kept.start, kept.stop, dtype=float)
            offsets = np.arange(average - 1, -1, -1, dtype=float) / adc_rate
            t = (self._schedule_start + k[:, None] * period - offsets[None, :]).ravel()
            values = self._sample_values(t).reshape(len(k), average, -1).mean(axis=1)
            for row in np.rint(values).astype(np.int64):
                self._push(row)
        if not rollover:
            self._bump_overflow(new - len(kept))

    def _sample_values(self, t: np.ndarray) -> np.ndarray:
        """ADC codes (samples × channels) at times t, as this configuration reports them."""
        red, ir = self._signal.ppg(t)
        if self.dead_channel == "red":
            red = np.zeros_like(t)
        elif self.dead_channel == "ir":
            ir = np.zeros_like(t)
        if self.swapped_leds:
            red, ir = ir, red
        by_slot = {SLOT_RED: (red, self._regs[REG_LED1_PA]), SLOT_IR: (ir, self._regs[REG_LED2_PA])}
        columns = []
        for slot in self._slots()[:3]:
            trace, current = by_slot.get(slot, (np.zeros_like(t), 0))
            # A LED at 0 mA lights nothing; ambient light is cancelled on the chip.
            columns.append(np.asarray(trace, dtype=float) * self.gain if current else 0.0 * t)
        codes = np.clip(np.rint(np.column_stack(columns)), 0, FULL_SCALE).astype(np.int64)
        bits = ADC_BITS[self._regs[REG_SPO2_CONFIG] & 0x03]
        return codes & ~((1 << (18 - bits)) - 1)  # left-justified: low bits stay zero

    def _push(self, row: np.ndarray) -> None:
        wr = self._regs[REG_FIFO_WR_PTR]
        if self._count == FIFO_DEPTH:
            self._bump_overflow(1)
            # Full with rollover on (callers drop the sample otherwise): overwrite the oldest.
            self._regs[REG_FIFO_RD_PTR] = (self._regs[REG_FIFO_RD_PTR] + 1) & POINTER_MASK
            self._sample_bytes = b""
        else:
            self._count += 1
        self._fifo[wr, :] = 0
        self._fifo[wr, : len(row)] = row
        self._regs[REG_FIFO_WR_PTR] = (wr + 1) & POINTER_MASK
        self._regs[REG_INT_STATUS_1] |= INT_PPG_RDY
        empty_slots = self._regs[REG_FIFO_CONFIG] & 0x0F
        if self._count == FIFO_DEPTH - empty_slots:
            self._regs[REG_INT_STATUS_1] |= INT_A_FULL

    def _bump_overflow(self, lost: int) -> None:
        if lost > 0:
            self._regs[REG_OVF_COUNTER] = min(OVF_MAX, self._regs[REG_OVF_COUNTER] + lost)

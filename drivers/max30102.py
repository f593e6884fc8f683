"""MAX30102 pulse oximeter over I2C (smbus2): SpO2 mode, red and IR drained from the FIFO.

Drained by the FIFO pointers, never by waiting for data: a full FIFO (pointers equal, overflow
counter set) is read as 32 samples and an empty one returns an empty batch.

Rollover is off, the behaviour the datasheet documents: a full FIFO keeps its 32 oldest samples,
new ones are lost and OVF_COUNTER counts them (saturating at 31). The samples read therefore always
follow on from the previous batch, and the lost ones come after them; the timestamps account for
both (see `_timestamps`).
"""

from __future__ import annotations

import errno
import logging
from typing import Any

import numpy as np
from smbus2 import i2c_msg

from drivers.sources import Now, PpgBatch, SensorNotFound

log = logging.getLogger(__name__)

REG_INT_STATUS_1 = 0x00
REG_FIFO_WR_PTR, REG_OVF_COUNTER, REG_FIFO_RD_PTR, REG_FIFO_DATA = 0x04, 0x05, 0x06, 0x07
REG_FIFO_CONFIG, REG_MODE_CONFIG, REG_SPO2_CONFIG = 0x08, 0x09, 0x0A
REG_LED1_PA, REG_LED2_PA = 0x0C, 0x0D  # red, IR (0x0B is reserved, whatever some drivers say)
REG_REV_ID, REG_PART_ID = 0xFE, 0xFF

PART_ID = 0x15  # MAX30101, MAX30102 and MAX30105 alike
FIFO_DEPTH = 32
POINTER_MASK = 0x1F
MODE_SHDN, MODE_RESET, MODE_SPO2 = 0x80, 0x40, 0b011
FIFO_SMP_AVE_1 = 0b000 << 5  # no on-chip averaging: the FIFO runs at the sample rate
FIFO_ROLLOVER_EN = 0x10  # left clear: the datasheet defines OVF_COUNTER only without rollover
OVF_SATURATED = 0x1F  # the counter stops here: at least this many samples were lost
FIFO_A_FULL_EMPTY_SLOTS = 4  # A_FULL flag rises at 28 samples; this driver polls the pointers
CHANNELS = 2  # SpO2 mode: red then IR
BYTES_PER_CHANNEL = 3
BYTES_PER_SAMPLE = CHANNELS * BYTES_PER_CHANNEL
SMBUS_BLOCK_MAX = 32  # bytes per read_i2c_block_data
SAMPLES_PER_BLOCK = SMBUS_BLOCK_MAX // BYTES_PER_SAMPLE  # 5 samples = 30 bytes
SAMPLE_MASK = 0x3FFFF  # 18-bit, left-justified at every resolution
RESET_POLLS = 100  # the reset bit clears within about a millisecond
LED_MA_PER_STEP = 0.2
LED_MAX_MA = 51.0

ADC_RANGE_CODES = {2048: 0b00, 4096: 0b01, 8192: 0b10, 16384: 0b11}  # nA
SAMPLE_RATE_CODES = {50: 0, 100: 1, 200: 2, 400: 3, 800: 4, 1000: 5, 1600: 6, 3200: 7}  # sps
PULSE_WIDTH_CODES = {69: 0b00, 118: 0b01, 215: 0b10, 411: 0b11}  # µs (15..18-bit ADC)
# Datasheet, SpO2 mode: the longest LED pulse each sample rate allows.
SPO2_ALLOWED_PULSE_WIDTHS = {
    50: (69, 118, 215, 411),
    100: (69, 118, 215, 411),
    200: (69, 118, 215, 411),
    400: (69, 118, 215, 411),
    800: (69, 118, 215),
    1000: (69, 118),
    1600: (69,),
    3200: (),
}
# The same table the other way round: the fastest sample rate each pulse width allows.
SPO2_MAX_SAMPLE_RATE = {
    width: max(rate for rate, widths in SPO2_ALLOWED_PULSE_WIDTHS.items() if width in widths)
    for width in PULSE_WIDTH_CODES
}


def spo2_config_byte(sample_rate: int, pulse_width_us: int, adc_range_na: int) -> int:
    """SPO2_CONFIG for SpO2 mode; ValueError naming what is allowed."""
    if sample_rate not in SAMPLE_RATE_CODES:
        raise ValueError(f"sample_rate must be one of {list(SAMPLE_RATE_CODES)} sps: {sample_rate}")
    if pulse_width_us not in PULSE_WIDTH_CODES:
        allowed = list(PULSE_WIDTH_CODES)
        raise ValueError(f"pulse_width_us must be one of {allowed} µs: {pulse_width_us}")
    if adc_range_na not in ADC_RANGE_CODES:
        raise ValueError(f"adc_range_na must be one of {list(ADC_RANGE_CODES)} nA: {adc_range_na}")
    if pulse_width_us not in SPO2_ALLOWED_PULSE_WIDTHS[sample_rate]:
        table = "; ".join(
            f"{sr} sps: {', '.join(map(str, pws)) or 'none'}"
            for sr, pws in SPO2_ALLOWED_PULSE_WIDTHS.items()
        )
        raise ValueError(
            f"{sample_rate} sps with a {pulse_width_us} µs pulse is not allowed in SpO2 mode; "
            f"allowed pulse widths (µs) by sample rate: {table}"
        )
    return (
        (ADC_RANGE_CODES[adc_range_na] << 5)
        | (SAMPLE_RATE_CODES[sample_rate] << 2)
        | PULSE_WIDTH_CODES[pulse_width_us]
    )


def led_pa_byte(current_ma: float) -> int:
    if not 0.0 <= current_ma <= LED_MAX_MA:
        raise ValueError(f"led_current_ma must be within 0..{LED_MAX_MA} mA: {current_ma}")
    return round(current_ma / LED_MA_PER_STEP)


def decode_fifo(data: bytes, n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    """(red, ir) counts from FIFO bytes: 3 bytes per channel, MSB first, red then IR."""
    raw = np.frombuffer(data, dtype=np.uint8).reshape(n_samples, CHANNELS, BYTES_PER_CHANNEL)
    raw = raw.astype(np.int64)
    counts = ((raw[..., 0] << 16) | (raw[..., 1] << 8) | raw[..., 2]) & SAMPLE_MASK
    return counts[:, 0].astype(float), counts[:, 1].astype(float)


class Max30102:
    """A PpgSource over a MAX30102 on any smbus2.SMBus-like `bus`.

    `burst_read` drains the FIFO in one combined i2c_rdwr transaction instead of SMBus blocks.
    """

    def __init__(
        self,
        bus: Any,
        *,
        now: Now,
        address: int = 0x57,
        bus_number: int = 1,
        sample_rate: int = 100,
        pulse_width_us: int = 411,
        adc_range_na: int = 16384,
        led_current_ma: float = 7.0,
        swap_red_ir: bool = False,
        burst_read: bool = False,
    ) -> None:
        self._spo2_config = spo2_config_byte(sample_rate, pulse_width_us, adc_range_na)
        self._led_pa = led_pa_byte(led_current_ma)
        self._bus = bus
        self._now = now
        self.address = address
        self.bus_number = bus_number
        self.sample_rate = sample_rate
        self.swap_red_ir = swap_red_ir
        self.burst_read = burst_read
        self.overflow_samples = 0  # samples the FIFO lost (a lower bound: OVF saturates at 31)
        self._newest_t: float | None = None
        self.is_open = False

    # -- lifecycle -----------------------------------------------------------------------------
    def probe(self) -> dict[str, int]:
        """Identify the chip without configuring it."""
        part_id = self._read_part_id()
        revision = self._byte(REG_REV_ID)
        return {"part_id": part_id, "revision": revision}

    def open(self) -> None:
        if self.is_open:
            return
        self._read_part_id()
        self._reset()
        self._byte(REG_INT_STATUS_1)  # clear the power-ready flag
        fifo = FIFO_SMP_AVE_1 | FIFO_A_FULL_EMPTY_SLOTS  # rollover off
        self._bus.write_byte_data(self.address, REG_FIFO_CONFIG, fifo)
        self._bus.write_byte_data(self.address, REG_SPO2_CONFIG, self._spo2_config)
        self._bus.write_byte_data(self.address, REG_LED1_PA, self._led_pa)
        self._bus.write_byte_data(self.address, REG_LED2_PA, self._led_pa)
        self._bus.write_byte_data(self.address, REG_MODE_CONFIG, MODE_SPO2)
        self._clear_fifo()
        self.is_open = True

    def set_led_currents(self, red_ma: float, ir_ma: float) -> None:
        """Change the LED currents while sampling (0 turns an LED off); for hardware checks."""
        red, ir = led_pa_byte(red_ma), led_pa_byte(ir_ma)
        if self.swap_red_ir:  # the board's LED1 driver lights its IR LED
            red, ir = ir, red
        self._bus.write_byte_data(self.address, REG_LED1_PA, red)
        self._bus.write_byte_data(self.address, REG_LED2_PA, ir)

    def close(self) -> None:
        """Shut the chip down (LEDs off, registers kept)."""
        if not self.is_open:
            return
        self.is_open = False
        try:
            mode = self._byte(REG_MODE_CONFIG)
            self._bus.write_byte_data(self.address, REG_MODE_CONFIG, mode | MODE_SHDN)
        except OSError as exc:  # unplugged: nothing left to shut down
            log.warning(
                "MAX30102 on bus %s at 0x%02X: shutdown failed: %s",
                self.bus_number,
                self.address,
                exc,
            )

    def __enter__(self) -> Max30102:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- data ------------------------------------------------------------------------------------
    def read(self) -> PpgBatch:
        """Every sample waiting in the FIFO, oldest first; empty when none are."""
        if not self.is_open:
            raise RuntimeError("Max30102.open() must be called before read()")
        wr, ovf, rd = self._bus.read_i2c_block_data(self.address, REG_FIFO_WR_PTR, 3)
        t_now = self._now()
        wr, ovf, rd = wr & POINTER_MASK, ovf & POINTER_MASK, rd & POINTER_MASK
        n = (wr - rd) & POINTER_MASK
        if n == 0 and ovf > 0:
            n = FIFO_DEPTH  # pointers equal after an overflow: full, not empty
        self.overflow_samples += ovf
        if n == 0:
            return PpgBatch(t=np.empty(0), red=np.empty(0), ir=np.empty(0))
        red, ir = decode_fifo(self._read_fifo(n), n)
        if self.swap_red_ir:
            red, ir = ir, red
        return PpgBatch(t=self._timestamps(n, t_now, lost=ovf), red=red, ir=ir)

    def _read_fifo(self, n_samples: int) -> bytes:
        if self.burst_read:
            select = i2c_msg.write(self.address, [REG_FIFO_DATA])
            data = i2c_msg.read(self.address, n_samples * BYTES_PER_SAMPLE)
            self._bus.i2c_rdwr(select, data)
            return bytes(data)
        chunks = []
        for start in range(0, n_samples, SAMPLES_PER_BLOCK):
            length = min(SAMPLES_PER_BLOCK, n_samples - start) * BYTES_PER_SAMPLE
            # Whole samples per block: FIFO_DATA does not auto-increment, so every byte of
            # the block comes from the FIFO.
            chunks.append(bytes(self._bus.read_i2c_block_data(self.address, REG_FIFO_DATA, length)))
        return b"".join(chunks)

    def _timestamps(self, n: int, t_now: float, *, lost: int) -> np.ndarray:
        """One sample period apart, continuous across batches, right after a stall too.

        Normally the newest sample was taken within one period before now(): while the chip's
        cadence agrees, timestamps continue from the last batch (clamped into that period), so
        the host's read jitter does not leak into beat intervals.

        After an overflow (`lost` > 0) the FIFO holds the 32 samples that directly followed the
        last batch, taken long before now(): they continue from the last batch unclamped, and
        the `lost` samples after them are skipped. OVF_COUNTER saturates at 31 and a sample or
        two may be lost between reading it and popping the FIFO, so the next batch's clamp to
        now() absorbs whatever the counter could not say. At the start the newest sample is
        stamped now(), or `lost` periods before it after an overflow.
        """
        period = 1.0 / self.sample_rate
        steps = np.arange(n - 1, -1, -1, dtype=float)
        if lost:
            if self._newest_t is not None:
                newest = self._newest_t + n * period
            else:
                newest = t_now - lost * period
            self._newest_t = newest + lost * period
            return newest - period * steps
        newest = t_now
        if self._newest_t is not None:
            newest = min(max(self._newest_t + n * period, t_now - period), t_now)
        self._newest_t = newest
        return newest - period * steps

    # -- registers -------------------------------------------------------------------------------
    def _byte(self, register: int) -> int:
        return self._bus.read_byte_data(self.address, register)

    def _read_part_id(self) -> int:
        try:
            part_id = self._byte(REG_PART_ID)
        except OSError as exc:
            raise SensorNotFound("MAX30102", self.bus_number, self.address, str(exc)) from exc
        if part_id != PART_ID:
            raise SensorNotFound(
                "MAX30102",
                self.bus_number,
                self.address,
                f"PART_ID (0xFF) read 0x{part_id:02X}, expected 0x{PART_ID:02X}",
            )
        return part_id

    def _reset(self) -> None:
        self._bus.write_byte_data(self.address, REG_MODE_CONFIG, MODE_RESET)
        for _ in range(RESET_POLLS):
            if not self._byte(REG_MODE_CONFIG) & MODE_RESET:
                return
        raise OSError(
            errno.ETIMEDOUT,
            f"MAX30102 on I2C bus {self.bus_number} at 0x{self.address:02X} "
            f"did not finish its reset after {RESET_POLLS} polls",
        )

    def _clear_fifo(self) -> None:
        for register in (REG_FIFO_WR_PTR, REG_OVF_COUNTER, REG_FIFO_RD_PTR):
            self._bus.write_byte_data(self.address, register, 0)
        self._newest_t = None

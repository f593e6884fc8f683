"""Pure parser for the Bluetooth Heart Rate Measurement characteristic (0x2A37).

Layout (Bluetooth Heart Rate Service 1.0, all fields little-endian):
  flags (uint8)
    b0  heart rate is uint16 (else uint8)
    b2:b1  sensor contact: 11 contact, 10 no contact, 0x contact detection not supported
    b3  energy expended present (uint16, kJ)
    b4  RR intervals present (uint16 each, units of 1/1024 s, oldest first)
  heart rate, [energy expended], [RR…]
"""

from __future__ import annotations

from dataclasses import dataclass

RR_UNITS_PER_SECOND = 1024.0  # RR intervals are sent in 1/1024 s

FLAG_HR_UINT16 = 0x01
FLAG_CONTACT_DETECTED = 0x02
FLAG_CONTACT_SUPPORTED = 0x04
FLAG_ENERGY_PRESENT = 0x08
FLAG_RR_PRESENT = 0x10


@dataclass(frozen=True)
class HeartRateMeasurement:
    """One decoded 0x2A37 notification."""

    bpm: int
    contact: bool | None  # None: the strap does not support contact detection
    energy_kj: int | None  # None: not in this frame
    rr_s: tuple[float, ...]  # RR intervals in seconds, oldest first


def _uint16_at(data: bytes, offset: int, what: str) -> int:
    if offset + 2 > len(data):
        raise ValueError(
            f"Heart Rate Measurement truncated: {what} needs bytes {offset}..{offset + 1} "
            f"but the frame has {len(data)} byte(s): {data.hex(' ')}"
        )
    return data[offset] | (data[offset + 1] << 8)


def parse_heart_rate_measurement(data: bytes | bytearray) -> HeartRateMeasurement:
    """Decode a Heart Rate Measurement frame; raise ValueError if it is malformed."""
    frame = bytes(data)
    if not frame:
        raise ValueError("Heart Rate Measurement is empty: expected at least flags and heart rate")
    flags = frame[0]
    offset = 1

    if flags & FLAG_HR_UINT16:
        bpm = _uint16_at(frame, offset, "16-bit heart rate")
        offset += 2
    else:
        if len(frame) < 2:
            raise ValueError(
                f"Heart Rate Measurement truncated: flags 0x{flags:02x} announce an 8-bit "
                f"heart rate but the frame has only {len(frame)} byte(s)"
            )
        bpm = frame[offset]
        offset += 1

    contact: bool | None = None
    if flags & FLAG_CONTACT_SUPPORTED:
        contact = bool(flags & FLAG_CONTACT_DETECTED)

    energy_kj: int | None = None
    if flags & FLAG_ENERGY_PRESENT:
        energy_kj = _uint16_at(frame, offset, "energy expended")
        offset += 2

    rr_s: tuple[float, ...] = ()
    if flags & FLAG_RR_PRESENT:
        rr_bytes = len(frame) - offset
        # Zero RR bytes (flag set, no beat in this interval) keeps a valid heart rate; an odd
        # count means a cut-off interval, and guessing its value would corrupt HRV.
        if rr_bytes % 2:
            raise ValueError(
                f"Heart Rate Measurement truncated: flags 0x{flags:02x} announce RR intervals "
                f"but {rr_bytes} byte(s) remain (need an even count): {frame.hex(' ')}"
            )
        rr_s = tuple(
            _uint16_at(frame, i, "RR interval") / RR_UNITS_PER_SECOND
            for i in range(offset, len(frame), 2)
        )

    # Bytes left after the announced fields are ignored, not rejected: flag bits b5-b7 are
    # reserved for future fields, which the specification appends after the known ones.
    return HeartRateMeasurement(bpm=bpm, contact=contact, energy_kj=energy_kj, rr_s=rr_s)

"""Heart Rate Measurement (0x2A37) parser, on frames captured from real straps and built ones."""

from __future__ import annotations

import pytest

from drivers.ble_hr_parse import HeartRateMeasurement, parse_heart_rate_measurement


@pytest.mark.parametrize(
    ("hex_frame", "bpm", "rr_units"),
    [
        ("10 3b 53 04", 59, (1107,)),  # Polar H10
        ("16 4d 16 03", 77, (790,)),  # Polar H7
        ("16 34 e4 04", 52, (1252,)),  # generic chest strap
    ],
)
def test_real_strap_frames(hex_frame: str, bpm: int, rr_units: tuple[int, ...]) -> None:
    m = parse_heart_rate_measurement(bytes.fromhex(hex_frame))
    assert m.bpm == bpm
    assert m.rr_s == pytest.approx(tuple(u / 1024 for u in rr_units))
    assert m.energy_kj is None


def test_polar_h10_does_not_claim_contact_detection() -> None:
    # flags 0x10: contact bits 00 → not supported, so contact must be unknown, not False.
    assert parse_heart_rate_measurement(bytes.fromhex("10 3b 53 04")).contact is None


@pytest.mark.parametrize(
    ("flags", "contact"),
    [(0x06, True), (0x04, False), (0x02, None), (0x00, None)],
)
def test_contact_states(flags: int, contact: bool | None) -> None:
    assert parse_heart_rate_measurement(bytes([flags, 70])).contact is contact


def test_h7_frame_reports_contact() -> None:
    assert parse_heart_rate_measurement(bytes.fromhex("16 4d 16 03")).contact is True


def test_sixteen_bit_heart_rate() -> None:
    m = parse_heart_rate_measurement(bytes([0x01, 0x2C, 0x01]))  # 300 bpm, little-endian
    assert m == HeartRateMeasurement(bpm=300, contact=None, energy_kj=None, rr_s=())


def test_energy_expended_and_rr_after_it() -> None:
    # flags: 8-bit HR, contact detected, energy present, RR present
    frame = bytes([0x1E, 72, 0x34, 0x12, 0x00, 0x04])
    m = parse_heart_rate_measurement(frame)
    assert m.bpm == 72
    assert m.contact is True
    assert m.energy_kj == 0x1234
    assert m.rr_s == (1.0,)


def test_sixteen_bit_heart_rate_with_energy() -> None:
    m = parse_heart_rate_measurement(bytes([0x09, 0x50, 0x00, 0xE8, 0x03]))
    assert (m.bpm, m.energy_kj, m.rr_s) == (80, 1000, ())


def test_several_rr_intervals_keep_order() -> None:
    frame = bytes([0x10, 60]) + b"".join(u.to_bytes(2, "little") for u in (1024, 512, 1536))
    assert parse_heart_rate_measurement(frame).rr_s == (1.0, 0.5, 1.5)


def test_accepts_bytearray_as_bleak_delivers_it() -> None:
    assert parse_heart_rate_measurement(bytearray.fromhex("16 34 e4 04")).bpm == 52


def test_rr_flag_without_intervals_keeps_heart_rate() -> None:
    assert parse_heart_rate_measurement(bytes([0x10, 64])).rr_s == ()


def test_reserved_trailing_bytes_are_ignored() -> None:
    assert parse_heart_rate_measurement(bytes([0x00, 64, 0xAA])).bpm == 64


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (b"", "empty"),
        (bytes([0x00]), "8-bit heart rate"),
        (bytes([0x01, 0x48]), "16-bit heart rate"),
        (bytes([0x08, 70, 0x01]), "energy expended"),
        (bytes([0x10, 70, 0x00, 0x04, 0x10]), "RR intervals"),
        (bytes([0x10, 70, 0x00]), "RR intervals"),
    ],
)
def test_truncated_frames_raise_clear_errors(frame: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_heart_rate_measurement(frame)

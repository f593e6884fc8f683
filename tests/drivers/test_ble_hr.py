"""BleHeartRateSource through the real bleak → D-Bus → BlueZ API path, against a fake BlueZ.

The fake (python-dbusmock on a private system bus) advertises straps, accepts Connect, serves
the Heart Rate service and sends notifications as BlueZ does; bleak is not mocked.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import pytest

pytest.importorskip("dbusmock", reason="python-dbusmock (and dbus-python) not installed")

from drivers.ble_hr import BleHeartRateSource, next_backoff_s
from drivers.emulated.fake_bluez import (
    FakeBluez,
    FakeHeartRateDevice,
    dbus_daemon_available,
)
from drivers.sources import HrSample

STRAP = "C0:FF:EE:00:00:01"
NEIGHBOURS_STRAP = "C0:FF:EE:00:00:02"
POLAR_H10 = bytes.fromhex("10 3b 53 04")  # 59 bpm, RR 1107/1024 s
POLAR_H7 = bytes.fromhex("16 4d 16 03")  # 77 bpm, RR 790/1024 s, contact
GENERIC = bytes.fromhex("16 34 e4 04")  # 52 bpm, RR 1252/1024 s
WAIT_S = 5.0

needs_dbus = pytest.mark.skipif(
    not dbus_daemon_available(),
    reason="dbus-daemon not found (Debian package 'dbus'): no private system bus for the fake",
)


def wait_until(predicate: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.01)


def collect(source: BleHeartRateSource, count: int) -> list[HrSample]:
    samples: list[HrSample] = []

    def enough() -> bool:
        samples.extend(source.read())
        return len(samples) >= count

    wait_until(enough, f"{count} heart-rate sample(s)")
    return samples


@pytest.fixture
def bluez() -> Iterator[FakeBluez]:
    with FakeBluez() as fake:
        yield fake


@pytest.fixture
def strap(bluez: FakeBluez) -> FakeHeartRateDevice:
    # The neighbour's strap is added first so discovery sees it before ours.
    bluez.add_heart_rate_device(NEIGHBOURS_STRAP, "Polar H10 NEIGHBOUR")
    return bluez.add_heart_rate_device(STRAP, "Polar H10 OURS")


@pytest.fixture
def make_source(bluez: FakeBluez) -> Iterator[Callable[..., BleHeartRateSource]]:
    started: list[BleHeartRateSource] = []

    def make(addresses: list[str] | None = None, **overrides: float) -> BleHeartRateSource:
        options = {
            "backoff_initial_s": 0.05,
            "backoff_max_s": 0.2,
            "scan_timeout_s": 2.0,
            "connect_timeout_s": 2.0,
        } | overrides
        source = BleHeartRateSource(addresses or [STRAP], now=time.monotonic, **options)
        source.start_in_thread()
        started.append(source)
        return source

    yield make
    for source in started:
        source.close()


def connected(source: BleHeartRateSource) -> Callable[[], bool]:
    return lambda: source.state == "connected"


@needs_dbus
def test_connects_only_to_the_configured_strap(
    bluez: FakeBluez, strap: FakeHeartRateDevice, make_source
) -> None:
    neighbour = bluez.devices[NEIGHBOURS_STRAP]
    source = make_source([STRAP.lower()])  # addresses are case-insensitive
    wait_until(connected(source), "connection")

    assert source.connected_address == STRAP
    assert strap.connected and strap.notifying
    assert strap.connect_calls == 1
    assert neighbour.connect_calls == 0 and not neighbour.connected
    assert strap.discovering_at_connect == [False], "connected while still scanning"


@needs_dbus
def test_notifications_become_samples(strap: FakeHeartRateDevice, make_source) -> None:
    source = make_source()
    wait_until(connected(source), "connection")

    before = time.monotonic()
    for frame in (POLAR_H10, POLAR_H7, GENERIC):
        assert strap.notify(frame)
    samples = collect(source, 3)
    after = time.monotonic()

    assert [s.bpm for s in samples] == [59, 77, 52]
    assert samples[0].rr_s == pytest.approx((1107 / 1024,))
    assert samples[1].rr_s == pytest.approx((790 / 1024,))
    assert samples[2].rr_s == pytest.approx((1252 / 1024,))
    assert [s.contact for s in samples] == [None, True, True]
    assert all(before <= s.t <= after for s in samples)
    assert [s.t for s in samples] == sorted(s.t for s in samples)
    assert source.read() == []  # read() drains


@pytest.mark.parametrize("forget", [False, True], ids=["device-kept", "device-forgotten"])
@needs_dbus
def test_drop_out_reconnects_with_a_new_client(
    strap: FakeHeartRateDevice, make_source, forget: bool
) -> None:
    source = make_source()
    wait_until(connected(source), "first connection")
    assert strap.notify(POLAR_H10)
    assert [s.bpm for s in collect(source, 1)] == [59]

    assert strap.drop(forget=forget)
    wait_until(lambda: source.connected_address is None, "the drop-out to be noticed")
    assert "disconnected" in (source.last_error or "")
    wait_until(lambda: source.reconnects == 1 and source.state == "connected", "reconnection")

    for _ in range(3):
        assert strap.notify(POLAR_H7)
    samples = collect(source, 3)
    time.sleep(0.1)  # give any duplicate delivery the chance to show up
    samples += source.read()
    assert [s.bpm for s in samples] == [77, 77, 77], "each notification must yield one sample"
    # A kept device logs both connections; a forgotten one was re-created by the rescan.
    assert strap.connect_calls == (1 if forget else 2)
    assert strap.start_notify_calls == strap.connect_calls  # subscribed once per connection


@needs_dbus
def test_a_link_that_delivered_beats_resets_the_backoff(
    strap: FakeHeartRateDevice, make_source, caplog
) -> None:
    # A strap that drops every few seconds (far under the 10 s a link needs to count as
    # stable) but sends beats in between is reconnected at once; empty links grow the wait.
    caplog.set_level(logging.INFO, logger="drivers.ble_hr")

    def waits() -> list[float]:
        return [r.args[0] for r in caplog.records if "next attempt in" in r.msg]

    source = make_source(backoff_initial_s=0.1, backoff_max_s=0.8)
    for delivers in (False, False, True, False):
        wait_until(connected(source), "a connection")
        if delivers:
            assert strap.notify(POLAR_H10)
            assert [s.bpm for s in collect(source, 1)] == [59]
        drops = len(waits())
        assert strap.drop()
        wait_until(lambda: len(waits()) > drops, "the backoff after the drop")  # noqa: B023
    assert waits() == [0.1, 0.2, 0.1, 0.2]


DROP_OUTS = 100


@pytest.mark.slow
@needs_dbus
def test_a_hundred_drop_outs_in_a_row_lose_no_beat_and_leak_nothing(
    strap: FakeHeartRateDevice, make_source
) -> None:
    # The fault matrix's BLE row: a strap dropping 100 times in a row (BlueZ reports straps
    # dropping ~30 s after connecting), each link delivering one beat before it goes.
    import os
    import threading

    source = make_source()
    wait_until(connected(source), "first connection")
    fds, threads = len(os.listdir("/proc/self/fd")), threading.active_count()
    beats: list[int] = []
    for link in range(DROP_OUTS):
        wait_until(connected(source), "a connection", timeout_s=10.0)
        subscribed = link + 1
        wait_until(lambda: strap.start_notify_calls == subscribed, "the subscription")  # noqa: B023
        assert strap.notify(POLAR_H7)
        beats += [s.bpm for s in collect(source, 1)]
        assert strap.drop()
        wait_until(lambda: source.connected_address is None, "the drop-out to be noticed")
    wait_until(lambda: source.reconnects == DROP_OUTS and source.state == "connected", "back")
    wait_until(lambda: strap.start_notify_calls == DROP_OUTS + 1, "the last subscription")
    assert strap.notify(POLAR_H10)
    beats += [s.bpm for s in collect(source, 1)]
    time.sleep(0.1)
    beats += [s.bpm for s in source.read()]  # any duplicate delivery would show here
    assert beats == [77] * DROP_OUTS + [59]  # every beat once, none lost, none twice
    assert strap.start_notify_calls == strap.connect_calls == DROP_OUTS + 1
    assert len(os.listdir("/proc/self/fd")) <= fds + 2  # no D-Bus connection left behind
    assert threading.active_count() <= threads


@needs_dbus
def test_strap_out_of_range_backs_off_then_connects(
    strap: FakeHeartRateDevice, make_source
) -> None:
    strap.set_in_range(False)
    source = make_source(scan_timeout_s=0.2)
    wait_until(lambda: source.state == "backoff", "backoff")
    assert source.connected_address is None
    assert STRAP in (source.last_error or "") and "seen" in (source.last_error or "")
    assert strap.connect_calls == 0

    strap.set_in_range(True)
    wait_until(connected(source), "connection once in range")
    assert source.reconnects == 0  # first connection, not a reconnection


@needs_dbus
def test_first_configured_strap_seen_is_used(bluez: FakeBluez, make_source) -> None:
    spare = bluez.add_heart_rate_device("C0:FF:EE:00:00:03", "Spare strap")
    source = make_source(["C0:FF:EE:00:00:99", spare.address])
    wait_until(connected(source), "connection to the spare")
    assert source.connected_address == spare.address


@needs_dbus
def test_malformed_frame_is_counted_and_later_frames_flow(
    strap: FakeHeartRateDevice, make_source
) -> None:
    source = make_source()
    wait_until(connected(source), "connection")
    assert strap.notify(bytes([0x11, 60]))  # 16-bit HR announced, one byte sent
    assert strap.notify(GENERIC)
    assert [s.bpm for s in collect(source, 1)] == [52]
    assert source.malformed_frames == 1
    assert "truncated" in (source.last_error or "")
    assert source.state == "connected"


@needs_dbus
def test_close_disconnects_the_strap(strap: FakeHeartRateDevice, make_source) -> None:
    source = make_source()
    wait_until(connected(source), "connection")
    source.close()
    assert source.state == "stopped"
    assert source.connected_address is None
    wait_until(lambda: not strap.connected, "the strap to be disconnected")
    assert not strap.notify(POLAR_H10)  # nobody is subscribed any more
    source.close()  # idempotent


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = [None]
    for _ in range(8):
        delays.append(next_backoff_s(delays[-1], 1.0, 60.0))
    assert delays[1:] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


@pytest.mark.parametrize(
    ("addresses", "message"),
    [([], "at least one"), (["not-an-address"], "invalid Bluetooth address")],
)
def test_rejects_bad_addresses(addresses: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BleHeartRateSource(addresses, now=time.monotonic)


def test_a_single_address_string_is_not_split_into_characters() -> None:
    assert BleHeartRateSource(STRAP, now=time.monotonic).addresses == (STRAP,)


def test_a_new_source_is_stopped_and_empty() -> None:
    source = BleHeartRateSource([STRAP], now=time.monotonic)
    assert (source.state, source.connected_address, source.reconnects) == ("stopped", None, 0)
    assert source.read() == []
    source.close()  # never started: nothing to do

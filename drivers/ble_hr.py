"""Heart Rate Service client (bleak over BlueZ), bound to the configured straps only.

A waiting room is full of other people's wearables, so the source scans with a filter on the
configured addresses and connects to nothing else. After a drop-out BlueZ may forget the
device, so every attempt rescans and builds a new BleakClient; attempts back off 1 → 2 → 4 …
→ 60 s, starting over after a link that delivered a measurement or stayed up. Scanning always
stops before connecting (some controllers abort LE connections made while discovering).

The session loop is synchronous: `start_in_thread()` runs the asyncio task on a private event
loop in a daemon thread, `read()` drains samples thread-safely, `close()` stops it.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import re
import threading
from collections.abc import Sequence
from typing import Literal

from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.device import BLEDevice

from drivers.ble_hr_parse import parse_heart_rate_measurement
from drivers.sources import HrSample, Now

log = logging.getLogger(__name__)

HEART_RATE_MEASUREMENT_UUID = "00002a37-0000-1000-8000-00805f9b34fb"
DEFAULT_CONNECT_TIMEOUT_S = 20.0
DEFAULT_STABLE_CONNECTION_S = 10.0  # a link this long resets the backoff, even without data
THREAD_CALL_TIMEOUT_S = 15.0  # bleak's own disconnect gives up after 10 s
MAX_PENDING_SAMPLES = 3600  # ~1 h at 1 Hz if nobody reads; the oldest are dropped first
_ADDRESS_RE = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){5}$")

SourceState = Literal["scanning", "connected", "backoff", "stopped"]


def next_backoff_s(previous_s: float | None, initial_s: float, max_s: float) -> float:
    """The wait before the next attempt: initial, then doubling, capped at max_s."""
    if previous_s is None:
        return initial_s
    return min(previous_s * 2.0, max_s)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class BleHeartRateSource:
    """Heart-rate samples from a BLE strap, one of `addresses` (the first one seen)."""

    def __init__(
        self,
        addresses: Sequence[str],
        *,
        now: Now,
        adapter: str = "hci0",
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 60.0,
        scan_timeout_s: float = 10.0,
        connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S,
        stable_connection_s: float = DEFAULT_STABLE_CONNECTION_S,
    ) -> None:
        if isinstance(addresses, str):
            addresses = [addresses]  # a lone string would otherwise be split into characters
        normalised = tuple(a.strip().upper() for a in addresses)
        if not normalised:
            raise ValueError("BLE heart-rate source needs at least one strap address")
        bad = [a for a in normalised if not _ADDRESS_RE.match(a)]
        if bad:
            raise ValueError(f"invalid Bluetooth address(es) {bad}: expected AA:BB:CC:DD:EE:FF")
        if not 0 < backoff_initial_s <= backoff_max_s:
            raise ValueError(
                f"backoff must satisfy 0 < initial ({backoff_initial_s}) <= max ({backoff_max_s})"
            )
        if scan_timeout_s <= 0 or connect_timeout_s <= 0:
            raise ValueError("scan and connect timeouts must be positive")
        self.addresses = normalised
        self.adapter = adapter
        self._now = now
        self._backoff_initial_s = backoff_initial_s
        self._backoff_max_s = backoff_max_s
        self._scan_timeout_s = scan_timeout_s
        self._connect_timeout_s = connect_timeout_s
        self._stable_connection_s = stable_connection_s

        self._lock = threading.Lock()
        self._pending: collections.deque[HrSample] = collections.deque(maxlen=MAX_PENDING_SAMPLES)
        self._state: SourceState = "stopped"
        self._connected_address: str | None = None
        self._connections = 0
        self._reconnects = 0
        self._malformed_frames = 0
        self._measurements = 0  # valid frames ever received: did a link deliver?
        self._last_error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # --- health ---------------------------------------------------------------------------

    @property
    def state(self) -> SourceState:
        """ "scanning" (which includes connecting), "connected", "backoff" or "stopped"."""
        return self._state

    @property
    def connected_address(self) -> str | None:
        return self._connected_address

    @property
    def reconnects(self) -> int:
        """Connections made after an earlier one was lost."""
        return self._reconnects

    @property
    def malformed_frames(self) -> int:
        return self._malformed_frames

    @property
    def last_error(self) -> str | None:
        return self._last_error

    def read(self) -> list[HrSample]:
        """Samples received since the last read, oldest first."""
        with self._lock:
            samples = list(self._pending)
            self._pending.clear()
        return samples

    # --- asyncio lifecycle ----------------------------------------------------------------

    async def start(self) -> None:
        """Start the scan/connect/reconnect task on the running event loop."""
        if self._task is not None and not self._task.done():
            raise RuntimeError("BLE heart-rate source is already running")
        self._task = asyncio.create_task(self._run(), name="ble-heart-rate")
        self._task.add_done_callback(self._on_task_done)

    async def stop(self) -> None:
        """Stop the task and disconnect the strap."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._state = "stopped"

    # --- thread wrapper for the synchronous session loop ---------------------------------

    def start_in_thread(self) -> None:
        if self._thread is not None:
            raise RuntimeError("BLE heart-rate source is already running in a thread")
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="ble-heart-rate", daemon=True)
        thread.start()
        self._loop, self._thread = loop, thread
        asyncio.run_coroutine_threadsafe(self.start(), loop).result(THREAD_CALL_TIMEOUT_S)

    def close(self) -> None:
        """Stop the thread started by start_in_thread(); safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            future = asyncio.run_coroutine_threadsafe(self._stop_and_drain(), loop)
            future.result(THREAD_CALL_TIMEOUT_S)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(THREAD_CALL_TIMEOUT_S)
            if not thread.is_alive():
                loop.close()
            self._loop = self._thread = None

    async def _stop_and_drain(self) -> None:
        await self.stop()
        # bleak keeps a per-loop BlueZ manager with its own tasks; cancel them as asyncio.run()
        # would, so closing this private loop leaves nothing pending behind.
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await asyncio.get_running_loop().shutdown_asyncgens()

    def __enter__(self) -> BleHeartRateSource:
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self.close()

    async def _run(self) -> None:
        backoff_s: float | None = None
        while True:
            self._state = "scanning"
            device = await self._scan()
            # A strap that drops every few seconds but sends beats in between is worth
            # reconnecting to at once; only links that gave nothing grow the wait.
            if device is not None and await self._hold_connection(device):
                backoff_s = None
            backoff_s = next_backoff_s(backoff_s, self._backoff_initial_s, self._backoff_max_s)
            self._state = "backoff"
            log.info("BLE heart rate: next attempt in %.1f s", backoff_s)
            await asyncio.sleep(backoff_s)

    async def _scan(self) -> BLEDevice | None:
        wanted = set(self.addresses)
        try:
            # find_device_by_filter stops discovery before returning: no connect while scanning.
            device = await BleakScanner.find_device_by_filter(
                lambda dev, _adv: dev.address.upper() in wanted,
                timeout=self._scan_timeout_s,
                bluez={"adapter": self.adapter},
            )
        except Exception as exc:  # adapter missing, BlueZ down, D-Bus gone: report, retry
            self._fail(f"BLE scan on {self.adapter} failed: {_describe(exc)}")
            return None
        if device is None:
            self._fail(
                f"no configured heart-rate strap ({', '.join(self.addresses)}) seen on "
                f"{self.adapter} within {self._scan_timeout_s:g} s"
            )
        return device

    async def _hold_connection(self, device: BLEDevice) -> bool:
        """Connect, subscribe once and wait for the drop; True when the link was a good one
        (it delivered a measurement, or stayed up stable_connection_s)."""
        address = device.address.upper()
        if address not in self.addresses:  # defence in depth: never touch strangers' devices
            self._fail(f"refusing to connect to unconfigured device {address}")
            return False
        disconnected = asyncio.Event()
        client = BleakClient(
            device,
            disconnected_callback=lambda _client: disconnected.set(),
            timeout=self._connect_timeout_s,
            bluez={"adapter": self.adapter},
        )
        subscribed_at: float | None = None
        measurements_before = self._measurements
        try:
            await client.connect()
            # One subscription per connection: a second one would duplicate every sample.
            await client.start_notify(
                HEART_RATE_MEASUREMENT_UUID, self._on_measurement, bluez={"use_start_notify": True}
            )
            subscribed_at = self._now()
            with self._lock:
                self._reconnects += 1 if self._connections else 0
                self._connections += 1
                self._connected_address = address
                self._state = "connected"
            log.info("BLE heart rate: connected to %s", address)
            await disconnected.wait()
            self._fail(f"{address} disconnected after {self._now() - subscribed_at:.1f} s")
        except Exception as exc:  # BleakError, D-Bus errors, timeouts: report, retry
            self._fail(f"connecting to {address} failed: {_describe(exc)}")
        finally:
            self._connected_address = None
            await self._release(client)
        if subscribed_at is None:
            return False
        stable = self._now() - subscribed_at >= self._stable_connection_s
        return stable or self._measurements > measurements_before

    async def _release(self, client: BleakClient) -> None:
        # disconnect() also closes the client's own D-Bus connection, even after a drop-out.
        try:
            await asyncio.wait_for(client.disconnect(), THREAD_CALL_TIMEOUT_S)
        except Exception as exc:
            log.debug("BLE heart rate: disconnect failed: %s", _describe(exc))

    def _on_measurement(self, _characteristic: BleakGATTCharacteristic, data: bytearray) -> None:
        t = self._now()
        try:
            measurement = parse_heart_rate_measurement(data)
        except ValueError as exc:
            with self._lock:
                self._malformed_frames += 1
                self._last_error = str(exc)
            log.warning("BLE heart rate: %s", exc)
            return
        sample = HrSample(
            t=t, bpm=measurement.bpm, rr_s=measurement.rr_s, contact=measurement.contact
        )
        with self._lock:
            self._pending.append(sample)
            self._measurements += 1

    def _fail(self, message: str) -> None:
        self._last_error = message
        log.warning("BLE heart rate: %s", message)

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        self._state = "stopped"
        if not task.cancelled() and task.exception() is not None:
            self._fail(f"heart-rate task crashed: {_describe(task.exception())}")

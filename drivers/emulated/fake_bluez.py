"""A fake BlueZ on a private D-Bus system bus, to drive the real bleak stack without a radio.

python-dbusmock runs BlueZ's D-Bus API in a child process: its `bluez5` template provides the
adapter; heart-rate straps are built here because the template's own devices break bleak
(array-typed ManufacturerData/ServiceData/AdvertisingData, no GATT, ServicesResolved never set).
Each strap is a Device1 with a Heart Rate service (0x180D) and a notifying Heart Rate
Measurement characteristic (0x2A37). Like a real peripheral it advertises while it is not
connected (an RSSI update every `advertising_interval_s`, only while the adapter discovers),
and like real BlueZ a forgotten device reappears only when discovery sees it again.

Requires the `dbus-daemon` binary (Debian package `dbus`) and python-dbusmock/dbus-python.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from types import TracebackType
from typing import Any

import dbus
from dbusmock.testcase import BusType, PrivateDBus, SpawnedMock

from drivers.emulated.fake_bluez_objects import (
    ADAPTER_IFACE,
    ADVERTISED_RSSI_DBM,
    CHARACTERISTIC_CONTROL_METHODS,
    CHARACTERISTIC_METHODS,
    DEVICE_CONTROL_METHODS,
    DEVICE_IFACE,
    DEVICE_METHODS,
    FAKE_CONTROL_IFACE,
    GATT_CHARACTERISTIC_IFACE,
    GATT_SERVICE_IFACE,
    device_props,
    heart_rate_measurement_props,
    heart_rate_service_props,
)

BLUEZ_SERVICE = "org.bluez"
MOCK_IFACE = "org.freedesktop.DBus.Mock"
OBJECT_MANAGER_IFACE = "org.freedesktop.DBus.ObjectManager"
DEFAULT_ADVERTISING_INTERVAL_S = 0.05


def dbus_daemon_available() -> bool:
    """True when the fake can run here (the tests skip otherwise)."""
    return shutil.which("dbus-daemon") is not None


class FakeHeartRateDevice:
    """One advertising heart-rate strap inside a FakeBluez."""

    def __init__(self, bluez: FakeBluez, address: str, name: str) -> None:
        self.address = address.upper()
        self.name = name
        self.path = f"{bluez.adapter_path}/dev_{self.address.replace(':', '_')}"
        self.service_path = f"{self.path}/service000c"
        self.characteristic_path = f"{self.service_path}/char000d"
        self.advertising = True
        self.present = False  # whether BlueZ currently knows the device (has its D-Bus objects)
        self._bluez = bluez
        self._rssi_index = 0

    def notify(self, frame: bytes) -> bool:
        """Send a Heart Rate Measurement; False (dropped) unless a client subscribed."""
        payload = dbus.Array([dbus.Byte(b) for b in frame], signature="y")
        return bool(self._control(self.characteristic_path, "Notify", payload))

    def drop(self, *, forget: bool = False) -> bool:
        """Lose the link as a strap out of range would; `forget` also removes it from BlueZ.

        Returns whether it was connected. The strap advertises again straight away (unless
        `set_in_range(False)`), so a scanner finds it again."""
        with self._bluez.lock:
            was_connected = bool(self._control(self.path, "Drop"))
            if forget and self.present:
                self._bluez.remove_device_objects(self)
        return was_connected

    def set_in_range(self, in_range: bool) -> None:
        """Out of range: no advertising, and Connect fails as BlueZ's does."""
        with self._bluez.lock:
            self.advertising = in_range
            self._control(self.path, "SetInRange", dbus.Boolean(in_range))

    @property
    def connected(self) -> bool:
        return self.present and bool(self._bluez.get(self.path, DEVICE_IFACE, "Connected"))

    @property
    def notifying(self) -> bool:
        chrc = self.characteristic_path
        return self.present and bool(self._bluez.get(chrc, GATT_CHARACTERISTIC_IFACE, "Notifying"))

    @property
    def connect_calls(self) -> int:
        """Device1.Connect calls since the device (re)appeared in BlueZ."""
        return len(self._control(self.path, "GetMethodCalls", "Connect", interface=MOCK_IFACE))

    @property
    def start_notify_calls(self) -> int:
        chrc = self.characteristic_path
        return len(self._control(chrc, "GetMethodCalls", "StartNotify", interface=MOCK_IFACE))

    @property
    def discovering_at_connect(self) -> list[bool]:
        """For each Connect call: was the adapter discovering at that moment?"""
        return [bool(x) for x in self._control(self.path, "DiscoveringAtConnect")]

    def _control(
        self, path: str, method: str, *args: object, interface: str = FAKE_CONTROL_IFACE
    ) -> Any:
        """A test-only call on one of this strap's objects; empty while BlueZ lacks them."""
        with self._bluez.lock:
            if not self.present:
                return []
            return self._bluez.call(path, interface, method, *args)


class FakeBluez:
    """A private system bus with a fake bluetoothd; use as a context manager.

    While it runs, DBUS_SYSTEM_BUS_ADDRESS points at the private bus, so bleak in this process
    (and its children) talks to the fake; the previous value is restored on close().
    """

    def __init__(
        self,
        adapter: str = "hci0",
        *,
        advertising_interval_s: float = DEFAULT_ADVERTISING_INTERVAL_S,
        log_path: str | os.PathLike[str] | None = None,
    ) -> None:
        self.adapter = adapter
        self.adapter_path = f"/org/bluez/{adapter}"
        self.advertising_interval_s = advertising_interval_s
        self.lock = threading.RLock()  # one D-Bus connection shared by the test and advertiser
        self.devices: dict[str, FakeHeartRateDevice] = {}
        self._log_path = log_path
        self._log_file = None
        self._saved_env: str | None = None
        self._bus: PrivateDBus | None = None
        self._mock: SpawnedMock | None = None
        self._conn: dbus.bus.BusConnection | None = None
        self._stop = threading.Event()
        self._advertiser: threading.Thread | None = None

    def start(self) -> FakeBluez:
        try:
            return self._start()
        except BaseException:
            self.close()  # never leave a bus daemon or mock process behind
            raise

    def _start(self) -> FakeBluez:
        self._saved_env = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
        self._bus = PrivateDBus(BusType.SYSTEM)
        self._bus.start()  # sets DBUS_SYSTEM_BUS_ADDRESS, which bleak (dbus-fast) honours
        self._log_file = open(self._log_path or os.devnull, "wb")  # noqa: SIM115
        # The mock logs every call: a pipe nobody reads would fill and freeze it.
        self._mock = SpawnedMock.spawn_with_template(
            "bluez5", {}, BusType.SYSTEM, stdout=self._log_file, stderr=subprocess.STDOUT
        )
        self._conn = dbus.bus.BusConnection(self._bus.address)
        self.call("/", "org.bluez.Mock", "AddAdapter", self.adapter, "attune-test")
        self._advertiser = threading.Thread(
            target=self._advertise_forever, name="fake-bluez-advertiser", daemon=True
        )
        self._advertiser.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._advertiser is not None:
            self._advertiser.join(timeout=5)
        if self._conn is not None:
            self._conn.close()
        if self._mock is not None:
            self._mock.terminate()
        if self._log_file is not None:
            self._log_file.close()
        if self._bus is not None:
            self._bus.stop()
            if self._saved_env is None:
                os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
            else:
                os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = self._saved_env
        self._advertiser = self._conn = self._mock = self._bus = self._log_file = None

    def __enter__(self) -> FakeBluez:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def add_heart_rate_device(self, address: str, name: str = "HR strap") -> FakeHeartRateDevice:
        """A strap BlueZ already knows (cached from an earlier scan), advertising."""
        device = FakeHeartRateDevice(self, address, name)
        with self.lock:
            self.devices[device.address] = device
            self._create_device_objects(device)
        return device

    # --- D-Bus plumbing -------------------------------------------------------------------

    def call(self, path: str, interface: str, method: str, *args: object) -> object:
        assert self._conn is not None, "FakeBluez is not started"
        with self.lock:
            proxy = self._conn.get_object(BLUEZ_SERVICE, path, introspect=False)
            return proxy.get_dbus_method(method, interface)(*args)

    def get(self, path: str, interface: str, name: str) -> object:
        return self.call(path, dbus.PROPERTIES_IFACE, "Get", interface, name)

    def _announce(self, signal: str, signature: str, *args: object) -> None:
        variants = dbus.Array(args, signature="v")
        self.call("/", MOCK_IFACE, "EmitSignal", OBJECT_MANAGER_IFACE, signal, signature, variants)

    def _add_object(self, path: str, interface: str, props: dict, methods: list) -> tuple:
        """Create a mock object; returns the InterfacesAdded arguments to announce it."""
        typed_props = dbus.Dictionary(props, signature="sv")
        typed_methods = dbus.Array(methods, signature="(ssss)")
        self.call("/", MOCK_IFACE, "AddObject", path, interface, typed_props, typed_methods)
        return dbus.ObjectPath(path), dbus.Dictionary({interface: typed_props}, signature="sa{sv}")

    def _create_device_objects(self, device: FakeHeartRateDevice) -> None:
        with self.lock:
            props = device_props(device.address, device.name, self.adapter_path)
            device_added = self._add_object(device.path, DEVICE_IFACE, props, DEVICE_METHODS)
            self._add_methods(device.path, DEVICE_CONTROL_METHODS)
            service_added = self._add_object(
                device.service_path, GATT_SERVICE_IFACE, heart_rate_service_props(device.path), []
            )
            chrc = device.characteristic_path
            chrc_props = heart_rate_measurement_props(device.service_path)
            chrc_added = self._add_object(
                chrc, GATT_CHARACTERISTIC_IFACE, chrc_props, CHARACTERISTIC_METHODS
            )
            self._add_methods(chrc, CHARACTERISTIC_CONTROL_METHODS)
            # The device is announced last: the moment a scanner sees it, it may connect, and
            # BlueZ only reports ServicesResolved once the GATT objects exist.
            for added in (service_added, chrc_added, device_added):
                self._announce("InterfacesAdded", "oa{sa{sv}}", *added)
            device.present = True

    def _add_methods(self, path: str, methods: list) -> None:
        typed_methods = dbus.Array(methods, signature="(ssss)")
        self.call(path, MOCK_IFACE, "AddMethods", FAKE_CONTROL_IFACE, typed_methods)

    def remove_device_objects(self, device: FakeHeartRateDevice) -> None:
        with self.lock:
            for path, interface in (
                (device.characteristic_path, GATT_CHARACTERISTIC_IFACE),
                (device.service_path, GATT_SERVICE_IFACE),
                (device.path, DEVICE_IFACE),
            ):
                self.call("/", MOCK_IFACE, "RemoveObject", path)
                self._announce(
                    "InterfacesRemoved",
                    "oas",
                    dbus.ObjectPath(path),
                    dbus.Array([interface], signature="s"),
                )
            device.present = False

    # --- advertising ----------------------------------------------------------------------

    def _advertise_forever(self) -> None:
        while not self._stop.wait(self.advertising_interval_s):
            try:
                self._advertise_once()
            except dbus.exceptions.DBusException:
                if self._stop.is_set():
                    return
                raise

    def _advertise_once(self) -> None:
        with self.lock:
            if not self.get(self.adapter_path, ADAPTER_IFACE, "Discovering"):
                return
            for device in self.devices.values():
                if not device.advertising:
                    continue
                if not device.present:
                    self._create_device_objects(device)  # BlueZ re-creates it when seen
                    continue
                if self.get(device.path, DEVICE_IFACE, "Connected"):
                    continue  # a connected strap stops advertising
                device._rssi_index ^= 1
                rssi = dbus.Int16(ADVERTISED_RSSI_DBM[device._rssi_index])
                change = dbus.Dictionary({"RSSI": rssi}, signature="sv")
                self.call(device.path, MOCK_IFACE, "UpdateProperties", DEVICE_IFACE, change)

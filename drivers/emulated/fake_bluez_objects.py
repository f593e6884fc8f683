"""BlueZ's D-Bus objects for a fake heart-rate strap, as python-dbusmock serves them.

Property tables are dbus-typed (bleak unpacks them by type), and the method bodies are Python
code strings that dbusmock exec()s inside the mock process with `self`, `args`, `objects` and
`dbus` in scope. Used by drivers.emulated.fake_bluez.
"""

from __future__ import annotations

import textwrap

import dbus

ADAPTER_IFACE = "org.bluez.Adapter1"
DEVICE_IFACE = "org.bluez.Device1"
GATT_SERVICE_IFACE = "org.bluez.GattService1"
GATT_CHARACTERISTIC_IFACE = "org.bluez.GattCharacteristic1"
FAKE_CONTROL_IFACE = "org.bluez.Mock"  # test-only methods on the fake's objects

HEART_RATE_SERVICE_UUID = "0000180d-0000-1000-8000-00805f9b34fb"
HEART_RATE_MEASUREMENT_UUID = "00002a37-0000-1000-8000-00805f9b34fb"
APPEARANCE_HEART_RATE_BELT = 0x0341
ADVERTISED_RSSI_DBM = (-60, -61)  # alternated so every advertisement is a property change

_LINK_DOWN = """
for child_path, child in list(objects.items()):
    chrc = child.props.get('org.bluez.GattCharacteristic1')
    if child_path.startswith(self.path + '/') and chrc and chrc['Notifying']:
        child.UpdateProperties('org.bluez.GattCharacteristic1', {'Notifying': dbus.Boolean(False)})
self.UpdateProperties('org.bluez.Device1', {'ServicesResolved': dbus.Boolean(False)})
self.UpdateProperties('org.bluez.Device1', {'Connected': dbus.Boolean(False)})
"""
_CONNECT = """
error = dbus.exceptions.DBusException
device = self.props['org.bluez.Device1']
if device['Connected']:
    raise error('Already Connected', name='org.bluez.Error.AlreadyConnected')
self.discovering_at_connect = getattr(self, 'discovering_at_connect', []) + [
    bool(objects[device['Adapter']].props['org.bluez.Adapter1']['Discovering'])]
if not getattr(self, 'in_range', True):
    raise error('le-connection-abort-by-local', name='org.bluez.Error.Failed')
self.UpdateProperties('org.bluez.Device1', {'Connected': dbus.Boolean(True)})
self.UpdateProperties('org.bluez.Device1', {'ServicesResolved': dbus.Boolean(True)})
"""
_DISCONNECT = (
    "if not self.props['org.bluez.Device1']['Connected']:\n"
    "    raise dbus.exceptions.DBusException('Not Connected',\n"
    "                                        name='org.bluez.Error.NotConnected')\n" + _LINK_DOWN
)
_DROP = "ret = bool(self.props['org.bluez.Device1']['Connected'])\nif ret:\n" + textwrap.indent(
    _LINK_DOWN, "    "
)
_DEVICE_OF_CHARACTERISTIC = "objects[self.path.rsplit('/', 2)[0]].props['org.bluez.Device1']"
_START_NOTIFY = f"""
if not {_DEVICE_OF_CHARACTERISTIC}['Connected']:
    raise dbus.exceptions.DBusException('Not connected', name='org.bluez.Error.NotConnected')
if not self.props['org.bluez.GattCharacteristic1']['Notifying']:
    self.UpdateProperties('org.bluez.GattCharacteristic1', {{'Notifying': dbus.Boolean(True)}})
"""
_STOP_NOTIFY = """
if self.props['org.bluez.GattCharacteristic1']['Notifying']:
    self.UpdateProperties('org.bluez.GattCharacteristic1', {'Notifying': dbus.Boolean(False)})
"""
_NOTIFY = """
ret = bool(self.props['org.bluez.GattCharacteristic1']['Notifying'])
if ret:
    value = dbus.Array(args[0], signature='y')
    self.UpdateProperties('org.bluez.GattCharacteristic1', {'Value': value})
"""

DEVICE_METHODS = [("Connect", "", "", _CONNECT), ("Disconnect", "", "", _DISCONNECT)]
DEVICE_CONTROL_METHODS = [
    ("Drop", "", "b", _DROP),
    ("SetInRange", "b", "", "self.in_range = bool(args[0])"),
    (
        "DiscoveringAtConnect",
        "",
        "ab",
        "ret = dbus.Array(getattr(self, 'discovering_at_connect', []), signature='b')",
    ),
]
CHARACTERISTIC_METHODS = [
    ("StartNotify", "", "", _START_NOTIFY),
    ("StopNotify", "", "", _STOP_NOTIFY),
]
CHARACTERISTIC_CONTROL_METHODS = [("Notify", "ay", "b", _NOTIFY)]


def device_props(address: str, name: str, adapter_path: str) -> dict[str, object]:
    return {
        "Address": dbus.String(address),
        "AddressType": dbus.String("random"),
        "Name": dbus.String(name),
        "Alias": dbus.String(name),
        "Adapter": dbus.ObjectPath(adapter_path),
        "Appearance": dbus.UInt16(APPEARANCE_HEART_RATE_BELT),
        "UUIDs": dbus.Array([HEART_RATE_SERVICE_UUID], signature="s"),
        "Paired": dbus.Boolean(False),
        "Bonded": dbus.Boolean(False),
        "Trusted": dbus.Boolean(False),
        "Blocked": dbus.Boolean(False),
        "LegacyPairing": dbus.Boolean(False),
        "Connected": dbus.Boolean(False),
        "ServicesResolved": dbus.Boolean(False),
        "RSSI": dbus.Int16(ADVERTISED_RSSI_DBM[0]),
        # Typed empty dicts: bleak's scanner calls .items() on these (the bluez5 template's
        # arrays crash it).
        "ManufacturerData": dbus.Dictionary({}, signature="qv"),
        "ServiceData": dbus.Dictionary({}, signature="sv"),
        "AdvertisingData": dbus.Dictionary({}, signature="yv"),
        "AdvertisingFlags": dbus.Array([dbus.Byte(0x06)], signature="y"),
    }


def heart_rate_service_props(device_path: str) -> dict[str, object]:
    return {
        "UUID": dbus.String(HEART_RATE_SERVICE_UUID),
        "Device": dbus.ObjectPath(device_path),
        "Primary": dbus.Boolean(True),
        "Includes": dbus.Array([], signature="o"),
    }


def heart_rate_measurement_props(service_path: str) -> dict[str, object]:
    return {
        "UUID": dbus.String(HEART_RATE_MEASUREMENT_UUID),
        "Service": dbus.ObjectPath(service_path),
        "Value": dbus.Array([], signature="y"),
        "Notifying": dbus.Boolean(False),
        "Flags": dbus.Array(["notify"], signature="s"),
    }

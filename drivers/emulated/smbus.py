"""An SMBus-like I2C bus with emulated devices attached, for tests, demos and hardware checks.

It has the methods of `smbus2.SMBus` that Attune's drivers use, with smbus2's and Linux's limits
(32-byte SMBus blocks, errno 121 for an address nobody answers). Devices see raw I2C
transactions, as a chip does: a write carries the register pointer first, a read continues from
the current pointer, so each device decides how its pointer moves (auto-increment or not).

Faults, for tests of what the drivers and the session survive: `detach`/`attach` unplug and
re-plug a device, and `inject(BusFault(...))` makes every transfer to an address (or to any)
fail with an errno during a window of the bus's clock, as electrical noise or a loose wire does.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections import deque
from collections.abc import Callable
from typing import NamedTuple, Protocol

from smbus2 import i2c_msg

SMBUS_BLOCK_MAX = 32  # bytes: smbus2's I2C_SMBUS_BLOCK_MAX
I2C_M_RD = 0x0001  # i2c_msg flag: a read message
RDWR_MAX_MESSAGES = 42  # Linux I2C_RDWR_IOCTL_MAX_MSGS
RDWR_MAX_MESSAGE_BYTES = 8192  # Linux i2c-dev refuses longer messages


class I2cDevice(Protocol):
    """A chip on the bus, seen at the level of I2C transactions."""

    def write(self, data: bytes) -> None:
        """One write transaction: data[0] sets the register pointer, the rest are written."""
        ...

    def read(self, length: int) -> bytes:
        """One read transaction of `length` bytes from the current register pointer."""
        ...


class Transfer(NamedTuple):
    """One bus operation, kept so tests can check what a driver asked for."""

    operation: str
    address: int
    register: int | None
    length: int


class BusFault(NamedTuple):
    """Transfers to `address` (None: to any) fail with `error` from `start` until `end`
    (seconds on the bus's clock). EIO is a garbled transfer; EREMOTEIO a NACK."""

    address: int | None
    start: float
    end: float
    error: int = errno.EIO


class EmulatedSMBus:
    """Stands in for `smbus2.SMBus(bus_number)`; `attach` puts devices at addresses.

    `now` is the clock injected faults are timed on (needed only to inject them)."""

    def __init__(
        self,
        bus_number: int = 1,
        *,
        history: int = 4096,
        now: Callable[[], float] | None = None,
    ) -> None:
        self.bus_number = bus_number
        self._devices: dict[int, I2cDevice] = {}
        self._closed = False
        self.transfers: deque[Transfer] = deque(maxlen=history)
        self._now = now
        self.faults: list[BusFault] = []
        self.failed_transfers = 0  # transfers an injected fault or a missing device failed

    # -- wiring -------------------------------------------------------------------------------
    def attach(self, address: int, device: I2cDevice) -> None:
        if not 0x03 <= address <= 0x77:
            raise ValueError(f"7-bit I2C address out of range: 0x{address:02X}")
        self._devices[address] = device

    def detach(self, address: int) -> I2cDevice | None:
        """Unplug the device at `address` (a wire coming loose); returns it."""
        return self._devices.pop(address, None)

    def inject(self, fault: BusFault) -> None:
        if self._now is None:
            raise ValueError("EmulatedSMBus(now=...) is needed to time injected faults")
        if fault.end <= fault.start:
            raise ValueError(f"a fault ends after it starts: {fault.start} .. {fault.end}")
        self.faults.append(fault)

    # -- smbus2.SMBus API ---------------------------------------------------------------------
    def read_byte_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        return self._read(i2c_addr, register, 1, "read_byte_data")[0]

    def write_byte_data(
        self, i2c_addr: int, register: int, value: int, force: bool | None = None
    ) -> None:
        self._write(i2c_addr, register, [value], "write_byte_data")

    def read_word_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        low, high = self._read(i2c_addr, register, 2, "read_word_data")
        return low | (high << 8)  # SMBus words travel low byte first

    def write_word_data(
        self, i2c_addr: int, register: int, value: int, force: bool | None = None
    ) -> None:
        if not 0 <= value <= 0xFFFF:
            raise ValueError(f"word out of range: {value}")
        self._write(i2c_addr, register, [value & 0xFF, value >> 8], "write_word_data")

    def read_i2c_block_data(
        self, i2c_addr: int, register: int, length: int, force: bool | None = None
    ) -> list[int]:
        if length > SMBUS_BLOCK_MAX:
            raise ValueError(f"Desired block length over {SMBUS_BLOCK_MAX} bytes")
        return list(self._read(i2c_addr, register, length, "read_i2c_block_data"))

    def write_i2c_block_data(
        self, i2c_addr: int, register: int, data: list[int], force: bool | None = None
    ) -> None:
        if len(data) > SMBUS_BLOCK_MAX:
            raise ValueError(f"Data length cannot exceed {SMBUS_BLOCK_MAX} bytes")
        self._write(i2c_addr, register, list(data), "write_i2c_block_data")

    def i2c_rdwr(self, *i2c_msgs: i2c_msg) -> None:
        """Combined transaction of real `smbus2.i2c_msg` objects; read buffers are filled."""
        self._check_open()
        if len(i2c_msgs) > RDWR_MAX_MESSAGES:
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        for msg in i2c_msgs:  # the kernel validates every message before any goes out
            if msg.len > RDWR_MAX_MESSAGE_BYTES:
                raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        for msg in i2c_msgs:
            device = self._device(msg.addr)
            if msg.flags & I2C_M_RD:
                data = device.read(msg.len)
                ctypes.memmove(msg.buf, data, msg.len)
                self.transfers.append(Transfer("i2c_rdwr read", msg.addr, None, msg.len))
            else:
                payload = bytes(msg)
                device.write(payload)
                self.transfers.append(Transfer("i2c_rdwr write", msg.addr, None, len(payload)))

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> EmulatedSMBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise OSError(errno.EBADF, f"I2C bus {self.bus_number} is closed")

    def _device(self, address: int) -> I2cDevice:
        if self.faults:
            t = self._now()  # type: ignore[misc]  # inject() made sure there is a clock
            for fault in self.faults:
                if fault.address in (None, address) and fault.start <= t < fault.end:
                    self.failed_transfers += 1
                    raise OSError(fault.error, os.strerror(fault.error))
        device = self._devices.get(address)
        if device is None:  # nobody acknowledged the address
            self.failed_transfers += 1
            raise OSError(errno.EREMOTEIO, os.strerror(errno.EREMOTEIO))
        return device

    def _read(self, address: int, register: int, length: int, operation: str) -> bytes:
        self._check_open()
        _check_byte(register, "register")
        device = self._device(address)
        device.write(bytes([register]))
        data = device.read(length)
        self.transfers.append(Transfer(operation, address, register, length))
        return data

    def _write(self, address: int, register: int, data: list[int], operation: str) -> None:
        self._check_open()
        _check_byte(register, "register")
        for value in data:
            _check_byte(value, "data byte")
        self._device(address).write(bytes([register, *data]))
        self.transfers.append(Transfer(operation, address, register, len(data)))


def _check_byte(value: int, what: str) -> None:
    # Stricter than smbus2, which silently truncates: a driver bug should show, not vanish.
    if not 0 <= value <= 0xFF:
        raise ValueError(f"{what} out of range 0..255: {value}")

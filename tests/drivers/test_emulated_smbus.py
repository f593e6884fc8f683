"""The emulated bus keeps smbus2's and Linux's contract: limits, errors, byte order."""

from __future__ import annotations

import errno

import pytest
from smbus2 import i2c_msg

from appliance.clock import SimulatedClock
from drivers.emulated.ads1115 import Ads1115Emulator
from drivers.emulated.max30102 import Max30102Emulator
from drivers.emulated.signals import ConstantConductance, SyntheticPpg
from drivers.emulated.smbus import BusFault, EmulatedSMBus


@pytest.fixture
def bus() -> EmulatedSMBus:
    clock = SimulatedClock()
    bus = EmulatedSMBus(bus_number=1)
    bus.attach(0x57, Max30102Emulator(clock.now, SyntheticPpg()))
    bus.attach(0x48, Ads1115Emulator(clock.now, ConstantConductance(2.0)))
    return bus


def test_absent_address_is_remote_io_error(bus: EmulatedSMBus) -> None:
    with pytest.raises(OSError) as info:
        bus.read_byte_data(0x50, 0x00)
    assert info.value.errno == errno.EREMOTEIO == 121


def test_detached_device_stops_answering(bus: EmulatedSMBus) -> None:
    assert bus.read_byte_data(0x57, 0xFF) == 0x15
    bus.detach(0x57)
    with pytest.raises(OSError) as info:
        bus.read_byte_data(0x57, 0xFF)
    assert info.value.errno == errno.EREMOTEIO


def test_block_limit_is_32_bytes(bus: EmulatedSMBus) -> None:
    assert len(bus.read_i2c_block_data(0x57, 0x00, 32)) == 32
    with pytest.raises(ValueError, match="32"):
        bus.read_i2c_block_data(0x57, 0x00, 33)
    with pytest.raises(ValueError, match="32"):
        bus.write_i2c_block_data(0x57, 0x00, [0] * 33)


def test_registers_auto_increment_on_block_reads(bus: EmulatedSMBus) -> None:
    assert bus.read_i2c_block_data(0x57, 0xFE, 2) == [0x03, 0x15]  # REV_ID then PART_ID


def test_word_data_is_little_endian_on_the_wire(bus: EmulatedSMBus) -> None:
    # The ADS1115 sends its power-on config 0x8583 MSB first; SMBus words are LSB first.
    assert bus.read_word_data(0x48, 0x01) == 0x8385
    bus.write_word_data(0x48, 0x02, 0x3412)  # Lo_thresh receives 0x12 then 0x34
    assert bus.read_i2c_block_data(0x48, 0x02, 2) == [0x12, 0x34]


def test_i2c_rdwr_with_real_messages(bus: EmulatedSMBus) -> None:
    select = i2c_msg.write(0x57, [0xFE])
    data = i2c_msg.read(0x57, 2)
    bus.i2c_rdwr(select, data)
    assert list(data) == [0x03, 0x15]
    write = i2c_msg.write(0x57, [0x0C, 0x23, 0x24])  # LED1_PA, LED2_PA auto-increment
    bus.i2c_rdwr(write)
    assert bus.read_i2c_block_data(0x57, 0x0C, 2) == [0x23, 0x24]


def test_i2c_rdwr_to_absent_address(bus: EmulatedSMBus) -> None:
    with pytest.raises(OSError) as info:
        bus.i2c_rdwr(i2c_msg.write(0x40, [0x00]))
    assert info.value.errno == errno.EREMOTEIO


def test_closed_bus_refuses(bus: EmulatedSMBus) -> None:
    with bus:
        pass
    with pytest.raises(OSError):
        bus.read_byte_data(0x57, 0xFF)


def test_out_of_range_byte_is_refused(bus: EmulatedSMBus) -> None:
    with pytest.raises(ValueError):
        bus.write_byte_data(0x57, 0x0C, 256)


def test_an_injected_fault_fails_transfers_in_its_window_only() -> None:
    class Register:
        def write(self, data: bytes) -> None: ...

        def read(self, length: int) -> bytes:
            return bytes(length)

    clock = SimulatedClock()
    bus = EmulatedSMBus(now=clock.now)
    bus.attach(0x48, Register())
    bus.attach(0x57, Register())
    bus.inject(BusFault(0x48, 1.0, 1.5))
    bus.inject(BusFault(None, 3.0, 3.1, errno.EREMOTEIO))
    assert bus.read_byte_data(0x48, 0) == 0
    clock.sleep(1.2)
    with pytest.raises(OSError) as garbled:
        bus.read_byte_data(0x48, 0)
    assert garbled.value.errno == errno.EIO
    assert bus.read_byte_data(0x57, 0) == 0  # the other chip answers
    clock.sleep(0.3)
    assert bus.read_byte_data(0x48, 0) == 0  # the burst is over
    clock.sleep(1.5)
    with pytest.raises(OSError) as nack:
        bus.read_byte_data(0x57, 0)
    assert nack.value.errno == errno.EREMOTEIO and bus.failed_transfers == 2
    with pytest.raises(ValueError, match="ends after it starts"):
        bus.inject(BusFault(0x48, 2.0, 2.0))
    with pytest.raises(ValueError, match="now="):
        EmulatedSMBus().inject(BusFault(0x48, 0.0, 1.0))

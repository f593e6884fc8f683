"""The wiring root's hardware registry: every configured type has a real driver and an emulator,
and the emulated parts answer through the very drivers a Pi uses."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from appliance import parts
from appliance.clock import SimulatedClock
from appliance.config import load_config
from appliance.config.schema import SCHEMA
from appliance.signals.stream import PhysiologyStream
from appliance.simulate.listener import demo_listener
from drivers.audio import WavSink
from drivers.grove_gsr import GroveGsrSource
from drivers.max30102 import Max30102

PROJECT = Path(__file__).resolve().parents[2]
EMULATED = PROJECT / "config" / "examples" / "emulated.yaml"


def config(tmp_path: Path, hardware: str = ""):
    """The emulated example, its state in tmp_path, with `hardware` lines under `hardware:`."""
    text = EMULATED.read_text().replace("/tmp/attune-emulated", str(tmp_path / "state"))
    text = text.replace("hardware:\n", "hardware:\n" + hardware, 1)
    path = tmp_path / "attune.yaml"
    path.write_text(text)
    return load_config(path)


@pytest.mark.parametrize("key, registry", [("ppg", parts.PPG_PARTS), ("gsr", parts.GSR_PARTS)])
def test_the_config_allows_exactly_the_registered_types(key, registry):
    assert set(SCHEMA[f"hardware.{key}.type"].validate.choices) == set(registry)


def test_the_registries_are_closed():
    with pytest.raises(TypeError):
        parts.PPG_PARTS["other"] = parts.PPG_PARTS["max30102"]  # type: ignore[index]


def test_emulated_sensors_are_the_real_drivers_reading_the_listener(tmp_path: Path):
    clock = SimulatedClock()
    sensors = parts.open_sensors(config(tmp_path), clock, demo_listener(seed=4))
    try:
        assert isinstance(sensors.ppg, Max30102) and isinstance(sensors.gsr, GroveGsrSource)
        assert sensors.problems == {}
        stream = PhysiologyStream(window_s=30.0, update_s=5.0)
        for _ in range(400):
            clock.sleep(0.1)
            list(sensors.poll_into(stream, clock.now()))
        features = stream.update(clock.now())
        assert features is not None and 40 < features.hr_bpm < 140 and features.scl_us > 0
    finally:
        sensors.close()


def test_the_gsr_emulator_sits_on_the_configured_channel(tmp_path: Path):
    clock = SimulatedClock()
    cfg = config(tmp_path, "  gsr:\n    channel: 2\n")
    sensors = parts.open_sensors(cfg, clock, demo_listener(seed=4))
    try:
        clock.sleep(1.0)
        batch = sensors.gsr.read()
        assert len(batch.microsiemens) and all(
            math.isfinite(us) and us > 0 for us in batch.microsiemens
        )
    finally:
        sensors.close()


def test_without_a_listener_the_emulated_bus_is_empty_and_each_part_says_so(tmp_path: Path):
    sensors = parts.open_sensors(config(tmp_path), SimulatedClock(), None)
    assert sensors.ppg is None and sensors.gsr is None
    assert set(sensors.problems) == {"ppg", "gsr"}


def test_a_wav_output_opens_a_wav_sink_in_the_state_folder(tmp_path: Path):
    sink = parts.open_sink(config(tmp_path))
    try:
        assert isinstance(sink, WavSink)
        assert Path(sink.path).parent == tmp_path / "state"
    finally:
        sink.close()


class CountingClock(SimulatedClock):
    """Counts the waits: the GSR's supply measurement is the only one at an opening."""

    def __init__(self) -> None:
        super().__init__()
        self.waits = 0

    def sleep(self, seconds: float) -> None:
        self.waits += 1
        super().sleep(seconds)


def test_a_session_reuses_the_supply_reading_the_idle_probe_took(tmp_path: Path):
    cfg = config(tmp_path, "  gsr:\n    supply_channel: 1\n")
    clock, memo = CountingClock(), parts.SupplyMemo()
    listener = demo_listener(seed=4)

    probe = parts.open_sensors(cfg, clock, listener, memo, measure_supply=True)
    probe.close()
    assert clock.waits > 0 and memo.volts is not None  # measured, and kept
    first = clock.waits

    session = parts.open_sensors(cfg, clock, listener, memo, measure_supply=False)
    assert clock.waits == first  # no conversion between the press and the music
    assert session.gsr.supply_reading_v == memo.volts
    session.reopen["gsr"]()  # a clip put back mid-session: no wait either
    assert clock.waits == first
    session.close()

    parts.open_sensors(cfg, clock, listener, memo, measure_supply=True).close()
    assert clock.waits > first  # the next idle probe measures afresh


def test_with_nothing_kept_a_session_measures_the_supply(tmp_path: Path):
    cfg = config(tmp_path, "  gsr:\n    supply_channel: 1\n")
    clock, memo = CountingClock(), parts.SupplyMemo()
    parts.open_sensors(cfg, clock, demo_listener(seed=4), memo, measure_supply=False).close()
    assert clock.waits > 0 and memo.volts is not None

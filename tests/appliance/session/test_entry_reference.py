"""The device's sessions read their entry against the listener's own earlier calibrations,
and only with consent (a session without it is anonymous: the population norm)."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.app import build
from appliance.clock import SimulatedClock
from appliance.config import load_config
from appliance.listeners import load_listeners
from appliance.simulate.listener import demo_listener
from tests.appliance.session.test_records import CONFIG, PROFILE


@pytest.mark.parametrize(("given", "expected"), [(True, 2), (False, 0)])
def test_a_new_session_gets_the_listener_s_earlier_calibrations(
    tmp_path: Path, given: bool, expected: int
) -> None:
    (tmp_path / "l").mkdir()
    (tmp_path / "l" / "p.yaml").write_text(PROFILE.format(given=str(given).lower()))
    (profile,), _ = load_listeners(tmp_path / "l")
    path = tmp_path / "attune.yaml"
    path.write_text(CONFIG.format(state=tmp_path / "state"))
    appliance = build(load_config(path), SimulatedClock(), listener=demo_listener(seed=1))
    for hr in (58.0, 60.0):  # two earlier sessions, recorded with consent
        sid = appliance.store.start_session("L-0100", "relax", 300.0, consent=True)
        record = {"hr_bpm": hr, "rmssd_ms": 40.0, "usable_windows": 12}
        appliance.store.end_session(sid, "completed", 300.0, {"calibration": record})
    sensors = appliance.open_sensors()
    sink = appliance.make_sink(tmp_path / "s.wav")
    try:
        session = appliance.new_session(sensors=sensors, sink=sink, profile=profile)
        assert session.affect.reference_sessions == expected
    finally:
        sink.close()
        sensors.close()
        appliance.close()

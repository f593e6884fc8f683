"""The service reads listeners' schedules on the care home's clock (device.timezone), not the
system's: a schedule is a time people wrote."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from appliance.clock import SimulatedClock
from appliance.config import load_config
from appliance.service.run import make_service
from appliance.service.sdnotify import Notifier
from appliance.session.seams import Rendering
from drivers.gpio import make_pin_factory
from tests.appliance.service.service_harness import process_config


def test_schedules_are_read_in_the_device_time_zone(tmp_path: Path) -> None:
    config_file = tmp_path / "attune.yaml"
    text = process_config(tmp_path / "state")
    zone = "device:\n  timezone: Pacific/Kiritimati\n"
    config_file.write_text(text.replace("device:\n", zone, 1))
    ui = SimulatedClock(start=100.0)
    service = make_service(
        load_config(config_file),
        clock=SimulatedClock(),
        ui_clock=ui,
        notifier=Notifier({}),
        power_off=lambda: True,
        pin_factory=make_pin_factory("mock", clock=ui.now),
        render_ahead=False,
        rendering=Rendering.INLINE,
    )
    try:
        now = service._now_local()
        assert now.utcoffset() == timedelta(hours=14)  # UTC+14 all year: never the host's
    finally:
        service.close()

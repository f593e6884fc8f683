from __future__ import annotations

import pytest

from appliance.service.health import Health, HealthRegistry, Level


def test_changes_are_reported_once_and_summarised() -> None:
    changes: list[tuple[str, Health]] = []
    health = HealthRegistry(on_change=lambda n, h: changes.append((n, h)))
    assert health.set("ppg", Level.OK)
    assert not health.set("ppg", Level.OK)  # no change, no log line
    assert health.set("gsr", Level.DOWN, "no ADS1115 at 0x48")
    assert health.set("ble_hr", Level.DEGRADED, "backoff")
    assert changes[1] == ("gsr", Health(Level.DOWN, "no ADS1115 at 0x48"))
    assert health.lost_sensors() == ["gsr", "ble_hr"]
    assert health.working_sensors() == ["ppg"]
    assert health.line() == "ppg ok, gsr down, ble_hr degraded, model off, audio off, store off"
    assert str(health.get("gsr")) == "down (no ADS1115 at 0x48)"


def test_unknown_component_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown component"):
        HealthRegistry().set("thermometer", Level.OK)

"""The service's health from what it can see: the session's sensors (or, between sessions, the
start-up probe), the wearable's link, whether the model has physiology, and the audio."""

from __future__ import annotations

from typing import TYPE_CHECKING

from appliance.health import Health, Level

if TYPE_CHECKING:
    from appliance.service import Service

I2C_SENSORS = ("ppg", "gsr")


def probe_sensors(service: Service) -> dict[str, Health]:
    """Open and close the I2C sensors once: are they there?"""
    config = service.appliance.config.hardware
    sensors = service.appliance.open_sensors()
    try:
        found = {}
        for name in I2C_SENSORS:
            if not getattr(config, name).enabled:
                found[name] = Health(Level.OFF)
            elif name in sensors.problems:
                found[name] = Health(Level.DOWN, sensors.problems[name])
            else:
                found[name] = Health(Level.OK)
        return found
    finally:
        sensors.close()


def refresh_health(service: Service) -> None:
    health = service.health
    running = service.running
    if running is None:
        probed = getattr(service, "_probed", None)
        if probed is None:
            probed = service._probed = probe_sensors(service)
        for name, value in probed.items():
            health.set(name, value.level, value.detail)
    else:
        sensors = running.session.sensors
        problems = dict(sensors.problems)  # written by the session thread: copy first
        for name in I2C_SENSORS:
            if name in problems:
                health.set(name, Level.DOWN, problems[name])
            elif getattr(sensors, name) is not None:
                health.set(name, Level.OK)
            else:
                health.set(name, Level.OFF)
    _wearable_health(service)
    working = health.working_sensors()
    if working:
        health.set("model", Level.OK, "rules on " + " + ".join(working))
    else:
        health.set("model", Level.DEGRADED, "no physiology: the arc plays by rules alone")
    if (
        running is not None
        and service.sink is not None
        and not service.progressing(service.clock.now())
    ):
        health.set("audio", Level.DOWN, "no audio written: the session is stuck")


def _wearable_health(service: Service) -> None:
    wearable = service.wearable
    if wearable is None:
        service.health.set("ble_hr", Level.OFF)
        return
    address = wearable.connected_address
    if wearable.state == "connected" and address is not None:
        service.health.set("ble_hr", Level.OK, address)
        return
    # Between sessions nobody may be wearing it; during one it is lost.
    level = Level.DOWN if service.running is not None else Level.DEGRADED
    service.health.set("ble_hr", level, wearable.last_error or wearable.state)


def forget_probe(service: Service) -> None:
    """Probe again at the next refresh (after a session: a clip may have been re-attached)."""
    service._probed = None


def status_line(service: Service) -> str:
    """systemd's STATUS=: "session 03:12 L-0001; ppg ok, gsr down, ..." (no id without consent)."""
    text = service.state.value
    running = service.running
    if running is not None:
        profile = running.profile
        who = profile.id if profile is not None and profile.keeps_data else "anon"
        elapsed = running.status.elapsed_s if running.status else 0.0
        m, s = divmod(int(elapsed), 60)
        text += f" {m:02d}:{s:02d} {who}"
    if service._alert:
        text += " STAFF ALERT"
    return f"{text}; {service.health.line()}"

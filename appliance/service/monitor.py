"""The service's health from what it can see: the session's sensors (or, between sessions, the
start-up probe), the wearable's link, whether the model has physiology, and the audio.

The monitor is handed what it reads (the health registry, a way to probe the sensors, the
wearable) and is told, at each refresh, the running session's sensors and whether its audio
is flowing; it never reaches into the service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from appliance.service.health import Health, HealthRegistry, Level
from appliance.session.sensors import Sensors

if TYPE_CHECKING:
    from appliance.service.state import Running, State

I2C_SENSORS = ("ppg", "gsr")


class Wearable(Protocol):
    state: str
    last_error: str | None

    @property
    def connected_address(self) -> str | None: ...


class HealthMonitor:
    def __init__(
        self,
        health: HealthRegistry,
        *,
        enabled: Callable[[str], bool],
        open_sensors: Callable[[], Sensors],
        wearable: Wearable | None = None,
    ) -> None:
        self.health = health
        self._enabled = enabled  # is hardware.<name> enabled in the config
        self._open_sensors = open_sensors
        self.wearable = wearable
        self._probed: dict[str, Health] | None = None  # the sensors found between sessions

    def probe_sensors(self) -> dict[str, Health]:
        """Open and close the I2C sensors once: are they there?"""
        sensors = self._open_sensors()
        try:
            found = {}
            for name in I2C_SENSORS:
                if not self._enabled(name):
                    found[name] = Health(Level.OFF)
                elif name in sensors.problems:
                    found[name] = Health(Level.DOWN, sensors.problems[name])
                else:
                    found[name] = Health(Level.OK)
            return found
        finally:
            sensors.close()

    def refresh(self, session_sensors: Sensors | None, *, audio_stuck: bool = False) -> None:
        """`session_sensors`: the running session's (None between sessions, when the probe
        speaks for them); `audio_stuck`: the running session has written no audio for long."""
        health = self.health
        if session_sensors is None:
            if self._probed is None:
                self._probed = self.probe_sensors()
            for name, value in self._probed.items():
                health.set(name, value.level, value.detail)
        else:
            problems = dict(session_sensors.problems)  # written by the session thread: copy
            for name in I2C_SENSORS:
                if name in problems:
                    health.set(name, Level.DOWN, problems[name])
                elif getattr(session_sensors, name) is not None:
                    health.set(name, Level.OK)
                else:
                    health.set(name, Level.OFF)
        self._wearable_health(in_session=session_sensors is not None)
        working = health.working_sensors()
        if working:
            health.set("model", Level.OK, "rules on " + " + ".join(working))
        else:
            health.set("model", Level.DEGRADED, "no physiology: the arc plays by rules alone")
        if audio_stuck:
            health.set("audio", Level.DOWN, "no audio written: the session is stuck")

    def _wearable_health(self, *, in_session: bool) -> None:
        wearable = self.wearable
        if wearable is None:
            self.health.set("ble_hr", Level.OFF)
            return
        address = wearable.connected_address
        if wearable.state == "connected" and address is not None:
            self.health.set("ble_hr", Level.OK, address)
            return
        # Between sessions nobody may be wearing it; during one it is lost.
        level = Level.DOWN if in_session else Level.DEGRADED
        self.health.set("ble_hr", level, wearable.last_error or wearable.state)

    def forget_probe(self) -> None:
        """Probe again at the next refresh (after a session: a clip may have been re-attached)."""
        self._probed = None


def status_line(state: State, running: Running | None, alert: bool, health: HealthRegistry) -> str:
    """systemd's STATUS=: "session 03:12 L-0001; ppg ok, gsr down, ..." (no id without consent)."""
    text = state.value
    if running is not None:
        profile = running.profile
        who = profile.id if profile is not None and profile.keeps_data else "anon"
        elapsed = running.status.elapsed_s if running.status else 0.0
        m, s = divmod(int(elapsed), 60)
        text += f" {m:02d}:{s:02d} {who}"
    if alert:
        text += " STAFF ALERT"
    if health.get("store").level is Level.DOWN:
        text += " NOT RECORDING"  # the music plays; the state folder cannot be written
    return f"{text}; {health.line()}"

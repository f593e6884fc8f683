"""The health registry: each part of the appliance is OK, degraded, down, or off.

One place that knows what works, feeding the LED (a lost sensor or wearable), systemd's
STATUS= line and the log (every change logged once, with its reason).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

log = logging.getLogger(__name__)


class Level(Enum):
    OK = "ok"
    DEGRADED = "degraded"  # working, not fully (a wearable reconnecting, rules-only model)
    DOWN = "down"  # configured but not working
    OFF = "off"  # not configured: nothing is wrong


COMPONENTS = ("ppg", "gsr", "ble_hr", "model", "audio", "store")
SENSORS = ("ppg", "gsr", "ble_hr")
_LOG_LEVEL = {
    Level.OK: logging.INFO,
    Level.OFF: logging.INFO,
    Level.DEGRADED: logging.WARNING,
    Level.DOWN: logging.WARNING,
}


@dataclass(frozen=True)
class Health:
    level: Level
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.level.value} ({self.detail})" if self.detail else self.level.value


class HealthRegistry:
    """Thread-safe: the session thread reports sensors, the service loop reads."""

    def __init__(self, on_change: Callable[[str, Health], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._health: dict[str, Health] = {name: Health(Level.OFF) for name in COMPONENTS}
        self._on_change = on_change

    def set(self, name: str, level: Level, detail: str = "") -> bool:
        """Record a component's health; True (and one log line) when it changed."""
        if name not in COMPONENTS:
            raise ValueError(f"unknown component {name!r}; known: {', '.join(COMPONENTS)}")
        health = Health(level, detail)
        with self._lock:
            if self._health[name] == health:
                return False
            self._health[name] = health
        log.log(_LOG_LEVEL[level], "health: %s %s", name, health)
        if self._on_change is not None:
            self._on_change(name, health)
        return True

    def get(self, name: str) -> Health:
        with self._lock:
            return self._health[name]

    def snapshot(self) -> dict[str, Health]:
        with self._lock:
            return dict(self._health)

    def lost_sensors(self) -> list[str]:
        """Sensors configured but not fully working: what the "sensor lost" LED stands for."""
        snap = self.snapshot()
        return [n for n in SENSORS if snap[n].level in (Level.DOWN, Level.DEGRADED)]

    def working_sensors(self) -> list[str]:
        snap = self.snapshot()
        return [n for n in SENSORS if snap[n].level is Level.OK]

    def line(self) -> str:
        """Compact, for systemd's STATUS=: "ppg ok, gsr down, ble_hr off, model ok, audio ok,
        store ok"."""
        snap = self.snapshot()
        return ", ".join(f"{name} {snap[name].level.value}" for name in COMPONENTS)

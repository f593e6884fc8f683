"""LED patterns computed from the clock: the one light staff read from across the room.

Each pattern is a pure function of the time since it was shown, so a pattern is exactly
reproducible under a simulated clock and checkable in the PWM pin's recorded history.
`poll()` is called by the service loop (every 20-50 ms is smooth enough for the eye).

Base patterns replace one another; overlays stack on top until cleared. What shows is the
highest-ranked active pattern, so a staff alert stays visible whatever else happens.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

# Brightness is PWM duty 0..1; levels are quantised to 8-bit steps so that a steady pattern
# never rewrites the pin and the recorded history stays readable.
LEVEL_STEPS = 255
FULL = 1.0

BOOTING_PERIOD_S, BOOTING_ON_S, BOOTING_LEVEL = 0.2, 0.1, 0.5  # fast blink, 5 Hz
READY_LEVEL = 0.1  # steady dim: on, but not glaring at night
PULSE_LOW, PULSE_HIGH = 0.02, 0.5
SESSION_PULSE_PERIOD_S = 10.0  # ~6 per minute: a calm resting-breath pace
DEFAULT_BREATHING_PERIOD_S = SESSION_PULSE_PERIOD_S
BREATHING_PERIOD_RANGE_S = (1.5, 30.0)  # 2..40 breaths per minute
SENSOR_LOST_FLASHES, SENSOR_LOST_FLASH_S, SENSOR_LOST_PERIOD_S = 2, 0.15, 2.0
SENSOR_LOST_LEVEL = 0.6
STAFF_ALERT_FLASHES, STAFF_ALERT_FLASH_S, STAFF_ALERT_PERIOD_S = 3, 0.08, 0.8
ERROR_PERIOD_S, ERROR_ON_S = 0.5, 0.25  # steady 2 Hz, full brightness
SHUTDOWN_FADE_S = 3.0
HOLD_FEEDBACK_LEVEL = FULL
# A USB stick: slow blink while the device works on it ("leave it in"), then steady bright
# for a minute ("done, take it out"); shown between sessions only (appliance/usb).
USB_WORKING_PERIOD_S, USB_WORKING_ON_S, USB_WORKING_LEVEL = 1.0, 0.5, 0.6
USB_DONE_LEVEL = 0.8

BASE_PATTERNS = frozenset(
    {"off", "booting", "ready", "session", "breathing", "error", "shutting_down"}
)
OVERLAY_PATTERNS = frozenset(
    {"staff_alert", "hold_feedback", "sensor_lost", "usb_working", "usb_done"}
)
PATTERNS = BASE_PATTERNS | OVERLAY_PATTERNS
# Higher wins. shutting_down outranks hold_feedback: the hold that asked for the shutdown is
# usually still held when the fade starts.
RANK = {
    "staff_alert": 6,
    "shutting_down": 5,
    "hold_feedback": 4,
    "error": 3,
    "sensor_lost": 2,
    "usb_working": 2,
    "usb_done": 2,
    "off": 1,
    "booting": 1,
    "ready": 1,
    "session": 1,
    "breathing": 1,
}


class LedLike(Protocol):
    """What we use of gpiozero.PWMLED."""

    value: float


def blink(elapsed_s: float, period_s: float, on_s: float, level: float) -> float:
    return level if elapsed_s % period_s < on_s else 0.0


def flashes(elapsed_s: float, count: int, flash_s: float, period_s: float, level: float) -> float:
    """`count` flashes of `flash_s`, each followed by an equal gap, then dark until the period."""
    t = elapsed_s % period_s
    return level if t < 2 * count * flash_s and t % (2 * flash_s) < flash_s else 0.0


def pulse(phase_cycles: float, low: float, high: float) -> float:
    """A raised cosine: `low` at whole cycles, `high` half-way."""
    return low + (high - low) * (1.0 - math.cos(2.0 * math.pi * phase_cycles)) / 2.0


def fade_out(elapsed_s: float, duration_s: float, start: float) -> float:
    return start * max(0.0, 1.0 - elapsed_s / duration_s)


def quantise(level: float) -> float:
    return round(min(max(level, 0.0), 1.0) * LEVEL_STEPS) / LEVEL_STEPS


def pattern_level(pattern: str, elapsed_s: float, breathing_phase: float = 0.0) -> float:
    """The brightness of `pattern` `elapsed_s` after it was shown (before quantising)."""
    match pattern:
        case "off":
            return 0.0
        case "booting":
            return blink(elapsed_s, BOOTING_PERIOD_S, BOOTING_ON_S, BOOTING_LEVEL)
        case "ready":
            return READY_LEVEL
        case "session":
            return pulse(elapsed_s / SESSION_PULSE_PERIOD_S, PULSE_LOW, PULSE_HIGH)
        case "breathing":
            return pulse(breathing_phase, PULSE_LOW, PULSE_HIGH)
        case "sensor_lost":
            return flashes(
                elapsed_s,
                SENSOR_LOST_FLASHES,
                SENSOR_LOST_FLASH_S,
                SENSOR_LOST_PERIOD_S,
                SENSOR_LOST_LEVEL,
            )
        case "staff_alert":
            return flashes(
                elapsed_s, STAFF_ALERT_FLASHES, STAFF_ALERT_FLASH_S, STAFF_ALERT_PERIOD_S, FULL
            )
        case "error":
            return blink(elapsed_s, ERROR_PERIOD_S, ERROR_ON_S, FULL)
        case "shutting_down":
            return fade_out(elapsed_s, SHUTDOWN_FADE_S, FULL)
        case "hold_feedback":
            return HOLD_FEEDBACK_LEVEL
        case "usb_working":
            return blink(elapsed_s, USB_WORKING_PERIOD_S, USB_WORKING_ON_S, USB_WORKING_LEVEL)
        case "usb_done":
            return USB_DONE_LEVEL
    raise ValueError(f"unknown LED pattern {pattern!r}; known: {', '.join(sorted(PATTERNS))}")


class LedPatterns:
    """Shows patterns on a PWM LED; call `poll()` from the service loop."""

    def __init__(self, led: LedLike, *, now: Callable[[], float]) -> None:
        self._led = led
        self._now = now
        self._base = "off"
        self._base_since = now()
        self._overlays: dict[str, float] = {}  # pattern → time shown
        self._breathing_period_s = DEFAULT_BREATHING_PERIOD_S
        self._breathing_phase_at_t0 = 0.0
        self._breathing_t0 = self._base_since
        self._written: float | None = None
        self.poll()

    @property
    def current(self) -> str:
        """The pattern on the LED now."""
        return max([self._base, *self._overlays], key=RANK.__getitem__)

    def show(self, pattern: str) -> None:
        """Show `pattern`. Showing what is already showing keeps its rhythm going."""
        _check(pattern)
        now = self._now()
        if pattern in OVERLAY_PATTERNS:
            self._overlays.setdefault(pattern, now)
        elif pattern != self._base:
            self._base, self._base_since = pattern, now
            if pattern == "breathing":  # start each breathing display at the exhale's end
                self._breathing_phase_at_t0, self._breathing_t0 = 0.0, now
        self.poll(now)

    def clear(self, pattern: str) -> None:
        """Stop showing `pattern`: an overlay goes away; a clear base pattern leaves "off"."""
        _check(pattern)
        now = self._now()
        self._overlays.pop(pattern, None)
        if pattern == self._base and pattern != "off":
            self._base, self._base_since = "off", now
        self.poll(now)

    def set_breathing(self, period_s: float) -> None:
        """Follow a new breathing period, without a jump in brightness."""
        low, high = BREATHING_PERIOD_RANGE_S
        if not low <= period_s <= high:
            raise ValueError(f"breathing period must be {low}..{high} s, got {period_s}")
        now = self._now()
        self._breathing_phase_at_t0 = self._breathing_phase(now)
        self._breathing_t0 = now
        self._breathing_period_s = period_s

    def poll(self, now: float | None = None) -> None:
        now = self._now() if now is None else now
        pattern = self.current
        since = self._overlays.get(pattern, self._base_since)
        level = quantise(pattern_level(pattern, now - since, self._breathing_phase(now)))
        if level != self._written:  # a PWM write only when the level changes
            self._led.value = level
            self._written = level

    def _breathing_phase(self, now: float) -> float:
        elapsed = now - self._breathing_t0
        return self._breathing_phase_at_t0 + elapsed / self._breathing_period_s


def _check(pattern: str) -> None:
    if pattern not in PATTERNS:
        raise ValueError(f"unknown LED pattern {pattern!r}; known: {', '.join(sorted(PATTERNS))}")

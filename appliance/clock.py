"""Clocks. Everything time-based takes one, so a 20-minute session can run in seconds.

`now()` is monotonic seconds (never wall time); wall time is only for records.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class MonotonicClock:
    """The real clock: time.monotonic, immune to NTP jumps on a Pi without an RTC."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class SimulatedClock:
    """A clock that only moves when asked: sleep() advances it instantly."""

    def __init__(self, start: float = 0.0) -> None:
        self._t = float(start)

    def now(self) -> float:
        return self._t

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"cannot sleep a negative time: {seconds}")
        self._t += seconds

    advance = sleep


# -- the one clock for people: records stay in UTC; what a person reads is in device.timezone --

LOCAL_FORMAT = "%Y-%m-%d %H:%M %Z"  # 2026-05-01 10:00 BST: sorts as text, names the zone


def zone(name: str) -> tzinfo:
    """The device's time zone from its IANA name (device.timezone, validated by the config)."""
    return UTC if name == "UTC" else ZoneInfo(name)


def local_time(moment: datetime, tz: tzinfo) -> datetime:
    """A recorded (UTC) moment as the clock on the wall of the care home shows it."""
    return moment.astimezone(tz)


def local_text(moment: datetime, tz: tzinfo, fmt: str = LOCAL_FORMAT) -> str:
    return local_time(moment, tz).strftime(fmt)

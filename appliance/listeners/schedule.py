"""Schedule slots in a listener profile: "mon-fri 14:00-15:00", "09:00-10:00"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLOT = re.compile(r"^(?:(?P<days>[a-z,\-]+)\s+)?(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})$")


@dataclass(frozen=True)
class ScheduleSlot:
    days: frozenset[int]  # 0 = Monday, as datetime.weekday()
    start: time
    end: time

    def contains(self, moment: datetime) -> bool:
        return moment.weekday() in self.days and self.start <= moment.time() < self.end


def _time(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text!r} is not a time of day (00:00..23:59)")
    return time(hours, minutes)


def _days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"{part!r} is not a day or a range of days ({', '.join(DAYS)})")
        a, b = DAYS.index(first), DAYS.index(last or first)
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(days)


def parse_slot(text: object) -> ScheduleSlot:
    """A slot from the YAML; ValueError with a technician's message when malformed."""
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a slot like 'mon-fri 14:00-15:00'")
    match = _SLOT.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(f"{text!r} is not a slot like 'mon-fri 14:00-15:00' or '09:00-10:00'")
    days = _days(match["days"]) if match["days"] else frozenset(range(7))
    start, end = _time(match["start"]), _time(match["end"])
    if end <= start:
        raise ValueError(f"{text!r} ends before it starts (a slot stays within one day)")
    return ScheduleSlot(days, start, end)

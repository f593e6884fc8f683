"""Which listener a session is for: the wearable present, else the schedule, else the default."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from appliance.listeners.profile import ListenerProfile


def choose_listener(
    profiles: Sequence[ListenerProfile],
    *,
    wearable: str | None,
    now_local: datetime,
) -> tuple[ListenerProfile | None, str]:
    """The profile for a session starting now, and why it was chosen (for the log)."""
    if wearable is not None:
        for profile in profiles:
            if profile.wearable == wearable.upper():
                return profile, f"wearable {profile.wearable} is connected"
    for profile in profiles:
        if any(slot.contains(now_local) for slot in profile.schedule):
            return profile, f"scheduled at {now_local:%a %H:%M}"
    for profile in profiles:
        if profile.default:
            return profile, "the default profile"
    return None, "no profile matches: an anonymous session"

"""Listener profiles: one YAML file each in `listeners.dir`, chosen per session."""

from appliance.listeners.choose import choose_listener
from appliance.listeners.folder import load_listeners, load_listeners_or_raise
from appliance.listeners.profile import Consent, ListenerProfile
from appliance.listeners.schedule import ScheduleSlot, parse_slot

__all__ = [
    "Consent",
    "ListenerProfile",
    "ScheduleSlot",
    "choose_listener",
    "load_listeners",
    "load_listeners_or_raise",
    "parse_slot",
]

"""The service's states and the session it is running."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import Enum

from appliance.listeners import ListenerProfile
from appliance.session import Session, SessionStatus


class State(Enum):
    BOOTING = "booting"
    IDLE = "idle"
    SESSION = "session"
    STOPPING = "stopping"  # the session is fading out
    SHUTTING_DOWN = "shutting down"
    EXITING = "exiting"


@dataclass
class Running:
    """The session in progress."""

    session: Session
    thread: threading.Thread
    profile: ListenerProfile | None
    started: float
    status: SessionStatus | None = None

"""The service's states and the session it is running."""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from enum import Enum

from appliance.listeners import ListenerProfile
from appliance.session.loop import Session
from appliance.session.sensors import Sensors
from appliance.session.status import SessionStatus


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


log = logging.getLogger(__name__)


def run_in_thread(
    session: Session, sensors: Sensors, events: queue.SimpleQueue[tuple[str, object]]
) -> threading.Thread:
    """A thread (not yet started) to run the session on; its end ("ended", result) or failure
    ("failed", error) is posted to `events` for the main loop, and its sensors are closed."""

    def main() -> None:
        try:
            events.put(("ended", session.run()))
        except Exception as exc:  # the session recorded itself; the service carries on
            log.exception("the session failed")
            events.put(("failed", exc))
        finally:
            sensors.close()

    return threading.Thread(target=main, name="session", daemon=True)

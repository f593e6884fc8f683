"""Safe shutdown through logind (never sudo): org.freedesktop.login1.Manager.PowerOff.

The unit's user is allowed to power off by polkit (a rule installed with the unit); busctl
is part of systemd, so no D-Bus binding is needed.
"""

from __future__ import annotations

import logging
import shutil
import subprocess

log = logging.getLogger(__name__)

POWER_OFF_COMMAND = (
    "busctl",
    "call",
    "org.freedesktop.login1",
    "/org/freedesktop/login1",
    "org.freedesktop.login1.Manager",
    "PowerOff",
    "b",
    "false",  # not interactive: polkit decides without asking anyone
)
TIMEOUT_S = 20.0


def power_off() -> bool:
    """Ask logind to power off; False (and the reason logged) when it refuses or fails."""
    if shutil.which(POWER_OFF_COMMAND[0]) is None:
        log.error("cannot power off: busctl (systemd) not found")
        return False
    try:
        done = subprocess.run(
            POWER_OFF_COMMAND, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.error("cannot power off: %s", exc)
        return False
    if done.returncode != 0:
        log.error(
            "logind refused to power off (%s); is the polkit rule for the attune user installed?",
            done.stderr.strip() or f"exit {done.returncode}",
        )
        return False
    return True

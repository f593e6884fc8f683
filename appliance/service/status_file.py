"""The service's state on disk, for `attune status` (a technician on the device, no network port).

The service writes `status.json` in its state folder whenever what it shows changes: its
state, the staff alert and each component's health. Only on a change, not every second: the
state folder is on the SD card. The file is written atomically, 0600 like every state file (a
consenting listener's id may be in it), and carries the writer's pid, so a reader can tell a
service that stopped without saying so (killed, power cut) from one that runs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appliance.fsutil import atomic_write_text, sweep_temporaries
from appliance.service.health import HealthRegistry
from appliance.service.state import Running, State

log = logging.getLogger(__name__)

STATUS_NAME = "status.json"
FORMAT = 1


def service_document(
    state: State, running: Running | None, alert: bool, health: HealthRegistry
) -> dict[str, Any]:
    """What the service shows, without the time it was written (that is no change)."""
    session = None
    if running is not None:
        profile = running.profile
        # The same rule as the journal: no id for a listener who did not consent.
        who = profile.id if profile is not None and profile.keeps_data else None
        session = {"listener": who}
    return {
        "format": FORMAT,
        "state": state.value,
        "alert": alert,
        "session": session,
        "health": {
            name: {"level": h.level.value, "detail": h.detail}
            for name, h in health.snapshot().items()
        },
    }


class StatusFile:
    """Writes the document when it differs from the last one written."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / STATUS_NAME
        self._last: dict[str, Any] | None = None
        self._failed = False
        # What a service killed mid-write left (bench/bench_kills.py found them); a folder that
        # cannot be written is the store's problem to say.
        with contextlib.suppress(OSError):
            sweep_temporaries(self.path)

    def update(self, document: dict[str, Any]) -> bool:
        """True when the file was written. A state folder that takes no writes is the store's
        problem to report (health "store down"); this logs it once and carries on."""
        if document == self._last:
            return False
        full = {**document, "pid": os.getpid(), "written_at": datetime.now(UTC).isoformat()}
        try:
            atomic_write_text(self.path, json.dumps(full, indent=1) + "\n")
        except OSError as exc:
            if not self._failed:
                log.warning(
                    "cannot write %s (attune status will not see the service): %s", self.path, exc
                )
            self._failed = True
            return False
        self._failed = False
        self._last = document
        return True


def read_status(state_dir: Path) -> tuple[dict[str, Any] | None, str]:
    """The last document the service wrote, or None and why there is none."""
    path = Path(state_dir) / STATUS_NAME
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"no {path}: the service has not run with this state folder"
    except PermissionError:
        return None, f"cannot read {path}: run as root or as the attune user (sudo attune status)"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"cannot read {path}: {exc}"
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return None, f"{path} is not a status file this version reads (format {FORMAT})"
    return document, ""


def boot_time(proc_stat: Path = Path("/proc/stat")) -> datetime | None:
    """When this machine booted (a pid written before then belongs to an earlier boot)."""
    try:
        for line in proc_stat.read_text().splitlines():
            if line.startswith("btime "):
                return datetime.fromtimestamp(int(line.split()[1]), UTC)
    except (OSError, ValueError):
        pass
    return None


def writer_running(document: dict[str, Any]) -> bool:
    """Whether the service that wrote the document still runs: its pid exists and the file
    was written since this boot (after a power cut the pid may belong to something else)."""
    try:
        written = datetime.fromisoformat(str(document.get("written_at")))
    except ValueError:
        return False
    booted = boot_time()
    if booted is not None and written < booted:
        return False
    return process_alive(document.get("pid"))


def process_alive(pid: object) -> bool:
    """Whether a process with this pid exists (another user's counts too)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

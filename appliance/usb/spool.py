"""How the USB handler tells the service what it did, without a network port.

The handler (`attune usb sync`, a process of its own) and the service share only the state
folder. The handler writes, atomically, into `<state dir>/usb/`:

    busy-<stick>.json      while it works (its pid: a killed handler's marker is stale)
    notice-<time>.json     when it is done: the spoken prompts to play, and whether it went well

The service reads them between sessions only: during a session the LED and the sound belong to
the listener, so the notice waits and is spoken once the session has ended. A notice older
than NOTICE_MAX_AGE_S is dropped unspoken (staff have long gone); the log on the stick says it
all anyway.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from appliance.fsutil import atomic_write_text, ensure_private_dir

log = logging.getLogger(__name__)

SPOOL_DIR = "usb"
NOTICE_MAX_AGE_S = 3 * 3600.0

Prompt = tuple[str, dict[str, str]]  # a phrase key of service/prompts.py and its fields


@dataclass(frozen=True)
class Notice:
    ok: bool
    prompts: tuple[Prompt, ...]
    written_at: float  # wall time, seconds since the epoch


class Spool:
    def __init__(self, state_dir: Path) -> None:
        self.folder = Path(state_dir) / SPOOL_DIR

    # -- the handler's side ---------------------------------------------------------------
    def mark_busy(self, stick: str) -> Path:
        ensure_private_dir(self.folder)
        path = self.folder / f"busy-{_safe(stick)}.json"
        atomic_write_text(path, json.dumps({"pid": os.getpid(), "stick": stick}) + "\n")
        return path

    def post(self, ok: bool, prompts: list[Prompt]) -> Path:
        ensure_private_dir(self.folder)
        now = time.time()
        path = self.folder / f"notice-{time.time_ns():020d}.json"
        data = {"ok": ok, "prompts": [[k, f] for k, f in prompts], "written_at": now}
        atomic_write_text(path, json.dumps(data) + "\n")
        return path

    # -- the service's side ---------------------------------------------------------------
    def busy(self) -> bool:
        """Whether a live handler is working on a stick; stale markers are removed."""
        found = False
        for path in self._files("busy-"):
            try:
                pid = int(json.loads(path.read_text(encoding="utf-8"))["pid"])
            except (OSError, ValueError, KeyError, TypeError):
                pid = 0
            if pid > 0 and _alive(pid):
                found = True
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
        return found

    def take_notices(self, now_wall: float | None = None) -> list[Notice]:
        """The notices waiting, oldest first, each removed once read."""
        now_wall = time.time() if now_wall is None else now_wall
        notices = []
        for path in self._files("notice-"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                pairs = data["prompts"]
                notice = Notice(
                    bool(data["ok"]),
                    tuple((str(k), {str(a): str(b) for a, b in f.items()}) for k, f in pairs),
                    float(data["written_at"]),
                )
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                log.warning("%s cannot be read (%s); removed", path, exc)
                notice = None
            with contextlib.suppress(OSError):
                path.unlink()
            if notice is None:
                continue
            if now_wall - notice.written_at > NOTICE_MAX_AGE_S:
                log.info("USB notice from %s dropped unspoken: too old", path.name)
                continue
            notices.append(notice)
        return notices

    def _files(self, prefix: str) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if p.name.startswith(prefix))


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "stick"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

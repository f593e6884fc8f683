"""Who else has the database open: an advisory lock beside it.

Crash recovery (running → interrupted) must only happen when no live process is writing a
session, or `attune sessions list` run during a session would end it on paper. flock() locks
belong to the open file and the kernel drops them when a process dies, even by power cut
(the lock is not on disk), so a stale lock can never block recovery.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from appliance.fsutil import ensure_private_file


class OpenLock:
    def __init__(self, database: Path) -> None:
        lock_path = ensure_private_file(database.with_name(database.name + ".lock"))
        self._fd: int | None = os.open(lock_path, os.O_RDWR)

    def acquire_alone(self) -> bool:
        """Hold the lock; True if exclusively (nobody else has the database open).

        The exclusive hold lasts until share(): others opening meanwhile wait for it.
        """
        assert self._fd is not None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(self._fd, fcntl.LOCK_SH)
            return False
        return True

    def share(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_SH)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None

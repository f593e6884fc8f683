"""A state folder that cannot be written: what ext4 does after SD-card errors (remounted
read-only), a full card, or a folder the service user does not own.

The service must not crash-loop on it: it opens what it can read (the quarantine and what the
bandit learnt keep guiding the music), plays sessions without recording them, and says so
once, naming the folder and what to do.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from appliance.store.db import MEMORY, Store

log = logging.getLogger(__name__)
T = TypeVar("T")

UNWRITABLE_ERRNOS = frozenset({errno.EROFS, errno.ENOSPC, errno.EACCES, errno.EPERM, errno.EDQUOT})
# SQLite's primary result codes for the same causes: PERM, READONLY, IOERR, FULL, CANTOPEN.
UNWRITABLE_SQLITE = frozenset({3, 8, 10, 13, 14})


def unwritable(exc: BaseException) -> bool:
    """Whether `exc` says the state folder cannot be written (rather than a bug)."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in UNWRITABLE_SQLITE
    return isinstance(exc, OSError) and exc.errno in UNWRITABLE_ERRNOS


def problem(folder: Path, exc: BaseException) -> str:
    return (
        f"the state folder {folder} cannot be written ({type(exc).__name__}: {exc}); music "
        f"still plays but sessions are not recorded. Check the SD card (`dmesg`: remounted "
        f"read-only after errors?), the free space (`df -h {folder}`) and that user attune "
        f"owns the folder, then restart attune (`sudo systemctl restart attune`)"
    )


def open_store(
    path: Path, connect: Callable[..., sqlite3.Connection] = sqlite3.connect
) -> tuple[Store, str | None]:
    """The store, and None; or, when the folder cannot be written, the store read-only (or
    an empty one in memory when even that fails) and the problem for the log and health."""
    try:
        store = Store(path, connect=connect)
    except (OSError, sqlite3.Error) as exc:
        if not unwritable(exc):
            raise
        return _read_only(path, connect), problem(path.parent, exc)
    return store, check(store)


def check(store: Store) -> str | None:
    """None when the store takes a write now; else the problem (a real write is tried)."""
    try:
        store.probe_write()
    except (OSError, sqlite3.Error) as exc:
        if not unwritable(exc):
            raise
        return problem(Path(store.path).parent, exc)
    return None


def _read_only(path: Path, connect: Callable[..., sqlite3.Connection]) -> Store:
    try:
        return Store(path, read_only=True, connect=connect)
    except (OSError, sqlite3.Error):
        return Store(MEMORY)  # nothing readable either: nothing of it can be lost


class WriteGuard:
    """A session's writes, kept from stopping the music when the state folder stops taking
    them mid-session (the card fills up or is remounted read-only under a playing session).

    A care home expects the music at a bedside to go on: the first write refused for such a
    cause is logged once with the problem, reported through `on_down`, and every later write
    of the session is skipped. The session's row then stays `running` and the next start
    records it `interrupted` with the progress it last noted. Any other error is a bug and is
    raised.
    """

    def __init__(self, folder: Path, on_down: Callable[[str], None]) -> None:
        self.folder = folder
        self.on_down = on_down
        self.problem: str | None = None

    def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """`fn(*args, **kwargs)`, or None once the folder has stopped taking writes."""
        if self.problem is not None:
            return None
        try:
            return fn(*args, **kwargs)
        except (OSError, sqlite3.Error) as exc:
            if not unwritable(exc):
                raise
            self.problem = problem(self.folder, exc)
            log.error("%s; this session goes on, NOT RECORDED from here", self.problem)
            self.on_down(self.problem)
            return None

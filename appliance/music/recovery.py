"""Keeping a listener's music folder whole across a crash or a power cut mid-import.

An import writes each track under a temporary name (`.<name>.partial`), renames it into place,
then rewrites the index atomically. A crash between two of those steps leaves a `.partial`,
an index's temporary file or a track the index does not name. The sweep deletes them all:
such a track was never reported imported, and it is still wherever it came from, so the next
import brings it back. (Adopting it instead would mean analysing it again at a session's
first decision, without the name and tags it came with.) An index entry whose file has gone
is dropped, so every indexed file exists and every file is indexed.

Imports and the sweep hold an exclusive lock on the folder itself (flock on its descriptor,
released by the kernel when a killed process dies): the sweep never deletes a file that a
running import is still writing.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)


@contextlib.contextmanager
def folder_lock(folder: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold the folder's lock; yields False (without it) when `wait` is off and an import
    holds it."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def leftovers(folder: Path, named: set[str], index_name: str) -> list[str]:
    """Names in the folder that are neither the index nor a regular file the index names."""
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name == index_name:
                continue
            mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                continue  # never ours: left alone
            if entry.name not in named or not stat.S_ISREG(mode):
                found.append(entry.name)
    return sorted(found)


def sweep(folder: Path, named: set[str], index_name: str) -> list[str]:
    """Delete the leftovers of an interrupted import (hold folder_lock); their names."""
    removed = leftovers(folder, named, index_name)
    for name in removed:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(folder / name)
        log.warning("%s: removed %s, left by an interrupted import", folder, name)
    return removed

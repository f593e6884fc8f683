"""Private files for health data: owner-only modes and atomic replacement.

Everything Attune writes about a listener (database, exports, reports) goes through here so that
a power cut leaves either the old file or the new one, never half of either, and no other user
on the device can read it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from appliance.fsutil import atomic_write_bytes  # re-exported: one atomic write for all

__all__ = ["atomic_write_bytes", "ensure_private_dir", "ensure_private_file", "is_private_dir"]

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def ensure_private_dir(directory: Path) -> Path:
    """Create `directory` (and any missing parents) readable by its owner only.

    An existing directory keeps its mode: tightening someone's home or a shared folder behind
    their back would be a surprise. The files we put inside are 0600 either way.
    """
    directory = Path(directory)
    missing = []
    probe = directory
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for new_dir in reversed(missing):
        with contextlib.suppress(FileExistsError):  # raced by another process: fine
            new_dir.mkdir(mode=PRIVATE_DIR_MODE)
        os.chmod(new_dir, PRIVATE_DIR_MODE)  # mkdir's mode is filtered by the umask
    return directory


def is_private_dir(directory: Path) -> bool:
    """True when neither group nor others can enter `directory`."""
    return Path(directory).stat().st_mode & 0o077 == 0


def ensure_private_file(path: Path) -> Path:
    """Create `path` empty if missing; either way leave it readable by its owner only."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
    return Path(path)

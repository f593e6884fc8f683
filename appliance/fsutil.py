"""Atomic writes and owner-only folders for the state files the daemon owns (never the
technician's YAML).

A power cut on a Pi is routine: a reader must see either the old file or the new one, never a
truncated mix. Write a temporary file in the same directory (same filesystem, so the rename is
atomic), fsync it, os.replace it over the target, then fsync the directory so the rename itself
survives the power cut. Everything Attune keeps about a listener (database, exports, reports,
their music) is health data: no other user on the device may read it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

STATE_FILE_MODE = 0o600  # state holds listeners' data: owner only
STATE_DIR_MODE = 0o700


def atomic_write_bytes(
    path: Path, data: bytes, mode: int = STATE_FILE_MODE, *, owner: tuple[int, int] | None = None
) -> Path:
    """Replace `path` with `data` atomically and durably; `owner` (uid, gid) chowns the new
    file before it appears (root writing into a service's state)."""
    path = Path(path)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as temp:
            os.fchmod(temp.fileno(), mode)  # exact mode, whatever the umask
            if owner is not None:
                os.fchown(temp.fileno(), *owner)
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    fsync_directory(path.parent)
    return path


def atomic_write_text(
    path: Path,
    text: str,
    mode: int = STATE_FILE_MODE,
    *,
    encoding: str = "utf-8",
    owner: tuple[int, int] | None = None,
) -> None:
    """Replace `path` with `text` atomically and durably, with permissions `mode`."""
    # Encode first: an unencodable text fails before anything touches the disk.
    atomic_write_bytes(path, text.encode(encoding), mode, owner=owner)


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
            new_dir.mkdir(mode=STATE_DIR_MODE)
        os.chmod(new_dir, STATE_DIR_MODE)  # mkdir's mode is filtered by the umask
    return directory


def is_private_dir(directory: Path) -> bool:
    """True when neither group nor others can enter `directory`."""
    return Path(directory).stat().st_mode & 0o077 == 0


def ensure_private_file(path: Path) -> Path:
    """Create `path` empty if missing; either way leave it readable by its owner only."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, STATE_FILE_MODE)
    try:
        os.fchmod(fd, STATE_FILE_MODE)
    finally:
        os.close(fd)
    return Path(path)

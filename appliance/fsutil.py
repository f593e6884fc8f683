"""Atomic writes for the state files the daemon owns (never the technician's YAML).

A power cut on a Pi is routine: a reader must see either the old file or the new one, never a
truncated mix. Write a temporary file in the same directory (same filesystem, so the rename is
atomic), fsync it, os.replace it over the target, then fsync the directory so the rename itself
survives the power cut.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

STATE_FILE_MODE = 0o600  # state holds listeners' data: owner only


def atomic_write_bytes(path: Path, data: bytes, mode: int = STATE_FILE_MODE) -> Path:
    path = Path(path)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as temp:
            os.fchmod(temp.fileno(), mode)  # exact mode, whatever the umask
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
    path: Path, text: str, mode: int = STATE_FILE_MODE, *, encoding: str = "utf-8"
) -> None:
    """Replace `path` with `text` atomically and durably, with permissions `mode`."""
    # Encode first: an unencodable text fails before anything touches the disk.
    atomic_write_bytes(path, text.encode(encoding), mode)


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

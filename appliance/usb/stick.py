"""Writing on a stick that may be pulled at any moment, and touching nothing but our own files.

Every file is written under a temporary name (`.<name>.attune-partial`), flushed and fsynced,
then renamed: a stick pulled mid-copy holds at most a leftover with that suffix, never a half
file under the real name. The next plug sweeps those leftovers, and only those, and only inside
the folders we write (`Attune/reports/`); everything else on the stick is only ever read.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

ATTUNE_FOLDER = "Attune"
REPORTS_FOLDER = "reports"
LOG_NAME = "attune-log.txt"
PARTIAL_SUFFIX = ".attune-partial"
CHUNK = 1 << 20

Hook = Callable[[Path], None]  # called after each chunk written to the stick (tests pull there)


class StickGone(OSError):
    """The stick went away (pulled, or its filesystem failed) while we used it."""


def find_child(folder: Path, name: str) -> Path | None:
    """`folder`'s sub-folder named `name` in any case (FAT ignores case; people do too), not a
    link; None if there is none."""
    wanted = name.casefold()
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name.casefold() == wanted and entry.is_dir(follow_symlinks=False):
                return Path(entry.path)
    return None


def same_content(a: Path, b: Path) -> bool:
    """True when both files exist with the same bytes (size first, then content)."""
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        return file_digest(a) == file_digest(b)
    except FileNotFoundError:
        return False


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _replace(dest: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write `dest` on the stick under a temporary name, then rename it into place: a stick
    pulled mid-write never shows a half file under the real name."""
    partial = dest.with_name(f".{dest.name}{PARTIAL_SUFFIX}")
    try:
        with open(partial, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, dest)
        sync_folder(dest.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise


def put_file(source: Path, dest: Path, *, hook: Hook | None = None) -> bool:
    """Copy `source` (on the device) to `dest` (on the stick) unless `dest` already holds the
    same bytes; True when it was written."""
    if same_content(source, dest):
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)

    def copy(out: BinaryIO) -> None:
        with open(source, "rb") as src:
            for chunk in iter(lambda: src.read(CHUNK), b""):
                out.write(chunk)
                if hook is not None:
                    hook(dest)

    _replace(dest, copy)
    return True


def put_text(text: str, dest: Path) -> None:
    """Write `text` to `dest` on the stick the same way, with Windows' line ends (Notepad)."""
    data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    _replace(dest, lambda out: out.write(data))


def sync_folder(folder: Path) -> None:
    """fsync a folder on the stick; FAT drivers that cannot (EINVAL) have synced already."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EBADF):
            raise
    finally:
        os.close(fd)


def sweep_partials(folder: Path) -> list[str]:
    """Remove our leftovers (`*.attune-partial`) under `folder`; their names."""
    removed = []
    if not folder.is_dir():
        return removed
    for directory, _, files in os.walk(folder):
        for name in files:
            if name.endswith(PARTIAL_SUFFIX):
                os.unlink(os.path.join(directory, name))
                removed.append(name)
    return removed


def still_there(folder: Path) -> bool:
    """Whether the stick holding `folder` is still readable (a pulled stick answers EIO, its
    killed FUSE driver ENOTCONN: any error here means gone)."""
    try:
        next(iter(folder.parent.iterdir()), None)
        return folder.is_dir()
    except OSError:
        return False

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
import glob
import os
import tempfile
from dataclasses import dataclass
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


def sweep_temporaries(path: Path) -> list[Path]:
    """Remove the temporaries atomic_write_bytes left beside `path` when its writer was killed
    mid-write (a power cut): only its own `.<name>.*.tmp`, never anything else. Call it where
    one process writes `path`, before its first write."""
    path = Path(path)
    swept = []
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
            swept.append(leftover)
    return swept


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


# -- storage that survives a reboot ----------------------------------------------------------
MOUNTINFO = Path("/proc/self/mountinfo")
RAM_FSTYPES = frozenset({"tmpfs", "ramfs"})


@dataclass(frozen=True)
class Mount:
    point: str
    fstype: str
    source: str
    options: str  # the filesystem's own (super) options: an overlay's upperdir is here


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash in paths as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def read_mounts(mountinfo: Path = MOUNTINFO) -> list[Mount]:
    """The mount table as this process sees it (proc(5), /proc/PID/mountinfo)."""
    mounts = []
    for line in mountinfo.read_text().splitlines():
        fields = line.split()
        if "-" not in fields[6:]:
            continue
        sep = fields.index("-", 6)  # optional fields end at a lone "-"
        if len(fields) < sep + 4:
            continue
        point = _unescape(fields[4])
        mounts.append(Mount(point, fields[sep + 1], fields[sep + 2], fields[sep + 3]))
    return mounts


def _mount_of(path: str, mounts: list[Mount]) -> Mount | None:
    """The mount `path` lies on: the last-mounted of the longest matching mount points."""
    best: Mount | None = None
    for mount in mounts:  # in mount order: a later mount over the same point hides the earlier
        prefix = mount.point.rstrip("/") + "/"
        inside = path == mount.point or path.startswith(prefix) or mount.point == "/"
        if inside and (best is None or len(mount.point) >= len(best.point)):
            best = mount
    return best


def volatile_storage(path: Path, mountinfo: Path = MOUNTINFO) -> str | None:
    """Why what is written under `path` would be lost at the next reboot, or None.

    Lost: a RAM filesystem (tmpfs, ramfs), or an overlay whose writable upper layer is one, as
    on Raspberry Pi OS with the overlay root on (raspi-config's overlayfs: the SD card is the
    read-only lower layer, every write goes to tmpfs). An overlay with its upper layer on
    disk (a container's) keeps what is written.
    """
    probe = Path(path).absolute()
    while not probe.exists() and probe != probe.parent:  # the folder may not exist yet
        probe = probe.parent
    where = str(probe.resolve())
    mounts = read_mounts(mountinfo)
    mount = _mount_of(where, mounts)
    if mount is None:
        return None
    if mount.fstype in RAM_FSTYPES:
        return f"{path} is on {mount.fstype} (mounted at {mount.point}), which lives in RAM"
    if mount.fstype == "overlay":
        options = dict(o.partition("=")[::2] for o in mount.options.split(","))
        upper = options.get("upperdir", "")
        below = _mount_of(upper, [m for m in mounts if m is not mount]) if upper else None
        if mount.source == "overlayroot" or (below is not None and below.fstype in RAM_FSTYPES):
            return (
                f"{path} is on the overlay mounted at {mount.point}, whose writes go to RAM "
                f"({upper or mount.source})"
            )
    return None

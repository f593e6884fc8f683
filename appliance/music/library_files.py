"""The stored files of a music library: whose they are, how one is copied in durably, the
name it is stored under and how a request names it."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from appliance.music.intake import open_no_link

INDEX_NAME = "index.json"
FILE_MODE = 0o600
UNSAFE_NAME_CHARACTERS = re.compile(r"[^\w .,()&'+-]")


class LibraryError(ValueError):
    """A request the library cannot honour (bad listener id, unknown track)."""


def state_owner(state_dir: Path) -> tuple[int, int] | None:
    """Whom files written under `state_dir` must belong to: when root (sudo attune music
    import) writes into a state directory another user owns (the service's `attune`), that
    user; else None (files are the writer's own). Judged from the nearest folder that
    exists."""
    if os.geteuid() != 0:
        return None
    probe = Path(state_dir)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    info = probe.stat()
    return None if info.st_uid == 0 else (info.st_uid, info.st_gid)


def copy_durably(source: Path, partial: Path, owner: tuple[int, int] | None = None) -> str:
    """Copy `source` (not through a link) to `partial`, durably, owner-only (`owner`'s when
    given); its SHA-256."""
    digest = hashlib.sha256()
    with open_no_link(source) as src, open(partial, "wb") as dst:
        os.fchmod(dst.fileno(), FILE_MODE)
        if owner is not None:
            os.fchown(dst.fileno(), *owner)
        for chunk in iter(lambda: src.read(1 << 20), b""):
            digest.update(chunk)
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return digest.hexdigest()


def match_track(wanted: str, entries: dict[str, dict], listener_id: str) -> str:
    """The stored file `wanted` names: a file name exactly, else a title (case-insensitive)."""
    if wanted in entries:
        return wanted
    key = wanted.strip().casefold()
    found = sorted(
        name
        for name, entry in entries.items()
        if key
        in {
            name.casefold(),
            os.path.splitext(name)[0].casefold(),
            str(entry.get("original_name", "")).casefold(),
            os.path.splitext(str(entry.get("original_name", "")))[0].casefold(),
        }
    )
    if len(found) == 1:
        return found[0]
    if found:
        raise LibraryError(
            f"{wanted!r} matches {len(found)} of {listener_id}'s tracks ({', '.join(found)}); "
            "name one by its file"
        )
    known = ", ".join(sorted(entries)) or "none"
    raise LibraryError(f"{listener_id} has no track {wanted!r} (tracks: {known})")


def free_name(folder: Path, original: str, entries: dict[str, dict]) -> str:
    """A safe file name for the store that no other track has."""
    stem, suffix = os.path.splitext(original)
    stem = UNSAFE_NAME_CHARACTERS.sub("_", stem).strip(" .") or "track"
    suffix = suffix.lower()
    name, number = f"{stem}{suffix}", 1
    while name in entries or (folder / name).exists() or name == INDEX_NAME:
        number += 1
        name = f"{stem}-{number}{suffix}"
    return name

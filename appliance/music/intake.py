"""What an import may read: the audio files of the file or folder it was given, and nothing a
link there points to outside it.

A USB stick or a shared folder can hold symbolic links; following one out of the folder would
copy whatever it names (another listener's music, /etc/shadow) into a listener's store. A link
that stays inside the folder is read like the file it names; any other link is refused with
its reason, and links to folders are never walked into.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from appliance.music.audiofile import AUDIO_EXTENSIONS


@dataclass(frozen=True)
class Candidate:
    path: Path  # as the user sees it, for messages
    read_from: Path | None  # the real file to read; None when refused
    refused: str | None = None


def inside(path: Path, folder: Path) -> bool:
    """True when `path`, with every link in it resolved, is within `folder` (resolved)."""
    return Path(path).resolve().is_relative_to(Path(folder).resolve())


def candidates(source: Path) -> Iterator[Candidate]:
    """The audio files at `source` (a file, or a folder walked without following links to
    folders), each with the real file to read or the reason it is refused."""
    source = Path(source)
    if not source.is_dir():
        if _is_audio(source.name):
            yield _candidate(source, source.parent)
        else:
            allowed = ", ".join(AUDIO_EXTENSIONS)
            yield Candidate(source, None, f"not an audio file (allowed: {allowed})")
        return
    for directory, folders, files in os.walk(source, followlinks=False):
        here = Path(directory)
        for name in sorted(folders):
            if (here / name).is_symlink():
                yield Candidate(here / name, None, "a link to a folder, not followed")
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        for name in sorted(files):
            if _is_audio(name):
                yield _candidate(here / name, source)


def _is_audio(name: str) -> bool:
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS


def _candidate(path: Path, folder: Path) -> Candidate:
    if not path.is_symlink():
        return Candidate(path, path)
    if not inside(path, folder):
        return Candidate(path, None, f"a link to a file outside {folder}, not followed")
    target = path.resolve()
    if not target.is_file():
        return Candidate(path, None, "a link to something that is not a file")
    return Candidate(path, target)


def open_no_link(path: Path):
    """Open `path` for reading, refusing (OSError ELOOP) if it has become a link since it was
    checked."""
    return os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")

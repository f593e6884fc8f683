"""One plug of a stick: reports onto it, the family's new music off it, a log on it.

Nothing on the stick is written but `Attune/reports/…` and `Attune/attune-log.txt`, each
through a temporary name (stick.py); the family's folders are only read. A stick without an
`Attune` folder is not touched at all: health data is never written onto whatever stick
happens to be plugged in.

On the device, music goes through the personal library's own import (a file at a time, each
indexed as it lands), so a stick pulled mid-import leaves every track either fully imported or
not at all, and the next plug imports what is still new. Reports are written into a private
staging folder on the device first and copied from there.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from appliance.fsutil import ensure_private_dir
from appliance.listeners import ListenerProfile
from appliance.music.intake import candidates
from appliance.music.library import Library
from appliance.store.db import Store
from appliance.usb.reports import ReportWriter
from appliance.usb.stick import (
    ATTUNE_FOLDER,
    LOG_NAME,
    PARTIAL_SUFFIX,
    REPORTS_FOLDER,
    Hook,
    StickGone,
    file_digest,
    find_child,
    put_file,
    still_there,
    sweep_partials,
)

log = logging.getLogger(__name__)


@dataclass
class MusicOutcome:
    folder: str  # as named on the stick
    listener_id: str
    added: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)  # already on the device
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file, why)


@dataclass
class SyncResult:
    attune_found: bool = False
    reports: dict[str, tuple[int, int]] = field(default_factory=dict)  # id → (written, same)
    problems: list[str] = field(default_factory=list)
    music: list[MusicOutcome] = field(default_factory=list)
    unknown_folders: list[str] = field(default_factory=list)
    # Folders of listeners whose profile records no consent: nothing of theirs is kept (the
    # service erases a non-consenting listener's music), so it is not imported.
    no_consent_folders: list[str] = field(default_factory=list)
    swept: list[str] = field(default_factory=list)
    pulled: bool = False  # the stick went away before the end
    failed: str | None = None  # the stick could not be written (full, read-only)


def sync_stick(
    mount: Path,
    *,
    profiles: Sequence[ListenerProfile],
    store: Store | None,
    library: Library,
    writers: Sequence[ReportWriter],
    staging: Path,
    hook: Hook | None = None,
) -> SyncResult:
    """Copy reports onto the stick mounted at `mount` and import its new music. Never raises
    for a pulled or unwritable stick: the result says so. `hook(path)` is called as each
    chunk or file goes to or from the stick."""
    result = SyncResult()
    attune = find_child(Path(mount), ATTUNE_FOLDER)
    if attune is None:
        return result
    result.attune_found = True
    try:
        reports = find_child(attune, REPORTS_FOLDER) or attune / REPORTS_FOLDER
        result.swept = sweep_partials(reports)
        (attune / f".{LOG_NAME}{PARTIAL_SUFFIX}").unlink(missing_ok=True)
        consenting = [p for p in profiles if p.keeps_data]
        if store is not None:
            for profile in consenting:
                _copy_reports(store, profile.id, reports, writers, staging, hook, result)
        for folder, profile in _music_folders(attune, profiles, result):
            _import_music(library, folder, profile.id, hook, result)
    except OSError as exc:
        if isinstance(exc, StickGone) or not still_there(attune):
            result.pulled = True
            log.warning("USB stick at %s: taken out before the end", mount)
        else:  # a full or write-protected stick, or the device's own folder
            result.failed = f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")
            log.error("USB stick at %s: %s", mount, result.failed)
    return result


def _copy_reports(
    store: Store,
    listener_id: str,
    reports: Path,
    writers: Sequence[ReportWriter],
    staging: Path,
    hook: Hook | None,
    result: SyncResult,
) -> None:
    here = Path(tempfile.mkdtemp(dir=ensure_private_dir(staging), prefix=f"{listener_id}-"))
    try:
        for writer in writers:
            try:
                writer(store, listener_id, here)
            except Exception as exc:  # one writer's bug must not cost the others' reports
                log.exception("report writer %s failed for %s", _name(writer), listener_id)
                result.problems.append(f"{listener_id}: {_name(writer)} failed ({exc})")
        written = same = 0
        for path in sorted(p for p in here.rglob("*") if p.is_file()):
            if put_file(path, reports / listener_id / path.relative_to(here), hook=hook):
                written += 1
            else:
                same += 1
        result.reports[listener_id] = (written, same)
    finally:
        shutil.rmtree(here, ignore_errors=True)


def _music_folders(
    attune: Path, profiles: Sequence[ListenerProfile], result: SyncResult
) -> list[tuple[Path, ListenerProfile]]:
    """Each family folder on the stick with the profile it names (by id, or the profile's
    `usb_folder`, in any case); folders naming nobody, or a listener without consent, are
    noted and left alone."""
    names: dict[str, ListenerProfile] = {}
    for profile in profiles:
        names[profile.id.casefold()] = profile
        folder_name = profile.usb_folder
        if folder_name:
            names[folder_name.casefold()] = profile
    found = []
    for entry in sorted(attune.iterdir()):
        if entry.name.startswith(".") or entry.is_symlink() or not entry.is_dir():
            continue
        if entry.name.casefold() == REPORTS_FOLDER:
            continue
        profile = names.get(entry.name.casefold())
        if profile is None:
            result.unknown_folders.append(entry.name)
        elif not profile.keeps_data:
            result.no_consent_folders.append(entry.name)
        else:
            found.append((entry, profile))
    return found


def _import_music(
    library: Library, folder: Path, listener_id: str, hook: Hook | None, result: SyncResult
) -> None:
    """New files only: a file whose content the listener's library already holds is not even
    copied (no needless writes to the SD card)."""
    outcome = MusicOutcome(folder.name, listener_id)
    result.music.append(outcome)
    known = {t.sha256 for t in library.tracks(listener_id, include_avoided=True)}
    for candidate in candidates(folder):
        shown = str(candidate.path.relative_to(folder))
        if candidate.read_from is None:
            outcome.refused.append((shown, candidate.refused or "refused"))
            continue
        if hook is not None:
            hook(candidate.path)
        try:
            digest = file_digest(candidate.read_from)
        except OSError as exc:
            if not still_there(folder):
                raise StickGone(exc.errno, f"the stick went away reading {shown}") from exc
            outcome.refused.append((shown, f"cannot be read ({exc.strerror or exc})"))
            continue
        if digest in known:
            outcome.known.append(shown)
            continue
        report = library.import_path(listener_id, candidate.read_from)
        if report.failed and not still_there(folder):
            raise StickGone(None, f"the stick went away importing {shown}")
        for track in report.imported:
            outcome.added.append(shown)
            known.add(track.sha256)
        outcome.known += [shown for _ in report.already_there]
        outcome.refused += [(shown, why) for _, why in report.failed]


def _name(writer: ReportWriter) -> str:
    return getattr(writer, "__name__", type(writer).__name__)

"""A listener's own music on the device: import, features and tags, and segments to play.

Layout under the state directory (owner-only: files 0600, folders 0700):

    music/<listener id>/<track file>     copies of what the family brought
    music/<listener id>/index.json       features and tags per track (the cache)
    music/_shared/…                      the same, for music every listener may hear

The shared library (SHARED, which no listener id can be: ids start with a letter or digit)
holds what the home offers everyone; `tracks(listener_id)` adds its tracks to the listener's
own, except those whose audio the listener already has.

The sequencer asks `tracks(listener_id)` for what it may choose (tracks tagged avoid are
never offered) and puts `track.recipe_file` in Recipe(source="file", file=…); playback asks
`load_segment(recipe_file, …)` for PCM at the session's rate, loudness-matched to the recipe.

Over 300 lines: the import, the index and the sweep after a crash (recovery.py holds its
mechanics) all read and write the one index under the folder's lock; split, each would need
the others' internals. Walking the source safely is intake.py's; naming, copying and finding
the stored files, library_files.py's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from appliance import vocabulary
from appliance.fsutil import atomic_write_text, ensure_private_dir, fsync_directory
from appliance.music.audiofile import (
    TrackFeatures,
    UnreadableAudio,
    analyse,
    read_segment,
    refusal,
)
from appliance.music.intake import Candidate, candidates, inside
from appliance.music.levels import db_to_gain, fade_edges, limit
from appliance.music.library_files import (
    FILE_MODE,
    INDEX_NAME,
    LibraryError,
    copy_durably,
    free_name,
    match_track,
    state_owner,
)
from appliance.music.recovery import folder_lock, sweep
from appliance.music.tags import Tags, read_tags, sidecar_for

log = logging.getLogger(__name__)

MUSIC_DIR = "music"
SHARED = "_shared"  # the shared library's folder, named like a listener's in recipe files
FEATURES_VERSION = 1  # bump when features change: cached entries are then recomputed
MAX_BOOST_DB = 12.0  # loudness matching never lifts a quiet track (and its hiss) more than this
FILE_FADE_S = 2.0  # a segment cut from a track fades in and out: it starts mid-music
SEGMENT_CEILING_DBFS = -1.0  # as for generated segments; the mixer's master cap comes later


@dataclass(frozen=True)
class Track:
    listener_id: str
    file: str  # name in the listener's folder
    path: Path
    sha256: str
    features: TrackFeatures
    tags: Tags
    original_name: str = ""
    imported_at: str = ""
    pcm_sha256: str = ""  # of the decoded audio; "" for tracks imported before it was kept

    @property
    def recipe_file(self) -> str:
        """What Recipe(source="file", file=…) names this track by."""
        return f"{self.listener_id}/{self.file}"


@dataclass
class ImportReport:
    imported: list[Track] = field(default_factory=list)
    already_there: list[Track] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)  # refused: reported, skipped
    tag_problems: list[str] = field(default_factory=list)
    swept: list[str] = field(default_factory=list)  # an interrupted import's leftovers
    # Files whose audio is already stored under another name: (file, the stored track's file).
    # Their tracks are in already_there too.
    same_audio: list[tuple[Path, str]] = field(default_factory=list)


def check_listener_id(listener_id: str) -> str:
    """The one listener-id check (the store's too), as a LibraryError."""
    try:
        return vocabulary.check_listener_id(listener_id)
    except ValueError as exc:
        raise LibraryError(str(exc)) from None


class Library:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._warned: set[str] = set()
        self._swept: set[str] = set()  # listeners whose folder this library has swept
        self.owner = state_owner(self.root.parent)  # the state directory's owner

    @classmethod
    def in_state_dir(cls, state_dir: Path) -> Library:
        return cls(Path(state_dir) / MUSIC_DIR)

    # -- queries --------------------------------------------------------------------------
    def listeners(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if (p / INDEX_NAME).is_file() and p.name != SHARED
        )

    def tracks(
        self, listener_id: str, *, include_avoided: bool = False, shared: bool = True
    ) -> list[Track]:
        """The listener's tracks with features and tags, by file name, then (with `shared`)
        the shared library's whose audio the listener does not already have."""
        folder = self._open_listener(listener_id)
        entries = self._read_index(folder)
        tracks = [self._track(listener_id, name, entry) for name, entry in sorted(entries.items())]
        if shared and listener_id != SHARED and (self.root / SHARED / INDEX_NAME).is_file():
            own = {t.sha256 for t in tracks} | {t.pcm_sha256 for t in tracks if t.pcm_sha256}
            tracks += [
                t
                for t in self.tracks(SHARED, include_avoided=True)
                if t.sha256 not in own and t.pcm_sha256 not in own
            ]
        return [t for t in tracks if include_avoided or not t.tags.avoid]

    def track(self, recipe_file: str) -> Track:
        """The track a recipe names ("<listener id>/<file>")."""
        listener_id, _, name = str(recipe_file).partition("/")
        entries = self._read_index(self._open_listener(listener_id))
        if not name or "/" in name or name not in entries:
            raise LibraryError(f"no personal track {recipe_file!r} on this device")
        return self._track(listener_id, name, entries[name])

    def load_segment(
        self,
        recipe_file: str,
        seconds: float,
        sample_rate: int,
        loudness_db: float,
        *,
        start_s: float = 0.0,
    ) -> np.ndarray:
        """round(seconds · sample_rate) stereo frames of the track from start_s, at the
        recipe's loudness (the whole track's RMS brought to loudness_db, as generated
        segments are), faded in and out, silence past the track's end."""
        track = self.track(recipe_file)
        pcm = read_segment(track.path, start_s, seconds, sample_rate)
        rms = track.features.rms_dbfs
        if rms is not None:
            pcm *= np.float32(db_to_gain(min(loudness_db - rms, MAX_BOOST_DB)))
        sounding = min(len(pcm), max(0, round((track.features.duration_s - start_s) * sample_rate)))
        fade_edges(pcm[:sounding], round(FILE_FADE_S * sample_rate))
        pcm[sounding:] = 0.0
        return limit(pcm, SEGMENT_CEILING_DBFS, out=pcm)

    # -- import ---------------------------------------------------------------------------
    def import_path(self, listener_id: str, source: Path) -> ImportReport:
        """Copy the audio files at `source` (a file, or a folder searched recursively, never
        out of it through a link) into the listener's store, analyse them and record their
        tags. Leftovers of an interrupted import are swept first."""
        source = Path(source)
        if not source.exists() and not source.is_symlink():
            raise FileNotFoundError(f"{source} does not exist")
        folder = self._make_folder(listener_id)
        root = source if source.is_dir() else source.parent
        report = ImportReport()
        with folder_lock(folder):
            report.swept = self._recover(folder)
            self._swept.add(listener_id)
            for candidate in candidates(source):
                if candidate.read_from is None:
                    report.failed.append((candidate.path, candidate.refused or "refused"))
                else:
                    self._import_one(listener_id, folder, candidate, root, report)
        return report

    def _import_one(
        self, listener_id: str, folder: Path, candidate: Candidate, root: Path, report: ImportReport
    ) -> None:
        path = candidate.path
        tags, problems = Tags(), []
        if (side := sidecar_for(path)) is not None:
            if inside(side, root):
                tags, problems = read_tags(side)
            else:
                problems = [f"{side.name}: a link outside {root}, not read"]
        report.tag_problems.extend(problems)
        entries = self._read_index(folder)
        name = free_name(folder, path.name, entries)
        partial = folder / f".{name}.partial"
        try:
            digest = copy_durably(candidate.read_from, partial, self.owner)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            report.failed.append((path, f"cannot be read ({exc.strerror or exc})"))
            return
        for known, entry in entries.items():
            if entry["sha256"] == digest and entry.get("features_version") == FEATURES_VERSION:
                partial.unlink()
                if side is not None:
                    entry["tags"] = tags.as_dict()
                    self._write_index(folder, entries)
                report.already_there.append(self._track(listener_id, known, entry))
                return
        pcm = hashlib.sha256()
        try:
            # Analyse the copy: what is stored is what was measured.
            features = analyse(partial, path.name, pcm_digest=pcm)
            refused = refusal(features)
        except UnreadableAudio as exc:
            refused = exc.reason
        if refused is not None:
            partial.unlink(missing_ok=True)
            report.failed.append((path, refused))
            return
        # The same music in another file (renamed, retagged, converted losslessly) decodes
        # to the same samples: stored once.
        for known, entry in entries.items():
            if entry.get("pcm_sha256") == pcm.hexdigest():
                partial.unlink()
                report.same_audio.append((path, known))
                report.already_there.append(self._track(listener_id, known, entry))
                return
        # Renamed into place, then indexed: a crash between the two leaves a file the index
        # does not name, which the next sweep removes (recovery.py).
        os.replace(partial, folder / name)
        fsync_directory(folder)
        entries[name] = {
            "sha256": digest,
            "pcm_sha256": pcm.hexdigest(),
            "original_name": path.name,
            "imported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "features_version": FEATURES_VERSION,
            "features": features.as_dict(),
            "tags": tags.as_dict(),
        }
        self._write_index(folder, entries)  # after each file: a pulled USB stick loses nothing
        report.imported.append(self._track(listener_id, name, entries[name]))

    def _recover(self, folder: Path) -> list[str]:
        """Sweep an interrupted import's leftovers (the folder's lock held); their names.
        An index that exists but cannot be read names nothing for sure: then only the
        temporary files go, and the tracks wait for the import that rebuilds it."""
        loaded = self._load_index(folder)
        if loaded is None:
            named = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
            return sweep(folder, named, INDEX_NAME)
        entries, names = loaded
        gone = [name for name in entries if not (folder / name).is_file()]
        if gone:
            for name in gone:
                del entries[name]
                log.warning("%s: %s is indexed but missing; dropped from the index", folder, name)
            self._write_index(folder, entries)
        return sweep(folder, names - set(gone), INDEX_NAME)

    def _open_listener(self, listener_id: str) -> Path:
        """The listener's folder, swept once per library if no import is running."""
        folder = self._folder(listener_id)
        if listener_id not in self._swept and folder.is_dir():
            with folder_lock(folder, wait=False) as locked:
                if locked:
                    self._recover(folder)
                    self._swept.add(listener_id)
        return folder

    # -- removal --------------------------------------------------------------------------
    def remove(self, listener_id: str, track: str) -> Track:
        """Take one track out of the listener's store: `track` is its file in the store (as
        `attune music list` shows it) or its title (the imported file's name, with or without
        its extension; any case). LibraryError when nothing or several tracks match.

        The index forgets the track first (atomically), then the file goes: a crash between
        leaves a file the index does not name, which the next sweep deletes."""
        folder = self._folder(listener_id)
        if not (folder / INDEX_NAME).is_file():
            who = "the shared library" if listener_id == SHARED else listener_id
            raise LibraryError(f"{who} has no personal music on this device")
        with folder_lock(folder):
            self._recover(folder)
            entries = self._read_index(folder)
            name = match_track(track, entries, listener_id)
            removed = self._track(listener_id, name, entries.pop(name))
            self._write_index(folder, entries)
            (folder / name).unlink(missing_ok=True)
            fsync_directory(folder)
        return removed

    # -- erasure --------------------------------------------------------------------------
    def forget(self, listener_id: str) -> tuple[int, int]:
        """Delete the listener's folder: every copied track, sidecar and the index. Returns
        (tracks the index listed, files deleted)."""
        folder = self._folder(listener_id)
        if not folder.is_dir():
            return 0, 0
        tracks = len(self._read_index(folder))
        files = sum(1 for p in folder.rglob("*") if p.is_file() or p.is_symlink())
        shutil.rmtree(folder)
        return tracks, files

    # -- internals ------------------------------------------------------------------------
    def _folder(self, listener_id: str) -> Path:
        if listener_id == SHARED:
            return self.root / SHARED
        return self.root / check_listener_id(listener_id)

    def _make_folder(self, listener_id: str) -> Path:
        """The listener's folder, created owner-only (and handed to the service's user)."""
        folder = ensure_private_dir(self._folder(listener_id))
        if self.owner is not None:
            # Also mends what an earlier import as root left root-owned.
            for path in (self.root, folder, *folder.iterdir()):
                info = path.lstat()
                if (info.st_uid, info.st_gid) != self.owner:
                    os.lchown(path, *self.owner)
        return folder

    def _read_index(self, folder: Path) -> dict[str, dict]:
        """The index's entries; an unreadable index counts as empty (the session then plays
        generated music), said once per file, and the next import rebuilds it."""
        loaded = self._load_index(folder)
        return {} if loaded is None else loaded[0]

    def _load_index(self, folder: Path) -> tuple[dict[str, dict], set[str]] | None:
        """(usable entries, every name the index lists), or None when it cannot be read."""
        path = folder / INDEX_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            tracks = data["tracks"] if isinstance(data, dict) and "tracks" in data else {}
            if not isinstance(tracks, dict):
                raise ValueError(f"'tracks' is a {type(tracks).__name__}, not a mapping")
            usable = {name: e for name, e in tracks.items() if self._usable(path, name, e)}
            return usable, {str(name) for name in tracks}
        except FileNotFoundError:
            return {}, set()
        except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError too
            self._warn(
                path,
                f"{path} cannot be read ({exc}); its tracks are skipped until the music is "
                f"imported again (attune music import --listener {path.parent.name} PATH)",
            )
            return None

    def _usable(self, path: Path, name: str, entry: object) -> bool:
        try:
            self._track(path.parent.name, name, entry)  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self._warn(path, f"{path}: track {name!r} is skipped, its entry is damaged ({exc!r})")
            return False
        return True

    def _warn(self, path: Path, message: str) -> None:
        # Read at every decision: one warning per damaged index, not one per segment.
        if message not in self._warned:
            self._warned.add(message)
            log.warning("%s", message)

    def _write_index(self, folder: Path, entries: dict[str, dict]) -> None:
        text = json.dumps({"version": 1, "tracks": entries}, indent=1, sort_keys=True)
        atomic_write_text(folder / INDEX_NAME, text + "\n", FILE_MODE, owner=self.owner)

    def _track(self, listener_id: str, name: str, entry: dict) -> Track:
        return Track(
            listener_id=listener_id,
            file=name,
            path=self._folder(listener_id) / name,
            sha256=entry["sha256"],
            features=TrackFeatures.from_dict(entry["features"]),
            tags=Tags.from_dict(entry.get("tags", {})),
            original_name=entry.get("original_name", name),
            imported_at=entry.get("imported_at", ""),
            pcm_sha256=entry.get("pcm_sha256", ""),
        )

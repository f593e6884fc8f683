"""A plugged stick end to end on a real FAT image (mkfs.vfat, mounted through fusefat): reports
for consenting listeners only, the family's new music imported through the library, a log on
the stick, nothing else on it touched, and a stick pulled mid-copy or mid-import."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from appliance.cli import main as attune
from appliance.listeners import load_listeners
from appliance.music.audiofile import MIN_DURATION_S
from appliance.music.library import Library
from appliance.store.db import Store
from appliance.usb.reports import report_writers
from appliance.usb.spool import Spool
from appliance.usb.stick import PARTIAL_SUFFIX
from appliance.usb.sync import sync_stick
from tests.appliance.usb.fatstick import ExfatStick, FatStick, needs_exfat, needs_fuse

pytestmark = needs_fuse
RATE = 22050
WRITERS = report_writers(UTC, "UTC")
REPORTS = [  # what the stick gets for a consenting listener with one finished session
    "L-0001-trend.pdf",
    "L-0001-trend.png",
    "listener-L-0001-outcomes.csv",
    "listener-L-0001-outcomes.fhir.json",
    "session-1-decisions.csv",
    "session-1-physiology.csv",
    "session-1-report.png",
]
SONG_S = MIN_DURATION_S + 2  # long enough for the library, whatever its minimum
START = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
PROFILES = {
    "L-0001.yaml": "id: L-0001\ngoal: relax\nusb_folder: Margaret\n"
    "consent:\n  given: true\n  date: 2026-01-05\n",
    "L-0002.yaml": "id: L-0002\ngoal: relax\nconsent:\n  given: false\n",  # nothing kept
}


def music(seconds: float, bpm: float = 72.0, level: float = 0.4, tone: float = 660.0):
    t = np.arange(round(seconds * RATE)) / RATE
    pluck = np.sin(2 * np.pi * tone * t) * np.exp(-(t % (60.0 / bpm)) * 12)
    chord = sum(0.05 * np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
    return (level * (chord + 0.5 * pluck)).astype(np.float32)


def write_audio(path: Path, pcm: np.ndarray) -> None:
    """Encoded on the device, then copied as a family's computer does (in one pass: fusefat
    mishandles libsndfile's seek-back header rewrite)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as here:
        local = Path(here) / path.name
        sf.write(str(local), pcm, RATE)
        shutil.copyfile(local, path)


@pytest.fixture
def device(tmp_path: Path) -> dict[str, Path]:
    """A device's state folder with sessions of a consenting, a non-consenting and an
    anonymous listener, its profiles and a config naming both."""
    state, listeners = tmp_path / "state", tmp_path / "listeners"
    listeners.mkdir()
    for name, text in PROFILES.items():
        (listeners / name).write_text(text)
    with Store(state / "attune.db") as store:
        for who, consent in (("L-0001", True), ("L-0002", False), (None, False)):
            sid = store.start_session(who, "relax", 1200, START, consent=consent)
            store.end_session(sid, "completed", 1200.0, {})
        store.start_session("L-0001", "relax", 1200, START, consent=True)  # still running
    config = tmp_path / "attune.yaml"
    config.write_text(
        f"device:\n  state_dir: {state}\n  timezone: Europe/Berlin\n"
        f"listeners:\n  dir: {listeners}\n"
    )
    return {"state": state, "listeners": listeners, "config": config}


@pytest.fixture
def stick(tmp_path: Path):
    made = FatStick(tmp_path / "stick.img", tmp_path / "mnt")
    root = made.plug()
    (root / "Holiday").mkdir()
    (root / "Holiday" / "photo.jpg").write_bytes(os.urandom(5000))
    (root / "notes.txt").write_text("shopping list")
    family = root / "Attune" / "Margaret"
    write_audio(family / "Moon River.flac", music(SONG_S))
    write_audio(family / "Same again.flac", music(SONG_S))  # the same audio under another name
    write_audio(family / "Too short.wav", music(2))
    (family / "Broken.mp3").write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x10" + b"\xff\x00" * 4000)
    (family / "cover.jpg").write_bytes(os.urandom(300))
    write_audio(root / "Attune" / "l-0002" / "Hymn.ogg", music(SONG_S, bpm=60, tone=440))
    write_audio(root / "Attune" / "Stranger" / "Song.flac", music(SONG_S, tone=550))
    yield made
    made.close()


def tree(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Every file under root (but `skip`ped prefixes) and its SHA-256."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not rel.startswith(skip):
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


OURS = ("Attune/reports", "Attune/attune-log.txt")


def test_plug_copies_consented_reports_imports_new_music_and_touches_nothing_else(
    device, stick
) -> None:
    root = stick.mount
    before = tree(root)

    assert attune(["--config", str(device["config"]), "usb", "sync", "--mount", str(root)]) == 0

    assert tree(root, OURS) == before  # the family's files, the photos, the notes: untouched
    reports = root / "Attune" / "reports"
    assert sorted(p.name for p in reports.iterdir()) == ["L-0001"]  # no consent, no report
    # The trend report and the session exports; finished sessions only (session 4 runs).
    assert sorted(p.name for p in (reports / "L-0001").iterdir()) == REPORTS
    assert not [p for p in root.rglob(f"*{PARTIAL_SUFFIX}")]

    library = Library.in_state_dir(device["state"])
    margaret = library.tracks("L-0001", include_avoided=True)
    assert [t.original_name for t in margaret] == ["Moon River.flac"]  # the duplicate: once
    # No consent, nothing kept under their id: not their music either.
    assert library.listeners() == ["L-0001"]

    text = (root / "Attune" / "attune-log.txt").read_text()
    assert "added: Moon River.flac" in text
    assert re.search(r"\((CET|CEST)\): USB stick plugged in", text)  # the care home's clock
    assert "already on the device: Same again.flac" in text
    assert "NOT added: Broken.mp3:" in text
    assert "NOT added: Too short.wav: too short" in text
    assert "Folder Attune/Stranger: no resident" in text
    assert "Folder Attune/l-0002: this resident's profile records no consent" in text

    notices = Spool(device["state"]).take_notices()
    assert len(notices) == 1 and notices[0].ok
    said = notices[0].prompts
    assert ("usb_reports", {"residents": "1"}) in said
    assert ("usb_music", {"songs": "1", "who": "Margaret"}) in said
    assert ("usb_music_refused", {"unreadable": "2"}) in said
    assert said[-1] == ("usb_done", {})
    assert not list((device["state"] / "usb").glob("busy-*"))

    # The second plug: new files only, reports already there, the log grows by a section.
    session_png = (reports / "L-0001" / "session-1-report.png").read_bytes()
    index = (device["state"] / "music" / "L-0001" / "index.json").read_bytes()
    assert attune(["--config", str(device["config"]), "usb", "sync", "--mount", str(root)]) == 0
    assert (device["state"] / "music" / "L-0001" / "index.json").read_bytes() == index
    again = (root / "Attune" / "attune-log.txt").read_text()
    assert again.startswith(text) and again.count("USB stick plugged in") == 2
    # Only the trend page, which carries the time it was drawn, is copied again; the session's
    # report PNG on the stick is not even drawn again.
    copied, same = map(int, re.findall(r"L-0001: (\d+) file\(s\) copied, (\d+) already", again)[-1])
    assert copied + same == len(REPORTS) - 1 and copied <= 2
    assert (reports / "L-0001" / "session-1-report.png").read_bytes() == session_png
    said = Spool(device["state"]).take_notices()[0].prompts
    assert ("usb_music", {"songs": "0", "who": "Margaret"}) in said
    assert ("usb_music_refused", {"unreadable": "2"}) in said


def test_a_stick_without_an_attune_folder_is_not_touched(device, tmp_path) -> None:
    stick = FatStick(tmp_path / "other.img", tmp_path / "other")
    root = stick.plug()
    try:
        (root / "Music").mkdir()
        write_audio(root / "Music" / "L-0001" / "a.flac", music(SONG_S))
        before = tree(root)
        assert attune(["--config", str(device["config"]), "usb", "sync", "--mount", str(root)]) == 0
        assert tree(root) == before
        assert sorted(p.name for p in root.iterdir()) == ["Music"]
        assert Spool(device["state"]).take_notices()[0].prompts == (("usb_no_folder", {}),)
        assert Library.in_state_dir(device["state"]).listeners() == []
    finally:
        stick.close()


def _sync(device: dict[str, Path], root: Path, hook=None, writers=WRITERS):
    profiles, problems = load_listeners(device["listeners"])
    assert not problems
    with Store(device["state"] / "attune.db", read_only=True) as store:
        return sync_stick(
            root,
            profiles=profiles,
            store=store,
            library=Library.in_state_dir(device["state"]),
            writers=writers,
            staging=device["state"] / "usb" / "staging",
            hook=hook,
        )


def test_pulled_mid_copy_leaves_no_half_file_and_the_next_plug_finishes(device, stick) -> None:
    root = stick.mount
    for family in ("Margaret", "l-0002", "Stranger"):  # reports only, here
        shutil.rmtree(root / "Attune" / family)
    written: list[Path] = []

    def pull_on_the_second_file(path: Path) -> None:
        if path.suffix in (".csv", ".png", ".pdf", ".json"):
            written.append(path)
            if len(written) == 2:
                stick.pull()

    result = _sync(device, root, pull_on_the_second_file)
    assert result.pulled and len(written) == 2
    assert not list((device["state"] / "usb" / "staging").iterdir())  # nothing left behind

    stick.repair()
    stick.plug()
    reports = root / "Attune" / "reports" / "L-0001"
    landed = sorted(p for p in reports.rglob("*") if p.is_file() and not p.name.startswith("."))
    assert len(landed) == 1  # the first file, renamed into place before the pull
    first = _sync(device, root)
    written_now, unchanged = first.reports["L-0001"]
    assert not first.pulled and written_now + unchanged == len(REPORTS) and unchanged <= 1
    # Every file under its real name is whole: the same bytes a fresh export writes.
    fresh = device["state"].parent / "fresh"
    with Store(device["state"] / "attune.db", read_only=True) as store:
        WRITERS[1](store, "L-0001", fresh)  # the session exports (the trend page shows a time)
    assert sorted(p.name for p in reports.rglob("*") if p.is_file()) == REPORTS
    for path in fresh.glob("*.csv"):
        assert (reports / path.name).read_bytes() == path.read_bytes()
    assert not list(root.rglob(f"*{PARTIAL_SUFFIX}"))


def test_pulled_mid_import_leaves_the_library_consistent_and_the_next_plug_finishes(
    device, stick
) -> None:
    root = stick.mount
    family = root / "Attune" / "Margaret"
    write_audio(
        family / "Long song.wav", music(SONG_S + 20, tone=500)
    )  # over 1 MB: the copy takes a while
    library_folder = device["state"] / "music" / "L-0001"

    whole = (family / "Long song.wav").stat().st_size

    def pull_while_the_library_copies() -> None:
        # The library copies each file under a temporary name (and analyses it there): pull
        # while that copy is still short of the whole file.
        while not stick_pulled.is_set():
            if not library_folder.is_dir():
                continue
            for partial in library_folder.glob(".Long song*"):
                try:
                    short = partial.stat().st_size < whole
                except FileNotFoundError:
                    continue
                if short:
                    stick.pull()
                    pulled_mid_copy.append(True)
                    stick_pulled.set()
                    return
            time.sleep(0.0005)

    stick_pulled = threading.Event()
    pulled_mid_copy: list[bool] = []

    def start_watching(path: Path) -> None:
        if path.name == "Long song.wav" and not watcher.is_alive():
            watcher.start()

    watcher = threading.Thread(target=pull_while_the_library_copies, daemon=True)
    result = _sync(device, root, start_watching, writers=())
    stick_pulled.set()
    watcher.join(timeout=5)
    assert result.pulled and pulled_mid_copy  # pulled while the library was copying the file

    library = Library.in_state_dir(device["state"])
    tracks = library.tracks("L-0001", include_avoided=True)
    on_disk = sorted(p.name for p in library_folder.iterdir() if p.name != "index.json")
    assert on_disk == sorted(t.file for t in tracks)  # no partial, no file the index misses
    for track in tracks:
        assert hashlib.sha256(track.path.read_bytes()).hexdigest() == track.sha256
    assert "Long song.wav" not in [t.original_name for t in tracks]

    stick.repair()
    stick.plug()
    again = _sync(device, root, writers=())
    assert not again.pulled
    names = sorted(t.original_name for t in library.tracks("L-0001", include_avoided=True))
    assert names == ["Long song.wav", "Moon River.flac"]
    index = json.loads((library_folder / "index.json").read_text())["tracks"]
    assert len(index) == 2


def test_the_unit_stopping_the_handler_when_the_stick_goes_says_so_and_loses_nothing(
    device, stick
) -> None:
    """systemd stops attune-usb@ with SIGTERM when the stick's device goes (BindsTo=)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    command = [sys.executable, "-m", "appliance.cli", "--config", str(device["config"])]
    handler = subprocess.Popen(
        [*command, "usb", "sync", "--mount", str(stick.mount)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    spool = Spool(device["state"])
    deadline = time.monotonic() + 30
    while not spool.busy():
        assert handler.poll() is None and time.monotonic() < deadline, handler.communicate()
        time.sleep(0.01)
    handler.send_signal(signal.SIGTERM)
    out, err = handler.communicate(timeout=30)
    assert handler.returncode == 0, err
    assert b"plug it in again" in out
    assert spool.take_notices()[0].prompts[-1] == ("usb_pulled", {})
    assert not spool.busy() and not list(spool.folder.glob("busy-*"))
    staging = device["state"] / "usb" / "staging"
    assert not staging.exists() or not list(staging.iterdir())
    folder = device["state"] / "music" / "L-0001"
    library = Library.in_state_dir(device["state"])
    tracks = library.tracks("L-0001", include_avoided=True)  # sweeps a half-copied track
    if folder.is_dir():
        on_disk = sorted(p.name for p in folder.iterdir() if p.name != "index.json")
        assert on_disk == sorted(t.file for t in tracks)


def test_a_full_stick_is_said_to_have_failed_and_keeps_no_half_file(device, tmp_path) -> None:
    stick = FatStick(tmp_path / "small.img", tmp_path / "small", size_mb=2)
    root = stick.plug()
    try:
        (root / "Attune").mkdir()
        free = os.statvfs(root).f_bavail * os.statvfs(root).f_frsize
        (root / "filler.bin").write_bytes(b"\0" * (free - 20_000))  # room for the CSVs only
        before = tree(root)
        assert attune(["--config", str(device["config"]), "usb", "sync", "--mount", str(root)]) == 1
        assert tree(root, OURS) == before
        assert not list(root.rglob(f"*{PARTIAL_SUFFIX}"))
        notice = Spool(device["state"]).take_notices()[0]
        assert not notice.ok and notice.prompts[-1] == ("usb_failed", {})
    finally:
        stick.close()


@needs_exfat
def test_an_exfat_stick_gets_its_reports_and_gives_its_music(device, tmp_path) -> None:
    stick = ExfatStick(tmp_path / "exfat.img", tmp_path / "exfat")
    root = stick.plug()
    try:
        # The id in any case works as the family's folder name, as `Attune` does.
        write_audio(root / "attune" / "l-0001" / "Moon River.flac", music(SONG_S))
        (root / "Photos").mkdir()
        (root / "Photos" / "a.jpg").write_bytes(os.urandom(2000))
        before = tree(root)
        assert attune(["--config", str(device["config"]), "usb", "sync", "--mount", str(root)]) == 0
        assert tree(root, ("attune/reports", "attune/attune-log.txt")) == before
        assert sorted(p.name for p in (root / "attune" / "reports" / "L-0001").iterdir()) == REPORTS
        library = Library.in_state_dir(device["state"])
        assert [t.original_name for t in library.tracks("L-0001")] == ["Moon River.flac"]
        assert "added: Moon River.flac" in (root / "attune" / "attune-log.txt").read_text()
    finally:
        stick.close()

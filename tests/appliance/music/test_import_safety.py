"""The import on real files and real links: it never reads through a link out of the folder
it was given, and a kill -9 at any moment leaves a library that opens clean."""

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from appliance.music.library import INDEX_NAME, Library

RATE = 8000
ROOT = Path(__file__).resolve().parents[3]


def song(path: Path, seconds: float = 30.5, hz: float = 330.0) -> Path:
    """A 16-bit mono WAV (the wave module) with a beat, long and loud enough to import."""
    t = np.arange(round(seconds * RATE)) / RATE
    mono = 0.3 * np.sin(2 * np.pi * hz * t) * (0.6 + 0.4 * np.cos(2 * np.pi * 1.5 * t))
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(RATE)
        f.writeframes((mono * 32767).astype("<i2").tobytes())
    return path


def assert_opens_clean(library: Library, listener: str) -> list[str]:
    """Open the listener's music as a session would; every indexed file exists with the
    content the index recorded, every file is indexed, nothing temporary is left."""
    tracks = library.tracks(listener, include_avoided=True)
    folder = library.root / listener
    present = sorted(os.listdir(folder)) if folder.is_dir() else []
    indexed = sorted(t.file for t in tracks)
    assert sorted(set(present) - {INDEX_NAME}) == indexed, present
    for track in tracks:
        assert hashlib.sha256(track.path.read_bytes()).hexdigest() == track.sha256
    if indexed:
        names = json.loads((folder / INDEX_NAME).read_text())["tracks"]
        assert sorted(names) == indexed
    return indexed


def test_links_out_of_the_folder_are_refused_and_links_inside_are_read(tmp_path):
    library = Library(tmp_path / "state" / "music")
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret\n")
    other = library.root / "bob"
    other.mkdir(parents=True)
    song(other / "Bobs.wav", hz=440.0)
    outside_music = tmp_path / "elsewhere"
    outside_music.mkdir()
    song(outside_music / "Far.wav", hz=550.0)
    usb = tmp_path / "usb"
    (usb / "Album").mkdir(parents=True)
    song(usb / "Album" / "Mine.wav")
    (usb / "Shadow.wav").symlink_to(secret)
    (usb / "Bobs.wav").symlink_to(other / "Bobs.wav")
    (usb / "Relative.wav").symlink_to("../elsewhere/Far.wav")
    (usb / "Again.wav").symlink_to("Album/Mine.wav")  # stays inside: read as that file
    (usb / "Linked folder").symlink_to(outside_music, target_is_directory=True)
    (usb / "Album" / "Mine.yaml").symlink_to(secret)  # a sidecar pointing out: not read
    report = library.import_path("ann", usb)
    refused = {p.name: reason for p, reason in report.failed}
    assert set(refused) == {"Shadow.wav", "Bobs.wav", "Relative.wav", "Linked folder"}
    assert all("not followed" in reason for reason in refused.values())
    # The link inside and the file it names are one track.
    assert len(report.imported) == 1 and report.already_there == report.imported
    assert any("Mine.yaml" in p and "not read" in p for p in report.tag_problems)
    assert not any("secret" in p for p in report.tag_problems)
    assert assert_opens_clean(library, "ann") == [report.imported[0].file]
    # One file named directly: a link out of its folder is refused as well.
    direct = library.import_path("ann", usb / "Shadow.wav")
    assert [p.name for p, _ in direct.failed] == ["Shadow.wav"] and not direct.imported


def test_leftovers_of_an_interrupted_import_are_swept_when_the_library_opens(tmp_path):
    library = Library(tmp_path / "music")
    usb = tmp_path / "usb"
    usb.mkdir()
    song(usb / "One.wav")
    library.import_path("ann", usb)
    folder = library.root / "ann"
    (folder / ".Two.wav.partial").write_bytes(b"RIFF half a copy")
    song(folder / "Two.wav")  # renamed into place, killed before the index named it
    (folder / ".index.json.x1y2.tmp").write_text("{")
    assert assert_opens_clean(Library(library.root), "ann") == ["One.wav"]
    # An indexed file that has gone is dropped from the index.
    (folder / "One.wav").unlink()
    assert assert_opens_clean(Library(library.root), "ann") == []


def test_an_unreadable_index_keeps_the_tracks_and_drops_only_temporaries(tmp_path):
    library = Library(tmp_path / "music")
    usb = tmp_path / "usb"
    usb.mkdir()
    song(usb / "One.wav")
    library.import_path("ann", usb)
    folder = library.root / "ann"
    (folder / INDEX_NAME).write_text("{ not json")
    (folder / ".Two.wav.partial").write_bytes(b"RIFF")
    assert Library(library.root).tracks("ann") == []
    assert sorted(os.listdir(folder)) == ["One.wav", INDEX_NAME]


KILLED_IMPORT = """
import sys
from appliance.music.library import Library
library = Library(sys.argv[1])
print("ready", flush=True)
library.import_path(sys.argv[2], sys.argv[3])
print("done", flush=True)
"""


@pytest.mark.slow
def test_an_import_killed_at_random_moments_leaves_a_library_that_opens_clean(tmp_path):
    usb = tmp_path / "usb"
    usb.mkdir()
    for number in range(5):
        song(usb / f"Song {number}.wav", hz=220.0 + 55 * number)
    root = tmp_path / "music"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def start(listener: str) -> subprocess.Popen:
        command = [sys.executable, "-c", KILLED_IMPORT, str(root), listener, str(usb)]
        child = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, text=True)
        assert child.stdout.readline().strip() == "ready"
        return child

    # How long a whole import takes on this machine, so the kills fall inside it.
    child, began = start("whole"), time.monotonic()
    assert child.stdout.readline().strip() == "done"
    whole_s = time.monotonic() - began
    child.wait()
    rng = random.Random(20261203)
    # 200 more, forked rather than started, run in `make bench` (bench/bench_kills.py).
    attempts, finished, swept, kept = 15, 0, 0, []
    for attempt in range(attempts):
        listener = f"L-{attempt:03d}"
        if attempt % 5 == 4:  # now and then, kill an import over a half-filled folder
            Library(root).import_path(listener, usb / "Song 0.wav")
        child = start(listener)
        time.sleep(rng.uniform(0.0, whole_s))
        child.send_signal(signal.SIGKILL)
        finished += child.stdout.read().strip() == "done"
        child.wait()
        folder = root / listener
        before = set(os.listdir(folder)) if folder.is_dir() else set()
        kept.append(len(assert_opens_clean(Library(root), listener)))
        swept += len(before - set(os.listdir(folder) if folder.is_dir() else [])) > 0
    print(
        f"\n{attempts} kills over a {whole_s:.2f} s import: {finished} after it ended, "
        f"{swept} left leftovers that were swept; tracks kept {kept}"
    )
    assert finished < attempts / 2  # most kills landed mid-import

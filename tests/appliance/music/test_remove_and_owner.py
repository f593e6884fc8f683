"""`attune music remove`, and an import run as root (sudo) that leaves the service's user
able to read everything it wrote."""

import os
import shutil
import stat
import tempfile
import traceback
from pathlib import Path

import pytest

from appliance.cli import main as attune
from appliance.music.library import INDEX_NAME, Library
from tests.appliance.music.test_import_safety import assert_opens_clean, song

SERVICE_UID = SERVICE_GID = 65534  # 'nobody': stands in for the service's user `attune`


@pytest.fixture
def stocked(tmp_path):
    """A state dir with three of ann's tracks, two of them titled alike."""
    stick = tmp_path / "usb"
    (stick / "b").mkdir(parents=True)
    song(stick / "Moon River.wav", hz=330.0)
    song(stick / "Waltz.wav", hz=392.0)
    song(stick / "b" / "Waltz.wav", hz=440.0)  # stored as Waltz-2.wav
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {tmp_path / 'state'}\n")
    assert (
        attune(["--config", str(config), "music", "import", "--listener", "ann", str(stick)]) == 0
    )
    return config, Library.in_state_dir(tmp_path / "state")


def music(config: Path, *args: str) -> int:
    return attune(["--config", str(config), "music", *args])


def test_remove_by_title_or_file_and_refuse_what_is_unknown_or_ambiguous(stocked, capsys):
    config, library = stocked
    capsys.readouterr()
    assert sorted(t.file for t in library.tracks("ann")) == [
        "Moon River.wav",
        "Waltz-2.wav",
        "Waltz.wav",
    ]
    assert music(config, "remove", "--listener", "ann", "moon river") == 0
    out, _ = capsys.readouterr()
    assert "removed    Moon River.wav" in out and "ann has 2 tracks" in out
    # Two tracks were imported as Waltz.wav: the title alone does not say which.
    assert music(config, "remove", "--listener", "ann", "Waltz") == 2
    _, err = capsys.readouterr()
    assert "matches 2" in err and "Waltz-2.wav" in err and "Traceback" not in err
    assert music(config, "remove", "--listener", "ann", "Waltz-2.wav", "Nocturne") == 2
    out, err = capsys.readouterr()
    assert "removed    Waltz-2.wav" in out and "no track 'Nocturne' (tracks: Waltz.wav)" in err
    assert assert_opens_clean(Library(library.root), "ann") == ["Waltz.wav"]
    assert music(config, "remove", "--listener", "bob", "Waltz") == 2
    assert "bob has no personal music" in capsys.readouterr()[1]


def test_a_remove_cut_short_after_the_index_leaves_a_library_that_opens_clean(stocked):
    _, library = stocked
    folder = library.root / "ann"
    # What a power cut between the index write and the unlink leaves: a file not indexed.
    entries = library._read_index(folder)
    del entries["Waltz.wav"]
    library._write_index(folder, entries)
    assert (folder / "Waltz.wav").exists()
    assert assert_opens_clean(Library(library.root), "ann") == ["Moon River.wav", "Waltz-2.wav"]
    assert not (folder / "Waltz.wav").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root (as sudo attune … is)")
def test_an_import_as_root_hands_the_files_to_the_state_dirs_owner(tmp_path):
    # Like /var/lib/attune: a path the service's user can reach (pytest's is root's only).
    reachable = Path(tempfile.mkdtemp(prefix="attune-owner-"))
    try:
        reachable.chmod(0o755)
        _import_as_root(tmp_path, reachable / "state")
    finally:
        shutil.rmtree(reachable)


def _import_as_root(tmp_path: Path, state: Path) -> None:
    state.mkdir(mode=0o700)
    os.chown(state, SERVICE_UID, SERVICE_GID)
    # An earlier import as root (before this fix) left a root-owned track behind.
    old = state / "music" / "ann"
    old.mkdir(parents=True)
    for folder in (old, old.parent):
        folder.chmod(0o700)
    song(old / "Old.wav")
    stick = tmp_path / "usb"
    stick.mkdir()
    song(stick / "Hymn.wav")
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {state}\n")
    assert (
        attune(["--config", str(config), "music", "import", "--listener", "ann", str(stick)]) == 0
    )
    for path in [state / "music", *(state / "music").rglob("*")]:
        info = path.lstat()
        assert (info.st_uid, info.st_gid) == (SERVICE_UID, SERVICE_GID), path
        assert stat.S_IMODE(info.st_mode) & 0o077 == 0, path  # still owner-only
    assert not (old / "Old.wav").exists()  # never indexed: swept, as after a crash
    # The service's user reads the index and plays the track (in a child that drops root).
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(SERVICE_GID)
            os.setuid(SERVICE_UID)
            library = Library.in_state_dir(state)
            tracks = library.tracks("ann")
            pcm = library.load_segment("ann/Hymn.wav", 2.0, 8000, -20.0, start_s=5.0)
            os._exit(0 if [t.file for t in tracks] == ["Hymn.wav"] and pcm.any() else 1)
        except BaseException:
            traceback.print_exc()
            os._exit(2)
    assert os.waitpid(pid, 0)[1] == 0
    # Removing as root writes the index the same way.
    assert attune(["--config", str(config), "music", "remove", "--listener", "ann", "Hymn"]) == 0
    assert (state / "music" / "ann" / INDEX_NAME).stat().st_uid == SERVICE_UID


def test_the_shared_library_is_offered_to_every_listener_and_managed_like_one(stocked, capsys):
    config, library = stocked
    home = library.root.parent.parent / "home"
    home.mkdir()
    song(home / "Common.wav", hz=494.0)
    song(home / "Moon River.wav", hz=330.0)  # the very audio ann already has
    assert music(config, "import", "--shared", str(home)) == 0
    assert "the shared library has 2 tracks" in capsys.readouterr()[0]
    assert Library(library.root).listeners() == ["ann"]  # never taken for a listener
    ann = [t.recipe_file for t in Library(library.root).tracks("ann")]
    assert ann == ["ann/Moon River.wav", "ann/Waltz-2.wav", "ann/Waltz.wav", "_shared/Common.wav"]
    bob = [t.recipe_file for t in Library(library.root).tracks("bob")]
    assert bob == ["_shared/Common.wav", "_shared/Moon River.wav"]
    pcm = Library(library.root).load_segment("_shared/Common.wav", 2.0, 8000, -20.0, start_s=3.0)
    assert pcm.any()
    assert music(config, "list", "--listener", "bob") == 0
    assert "Common.wav" in (out := capsys.readouterr()[0]) and "(shared)" in out
    assert music(config, "remove", "--shared", "common") == 0
    assert "the shared library has 1 tracks" in capsys.readouterr()[0]
    assert [t.file for t in Library(library.root).tracks("bob")] == ["Moon River.wav"]
    with pytest.raises(SystemExit) as exit_:  # one or the other, as argparse says
        music(config, "list", "--listener", "ann", "--shared")
    assert exit_.value.code == 2
    assert "not allowed with argument --listener" in capsys.readouterr()[1]

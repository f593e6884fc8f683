"""Atomic state-file writes: a reader sees the old file or the new one, never a mix."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from appliance import fsutil
from appliance.fsutil import atomic_write_bytes, atomic_write_text


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_writes_new_file_with_mode_0600(tmp_path: Path) -> None:
    target = tmp_path / "bandit.json"
    old_umask = os.umask(0o000)  # the mode must not depend on the umask
    try:
        atomic_write_text(target, '{"arms": 3}\n')
    finally:
        os.umask(old_umask)
    assert target.read_text() == '{"arms": 3}\n'
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert _leftovers(tmp_path) == []


def test_replaces_existing_content_and_applies_requested_mode(tmp_path: Path) -> None:
    target = tmp_path / "state.txt"
    target.write_text("old")
    target.chmod(0o666)
    atomic_write_text(target, "new", mode=0o640)
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_failure_while_writing_keeps_old_content(tmp_path: Path) -> None:
    target = tmp_path / "state.txt"
    target.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "half \ud800 written")  # a lone surrogate cannot be encoded
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_failure_before_replace_keeps_old_content_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "state.txt"
    target.write_text("old")
    seen: list[str] = []

    def failing_replace(source: str, destination: os.PathLike) -> None:
        seen.append(Path(source).read_text())  # the new content was complete and synced
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fsutil.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_text(target, "new")
    assert seen == ["new"]
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_temporary_file_lives_beside_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Same directory = same filesystem, so os.replace is an atomic rename.
    real_replace = os.replace
    sources: list[Path] = []

    def recording_replace(source, destination) -> None:
        sources.append(Path(source))
        real_replace(source, destination)

    monkeypatch.setattr(fsutil.os, "replace", recording_replace)
    atomic_write_bytes(tmp_path / "x.bin", b"\x00\x01")
    assert sources[0].parent == tmp_path
    assert (tmp_path / "x.bin").read_bytes() == b"\x00\x01"


def test_missing_directory_is_an_error_not_a_stray_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write_text(tmp_path / "absent" / "state.txt", "x")


def test_the_temporaries_of_a_writer_killed_mid_write_are_swept_and_nothing_else(tmp_path):
    from appliance.fsutil import atomic_write_text, sweep_temporaries

    target = tmp_path / "status.json"
    atomic_write_text(target, "{}")
    left = tmp_path / ".status.json.q8j1y69p.tmp"  # what a SIGKILL between write and rename leaves
    left.write_text("{")
    others = [tmp_path / ".other.json.abc.tmp", tmp_path / "status.json.tmp", tmp_path / "x.tmp"]
    for other in others:
        other.write_text("keep")
    assert sweep_temporaries(target) == [left]
    assert not left.exists()
    assert target.read_text() == "{}" and all(other.exists() for other in others)

"""A state folder on a real, full file system: a small ext4 image mounted over the state folder
and filled to the last block, so SQLite and the service meet the ENOSPC a full SD card gives.

Needs root and loop devices (CI has both); skipped with the reason elsewhere.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from appliance.service.health import Level
from appliance.service.state import State
from appliance.store.bandit_state import LearningStore
from appliance.store.db import Store
from tests.appliance.service.service_harness import Harness

IMAGE_MB = 8


def _mount(image: Path, folder: Path) -> str | None:
    """None when the image is mounted at `folder`; else why it could not be."""
    if os.geteuid() != 0:
        return "mounting a file system image needs root"
    for tool in ("mkfs.ext4", "mount", "umount"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    with image.open("wb") as f:
        f.truncate(IMAGE_MB * 2**20)
    made = subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], capture_output=True, text=True)
    if made.returncode:
        return f"mkfs.ext4 failed: {made.stderr.strip()}"
    folder.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-o", "loop", str(image), str(folder)], capture_output=True, text=True
    )
    if mounted.returncode:
        return f"cannot loop-mount an ext4 image here: {mounted.stderr.strip()}"
    folder.chmod(0o700)
    return None


def fill(folder: Path) -> int:
    """Write into `folder` until the file system refuses a single byte more; the bytes written."""
    written = 0
    with (folder / "filler").open("wb", buffering=0) as f:
        for size in (2**20, 2**12, 1):
            while True:
                try:
                    written += f.write(b"\0" * size)
                    os.fsync(f.fileno())
                except OSError:
                    break
    return written


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "state"
    why = _mount(tmp_path / "state.img", folder)
    if why:
        pytest.skip(why)
    # The WAV file that stands in for the speaker lives in the state folder: point it off the
    # small file system, so what fills up is the store's, as on a Pi playing through PortAudio.
    (folder / "session.wav").symlink_to(tmp_path / "speaker.wav")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _committed(folder: Path) -> tuple:
    with Store(folder / "attune.db") as store:
        learning = LearningStore(store)
        return (
            [(s.id, s.status, s.duration_s) for s in store.sessions() if s.status != "running"],
            [store.events(s.id) for s in store.sessions()],
            learning.load_state("L-1", "ts"),
            learning.quarantined("L-1"),
        )


def _record(folder: Path) -> None:
    with Store(folder / "attune.db") as store:
        done = store.start_session("L-1", "relax", 600, datetime.now(UTC) - timedelta(days=1))
        store.add_event(done, 3.0, "button")
        store.end_session(done, "completed", 600, {})
        LearningStore(store).save_state("L-1", "ts", {"arms": [1]})
        LearningStore(store).quarantine("L-1", "track-7", reason="distress")


def test_a_full_card_at_start_up_plays_unrecorded_and_loses_nothing(
    tmp_path: Path, state: Path, caplog
) -> None:
    _record(state)
    before = _committed(state)
    assert fill(state) > 0
    caplog.set_level(logging.INFO)
    h = Harness(tmp_path)
    try:
        h.service.start()
        assert h.service.state is State.IDLE
        assert h.service.health.get("store").level is Level.DOWN
        told = [r.getMessage() for r in caplog.records if str(state) in r.getMessage()]
        assert any("No space left" in m or "full" in m for m in told), told
        h.run(1.0)
        assert h.service.controls.leds.current == "error"
        h.tap()
        assert h.service.state is State.SESSION
        session = h.service.running.session
        h.until(lambda: (session.status.segment or 0) >= 1, "the first segment")
        h.tap()
        h.until(lambda: h.service.state is State.IDLE, "back to idle")
        assert h.service.last_result.status in ("stopped", "completed")  # played, not failed
    finally:
        h.close()
    (state / "filler").unlink()
    assert _committed(state) == before


def test_the_card_filling_mid_session_keeps_the_music_playing_and_loses_nothing(
    tmp_path: Path, state: Path, caplog
) -> None:
    _record(state)
    before = _committed(state)
    caplog.set_level(logging.INFO)
    h = Harness(tmp_path)
    try:
        h.service.start()
        assert h.service.health.get("store").level is Level.OK
        h.tap()
        session = h.service.running.session
        h.until(lambda: (session.status.segment or 0) >= 1, "the first segment")
        fill(state)
        # Before: the session failed at its next progress note, 10 s in, and the music stopped.
        h.until(lambda: (session.status.segment or 0) >= 2, "the next segment")
        assert h.service.state is State.SESSION
        told = [m for r in caplog.records if "NOT RECORDED from here" in (m := r.getMessage())]
        assert len(told) == 1 and str(state) in told[0] and "df -h" in told[0]
        h.tap()
        h.until(lambda: h.service.state is State.IDLE, "back to idle")
        # Played to the stop, or to its end if its simulated clock got there first: not failed.
        assert h.service.last_result.status in ("stopped", "completed")
        played_s = h.service.last_result.duration_s
        assert h.service.health.get("store").level is Level.DOWN
        h.run(0.2)
        assert h.service.controls.leds.current == "error"
    finally:
        h.close()
    (state / "filler").unlink()
    kept = _committed(state)  # opening the store is what the next start does
    assert kept[2:] == before[2:]  # the learning and the quarantine
    assert kept[0][:-1] == before[0]
    _sid, status, duration_s = kept[0][-1]  # the session the card filled under
    # The last progress note before the card filled: within one note (5 s) of the fill, which
    # came while the first segment played and well before the stop.
    assert status == "interrupted" and 5.0 <= duration_s < played_s - 5.0
    with Store(state / "attune.db") as store:
        assert store.integrity_check() == "ok"


def test_space_freed_records_the_next_session_again(tmp_path: Path, state: Path) -> None:
    h = Harness(tmp_path)
    try:
        h.service.start()
        h.tap()
        session = h.service.running.session
        h.until(lambda: (session.status.segment or 0) >= 1, "the first segment")
        fill(state)
        h.until(lambda: (session.status.segment or 0) >= 2, "the next segment")
        h.tap()
        h.until(lambda: h.service.state is State.IDLE, "back to idle")
        assert h.service.health.get("store").level is Level.DOWN
        (state / "filler").unlink()  # staff free space (or the purge does)
        h.tap()
        assert h.service.health.get("store").level is Level.OK
        second = h.service.running.session
        h.until(lambda: (second.status.segment or 0) >= 1, "the first segment")
        h.tap()
        h.until(lambda: h.service.state is State.IDLE, "back to idle")
        second_status = h.service.last_result.status
        assert second_status in ("stopped", "completed")
    finally:
        h.close()
    with Store(state / "attune.db") as store:
        assert [s.status for s in store.sessions()] == ["interrupted", second_status]
        assert store.integrity_check() == "ok"

"""Storage a reboot wipes: read from a mount table in /proc/self/mountinfo's format, and the
service refusing to record sessions there."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.config import load_config
from appliance.fsutil import volatile_storage
from appliance.service.run import EXIT_VOLATILE_STATE, state_survives_reboot

PROJECT = Path(__file__).resolve().parents[2]


def mountinfo(tmp_path: Path, *lines: str) -> Path:
    """A mount table whose mount points are folders under tmp_path (written as {t})."""
    path = tmp_path / f"mountinfo-{len(list(tmp_path.glob('mountinfo-*')))}"
    path.write_text("".join(line.format(t=tmp_path) + "\n" for line in lines))
    return path


# Raspberry Pi OS with raspi-config's overlay root: the SD card read-only below, tmpfs above.
PI_OVERLAY_ROOT = (
    "25 1 0:24 / / rw,noatime - overlay overlayroot "
    "rw,lowerdir={t}/media/root-ro,upperdir={t}/media/root-rw/overlay,"
    "workdir={t}/media/root-rw/overlay-workdir",
    "26 25 179:2 / {t}/media/root-ro ro,noatime - ext4 /dev/mmcblk0p2 ro",
    "27 25 0:25 / {t}/media/root-rw rw,relatime - tmpfs tmpfs-root rw",
    "28 25 179:1 / {t}/boot/firmware rw,relatime - vfat /dev/mmcblk0p1 rw",
)


def test_overlay_root_with_its_upper_layer_in_ram_is_volatile(tmp_path: Path) -> None:
    state = tmp_path / "var" / "lib" / "attune"
    state.mkdir(parents=True)
    reason = volatile_storage(state, mountinfo(tmp_path, *PI_OVERLAY_ROOT))
    assert reason is not None and "overlay mounted at /" in reason and "root-rw" in reason
    # Not created yet: judged by the folder it will be made in.
    assert volatile_storage(state / "backups", mountinfo(tmp_path, *PI_OVERLAY_ROOT)) is not None


def test_a_bind_mount_from_a_persistent_partition_survives(tmp_path: Path) -> None:
    state = tmp_path / "var lib" / "attune"  # a space, escaped as \040 in mountinfo
    state.mkdir(parents=True)
    table = mountinfo(
        tmp_path,
        *PI_OVERLAY_ROOT,
        "40 25 8:1 / {t}/data rw,noatime - ext4 /dev/sda1 rw,commit=5",
        "41 25 8:1 /attune/lib {t}/var\\040lib/attune rw,noatime - ext4 /dev/sda1 rw,commit=5",
    )
    assert volatile_storage(state, table) is None
    assert volatile_storage(tmp_path / "var lib", table) is not None  # beside it: the overlay


def test_tmpfs_is_volatile_and_a_containers_overlay_on_disk_is_not(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    container = (
        "500 400 0:50 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/A,"
        "upperdir=/var/lib/docker/overlay2/x/diff,workdir=/var/lib/docker/overlay2/x/work",
        "501 500 0:51 / {t}/run rw,nosuid - tmpfs tmpfs rw,size=65536k",
    )
    table = mountinfo(tmp_path, *container)
    assert volatile_storage(tmp_path, table) is None
    assert "tmpfs" in (volatile_storage(tmp_path / "run" / "attune", table) or "")


def config_file(tmp_path: Path, state: Path, *, emulated: bool) -> Path:
    path = tmp_path / "attune.yaml"
    path.write_text(
        f"device:\n  state_dir: {state}\nhardware:\n  emulated: {str(emulated).lower()}\n"
        f"listeners:\n  dir: {tmp_path / 'listeners'}\n"
    )
    return path


def test_the_service_refuses_a_volatile_state_folder_on_a_device_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "var" / "lib" / "attune"
    table = mountinfo(tmp_path, *PI_OVERLAY_ROOT)
    device = load_config(config_file(tmp_path, state, emulated=False))
    assert not state_survives_reboot(device, table)
    err = capsys.readouterr().err
    assert err.startswith("attune run: refusing to start: ") and "lost at reboot" in err
    assert "docs/install.md" in err and err.count("\n") == 1
    assert state_survives_reboot(device, mountinfo(tmp_path, "1 0 8:1 / / rw - ext4 /dev/sda1 rw"))
    # Development and tests on emulated hardware: warned, started.
    emulated = load_config(config_file(tmp_path, state, emulated=True))
    with caplog.at_level(logging.WARNING):
        assert state_survives_reboot(emulated, table)
    assert "lost at reboot" in caplog.text


@pytest.mark.skipif(
    volatile_storage(Path("/dev/shm")) is None, reason="/dev/shm is not a RAM filesystem here"
)
def test_attune_run_exits_before_touching_hardware_when_its_state_is_in_ram(
    tmp_path: Path,
) -> None:
    state = Path("/dev/shm") / f"attune-test-{os.getpid()}-{tmp_path.name}"
    config = config_file(tmp_path, state, emulated=False)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "appliance.cli",
            "--config",
            str(config),
            "run",
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == EXIT_VOLATILE_STATE, done.stderr
    assert "refusing to start" in done.stderr and "Traceback" not in done.stderr
    assert not state.exists()  # nothing recorded, nothing created

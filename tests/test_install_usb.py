"""The USB route in a temporary root: the udev rule, the template unit and the mount helper
that `make install` lays out and `make uninstall` removes (tests/test_install.py's fakes)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_install import (  # noqa: F401 - fake_root is a fixture
    INSTALL,
    PROJECT,
    UNINSTALL,
    calls,
    fake_root,
    needs_analyze,
    run,
)

USB_UNIT = PROJECT / "systemd" / "attune-usb@.service"
USB_RULE = PROJECT / "systemd" / "90-attune-usb.rules"
USB_MOUNT = PROJECT / "systemd" / "attune-usb-mount"


def test_install_lays_out_the_usb_route_and_uninstall_removes_it(
    fake_root: dict[str, str],  # noqa: F811 - the fixture
) -> None:
    root = Path(fake_root["ROOT"])
    run(INSTALL, fake_root)
    unit = root / "etc/systemd/system/attune-usb@.service"
    rule = root / "etc/udev/rules.d/90-attune-usb.rules"
    helper = root / "opt/attune/current/libexec/attune-usb-mount"
    assert unit.read_bytes() == USB_UNIT.read_bytes()
    assert rule.read_bytes() == USB_RULE.read_bytes()
    assert helper.read_bytes() == USB_MOUNT.read_bytes()
    assert helper.stat().st_mode & 0o777 == 0o755
    assert (root / "opt/attune/current/share/doc/usb.md").is_file()
    # Started by udev when a stick comes, never at boot.
    assert not list(root.glob("etc/systemd/system/*.wants/attune-usb*"))
    calls(fake_root)
    assert "nothing changed" in run(INSTALL, fake_root)

    run(UNINSTALL, fake_root)
    for gone in (unit, rule, helper):
        assert not gone.exists(), gone


def test_the_udev_rule_starts_the_unit_for_fat_and_exfat_on_usb_only() -> None:
    text = " ".join(
        line.rstrip("\\") for line in USB_RULE.read_text().splitlines() if not line.startswith("#")
    )
    assert 'ENV{ID_FS_TYPE}=="vfat|exfat"' in text
    assert 'ENV{ID_BUS}=="usb"' in text  # never the SD card
    assert 'ENV{ID_FS_LABEL}!="bootfs"' in text  # never Pi OS's boot partition on a USB disk
    assert 'ENV{SYSTEMD_WANTS}+="attune-usb@%k.service"' in text


def test_the_usb_unit_mounts_safely_and_runs_the_sync_as_the_service_user() -> None:
    settings: dict[str, list[str]] = {}
    for line in USB_UNIT.read_text().splitlines():
        if line[:1].isalpha() and "=" in line:
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    assert settings["User"] == ["attune"]
    assert settings["BindsTo"] == ["dev-%i.device"]  # pulled: the unit stops
    assert settings["ExecStart"] == [
        "/opt/attune/current/venv/bin/attune usb sync --mount /run/attune-usb/%I"
    ]
    mount = "+/opt/attune/current/libexec/attune-usb-mount"
    assert settings["ExecStartPre"][0].startswith(f"{mount} mount ")
    assert settings["ExecStopPost"][0].startswith(f"{mount} unmount")
    assert settings["IOSchedulingClass"] == ["idle"]  # a session's audio comes first
    helper = USB_MOUNT.read_text()
    assert "rw,nosuid,nodev,noexec" in helper and "uid=$uid,gid=$gid" in helper


@needs_analyze
def test_usb_unit_has_no_unknown_or_invalid_settings(tmp_path: Path) -> None:
    instance = tmp_path / "attune-usb@sda1.service"
    instance.write_bytes(USB_UNIT.read_bytes())
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(instance)], capture_output=True, text=True
    )
    # The only complaint allowed: the programs exist on the Pi, not on this machine.
    complaints = [line for line in done.stderr.splitlines() if "/opt/attune/" not in line]
    assert complaints == []


@pytest.mark.skipif(shutil.which("sh") is None, reason="no sh")
def test_the_mount_helper_refuses_what_it_does_not_know_and_unmounts_nothing_unmounted(
    tmp_path: Path,
) -> None:
    done = subprocess.run(["sh", str(USB_MOUNT), "eject"], capture_output=True, text=True)
    assert done.returncode == 2 and "usage" in done.stderr
    done = subprocess.run(
        ["sh", str(USB_MOUNT), "unmount", str(tmp_path / "not-mounted")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0


def _helper_env(tmp_path: Path, *, fs_type: str, mounted: bool) -> dict[str, str]:
    """The mount helper with blkid/findmnt/id/mount/mkdir answered by small fakes that record."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fakes = {
        "blkid": f"#!/bin/sh\necho {fs_type}\n",
        "findmnt": f"#!/bin/sh\nexit {0 if mounted else 1}\n",
        "id": '#!/bin/sh\ncase "$1" in -u) echo 999;; -g) echo 998;; esac\n',
        "mount": '#!/bin/sh\necho "mount $*" >> "$CALLS"\n',
    }
    for name, text in fakes.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(tmp_path / "c")}


@pytest.mark.parametrize(
    ("fs_type", "extra"), [("vfat", ",flush,utf8,shortname=mixed"), ("exfat", ",iocharset=utf8")]
)
def test_the_mount_helper_mounts_fat_and_exfat_safely_for_the_service_user(
    tmp_path: Path, fs_type: str, extra: str
) -> None:
    env = _helper_env(tmp_path, fs_type=fs_type, mounted=False)
    target = tmp_path / "run" / "sda1"
    done = subprocess.run(
        ["sh", str(USB_MOUNT), "mount", "/dev/sda1", str(target)], env=env, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    options = f"rw,nosuid,nodev,noexec,noatime,uid=999,gid=998,fmask=0177,dmask=0077{extra}"
    assert (tmp_path / "c").read_text() == f"mount -t {fs_type} -o {options} /dev/sda1 {target}\n"
    assert target.is_dir()


@pytest.mark.parametrize(("fs_type", "mounted"), [("vfat", True), ("ext4", False)])
def test_the_mount_helper_leaves_mounted_or_foreign_partitions_alone(
    tmp_path: Path, fs_type: str, mounted: bool
) -> None:
    env = _helper_env(tmp_path, fs_type=fs_type, mounted=mounted)
    done = subprocess.run(
        ["sh", str(USB_MOUNT), "mount", "/dev/sda1", str(tmp_path / "m")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "left alone" in done.stderr
    assert not (tmp_path / "c").exists()  # mount never called

"""A FAT-formatted stick image for the USB tests, mounted through FUSE (fusefat).

The kernel's vfat module is often missing in containers and CI, so `mount -o loop` cannot be
relied on; fusefat reads and writes a real FAT image made by mkfs.vfat. "Pulling" the stick is
killing the fusefat process: every later access then fails as a pulled stick's does (ENOTCONN
here, EIO on a real one), and what was written to the image so far stays as it was.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

MOUNT_WAIT_S = 10.0


def fuse_missing() -> str | None:
    """Why FAT images cannot be mounted here, or None."""
    for tool in ("mkfs.vfat", "fusefat", "fusermount"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (scripts/bootstrap.sh installs dosfstools, fusefat)"
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        return "/dev/fuse is missing or not accessible (FUSE is not available here)"
    return None


needs_fuse = pytest.mark.skipif(fuse_missing() is not None, reason=str(fuse_missing()))


class FatStick:
    def __init__(self, image: Path, mount: Path, size_mb: int = 64) -> None:
        self.image, self.mount = image, mount
        self.process: subprocess.Popen | None = None
        fat = "32" if size_mb >= 64 else "12"  # FAT32 needs room; a tiny stick is FAT12
        subprocess.run(
            ["mkfs.vfat", "-F", fat, "-C", str(image), str(size_mb * 1024)],
            check=True,
            capture_output=True,
        )
        mount.mkdir(exist_ok=True)

    def plug(self) -> Path:
        # -f: stays in the foreground, so the test holds its pid and can pull the stick.
        self.process = subprocess.Popen(
            ["fusefat", "-f", "-o", "rw+", str(self.image), str(self.mount)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + MOUNT_WAIT_S
        while not os.path.ismount(self.mount):
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.skip("fusefat could not mount the FAT image here")
            time.sleep(0.01)
        return self.mount

    def unplug(self) -> None:
        """A clean removal: unmounted (fusefat writes everything back), then gone."""
        if self.process is None:
            return
        subprocess.run(["fusermount", "-u", str(self.mount)], check=True)
        self.process.wait(timeout=MOUNT_WAIT_S)
        self.process = None

    def pull(self) -> None:
        """Yanked out: the filesystem's process dies at once."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=MOUNT_WAIT_S)
        self.process = None
        subprocess.run(["fusermount", "-u", "-z", str(self.mount)], capture_output=True)

    def repair(self) -> None:
        """What the next computer does with a stick pulled mid-write (Windows' scan, fsck)."""
        subprocess.run(["fsck.vfat", "-a", "-w", str(self.image)], capture_output=True)

    def close(self) -> None:
        if self.process is not None:
            self.unplug()


def exfat_missing() -> str | None:
    """Why exFAT images cannot be mounted here, or None. exfat-fuse needs a block device, so
    the image goes on a loop device, which takes root."""
    for tool in ("mkfs.exfat", "mount.exfat-fuse", "losetup", "fusermount"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (exfatprogs, exfat-fuse, util-linux)"
    if os.geteuid() != 0:
        return "an exFAT image is mounted through a loop device, which needs root"
    if not os.access("/dev/fuse", os.R_OK | os.W_OK) or not os.path.exists("/dev/loop-control"):
        return "FUSE or loop devices are not available here"
    return None


needs_exfat = pytest.mark.skipif(exfat_missing() is not None, reason=str(exfat_missing()))


class ExfatStick(FatStick):
    """The same, formatted exFAT (what sticks over 32 GB come as), on a loop device."""

    def __init__(self, image: Path, mount: Path, size_mb: int = 64) -> None:
        self.image, self.mount = image, mount
        self.process = None
        self.loop: str | None = None
        with open(image, "wb") as f:
            f.truncate(size_mb << 20)
        subprocess.run(["mkfs.exfat", str(image)], check=True, capture_output=True)
        mount.mkdir(exist_ok=True)

    def plug(self) -> Path:
        done = subprocess.run(
            ["losetup", "-f", "--show", str(self.image)], capture_output=True, text=True
        )
        if done.returncode != 0:
            pytest.skip(f"no loop device for the exFAT image: {done.stderr.strip()}")
        self.loop = done.stdout.strip()
        # -d: stays in the foreground (with debug output, discarded), so the test holds its pid.
        self.process = subprocess.Popen(
            ["mount.exfat-fuse", "-d", self.loop, str(self.mount)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + MOUNT_WAIT_S
        while not os.path.ismount(self.mount):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                pytest.skip("exfat-fuse could not mount the exFAT image here")
            time.sleep(0.01)
        return self.mount

    def close(self) -> None:
        super().close()
        if self.loop is not None:
            subprocess.run(["losetup", "-d", self.loop], capture_output=True)
            self.loop = None

"""`make install OVERLAY=1` into a temporary root: state and configuration copied to the data
partition and bound over their paths in /etc/fstab, the overlay root turned on through
raspi-config (a fake that edits cmdline.txt as the real one does), the data partition kept
out of the overlay."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.test_install import INSTALL, calls, fake_root, run, snapshot  # noqa: F401

# raspi-config nonint do_overlayfs 0: adds overlayroot=tmpfs to $ROOT's cmdline.txt.
RASPI_CONFIG = """#!/bin/sh
echo "raspi-config $*" >> "$CALLS"
[ "$2" != do_overlayfs ] || sed -i 's/$/ overlayroot=tmpfs/' "$ROOT/boot/firmware/cmdline.txt"
"""


def overlay_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    fake = tmp_path / "bin" / "raspi-config"
    fake.write_text(RASPI_CONFIG)
    fake.chmod(0o755)
    root = Path(env["ROOT"])
    (root / "boot/firmware").mkdir(parents=True)
    (root / "boot/firmware/cmdline.txt").write_text("console=tty1 root=PARTUUID=1234-02 rootwait\n")
    (root / "etc/fstab").write_text("PARTUUID=1234-02  /  ext4  defaults,noatime  0  1\n")
    (root / "data").mkdir()
    return {**env, "ATTUNE_RASPI_CONFIG": str(fake), "ATTUNE_MOUNTPOINT": "true", "OVERLAY": "1"}


def test_overlay_puts_state_and_config_on_the_data_partition(
    fake_root: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    env = overlay_env(fake_root, tmp_path)
    root = Path(env["ROOT"])

    out = run(INSTALL, env)

    fstab = (root / "etc/fstab").read_text().splitlines()
    assert "/data/attune/lib /var/lib/attune none bind 0 0" in fstab
    assert "/data/attune/etc /etc/attune none bind 0 0" in fstab
    assert (root / "data/attune/etc/attune.yaml").read_bytes() == (
        root / "etc/attune/attune.yaml"
    ).read_bytes()
    assert (root / "data/attune/lib").stat().st_mode & 0o777 == 0o700  # cp -a keeps modes
    cmdline = (root / "boot/firmware/cmdline.txt").read_text()
    assert cmdline.rstrip().endswith("rootwait overlayroot=tmpfs:recurse=0")
    assert "raspi-config nonint do_overlayfs 0" in calls(env)
    assert "from the next reboot" in out

    before = snapshot(root)
    assert "nothing changed" in run(INSTALL, env)
    assert snapshot(root) == before
    assert not [c for c in calls(env) if "do_overlayfs" in c]


def test_overlay_without_a_mounted_data_partition_changes_nothing_of_it(
    fake_root: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    env = {**overlay_env(fake_root, tmp_path), "ATTUNE_MOUNTPOINT": "false"}
    root = Path(env["ROOT"])
    done = subprocess.run(
        ["bash", str(INSTALL)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 1
    assert "needs a persistent partition mounted at /data" in done.stderr
    assert "bind" not in (root / "etc/fstab").read_text()
    assert "overlayroot" not in (root / "boot/firmware/cmdline.txt").read_text()
    assert not (root / "data/attune").exists()

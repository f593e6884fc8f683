"""`make install` / `make uninstall` into a temporary root, and the unit and polkit rule.

The scripts run for real (bash, install, cmp, the venv module); only the commands that would
change the machine are replaced through their environment variables: apt and pip record their
calls, and useradd/groupadd/usermod/systemctl are small fakes that edit the temporary root's
/etc/passwd, /etc/group and wants/ symlinks the way the real ones would.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
INSTALL = PROJECT / "scripts" / "install.sh"
UNINSTALL = PROJECT / "scripts" / "uninstall.sh"
UNIT = PROJECT / "systemd" / "attune.service"
POLKIT_RULE = PROJECT / "systemd" / "50-attune-power-off.rules"
MAX_EXPOSURE = 1.0  # systemd-analyze security: "SAFE" is below 2.0; we hold ourselves to 1.0

FAKES = {
    # Appends its name and arguments to $CALLS.
    "record": '#!/bin/sh\necho "$(basename "$0") $*" >> "$CALLS"\n',
    "useradd": """#!/bin/sh
echo "useradd $*" >> "$CALLS"
for last; do :; done
echo "$last:x:999:999::/var/lib/attune:/usr/sbin/nologin" >> "$ROOT/etc/passwd"
echo "$last:x:999:" >> "$ROOT/etc/group"
""",
    "groupadd": """#!/bin/sh
echo "groupadd $*" >> "$CALLS"
for last; do :; done
echo "$last:x:$(wc -l < "$ROOT/etc/group"):" >> "$ROOT/etc/group"
""",
    # usermod --append --groups a,b USER: add USER to each group's member list.
    "usermod": """#!/bin/sh
echo "usermod $*" >> "$CALLS"
while [ $# -gt 1 ]; do case "$1" in --groups) groups="$2"; shift;; esac; shift; done
user="$1"
for g in $(echo "$groups" | tr , ' '); do
  sed -i -E "/^$g:/{s/:$/:$user/;t;s/$/,$user/}" "$ROOT/etc/group"
done
""",
    # systemctl [--root=R] [--quiet] is-enabled|enable|disable UNIT, on wants/ symlinks.
    "systemctl": """#!/bin/sh
echo "systemctl $*" >> "$CALLS"
for a; do case "$a" in --*) ;; is-enabled|enable|disable) verb="$a";; *) unit="$a";; esac; done
link="$ROOT/etc/systemd/system/multi-user.target.wants/$unit"
case "$verb" in
  is-enabled) test -L "$link";;
  enable) mkdir -p "$(dirname "$link")"; ln -sf "/etc/systemd/system/$unit" "$link";;
  disable) rm -f "$link";;
esac
""",
}


@pytest.fixture
def fake_root(tmp_path: Path) -> dict[str, str]:
    """Environment for the scripts: a root with a Debian-like passwd/group, fakes on PATH."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc" / "group").write_text("root:x:0:\naudio:x:29:\nbluetooth:x:112:\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in {**FAKES, "apt-get": FAKES["record"], "pip": FAKES["record"]}.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return {
        **os.environ,
        "ROOT": str(root),
        "CALLS": str(tmp_path / "calls.log"),
        "ATTUNE_APT": str(bin_dir / "apt-get"),
        "ATTUNE_PIP": str(bin_dir / "pip"),
        # A real venv, without pip (pip's own install is what takes time).
        "ATTUNE_VENV": f"{sys.executable} -m venv --without-pip",
        "ATTUNE_USERADD": str(bin_dir / "useradd"),
        "ATTUNE_GROUPADD": str(bin_dir / "groupadd"),
        "ATTUNE_USERMOD": str(bin_dir / "usermod"),
        "ATTUNE_SYSTEMCTL": str(bin_dir / "systemctl"),
        "ATTUNE_USERDEL": str(bin_dir / "record"),
        "ATTUNE_CHOWN": str(bin_dir / "record"),
        "ATTUNE_UDEVADM": str(bin_dir / "record"),
    }


def run(script: Path, env: dict[str, str], **extra: str) -> str:
    done = subprocess.run(
        ["bash", str(script)], env={**env, **extra}, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def calls(env: dict[str, str]) -> list[str]:
    path = Path(env["CALLS"])
    lines = path.read_text().splitlines() if path.exists() else []
    path.unlink(missing_ok=True)
    return lines


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every path under root: its mode and content hash (or link target)."""
    tree = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            tree[str(path.relative_to(root))] = (0, os.readlink(path))
        elif path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            tree[str(path.relative_to(root))] = (path.stat().st_mode, digest)
        else:
            tree[str(path.relative_to(root))] = (path.stat().st_mode, "")
    return tree


def group_members(root: Path, group: str) -> list[str]:
    for line in (root / "etc" / "group").read_text().splitlines():
        name, _, _, members = line.split(":")
        if name == group:
            return [m for m in members.split(",") if m]
    return []


def test_install_lays_out_the_service(fake_root: dict[str, str]) -> None:
    root = Path(fake_root["ROOT"])
    run(INSTALL, fake_root)
    first = calls(fake_root)

    assert (root / "etc/systemd/system/attune.service").read_bytes() == UNIT.read_bytes()
    assert (root / "etc/systemd/system/multi-user.target.wants/attune.service").is_symlink()
    rule = root / "etc/polkit-1/rules.d/50-attune-power-off.rules"
    assert rule.read_bytes() == POLKIT_RULE.read_bytes()
    etc_yaml = root / "etc/attune/attune.yaml"
    assert etc_yaml.read_bytes() == (PROJECT / "config/attune.yaml").read_bytes()
    for shipped in (PROJECT / "config/listeners").glob("*.yaml"):
        assert (root / "etc/attune/listeners" / shipped.name).read_bytes() == shipped.read_bytes()
    assert (root / "etc/attune/conf.d").is_dir()
    assert (root / "var/lib/attune").stat().st_mode & 0o777 == 0o700
    # Profiles (consent, dementia, schedules): the service's user only.
    profiles = root / "etc/attune/listeners"
    assert profiles.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in profiles.iterdir())
    assert f"record -R attune:attune {profiles}" in first
    assert (root / "opt/attune/releases/0.1.0/venv/bin/python").exists()
    assert os.readlink(root / "opt/attune/current") == "releases/0.1.0"
    assert os.readlink(root / "usr/local/bin/attune") == "/opt/attune/current/venv/bin/attune"

    assert "attune:" in (root / "etc/passwd").read_text()
    for group in ("i2c", "gpio", "audio", "bluetooth"):
        assert "attune" in group_members(root, group), group
    assert any(c.startswith("useradd") and "--system" in c and "nologin" in c for c in first)
    pip = [c for c in first if c.startswith("pip install") and "--no-cache-dir" in c]
    assert pip, first
    assert "[dev]" not in " ".join(pip)  # runtime dependencies only


def test_install_makes_existing_profiles_private(fake_root: dict[str, str]) -> None:
    root = Path(fake_root["ROOT"])
    profiles = root / "etc/attune/listeners"
    profiles.mkdir(parents=True, mode=0o755)
    (profiles / "L-0042.yaml").write_text("id: L-0042\n")
    (profiles / "L-0042.yaml").chmod(0o644)
    out = run(INSTALL, fake_root)
    assert "making /etc/attune/listeners/L-0042.yaml private (0600)" in out
    assert (profiles / "L-0042.yaml").stat().st_mode & 0o777 == 0o600
    assert profiles.stat().st_mode & 0o777 == 0o700
    calls(fake_root)
    run(INSTALL, fake_root)
    assert not any(c.startswith("record -R") for c in calls(fake_root))


def test_second_install_changes_nothing(fake_root: dict[str, str]) -> None:
    root = Path(fake_root["ROOT"])
    run(INSTALL, fake_root)
    calls(fake_root)
    before = snapshot(root)

    out = run(INSTALL, fake_root)

    assert snapshot(root) == before
    assert "nothing changed" in out
    second = calls(fake_root)
    # (apt-get is asked again only because its fake installs nothing.)
    for command in ("useradd", "groupadd", "usermod", "pip install", "systemctl --root"):
        assert not [c for c in second if c.startswith(command) and "is-enabled" not in c], second


def test_technicians_edits_survive_and_new_shipped_config_goes_beside(
    fake_root: dict[str, str],
) -> None:
    root = Path(fake_root["ROOT"])
    run(INSTALL, fake_root)
    etc_yaml = root / "etc/attune/attune.yaml"
    edited = "session:\n  goal: sleep\n"
    etc_yaml.write_text(edited)

    out = run(INSTALL, fake_root)

    assert etc_yaml.read_text() == edited
    dist = root / "etc/attune/attune.yaml.dist"
    assert dist.read_bytes() == (PROJECT / "config/attune.yaml").read_bytes()
    assert "keeping your /etc/attune/attune.yaml" in out
    # Once the .dist is there, a third run is quiet again.
    assert "nothing changed" in run(INSTALL, fake_root)


def test_dry_run_changes_nothing(fake_root: dict[str, str]) -> None:
    root = Path(fake_root["ROOT"])
    before = snapshot(root)
    out = run(INSTALL, fake_root, DRY_RUN="1")
    assert snapshot(root) == before
    assert "would run:" in out
    assert not [c for c in calls(fake_root) if not c.startswith("systemctl --root")]


def test_uninstall_keeps_data_unless_purged(fake_root: dict[str, str]) -> None:
    root = Path(fake_root["ROOT"])
    run(INSTALL, fake_root)
    (root / "var/lib/attune/attune.db").write_bytes(b"sessions")

    out = run(UNINSTALL, fake_root)

    for gone in (
        "etc/systemd/system/attune.service",
        "etc/systemd/system/multi-user.target.wants/attune.service",
        "etc/polkit-1/rules.d/50-attune-power-off.rules",
        "opt/attune",
        "usr/local/bin/attune",
    ):
        assert not (root / gone).exists() and not (root / gone).is_symlink(), gone
    assert (root / "var/lib/attune/attune.db").read_bytes() == b"sessions"
    assert (root / "etc/attune/attune.yaml").exists()
    assert "PURGE=1" in out
    run(UNINSTALL, fake_root)  # idempotent

    run(UNINSTALL, fake_root, PURGE="1")
    assert not (root / "var/lib/attune").exists()
    assert not (root / "etc/attune").exists()
    assert any(c.startswith("record") and "attune" in c for c in calls(fake_root))


# -- the unit and the polkit rule -------------------------------------------------------------
needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)


@needs_analyze
def test_unit_has_no_unknown_or_invalid_settings() -> None:
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(UNIT)], capture_output=True, text=True
    )
    # The only complaint allowed here: the program exists on the Pi, not on this machine.
    program = "/opt/attune/current/venv/bin/attune"
    complaints = [line for line in done.stderr.splitlines() if program not in line]
    assert complaints == []


@needs_analyze
def test_unit_exposure_score_is_low() -> None:
    done = subprocess.run(
        # --threshold is in tenths of the printed exposure level.
        [
            "systemd-analyze",
            "security",
            "--offline=yes",
            f"--threshold={MAX_EXPOSURE * 10:.0f}",
            str(UNIT),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-400:]
    assert "Overall exposure level for attune.service" in done.stdout


POLKIT_HARNESS = """
const fs = require("fs");
const rules = [];
const polkit = {Result: {YES: "yes", NOT_HANDLED: null}, addRule: (f) => rules.push(f)};
eval(fs.readFileSync(process.argv[2], "utf8"));
const [action, user] = [process.argv[3], process.argv[4]];
console.log(String(rules[0]({id: action}, {user: user})));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize(
    ("action", "user", "verdict"),
    [
        ("org.freedesktop.login1.power-off", "attune", "yes"),
        ("org.freedesktop.login1.power-off-multiple-sessions", "attune", "yes"),
        ("org.freedesktop.login1.reboot", "attune", "null"),
        ("org.freedesktop.login1.power-off-ignore-inhibit", "attune", "null"),
        ("org.freedesktop.login1.power-off", "pi", "null"),
    ],
)
def test_polkit_rule_allows_only_power_off_for_attune(
    tmp_path: Path, action: str, user: str, verdict: str
) -> None:
    harness = tmp_path / "harness.js"
    harness.write_text(POLKIT_HARNESS)
    done = subprocess.run(
        ["node", str(harness), str(POLKIT_RULE), action, user], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == verdict


def test_unit_caps_memory_and_tasks_with_headroom_over_the_measured_peak() -> None:
    settings = dict(
        line.split("=", 1)
        for line in UNIT.read_text().splitlines()
        if line[:1].isalpha() and "=" in line
    )
    mb = {k: int(settings[k].rstrip("M")) for k in ("MemoryHigh", "MemoryMax")}
    peak_mb = 190  # the bench's peak RSS of a session
    assert peak_mb * 1.5 <= mb["MemoryHigh"] < mb["MemoryMax"] <= 512  # a Pi Zero 2 W's RAM
    assert 32 <= int(settings["TasksMax"]) <= 256

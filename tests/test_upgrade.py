"""Releases: an upgrade into a temporary root waits for the session, backs the database up
(SQLite's online backup), switches `current`, migrates and restarts; a rollback returns to the
previous release and that backup. The scripts run for real; systemctl is a fake whose
`show` plays back the service's STATUS= lines and whose stop/start are recorded."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.store.migrations import MIGRATIONS, migrate, schema_version
from tests.test_install import calls, fake_root, run  # noqa: F401 - fake_root is a fixture

PROJECT = Path(__file__).resolve().parents[1]
SHIPPED = (
    "pyproject.toml",
    "README.md",
    "appliance",
    "drivers",
    "models",
    "scripts",
    "systemd",
    "config",
)

# systemctl: enable/is-enabled on wants/ links (as in test_install), is-active on a flag file,
# show prints the next of the STATUS= lines queued in $ROOT/status (the last one repeats).
SYSTEMCTL = """#!/bin/sh
echo "systemctl $*" >> "$CALLS"
for a; do case "$a" in --*) ;; is-enabled|enable|disable|is-active|show|stop|start) verb="$a";;
  StatusText|attune.service) unit=attune.service;; esac; done
link="$ROOT/etc/systemd/system/multi-user.target.wants/attune.service"
case "$verb" in
  is-enabled) test -L "$link";;
  enable) mkdir -p "$(dirname "$link")"; ln -sf /etc/systemd/system/attune.service "$link";;
  is-active) test -f "$ROOT/active";;
  show) head -n 1 "$ROOT/status"
        [ "$(wc -l < "$ROOT/status")" -le 1 ] || sed -i 1d "$ROOT/status";;
  stop) rm -f "$ROOT/active";;
  start) touch "$ROOT/active";;
esac
"""


def release_source(tmp: Path, version: str) -> Path:
    """A checkout of the project whose pyproject says `version`."""
    src = tmp / f"src-{version}"
    src.mkdir()
    for name in SHIPPED:
        path = PROJECT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    (src / "docs").mkdir()
    shutil.copy2(PROJECT / "docs/install.md", src / "docs/install.md")
    shutil.copy2(PROJECT / "docs/usb.md", src / "docs/usb.md")
    pyproject = src / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace('version = "0.1.0"', f'version = "{version}"', 1))
    return src


@pytest.fixture
def device(fake_root: dict[str, str], tmp_path: Path) -> dict[str, str]:  # noqa: F811
    fake = tmp_path / "bin" / "systemctl"
    fake.write_text(SYSTEMCTL)
    return {
        **fake_root,
        "ATTUNE_SYSTEMCTL": str(fake),
        "ATTUNE_DB_TOOL": f"{sys.executable} -m appliance.cli",
        "PYTHONPATH": str(PROJECT),
        "ATTUNE_POLL_S": "0",
    }


def old_database(path: Path) -> None:
    """A database as the previous release left it: one schema version behind, one listener."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, MIGRATIONS[:-1])
    conn.execute("INSERT INTO listeners (id, created) VALUES ('L-0001', '2026-01-01T00:00:00Z')")
    conn.close()


def db_state(path: Path) -> tuple[int, list[str]]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return schema_version(conn), [r[0] for r in conn.execute("SELECT id FROM listeners")]
    finally:
        conn.close()


def test_upgrade_then_rollback(device: dict[str, str], tmp_path: Path) -> None:
    root = Path(device["ROOT"])
    run(release_source(tmp_path, "0.1.0") / "scripts/install.sh", device)
    assert os.readlink(root / "opt/attune/current") == "releases/0.1.0"
    edited = "session:\n  goal: sleep\n"
    (root / "etc/attune/attune.yaml").write_text(edited)
    db = root / "var/lib/attune/attune.db"
    old_database(db)
    old = len(MIGRATIONS) - 1
    (root / "active").touch()
    (root / "status").write_text(
        "session 19:58 anon; ppg ok\nsession 19:59 anon; ppg ok\nstopping; ppg ok\nidle; ppg ok\n"
    )
    calls(device)

    out = run(release_source(tmp_path, "0.2.0") / "scripts/install.sh", device)

    assert "waiting for the session in progress to end (session 19:58 anon" in out
    made = calls(device)
    verbs = [c.split()[1] for c in made if c.startswith("systemctl") and "--root" not in c]
    # Asked until idle; stopped only then; started again on the new release.
    assert verbs[verbs.index("stop") - 1 :] == ["show", "stop", "start"], verbs
    assert verbs.count("show") == 4
    assert os.readlink(root / "opt/attune/current") == "releases/0.2.0"
    assert os.readlink(root / "opt/attune/previous") == "releases/0.1.0"
    assert (root / "opt/attune/releases/0.1.0/venv/bin/python").exists()
    assert db_state(db) == (len(MIGRATIONS), ["L-0001"])  # migrated, nothing lost
    backup = root / "var/lib/attune/backups/attune-0.1.0.db"
    assert db_state(backup) == (old, ["L-0001"])
    assert backup.stat().st_mode & 0o777 == 0o600
    assert (root / "etc/attune/attune.yaml").read_text() == edited
    assert any(c.startswith("record -R attune:attune") and "var/lib/attune" in c for c in made)
    # The new release would run its migrations itself; nothing more to do on a second run.
    assert "nothing changed" in run(tmp_path / "src-0.2.0/scripts/install.sh", device)

    done = subprocess.run(
        [sys.executable, "-m", "appliance.cli", "upgrade", "--rollback"],
        env=device,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert os.readlink(root / "opt/attune/current") == "releases/0.1.0"
    assert not (root / "opt/attune/previous").is_symlink()
    assert db_state(db) == (old, ["L-0001"])  # the backup, at the old release's schema
    kept = root / "var/lib/attune/backups/attune-0.2.0-rolled-back.db"
    assert db_state(kept) == (len(MIGRATIONS), ["L-0001"])
    assert (root / "active").exists()
    assert (root / "etc/attune/attune.yaml").read_text() == edited


def test_upgrade_gives_up_while_a_session_keeps_playing(
    device: dict[str, str], tmp_path: Path
) -> None:
    root = Path(device["ROOT"])
    run(release_source(tmp_path, "0.1.0") / "scripts/install.sh", device)
    old_database(root / "var/lib/attune/attune.db")
    (root / "active").touch()
    (root / "status").write_text("session 05:00 L-0001; ppg ok\n")
    calls(device)

    done = subprocess.run(
        ["bash", str(release_source(tmp_path, "0.2.0") / "scripts/install.sh")],
        env={**device, "ATTUNE_UPGRADE_WAIT_S": "0"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 1
    assert "a session is still playing" in done.stderr
    assert os.readlink(root / "opt/attune/current") == "releases/0.1.0"
    assert not any(" stop " in f" {c} " for c in calls(device))
    assert (root / "active").exists()
    assert db_state(root / "var/lib/attune/attune.db")[0] == len(MIGRATIONS) - 1


def test_rollback_without_a_previous_release_says_so(
    device: dict[str, str], tmp_path: Path
) -> None:
    run(release_source(tmp_path, "0.1.0") / "scripts/install.sh", device)
    done = subprocess.run(
        [sys.executable, "-m", "appliance.cli", "upgrade", "--rollback"],
        env=device,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "no previous release" in done.stderr


def test_install_over_the_layout_before_releases_stops_the_service_around_the_move(
    device: dict[str, str], tmp_path: Path
) -> None:
    root = Path(device["ROOT"])
    legacy = root / "opt/attune/venv/bin"
    legacy.mkdir(parents=True)
    (legacy / "attune").write_text("#!/bin/sh\n")
    (root / "active").touch()
    (root / "status").write_text("idle; ppg ok\n")

    out = run(release_source(tmp_path, "0.1.0") / "scripts/install.sh", device)

    assert os.readlink(root / "opt/attune/current") == "releases/0.1.0"
    assert not (root / "opt/attune/venv").exists()
    assert "removing /opt/attune/venv" in out
    verbs = [c.split()[1] for c in calls(device) if c.startswith("systemctl") and "--root" not in c]
    assert verbs.index("stop") < verbs.index("start")
    assert (root / "active").exists()

"""deploy/ansible against local targets: two "devices", each a temporary root reached with
connection=local, through the real ansible-playbook.

The role runs the project's real install script (with the same fakes for apt, pip, useradd and
systemctl as tests/test_install.py) and validates every file with the real `attune config
check` / `attune listeners check --file` before putting it in place. Checked: the first run
changes and writes what the inventory says; the second changes nothing; a bad push fails and
leaves every device's files as they were; status.yml gathers one fleet table.
"""

from __future__ import annotations

import csv
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_install import fake_root, snapshot  # noqa: F401  (fake_root is a fixture)

PROJECT = Path(__file__).resolve().parents[1]
ANSIBLE_DIR = PROJECT / "deploy" / "ansible"
PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
HOSTS = ("pi-a", "pi-b")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (PROJECT / ".git").exists(), reason="the role bundles a git checkout"),
]


def _inventory(tmp_path: Path, install_env: dict[str, str], **overrides: dict) -> dict:
    cli = f"{sys.executable} -m appliance.cli"
    hosts = {}
    for name in HOSTS:
        root = tmp_path / name
        hosts[name] = {
            "attune_root": str(root),
            # The device's CLI reads /etc/attune; in a temporary root, its attune.yaml.
            "attune_cli": f"{cli} --config {root}/etc/attune/attune.yaml",
            "attune_config": {
                "device": {"state_dir": f"{root}/var/lib/attune"},
                "hardware": {"emulated": True, "gpio": {"pin_factory": "mock"}},
                "audio": {"output": "wav", "start_volume_db": -6.0 if name == "pi-a" else -9.0},
            },
            "attune_conf_d": {"retention": {"store": {"retention_days": 365}}},
            "attune_listeners": {
                "L-0001": {
                    "goal": "relax",
                    "consent": {"given": True, "date": "2026-03-01"},
                    "default": True,
                }
            },
            **overrides.get(name, {}),
        }
    return {
        "attune": {
            "hosts": hosts,
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "attune_source_dir": str(PROJECT),
                "attune_bundle": str(tmp_path / "bundle.tar"),
                "attune_install_env": install_env,
                "attune_cli_env": {"PYTHONPATH": str(PROJECT)},
                "attune_owner": pwd.getpwuid(os.getuid()).pw_name,
                "attune_manage_service": False,
            },
        }
    }


def _play(tmp_path: Path, inventory: dict, playbook: str = "site.yml") -> tuple[int, str, dict]:
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    env = {
        **os.environ,
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_REMOTE_TMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_PIPELINING": "1",  # modules through stdin: fewer temporary files per task
    }
    done = subprocess.run(
        [str(PLAYBOOK), "-i", str(path), playbook, "-e", f"fleet_dir={tmp_path / 'fleet'}"],
        cwd=ANSIBLE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout + done.stderr
    recap = {
        m.group(1): {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
        for m in re.finditer(r"^(\S+)\s+:\s+(ok=.*)$", out, re.M)
    }
    return done.returncode, out, recap


def _etc(tmp_path: Path) -> dict:
    return {h: snapshot(tmp_path / h / "etc" / "attune") for h in HOSTS}


@pytest.fixture
def install_env(fake_root: dict[str, str]) -> dict[str, str]:  # noqa: F811
    """The install script's fakes; the role gives each device its own ROOT, which starts as
    a bare system (the fakes' useradd and groupadd edit its passwd and group)."""
    if not PLAYBOOK.exists():
        pytest.fail(f"{PLAYBOOK} is missing: make bootstrap installs ansible-core (dev extra)")
    base = Path(fake_root["ROOT"]) / "etc"
    for host in HOSTS:
        etc = base.parents[1] / host / "etc"
        etc.mkdir(parents=True)
        for name in ("passwd", "group"):
            shutil.copy(base / name, etc / name)
    return {k: v for k, v in fake_root.items() if k.startswith("ATTUNE_") or k == "CALLS"}


def test_fleet_install_idempotence_bad_push_and_status(tmp_path: Path, install_env) -> None:
    inventory = _inventory(tmp_path, install_env)
    code, out, recap = _play(tmp_path, inventory)
    assert code == 0, out
    for host in HOSTS:
        assert recap[host]["changed"] > 0 and recap[host]["failed"] == 0, out
        etc = tmp_path / host / "etc" / "attune"
        want = inventory["attune"]["hosts"][host]
        assert yaml.safe_load((etc / "attune.yaml").read_text()) == want["attune_config"]
        assert yaml.safe_load((etc / "conf.d" / "retention.yaml").read_text()) == {
            "store": {"retention_days": 365}
        }
        profile = etc / "listeners" / "L-0001.yaml"
        assert yaml.safe_load(profile.read_text())["id"] == "L-0001"
        assert profile.stat().st_mode & 0o777 == 0o600
        assert (etc / "listeners").stat().st_mode & 0o777 == 0o700
        # The program came from the install script; the shipped configuration sits beside ours.
        assert (tmp_path / host / "etc/systemd/system/attune.service").is_file()
        assert (etc / "attune.yaml.dist").read_bytes() == (
            PROJECT / "config" / "attune.yaml"
        ).read_bytes()

    code, out, recap = _play(tmp_path, inventory)
    assert code == 0, out
    assert {h: recap[h]["changed"] for h in HOSTS} == {"pi-a": 0, "pi-b": 0}, out

    # A bad push: an unknown key for one device, a listener with an invalid goal for the other.
    before = _etc(tmp_path)
    bad = _inventory(
        tmp_path,
        install_env,
        **{
            "pi-a": {"attune_conf_d": {"retention": {"store": {"retention_dayz": 30}}}},
            "pi-b": {"attune_listeners": {"L-0001": {"goal": "relaks"}}},
        },
    )
    bad["attune"]["vars"]["attune_install"] = False  # the same program: only the files differ
    code, out, recap = _play(tmp_path, bad)
    assert code != 0
    assert recap["pi-a"]["failed"] == 1 and recap["pi-b"]["failed"] == 1, out
    assert "store.retention_dayz" in out and "'relaks' is not allowed" in out
    assert _etc(tmp_path) == before

    # Every device's health in one table.
    code, out, _ = _play(tmp_path, inventory, "status.yml")
    assert code == 0, out
    with (tmp_path / "fleet" / "fleet.csv").open() as f:
        rows = {r["host"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(HOSTS)
    for host in HOSTS:
        answer = json.loads((tmp_path / "fleet" / "hosts" / f"{host}.json").read_text())
        assert answer["state_dir"] == f"{tmp_path / host}/var/lib/attune"
        assert rows[host]["config"] == "ok"
        assert rows[host]["service"] == "unknown"  # installed, never started here
        assert "has not run with this state folder" in rows[host]["alerts"]
    assert (tmp_path / "fleet" / "fleet.md").read_text().startswith("| host | service |")


def test_fleet_table_lists_a_device_that_did_not_answer(tmp_path: Path) -> None:
    sys.path.insert(0, str(ANSIBLE_DIR))
    try:
        import fleet_table
    finally:
        sys.path.remove(str(ANSIBLE_DIR))
    hosts = tmp_path / "hosts"
    hosts.mkdir()
    report = {
        "service": {"state": "idle"},
        "version": "0.1.0",
        "config": {"ok": True},
        "sensors": {"ppg": {"level": "ok"}, "gsr": {"level": "down"}, "ble_hr": {"level": "off"}},
        "sessions": {"count": 3, "last": {"started": "2026-05-02T21:00:00+00:00", "status": "x"}},
        "store_bytes": 3 * 1024 * 1024,
        "disk": {"free_bytes": 2048 * 1024 * 1024},
        "alerts": ["sensor gsr down: ADS1115 | not found"],
    }
    (hosts / "pi-ok.json").write_text(json.dumps(report))
    (hosts / "pi-garbled.json").write_text("Traceback (most recent call last):")
    assert fleet_table.main([str(hosts), str(tmp_path), "pi-ok", "pi-gone", "pi-garbled"]) == 0
    with (tmp_path / "fleet.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["host"] for r in rows] == ["pi-garbled", "pi-gone", "pi-ok"]
    assert rows[1]["service"] == "no answer" and rows[1]["alerts"] == "unreachable or no status"
    assert rows[0]["alerts"].startswith("unreadable answer:")
    assert rows[2]["gsr"] == "down" and rows[2]["store_mb"] == "3.0"
    assert rows[2]["disk_free_mb"] == "2048"
    markdown = (tmp_path / "fleet.md").read_text()
    assert "ADS1115 \\| not found" in markdown  # a pipe in an alert does not split the row

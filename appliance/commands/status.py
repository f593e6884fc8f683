"""attune status [--json]: the device's health at a glance, from the device itself.

For a technician at the box (or Ansible over SSH): the service's state and each part's health
as the service last wrote them (status.json in the state folder), the version, the
configuration check, the last session, the store's size, free disk, the model, and every alert
in one list. No network port is opened; nothing is written. Exit 0 without alerts, 1 with.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appliance.commands import ETC_DIR

NAME = "status"
HELP = "show the device's health: service, sensors, last session, storage, alerts"

LOW_DISK_BYTES = 500 * 1024 * 1024  # a 20-minute session's records fit many times over
LOW_DISK_FRACTION = 0.05
BAD_SESSION_ENDS = ("alert", "interrupted")
SENSORS = ("ppg", "gsr", "ble_hr")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="one JSON object (for scripts, Ansible)")


def run(args: argparse.Namespace) -> int:
    report = collect(args.config)
    if args.json:
        print(json.dumps(report, indent=1, sort_keys=True))
    else:
        print(render(report))
    return 1 if report["alerts"] else 0


def collect(config_file: Path | None) -> dict[str, Any]:
    from appliance.config import ConfigError, check_command, load_config

    alerts: list[str] = []
    code, text = check_command(config_file, ETC_DIR)
    if code != 0:
        alerts.append("configuration not valid: " + text.splitlines()[0])
    try:
        config = load_config(config_file, etc_dir=ETC_DIR)
    except ConfigError:
        # Status is wanted most when the configuration is broken: carry on with the defaults
        # (an etc folder that cannot exist, so no file is read).
        config = load_config(None, etc_dir=Path(os.devnull))
    state_dir = Path(config.device.state_dir)
    report: dict[str, Any] = {
        "device": socket.gethostname(),
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": _version(),
        "config": {"ok": code == 0, "detail": text.strip()},
        "state_dir": str(state_dir),
    }
    report["service"], health = _service(state_dir, alerts)
    report["sensors"] = _sensors(config, health, alerts)
    report["model"] = _model(health, alerts)
    report["sessions"] = _sessions(state_dir, alerts)
    report["store_bytes"] = _store_bytes(state_dir)
    report["disk"] = _disk(state_dir, alerts)
    report["alerts"] = alerts
    return report


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("attune")
    except PackageNotFoundError:
        return "unknown (not installed as a package)"


def _service(state_dir: Path, alerts: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    from appliance.service.status_file import read_status, writer_running

    document, why = read_status(state_dir)
    if document is None:
        alerts.append(f"service: {why}")
        return {"state": "unknown", "running": False, "detail": why}, {}
    running = writer_running(document)
    state = str(document.get("state", "unknown"))
    service: dict[str, Any] = {
        "state": state if running else "stopped",
        "running": running,
        "since": document.get("written_at"),
        "pid": document.get("pid") if running else None,
        "alert": bool(document.get("alert")) and running,
        "session": document.get("session") if running else None,
    }
    if not running:
        # Stopped cleanly (it wrote "exiting" on the way out) or killed / powered off.
        how = "stopped" if state == "exiting" else f"not running (last seen {state})"
        service["detail"] = f"{how} at {document.get('written_at')}"
        alerts.append(f"service: {service['detail']}")
        return service, {}
    if service["alert"]:
        alerts.append("staff alert: the device is asking for staff (see attune logs)")
    health = document.get("health")
    health = health if isinstance(health, dict) else {}
    for name in ("audio", "store"):
        part = health.get(name, {})
        if part.get("level") == "down":
            alerts.append(f"{name} down: {part.get('detail', '')}".rstrip(": "))
    return service, health


def _sensors(config, health: dict[str, Any], alerts: list[str]) -> dict[str, Any]:
    hw = config.hardware
    emulated = " (emulated)" if hw.emulated else ""
    configured = {
        "ppg": hw.ppg.type + emulated if hw.ppg.enabled else "off",
        "gsr": hw.gsr.type + emulated if hw.gsr.enabled else "off",
        "ble_hr": ", ".join(hw.ble_hr.addresses) or "any strap" if hw.ble_hr.enabled else "off",
    }
    sensors: dict[str, Any] = {}
    for name in SENSORS:
        part = health.get(name)
        level = part.get("level", "unknown") if isinstance(part, dict) else "unknown"
        detail = part.get("detail", "") if isinstance(part, dict) else ""
        sensors[name] = {"configured": configured[name], "level": level, "detail": detail}
        if level in ("down", "degraded"):
            alerts.append(f"sensor {name} {level}: {detail}".rstrip(": "))
    return sensors


def _model(health: dict[str, Any], alerts: list[str]) -> dict[str, Any]:
    from appliance.affect.model_runtime import DEFAULT_MODEL_PATH

    description = DEFAULT_MODEL_PATH.with_suffix(".json")
    model: dict[str, Any] = {"file": str(DEFAULT_MODEL_PATH), "present": False, "sha256": None}
    if DEFAULT_MODEL_PATH.is_file() and description.is_file():
        model["present"] = True
        try:
            model["sha256"] = str(json.loads(description.read_text())["model_sha256"])[:12]
        except (OSError, ValueError, KeyError, TypeError):
            alerts.append(f"model: {description} is unreadable")
    else:
        alerts.append(f"model: {DEFAULT_MODEL_PATH} is missing: sessions play by rules alone")
    part = health.get("model")
    if isinstance(part, dict):
        model["level"], model["detail"] = part.get("level"), part.get("detail", "")
    return model


def _sessions(state_dir: Path, alerts: list[str]) -> dict[str, Any]:
    import sqlite3

    from appliance.app import DB_NAME
    from appliance.store.db import Store

    path = state_dir / DB_NAME
    if state_dir.is_dir() and not os.access(state_dir, os.R_OK | os.X_OK):
        # The service's folder is 0700: another user cannot even see whether a database is there.
        alerts.append(f"store: cannot read {state_dir}: run as root (sudo attune status)")
        return {"count": None, "last": None}
    if not path.exists():
        return {"count": 0, "last": None}
    wal = path.with_name(path.name + "-wal")

    def connect(target: str, **kwargs: Any) -> sqlite3.Connection:
        # No -wal file: no service has the database open. A read-only connection would still
        # create -wal and -shm (owned by whoever runs this, often root, which would lock the
        # service out); immutable reads the file as it is and creates nothing.
        if not wal.exists():
            target += "&immutable=1"
        return sqlite3.connect(target, **kwargs)

    try:
        # Read-only: a status check never migrates, recovers or creates anything.
        with Store(path, read_only=True, connect=connect) as store:
            rows = store.sessions()
    except (sqlite3.Error, OSError) as exc:
        alerts.append(f"store: cannot read {path}: {exc}")
        return {"count": None, "last": None}
    if not rows:
        return {"count": 0, "last": None}
    last = max(rows, key=lambda r: (r.started_wall, r.id))
    summary = {
        "id": last.id,
        "started": last.started_wall.isoformat(timespec="seconds"),
        "ended": last.ended_wall.isoformat(timespec="seconds") if last.ended_wall else None,
        "minutes": round((last.duration_s or 0.0) / 60, 1),
        "status": last.status,
    }
    if last.status in BAD_SESSION_ENDS:
        alerts.append(f"last session {last.id} ended as {last.status} ({summary['started']})")
    return {"count": len(rows), "last": summary}


def _store_bytes(state_dir: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(state_dir):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                continue  # removed while we walked
    return total


def _disk(state_dir: Path, alerts: list[str]) -> dict[str, Any]:
    probe = state_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    usage = shutil.disk_usage(probe)
    disk = {"free_bytes": usage.free, "total_bytes": usage.total}
    if usage.free < LOW_DISK_BYTES or usage.free < LOW_DISK_FRACTION * usage.total:
        alerts.append(f"disk almost full: {_size(usage.free)} free on {probe}")
    return disk


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def render(report: dict[str, Any]) -> str:
    service = report["service"]
    state = service["state"] + (f" (pid {service['pid']})" if service.get("pid") else "")
    if service.get("session"):
        state += f", listener {service['session'].get('listener') or 'anonymous'}"
    lines = [
        ("Device", report["device"]),
        ("Version", report["version"]),
        ("Service", state),
        ("Configuration", "OK" if report["config"]["ok"] else "NOT VALID"),
    ]
    for name, sensor in report["sensors"].items():
        detail = f" ({sensor['detail']})" if sensor["detail"] else ""
        lines.append((f"Sensor {name}", f"{sensor['configured']}: {sensor['level']}{detail}"))
    model = report["model"]
    model_text = f"{model['file']} sha256 {model['sha256']}" if model["present"] else "missing"
    if model.get("level"):
        model_text += f"; {model['level']}" + (f" ({model['detail']})" if model["detail"] else "")
    lines.append(("Model", model_text))
    last = report["sessions"]["last"]
    lines.append(
        (
            "Last session",
            f"#{last['id']} {last['started']}, {last['minutes']} min, {last['status']}"
            if last
            else "none recorded",
        )
    )
    count = report["sessions"]["count"]
    lines.append(("Sessions kept", "unknown" if count is None else str(count)))
    lines.append(("Store", f"{_size(report['store_bytes'])} in {report['state_dir']}"))
    disk = report["disk"]
    lines.append(("Disk free", f"{_size(disk['free_bytes'])} of {_size(disk['total_bytes'])}"))
    width = max(len(k) for k, _ in lines)
    text = [f"{k:<{width}}  {v}" for k, v in lines]
    text.append(f"{'Alerts':<{width}}  {'none' if not report['alerts'] else ''}".rstrip())
    text += [f"  - {a}" for a in report["alerts"]]
    if not report["config"]["ok"]:
        text.append(report["config"]["detail"])
    return "\n".join(text)

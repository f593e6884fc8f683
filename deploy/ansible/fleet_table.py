#!/usr/bin/env python3
"""Each device's `attune status --json` (one file per host) → one fleet table, CSV and Markdown.

    fleet_table.py HOSTS_DIR OUT_DIR [HOST ...]

A host named on the command line without a file (unreachable, or its answer was not JSON) gets
a row saying so: a device that did not answer is the first one a technician must see. Only the
standard library, so it runs with any controller's Python.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

COLUMNS = (
    "host",
    "service",
    "version",
    "config",
    "ppg",
    "gsr",
    "ble_hr",
    "last_session",
    "last_status",
    "sessions",
    "store_mb",
    "disk_free_mb",
    "alerts",
)


def row(host: str, report: dict[str, Any] | None, problem: str = "") -> dict[str, str]:
    if report is None:
        return {c: "" for c in COLUMNS} | {"host": host, "service": "no answer", "alerts": problem}
    sensors = report.get("sensors", {})
    sessions = report.get("sessions", {})
    last = sessions.get("last") or {}
    mb = 1024 * 1024
    return {
        "host": host,
        "service": str(report.get("service", {}).get("state", "")),
        "version": str(report.get("version", "")),
        "config": "ok" if report.get("config", {}).get("ok") else "NOT VALID",
        **{n: str(sensors.get(n, {}).get("level", "")) for n in ("ppg", "gsr", "ble_hr")},
        "last_session": str(last.get("started", "")),
        "last_status": str(last.get("status", "")),
        "sessions": str(sessions.get("count", "")),
        "store_mb": f"{report.get('store_bytes', 0) / mb:.1f}",
        "disk_free_mb": f"{report.get('disk', {}).get('free_bytes', 0) / mb:.0f}",
        "alerts": "; ".join(report.get("alerts", [])),
    }


def read(path: Path) -> tuple[dict[str, Any] | None, str]:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"unreadable answer: {exc}"
    if not isinstance(report, dict):
        return None, "unreadable answer: not a JSON object"
    return report, ""


def table(hosts_dir: Path, hosts: list[str]) -> list[dict[str, str]]:
    files = {p.stem: p for p in hosts_dir.glob("*.json")}
    rows = []
    for host in sorted(set(hosts) | set(files)):
        if host in files:
            rows.append(row(host, *read(files[host])))
        else:
            rows.append(row(host, None, "unreachable or no status"))
    # Devices with alerts first, then by name.
    rows.sort(key=lambda r: (r["alerts"] == "", r["host"]))
    return rows


def markdown(rows: list[dict[str, str]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(r[c]) for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: fleet_table.py HOSTS_DIR OUT_DIR [HOST ...]", file=sys.stderr)
        return 2
    hosts_dir, out_dir = Path(argv[0]), Path(argv[1])
    rows = table(hosts_dir, argv[2:])
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "fleet.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    (out_dir / "fleet.md").write_text(markdown(rows), encoding="utf-8")
    alerts = sum(1 for r in rows if r["alerts"])
    print(f"{len(rows)} device(s), {alerts} with alerts: {out_dir / 'fleet.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

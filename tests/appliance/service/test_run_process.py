"""`attune run` as systemd runs it: a real process, READY over NOTIFY_SOCKET, SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.appliance.service.service_harness import process_config

PROJECT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_ready_then_sigterm_records_the_session(tmp_path: Path) -> None:
    config = tmp_path / "attune.yaml"
    config.write_text(process_config(tmp_path / "state"))
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(60)
    env = dict(os.environ, NOTIFY_SOCKET=str(tmp_path / "notify"), WATCHDOG_USEC="3000000")
    proc = subprocess.Popen(
        [sys.executable, "-m", "appliance.cli", "--config", str(config), "run", "--start-session"],
        cwd=PROJECT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen: list[str] = []
        while not any(m.startswith("READY=1") for m in seen):
            seen.append(notify.recv(4096).decode())
        while "WATCHDOG=1" not in seen:
            seen.append(notify.recv(4096).decode())
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        notify.close()
    assert proc.returncode == 0, err
    assert "session 1 stopped" in err

    from appliance.store.db import Store

    with Store(tmp_path / "state" / "attune.db") as store:
        (row,) = store.sessions()
        assert row.status == "stopped" and row.listener_id is None

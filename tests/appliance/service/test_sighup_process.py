"""SIGHUP to `attune run`, a real process: between sessions it reads the configuration again
(an invalid one is logged and ignored), during a session it waits for the session's end; it
never kills the service without the fade."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.appliance.service.service_harness import process_config

PROJECT = Path(__file__).resolve().parents[3]
WAIT_S = 60.0


class Service:
    """`attune run` with its stderr read line by line, so a test waits for what it logs."""

    def __init__(self, config: Path, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "appliance.cli", "--config", str(config), "run", *extra],
            cwd=PROJECT,
            env={k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"},
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str) -> str:
        while True:
            line = self.lines.get(timeout=WAIT_S)
            if line is None:
                raise AssertionError(f"exited before logging {text!r}:\n{''.join(self.seen)}")
            self.seen.append(line)
            if text in line:
                return line

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=WAIT_S)
        while (line := self.lines.get(timeout=WAIT_S)) is not None:
            self.seen.append(line)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()


def _config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "attune.yaml"
    path.write_text(process_config(tmp_path / "state") + extra)
    return path


@pytest.mark.slow
def test_sighup_between_sessions_reloads_a_valid_config_and_ignores_an_invalid_one(tmp_path):
    config = _config(tmp_path)
    service = Service(config)
    try:
        service.wait_for("ready:")
        config.write_text(config.read_text() + "session:\n  length_min: -3\n")
        service.proc.send_signal(signal.SIGHUP)
        service.wait_for("session.length_min")  # the problem, with its key
        service.wait_for("the running one stays")
        config.write_text(process_config(tmp_path / "state") + "session:\n  length_min: 15\n")
        service.proc.send_signal(signal.SIGHUP)
        service.wait_for("reload: configuration read (session)")
        config.write_text(config.read_text().replace("sample_rate: 16000", "sample_rate: 22050"))
        service.proc.send_signal(signal.SIGHUP)
        service.wait_for("audio changed, which only a restart applies")
        assert service.stop() == 0, "".join(service.seen)
    finally:
        service.kill()


@pytest.mark.slow
def test_sighup_during_a_session_waits_and_the_session_still_fades_and_is_recorded(tmp_path):
    service = Service(_config(tmp_path), "--start-session")
    try:
        service.wait_for("session for anonymous")
        service.proc.send_signal(signal.SIGHUP)
        service.wait_for("reload asked during a session")
        assert service.proc.poll() is None
        assert service.stop() == 0, "".join(service.seen)
    finally:
        service.kill()
    assert any("session 1 stopped" in line for line in service.seen)

"""The service on the emulated hardware, gpiozero's mock pins and a private notify socket, for
the service's tests."""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from appliance.clock import SimulatedClock
from appliance.config import load_config
from appliance.service.daemon import POLL_S
from appliance.service.run import make_service
from appliance.service.sdnotify import Notifier
from appliance.session.seams import Rendering
from appliance.simulate.listener import demo_listener
from drivers.gpio import make_pin_factory

BUTTON, LED, SECOND = 17, 12, 27  # the shipped default pins
WAIT_S = 30.0

CONFIG = """\
device:
  state_dir: {state}
hardware:
  emulated: true
  gpio:
    pin_factory: mock
    second_button: {second}
    second_button_pin: 27
audio:
  output: wav
  sample_rate: 16000
session:
  length_min: 10
  calibration_min: 1
  segment_min: 1.0
prompts:
  enabled: false
listeners:
  dir: {listeners}
store:
  retention_days: 30
"""


class Harness:
    def __init__(
        self,
        tmp_path: Path,
        *,
        listeners: str = "",
        watchdog_usec: int = 0,
        connect_db: Callable[..., sqlite3.Connection] = sqlite3.connect,
        second_button: str = "distress",
        **service: object,  # more of make_service's arguments (now_local, wall_steps, …)
    ) -> None:
        folder = tmp_path / "listeners"
        folder.mkdir()
        if listeners:
            (folder / "p.yaml").write_text(listeners)
        path = tmp_path / "attune.yaml"
        path.write_text(
            CONFIG.format(state=tmp_path / "state", listeners=folder, second=second_button)
        )
        self.config = load_config(path)
        self.ui = SimulatedClock(start=100.0)
        self.factory = make_pin_factory("mock", clock=self.ui.now)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(tmp_path / "notify"))
        self.notify.setblocking(False)
        self.inbox: list[str] = []
        env = {"NOTIFY_SOCKET": str(tmp_path / "notify")}
        if watchdog_usec:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        self.powered_off: list[float] = []
        self.service = make_service(
            self.config,
            clock=SimulatedClock(),
            ui_clock=self.ui,
            notifier=Notifier(env),
            power_off=lambda: self.powered_off.append(self.ui.now()) or True,
            pin_factory=self.factory,
            render_ahead=False,
            rendering=Rendering.INLINE,
            listener=demo_listener(seed=2),
            connect_db=connect_db,
            **service,
        )
        self.button = self.factory.pin(BUTTON)
        self.led = self.factory.pin(LED)

    def _drain(self) -> None:
        while True:
            try:
                self.inbox.append(self.notify.recv(4096).decode())
            except BlockingIOError:
                return

    def messages(self) -> list[str]:
        """What systemd was told since the last call."""
        self._drain()
        out, self.inbox = self.inbox, []
        return out

    def run(self, seconds: float) -> None:
        for _ in range(round(seconds / POLL_S)):
            self.ui.advance(POLL_S)
            self.service.tick()
            self._drain()  # as systemd would: its queue never fills

    def tap(self, pin=None) -> None:
        pin = pin or self.button
        pin.drive_low()
        self.run(0.15)
        pin.drive_high()
        self.run(0.6)  # past the double-press window: a press

    def until(self, predicate: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT_S
        while not predicate():
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}")
            self.run(POLL_S)
            time.sleep(0.005)

    def close(self) -> None:
        if self.service.running is not None:
            self.service.request_exit()
            self.until(lambda: self.service.running is None, "the session to end")
        self.service.close()
        self.service.appliance.close()
        self.factory.close()
        self.notify.close()


# A whole `attune run` on the emulated hardware, for the tests that start the real process.
PROCESS_CONFIG = """\
device:
  state_dir: {state}
hardware:
  emulated: true
  gpio:
    pin_factory: mock
audio:
  output: wav
  sample_rate: 16000
prompts:
  enabled: false
listeners:
  dir: {listeners}
"""


def process_config(state: Path, listeners: Path | None = None) -> str:
    """PROCESS_CONFIG for a state folder; the profiles in `state`/listeners unless given."""
    return PROCESS_CONFIG.format(state=state, listeners=listeners or state / "listeners")

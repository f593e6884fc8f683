"""Hardware-in-the-loop tests: a real Raspberry Pi with the sensors, button, LED and speaker wired.

Skipped everywhere else. On the Pi, with the service stopped (it holds the pins and the sound
card) and an operator at the terminal:

    sudo systemctl stop attune
    ATTUNE_HIL=1 /opt/attune/current/venv/bin/python -m pytest hil/  # checkout: .venv/bin/python

ATTUNE_HIL_CONFIG=FILE uses FILE instead of /etc/attune. ATTUNE_HIL_GSR_KOHM lists the resistors
(kΩ, comma-separated) the GSR test asks for; the default is 100,220,470 (see docs/install.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.config import Config, load_config
from appliance.config.loader import ETC_DIR

I2C_DEVICE = Path("/dev/i2c-1")


def hil_enabled() -> tuple[bool, str]:
    if os.environ.get("ATTUNE_HIL") != "1":
        return False, "hardware-in-the-loop tests run only with ATTUNE_HIL=1 on a wired Pi"
    if not I2C_DEVICE.exists():
        return False, f"{I2C_DEVICE} not found: not a Pi with I2C enabled"
    return True, ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    enabled, reason = hil_enabled()
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.hil)
            if not enabled:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def hil_config() -> Config:
    path = os.environ.get("ATTUNE_HIL_CONFIG")
    return load_config(Path(path) if path else None, etc_dir=ETC_DIR)


class Operator:
    """Prompts the person at the terminal, through /dev/tty so pytest's capturing is no bother."""

    def __init__(self, tty) -> None:
        self._tty = tty

    def say(self, text: str) -> None:
        self._tty.write(f"\n>>> {text}\n")
        self._tty.flush()

    def confirm(self, question: str) -> bool:
        self._tty.write(f"\n>>> {question} [y/n] ")
        self._tty.flush()
        return self._tty.readline().strip().lower().startswith("y")

    def wait_for_enter(self, text: str) -> None:
        self._tty.write(f"\n>>> {text} (Enter when ready) ")
        self._tty.flush()
        self._tty.readline()


@pytest.fixture(scope="session")
def operator() -> Iterator[Operator]:
    try:
        tty = open("/dev/tty", "r+")  # noqa: SIM115
    except OSError:
        pytest.skip("needs an operator at a terminal (/dev/tty)")
    with tty:
        yield Operator(tty)

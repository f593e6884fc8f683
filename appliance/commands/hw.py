"""attune hw check: probe the sensors, play a tone, blink the LED, look for the wearables."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from appliance.clock import MonotonicClock
from appliance.commands import config_from
from appliance.hwcheck.probes import BLE_SCAN_S, all_passed, format_table

NAME = "hw"
HELP = "check the hardware: I2C sensors, audio, LED and button, BLE wearables"
PARTS = ("i2c", "audio", "gpio", "ble")
SERVICE_BUSY = (
    "attune hw check: attune.service is running and holds the audio device and GPIO pins; "
    "stop it first (sudo systemctl stop attune) or some checks will fail"
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ck = sub.add_parser("check", help="probe every part and print OK / FAIL with what to do")
    ck.add_argument(
        "--skip", action="append", choices=PARTS, default=[], help="leave a part out (repeatable)"
    )
    ck.add_argument(
        "--ble-timeout", type=float, default=BLE_SCAN_S, help="seconds to scan for wearables"
    )
    ck.add_argument("--tone-file", type=Path, help="write the test tone to this WAV file")


def run(args: argparse.Namespace) -> int:
    # Here, not at the top: every `attune` command (the service too) loads this module.
    from appliance.hwcheck.checks import run_checks

    config = config_from(args)
    if not config.hardware.emulated and _service_running():
        print(SERVICE_BUSY, file=sys.stderr)
    results = run_checks(
        config,
        clock=MonotonicClock(),
        skip=set(args.skip),
        ble_timeout_s=args.ble_timeout,
        tone_file=args.tone_file,
    )
    print(format_table(results))
    return 0 if all_passed(results) else 1


def _service_running() -> bool:
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        return False
    done = subprocess.run(
        [systemctl, "is-active", "--quiet", "attune.service"], capture_output=True, check=False
    )
    return done.returncode == 0

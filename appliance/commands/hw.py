"""attune hw check: probe the sensors, play a tone, blink the LED, look for the wearables;
attune hw calibrate gsr: set the Grove GSR's trimmer and check K with known resistors."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from appliance.clock import MonotonicClock
from appliance.commands import config_from
from appliance.hwcheck.gsr_setup import DEFAULT_RESISTORS_KOHM
from appliance.hwcheck.probes import BLE_SCAN_S, all_passed, format_table

NAME = "hw"
HELP = "check the hardware (I2C sensors, audio, LED and button, BLE wearables); set up the GSR"
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
    cal = sub.add_parser(
        "calibrate", help="set the GSR's trimmer to half scale, then check K with resistors"
    )
    cal.add_argument("part", choices=["gsr"], help="the part to set up")
    cal.add_argument(
        "--resistors",
        type=_resistors,
        default=DEFAULT_RESISTORS_KOHM,
        help="known resistors in kΩ, comma-separated (default 100,220,470; 1 %% parts)",
    )


def _resistors(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        values = ()
    if not values or any(not 1.0 <= v <= 10_000.0 for v in values):
        raise argparse.ArgumentTypeError(f"kΩ values 1..10000, comma-separated: {text!r}")
    return values


def run(args: argparse.Namespace) -> int:
    # Here, not at the top: every `attune` command (the service too) loads this module.
    from appliance.hwcheck.checks import calibrate_gsr, run_checks

    config = config_from(args)
    if not config.hardware.emulated and _service_running():
        print(SERVICE_BUSY, file=sys.stderr)
    if args.action == "calibrate":
        try:
            return calibrate_gsr(
                config,
                clock=MonotonicClock(),
                ask=input,
                say=print,
                resistors_kohm=args.resistors,
            )
        except (OSError, EOFError) as exc:  # no ADC on the bus, or no one at the terminal
            print(f"attune hw calibrate gsr: {exc}", file=sys.stderr)
            return 1
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

"""`attune demo`: a whole adaptive session on emulated hardware, on a simulated clock.

A virtual listener sits behind the register-level MAX30102 and ADS1115 emulators and hears the
music the session plays, so the loop is closed: music → physiology → sensors → pipeline →
sequencer → music. Everything is written under the output folder.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from appliance.vocabulary import GOALS

NAME = "demo"
HELP = "run a simulated session end to end on emulated hardware"

DEMO_CONFIG = """\
# The configuration `attune demo` ran with: emulated sensors, audio to a WAV file.
device:
  state_dir: {out}
hardware:
  emulated: true
audio:
  output: wav
  sample_rate: 22050        # half the device's rate: the demo renders 20 minutes in seconds
session:
  goal: {goal}
  length_min: {minutes}
"""


DEMO_FILES = ("demo.yaml", "session.wav", "report.png")  # and the database's files


def foreign_contents(out: Path, db_name: str) -> list[str]:
    """What in `out` a previous demo did not write: a demo starts by deleting its old database,
    so it must never be pointed at a real state folder by mistake. A folder is a demo's only
    when its demo.yaml carries the demo's own first line and nothing else lives beside it."""
    if not out.exists():
        return []
    if not out.is_dir():
        return [out.name]
    names = sorted(p.name for p in out.iterdir())
    foreign = [n for n in names if n not in DEMO_FILES and not n.startswith(db_name)]
    marker = out / "demo.yaml"
    first_line = DEMO_CONFIG.splitlines()[0]
    if names and not foreign:
        try:
            ours = marker.is_file() and marker.read_text().splitlines()[:1] == [first_line]
        except (OSError, UnicodeDecodeError):
            ours = False
        if not ours:
            foreign = [n for n in names if n != "demo.yaml"] or ["demo.yaml"]
    return foreign


class StatusPrinter:
    """One live line on a terminal; one line per simulated minute in a log or a pipe."""

    def __init__(self, stream=sys.stdout) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last_minute = -1

    def __call__(self, status) -> None:
        if self.tty:
            self.stream.write("\r" + status.line().ljust(100))
            self.stream.flush()
            return
        minute = int(status.elapsed_s // 60)
        if minute != self._last_minute:
            self._last_minute = minute
            print(status.line(), file=self.stream, flush=True)

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")


def run_demo(out: Path, *, minutes: float = 20.0, goal: str = "relax", seed: int = 0) -> int:
    # Imported here, not at the top: every `attune` command loads this module to list itself.
    from appliance.app import DB_NAME, build
    from appliance.clock import SimulatedClock, zone
    from appliance.config import load_config
    from appliance.report.outcomes import LABELS, session_outcome
    from appliance.report.session_png import render_session_png
    from appliance.report.words import calm_text, measure_line
    from appliance.simulate.listener import demo_listener

    foreign = foreign_contents(out, DB_NAME)
    if foreign:
        shown = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
        print(
            f"attune: {out} holds more than a previous demo's output ({shown}); the demo starts "
            "a fresh database there and will not touch it. Choose an empty or new folder "
            "with --out.",
            file=sys.stderr,
        )
        return 1
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o700)  # it holds a (simulated) listener's health record
    for stale in out.glob(DB_NAME + "*"):
        stale.unlink()  # each demo starts with a fresh database
    config_path = out / "demo.yaml"
    config_path.write_text(DEMO_CONFIG.format(out=out.resolve(), goal=goal, minutes=minutes))
    config = load_config(config_path)
    clock = SimulatedClock()
    listener = demo_listener(seed=seed)
    appliance = build(config, clock, listener=listener)
    printer = StatusPrinter()
    truth = [listener.true_arousal(0.0)]  # the listener's hidden state, sampled each window

    def on_status(status) -> None:
        truth.append(listener.true_arousal(clock.now()))
        printer(status)

    wall = time.perf_counter()
    sensors = appliance.open_sensors()
    sink = appliance.make_sink(out / "session.wav")
    try:
        print(
            f"Demo: a {minutes:g}-minute {goal} session with a simulated listener "
            f"(emulated MAX30102 + ADS1115), simulated clock."
        )
        session = appliance.new_session(
            sensors=sensors, sink=sink, listener_id="demo-listener", goal=goal, on_status=on_status
        )
        try:
            result = session.run()
        finally:
            printer.done()
            sink.close()
            sensors.close()
        tz = zone(config.device.timezone)
        report = render_session_png(appliance.store, result.session_id, out / "report.png", tz)
        outcome = session_outcome(appliance.store, result.session_id)
    finally:
        appliance.close()
    took = time.perf_counter() - wall
    print(
        f"\nSession {result.session_id} {result.status} after {result.duration_s / 60:.1f} min "
        f"(simulated) in {took:.1f} s."
    )
    # The same figures, words and rounding as `attune sessions show` and the report.
    for name in LABELS:
        print(f"  {measure_line(outcome, name)}")
    print(f"  Time to calm: {calm_text(outcome)}")
    print(
        f"  True arousal: start {truth[0]:.2f}, lowest {min(truth):.2f}, end {truth[-1]:.2f} "
        "(the virtual listener's hidden state, for comparison)"
    )
    print(f"Wrote {out / 'session.wav'}, {report} and {out / DB_NAME}")
    return 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder")
    p.add_argument("--minutes", type=float, default=20.0, help="session length (default 20)")
    p.add_argument("--goal", choices=GOALS, default="relax")
    p.add_argument("--seed", type=int, default=0, help="the virtual listener's seed")


def run(args: argparse.Namespace) -> int:
    return run_demo(args.out, minutes=args.minutes, goal=args.goal, seed=args.seed)

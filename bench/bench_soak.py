"""The soak: simulated hours of sessions back to back, with I2C faults at random.

Real sessions built by the wiring root (`appliance.app.build`) on the emulated bus and a
simulated clock, with a virtual listener behind the sensor emulators; no music is rendered
(a silent renderer, a sink that discards frames) so a day fits in minutes. Each session gets a
few seeded faults: EIO bursts of 0.2-2 s on either sensor, and a sensor unplugged for 10-60 s
and plugged back in. The store's retention purge runs once per simulated day with a 1-day
retention; sessions are stamped with a simulated wall clock so they age in simulated days.

Figures: sessions run and how they ended, faults injected, `sensor_lost`/`sensor_back` events,
resident memory (VmRSS) and open file descriptors at the end of the first simulated hour and at
the end: the peer is the process itself after its first hour, so a ratio near 1.00 is flat.
Then sessions kept against those within retention, and the peak (VmHWM).
"""

from __future__ import annotations

import logging
import os
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

SOAK_HOURS = 24.0
# A 10-minute session takes about 7 s of wall time on a 2-core machine (the emulated sensors'
# register-level physiology is most of it), so a full day (144 sessions) takes about 17 min;
# the budget leaves room for that and stops a slower machine, saying how far it got.
WALL_BUDGET_S = 1500.0
SESSION_MIN, CALIBRATION_MIN = 10, 1
RETENTION_DAYS = 1
SAMPLE_RATE = 16000
SEED = 24
WALL_BASE = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # the simulated wall clock's start

CONFIG = """\
device:
  state_dir: {state}
hardware:
  emulated: true
audio:
  output: wav
  sample_rate: {rate}
prompts:
  enabled: false
session:
  goal: relax
  length_min: {length}
  calibration_min: {calibration}
store:
  retention_days: {retention}
"""


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@dataclass
class Faults:
    """One session's seeded faults, in session seconds: bursts (sensor, start, length) and
    unplugs (sensor, start, length)."""

    bursts: list[tuple[str, float, float]] = field(default_factory=list)
    unplugs: list[tuple[str, float, float]] = field(default_factory=list)


def plan_faults(rng: random.Random, session_s: float) -> Faults:
    faults = Faults()
    for _ in range(rng.randint(1, 3)):
        faults.bursts.append(
            (rng.choice(("ppg", "gsr")), rng.uniform(30.0, session_s - 10.0), rng.uniform(0.2, 2.0))
        )
    # At most one unplug, well inside the session so the re-plug happens before it ends.
    if rng.random() < 0.7:
        length = rng.uniform(10.0, 60.0)
        faults.unplugs.append(
            (rng.choice(("ppg", "gsr")), rng.uniform(60.0, session_s - length - 30.0), length)
        )
    return faults


def _stamp_with(records, wall_of):
    """Session records whose start is stamped by the simulated wall clock."""
    start = records.start_session

    def start_session(listener_id, goal, planned_s, wall_start=None, **kw):
        return start(listener_id, goal, planned_s, wall_start or wall_of(), **kw)

    records.start_session = start_session
    return records


def run_session(appliance, rng: random.Random, wall_of, tally: Counter) -> tuple[int, str]:
    from appliance.simulate.feeds import NullSink
    from drivers.emulated.smbus import BusFault

    cfg = appliance.config
    session_s = cfg.session.length_min * 60.0
    faults = plan_faults(rng, session_s)
    sensors = appliance.open_sensors()
    address = {n: getattr(cfg.hardware, n).address for n in ("ppg", "gsr")}
    t0 = appliance.clock.now()
    for name, start, length in faults.bursts:
        sensors.i2c.inject(BusFault(address[name], t0 + start, t0 + start + length))
    tally["EIO bursts"] += len(faults.bursts)
    pending = list(faults.unplugs)
    unplugged: list[tuple[str, object, float]] = []

    def on_status(status) -> None:
        for item in list(pending):
            name, start, length = item
            if status.elapsed_s >= start:
                pending.remove(item)
                unplugged.append((name, sensors.i2c.detach(address[name]), start + length))
                tally["unplugs"] += 1
        for item in list(unplugged):
            name, device, back_at = item
            if status.elapsed_s >= back_at:
                unplugged.remove(item)
                sensors.i2c.attach(address[name], device)

    sink = NullSink(SAMPLE_RATE)
    session = appliance.new_session(
        sensors=sensors, sink=sink, listener_id="soak-1", on_status=on_status
    )
    session.store = _stamp_with(session.store, wall_of)
    try:
        result = session.run()
        sid, status = result.session_id, result.status
    except Exception as exc:  # a failed session is a figure, not the end of the soak
        tally[f"raised {type(exc).__name__}"] += 1
        sid, status = appliance.store.sessions()[-1].id, "failed"
    finally:
        sink.close()
        sensors.close()
    for event in appliance.store.events(sid):
        if event["kind"] in ("sensor_lost", "sensor_back"):
            tally[event["kind"]] += 1
    return sid, status


def soak(folder: Path, hours: float = SOAK_HOURS) -> dict[str, object]:
    from appliance.app import build
    from appliance.clock import SimulatedClock
    from appliance.config import load_config
    from appliance.simulate.feeds import SilentRenderer
    from appliance.simulate.listener import demo_listener

    path = folder / "attune.yaml"
    path.write_text(
        CONFIG.format(
            state=folder / "state",
            rate=SAMPLE_RATE,
            length=SESSION_MIN,
            calibration=CALIBRATION_MIN,
            retention=RETENTION_DAYS,
        )
    )
    config = load_config(path)
    clock = SimulatedClock()
    appliance = build(config, clock, listener=demo_listener(seed=SEED))
    appliance.renderer.close()
    appliance.renderer = SilentRenderer(SAMPLE_RATE)  # the Renderer seam, without FluidSynth
    rng = random.Random(SEED)

    def wall_of() -> datetime:
        return WALL_BASE + timedelta(seconds=clock.now())

    tally: Counter = Counter()
    statuses: Counter = Counter()
    started: list[datetime] = []
    purged = 0
    day = 1
    first_hour: tuple[int, int] | None = None
    t_wall = time.perf_counter()
    # The sensors' lost/back warnings are counted from the store's events, not printed.
    logging.disable(logging.WARNING)
    try:
        while clock.now() < hours * 3600.0 and time.perf_counter() - t_wall < WALL_BUDGET_S:
            started.append(wall_of())
            _, status = run_session(appliance, rng, wall_of, tally)
            statuses[status] += 1
            if first_hour is None and clock.now() >= 3600.0:
                first_hour = (_status_kb("VmRSS"), _fds())
            if clock.now() >= day * 86400.0:
                purged += appliance.store.purge_older_than(config.store.retention_days, wall_of())
                day += 1
        end = (_status_kb("VmRSS"), _fds())  # the process as it runs, before closing
        days = config.store.retention_days
        purged += appliance.store.purge_older_than(days, wall_of())
        # A soak shorter than the retention leaves nothing to purge: the next purge is then
        # run a day after the middle session started: it and those before it age out.
        if clock.now() < days * 86400.0:
            later = started[len(started) // 2] + timedelta(days=days, seconds=1)
            purged += appliance.store.purge_older_than(days, later)
        else:
            later = wall_of()
        cutoff = later - timedelta(days=days)
        expected = sum(1 for s in started if s >= cutoff)
        kept = len(appliance.store.sessions())
    finally:
        logging.disable(logging.NOTSET)
        appliance.close()
    return {
        "hours": clock.now() / 3600.0,
        "sessions": sum(statuses.values()),
        "statuses": statuses,
        "tally": tally,
        "first_hour": first_hour or end,
        "end": end,
        "kept": kept,
        "expected": expected,
        "purged": purged,
        "wall_s": time.perf_counter() - t_wall,
        "peak_mb": _status_kb("VmHWM") / 1024.0,
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="attune-soak-") as tmp:
        r = soak(Path(tmp))
    tally, statuses = r["tally"], r["statuses"]
    if r["hours"] < SOAK_HOURS:
        print(
            f"NOTE: {r['hours']:.1f} of {SOAK_HOURS:g} simulated hours: the {WALL_BUDGET_S:g} s "
            "wall budget ran out first (one session takes several seconds on this machine)"
        )
    print(
        f"soaked {r['hours']:.1f} simulated hours: {r['sessions']} sessions of {SESSION_MIN} min "
        f"back to back in {r['wall_s']:.0f} s wall; "
        + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
    )
    print(
        f"faults injected: {tally['EIO bursts']} EIO bursts (0.2-2 s), {tally['unplugs']} "
        f"unplugs (10-60 s, re-plugged); events: {tally['sensor_lost']} sensor_lost, "
        f"{tally['sensor_back']} sensor_back"
        + "".join(f"; {k} {v}" for k, v in tally.items() if k.startswith("raised"))
    )
    (rss1, fd1), (rss2, fd2) = r["first_hour"], r["end"]
    print(
        f"VmRSS: {rss1 / 1024:.0f} MB after hour 1, {rss2 / 1024:.0f} MB at the end → "
        f"{rss2 / rss1:.3f}× peer (the same process after its first hour)"
    )
    print(f"open fds: {fd1} after hour 1, {fd2} at the end → {fd2 / fd1:.3f}× peer")
    print(
        f"retention {RETENTION_DAYS} day, purged once per simulated day and at the end"
        + (" and a day after the middle session" if r["hours"] < 24 * RETENTION_DAYS else "")
        + f": {r['kept']} sessions kept, {r['expected']} within retention; {r['purged']} purged"
    )
    print(f"peak RSS (VmHWM): {r['peak_mb']:.0f} MB")

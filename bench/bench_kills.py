"""Power cuts: the session and the music import killed (SIGKILL) at random moments, 200 times each.

The service: a process forked from this one (everything already imported, so a kill costs a
fork, not an interpreter's start) builds the service as `attune run` does (the daemon, on the
emulated hardware, gpiozero's mock pins and a simulated clock, without FluidSynth), on one
shared state folder, starts a session as a button press does and reports each simulated
second it reaches down a pipe; it is killed a random 0-4 s of wall time after the
session starts (about 0-6 simulated minutes here). After each kill the store is opened as the
next start opens it, and checked: `PRAGMA integrity_check` is `ok`, the killed session is
`interrupted` with a duration within one progress note (5 s) of what it played, and no
temporary file is left in the state folder.

The music import: the same, on one listener's folder, importing five WAVs; after each kill the
library opens clean (every indexed file exists, every file is indexed, nothing temporary left).

The peer is SQLite itself: the time to open our store after a kill (crash recovery, marking
the session interrupted) against a bare `sqlite3.connect` + `PRAGMA integrity_check` of the
same file, and the library's open against a bare listing of its folder.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

KILLS = 200
SEED = 20261203
SAMPLE_RATE = 16000
PROGRESS_NOTE_S = 5.0  # the session notes its elapsed time this often (appliance/session/loop)
TEMPORARY = (".partial", ".tmp", "-journal")

CONFIG = """\
device:
  state_dir: {state}
hardware:
  emulated: true
  gpio:
    pin_factory: mock
audio:
  output: wav
  sample_rate: {rate}
prompts:
  enabled: false
session:
  goal: relax
  length_min: 10
  calibration_min: 1
"""


def _service_child(config_path: Path, report: int) -> None:
    """In the forked child: the service (`attune run`'s daemon, on gpiozero's mock pins) starts
    a session as a button press does and runs it; each simulated second is written to
    `report`."""
    from appliance.clock import SimulatedClock
    from appliance.config import load_config
    from appliance.service.daemon import POLL_S
    from appliance.service.run import make_service
    from appliance.service.sdnotify import Notifier
    from appliance.session.seams import Rendering
    from appliance.simulate.feeds import SilentRenderer
    from appliance.simulate.listener import demo_listener
    from drivers.gpio import make_pin_factory

    class ReportingClock(SimulatedClock):
        """Reports each simulated second it reaches: what the session has really played."""

        started = False

        def sleep(self, seconds: float) -> None:
            before = int(self.now())
            super().sleep(seconds)
            if self.started and int(self.now()) != before:
                os.write(report, f"{self.now():.3f}\n".encode())

    logging.disable(logging.CRITICAL)
    config = load_config(config_path)
    clock, ui = ReportingClock(), SimulatedClock(start=100.0)
    service = make_service(
        config,
        clock=clock,
        ui_clock=ui,
        notifier=Notifier({}),
        power_off=lambda: True,
        pin_factory=make_pin_factory("mock", clock=ui.now),
        render_ahead=False,
        rendering=Rendering.INLINE,
        listener=demo_listener(seed=os.getpid()),
    )
    # The music itself is not what a power cut tests: no FluidSynth, so a kill lands anywhere
    # in the session's 10 simulated minutes rather than mostly inside a render.
    service.appliance.renderer.close()
    service.appliance.renderer = SilentRenderer(SAMPLE_RATE)
    service.start()
    clock.started = True
    os.write(report, f"started\n{clock.now():.3f}\n".encode())  # then the session's t0
    service.start_session()  # what the button's press calls
    while service.running is not None:
        ui.advance(POLL_S)
        service.tick()
        time.sleep(0.001)
    os.write(report, b"done\n")


def _fork(target, *args) -> tuple[int, int]:
    """The child's pid and the read end of its report pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the benchmark
        os.close(read)
        code = 0
        try:
            target(*args, write)
        except BaseException:
            code = 1
        os._exit(code)
    os.close(write)
    return pid, read


def _kill_after(pid: int, read: int, wait_s: float) -> list[str]:
    """SIGKILL `pid` `wait_s` after it reported "started"; every line it reported."""
    seen = b""
    while b"started\n" not in seen:
        chunk = os.read(read, 65536)
        if not chunk:  # it died on its own before starting: nothing to kill
            break
        seen += chunk
    time.sleep(wait_s)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    chunks = [seen]
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    return b"".join(chunks).decode().split()


def _temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if any(p.name.endswith(t) for t in TEMPORARY)]


def kill_sessions(folder: Path, kills: int, rng: random.Random) -> dict[str, object]:
    from appliance.service.status_file import StatusFile
    from appliance.store.db import Store

    state = folder / "state"
    path = folder / "attune.yaml"
    path.write_text(CONFIG.format(state=state, rate=SAMPLE_RATE))
    db = state / "attune.db"
    tally = {"killed mid-session": 0, "before its first row": 0, "finished first": 0}
    worst_gap_s, problems = 0.0, []
    ours_s = peer_s = 0.0
    rows = 0
    for attempt in range(kills):
        pid, read = _fork(_service_child, path)
        lines = _kill_after(pid, read, rng.uniform(0.0, 4.0))
        times = [float(x) for x in lines if x[0].isdigit()]  # t0, then each second reached
        played_s = times[-1] - times[0] if times else 0.0
        t = time.perf_counter()
        with Store(db) as store:  # what the next start does: recovery included
            ours_s += time.perf_counter() - t
            check = store.integrity_check()
            sessions = store.sessions()
        t = time.perf_counter()
        bare = sqlite3.connect(db)
        bare_check = bare.execute("PRAGMA integrity_check").fetchone()[0]
        bare.close()
        peer_s += time.perf_counter() - t
        if check != "ok" or bare_check != "ok":
            problems.append(f"kill {attempt}: integrity_check {check!r}")
        StatusFile(state)  # the next start's status file sweeps what a kill mid-write left
        leftovers = _temporaries(state)
        if leftovers:
            problems.append(f"kill {attempt}: left {[p.name for p in leftovers]}")
        if len(sessions) == rows:  # killed while it was being built
            tally["before its first row"] += 1
            continue
        rows = len(sessions)
        if "done" in lines:
            tally["finished first"] += 1
            continue
        last = sessions[-1]
        tally["killed mid-session"] += 1
        if last.status != "interrupted":
            problems.append(f"kill {attempt}: session {last.id} recorded {last.status}")
        else:
            # Never more than it played; at most one progress note (and one tick) short of it.
            gap = played_s - last.duration_s
            worst_gap_s = max(worst_gap_s, gap)
            if not -1.0 <= gap <= PROGRESS_NOTE_S + 1.0:
                problems.append(
                    f"kill {attempt}: {last.duration_s:.1f} s recorded, {played_s:.1f} s played"
                )
    return {
        "tally": tally,
        "problems": problems,
        "worst_gap_s": worst_gap_s,
        "ours_s": ours_s,
        "peer_s": peer_s,
        "sessions": len(sessions),
    }


def _song(path: Path, hz: float, seconds: float = 40.0) -> None:
    import soundfile as sf

    t = np.arange(int(seconds * 22050)) / 22050.0
    beat = (np.sin(2 * np.pi * 1.2 * t) > 0.95).astype(float)  # a pulse to find a tempo in
    sf.write(path, 0.3 * np.sin(2 * np.pi * hz * t) * (0.6 + 0.4 * beat), 22050)


def _import_child(root: Path, listener: str, source: Path, report: int) -> None:
    from appliance.music.library import Library

    logging.disable(logging.CRITICAL)
    os.write(report, b"started\n")
    Library(root).import_path(listener, source)
    os.write(report, b"done\n")


def kill_imports(folder: Path, kills: int, rng: random.Random) -> dict[str, object]:
    from appliance.music.library import Library

    logging.disable(logging.WARNING)  # each sweep logs what it removed: counted, not printed

    source = folder / "usb"
    source.mkdir()
    for number in range(5):
        _song(source / f"Song {number}.wav", hz=220.0 + 55 * number)
    root = folder / "music"
    # How long one whole import takes here, so the kills fall inside it: the quickest of three
    # (the first also warms the disk cache; a slow one would put most kills after the end).
    durations = []
    for attempt in range(3):
        t = time.perf_counter()
        pid, read = _fork(_import_child, root, f"whole-{attempt}", source)
        os.waitpid(pid, 0)
        os.close(read)
        durations.append(time.perf_counter() - t)
    whole_s = min(durations)
    tally = {"killed mid-import": 0, "finished first": 0}
    problems: list[str] = []
    ours_s = peer_s = 0.0
    for attempt in range(kills):
        listener = f"L-{attempt % 20:02d}"  # kills land on folders earlier kills left behind
        pid, read = _fork(_import_child, root, listener, source)
        lines = _kill_after(pid, read, rng.uniform(0.0, whole_s))
        tally["finished first" if "done" in lines else "killed mid-import"] += 1
        t = time.perf_counter()
        names = sorted(os.listdir(root / listener)) if (root / listener).is_dir() else []
        peer_s += time.perf_counter() - t
        t = time.perf_counter()
        tracks = Library(root).tracks(listener)
        ours_s += time.perf_counter() - t
        on_disk = {p.name for p in (root / listener).iterdir()} if names else set()
        for track in tracks:
            if not (root / listener / track.file).is_file():
                problems.append(f"kill {attempt}: {track.file} indexed but missing")
        leftovers = _temporaries(root / listener) if names else []
        if leftovers:
            problems.append(f"kill {attempt}: left {[p.name for p in leftovers]}")
        indexed = {t.file for t in tracks}
        orphans = {n for n in on_disk if n.endswith(".wav")} - indexed
        if orphans:
            problems.append(f"kill {attempt}: files no index names: {sorted(orphans)}")
    return {
        "tally": tally,
        "problems": problems,
        "whole_s": whole_s,
        "ours_s": ours_s,
        "peer_s": peer_s,
    }


def _peak_mb() -> tuple[float, float]:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / 1024.0, children / 1024.0


def main() -> None:
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory(prefix="attune-kills-") as tmp:
        r = kill_sessions(Path(tmp), KILLS, rng)
    t = r["tally"]
    print(
        f"the service: {KILLS} SIGKILLs 0-4 s after its session started: "
        f"{t['killed mid-session']} mid-session, "
        f"{t['before its first row']} before the session's first row, "
        f"{t['finished first']} after it ended; {r['sessions']} sessions in the store"
    )
    problems = r["problems"]
    damaged = sum("integrity_check" in p for p in problems)
    left = sum(" left " in p for p in problems)
    print(
        f"  integrity_check not ok after {damaged} of {KILLS} kills; temporary files left after "
        f"{left}; killed sessions recorded interrupted, at most {r['worst_gap_s']:.1f} s short "
        f"of what they played; problems in all: {len(problems)}"
    )
    for line in r["problems"][:10]:
        print("  PROBLEM", line)
    print(
        f"  opening the store after a kill (recovery): {1000 * r['ours_s'] / KILLS:.1f} ms, "
        f"{r['ours_s'] / r['peer_s']:.2f}× peer (bare sqlite3 connect + integrity_check, "
        f"{1000 * r['peer_s'] / KILLS:.1f} ms)"
    )
    with tempfile.TemporaryDirectory(prefix="attune-kills-") as tmp:
        m = kill_imports(Path(tmp), KILLS, rng)
    t = m["tally"]
    print(
        f"music import: {KILLS} SIGKILLs within a {m['whole_s']:.2f} s import of 5 WAVs: "
        f"{t['killed mid-import']} mid-import, {t['finished first']} after it ended; "
        f"problems (orphans, temporaries, indexed but missing): {len(m['problems'])}"
    )
    for line in m["problems"][:10]:
        print("  PROBLEM", line)
    print(
        f"  opening the library after a kill (sweep): {1000 * m['ours_s'] / KILLS:.1f} ms, "
        f"{m['ours_s'] / max(m['peer_s'], 1e-9):.1f}× peer (a bare folder listing)"
    )
    own, children = _peak_mb()
    print(f"peak RSS: this process {own:.0f} MB, the largest killed child {children:.0f} MB")


if __name__ == "__main__":
    main()

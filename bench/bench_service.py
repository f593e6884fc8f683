"""The service on emulated hardware: start-up to READY, button press to first audible sample,
and peak RSS during a session.

- READY: the real `attune run` process, NOTIFY_SOCKET pointing at a datagram socket we listen
  on, timed from spawn to READY=1. Peer: a bare interpreter sending READY=1 at once: the
  floor any Python service on this machine pays. Beside it, `python -X importtime`'s ten
  costliest top-level imports on the way to READY.
- Press → first audible sample (above -60 dBFS, handed to the audio output): the service
  in-process with gpiozero's MockFactory pin pressed for 100 ms, on the real clock. Ours has
  the session's opening rendered ahead while idle; the peer is the same with render-ahead off.
  Measured from the physical press (the pin going low) and from the service's decision to
  start (while idle that is the debounced press-down, 50 ms in: no double-press wait).
- Peak RSS: VmHWM of the real `attune run --start-session` process 20 s into a session
  (kernel's high-water mark, /proc/PID/status: the peak over the process's whole life, so
  the render-ahead while idle counts), against the same process idle at READY.
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# READY within 1 s here stands for about 15 s on a Pi Zero 2 W; 120 MB leaves the Zero's
# 512 MB room for the system, the soundfont's samples and a margin.
TARGET_READY_S, TARGET_PRESS_S, TARGET_RSS_MB = 1.0, 0.100, 120.0
TOP_IMPORTS = 10
RUNS = 3
TAP_S = 0.1  # the emulated finger's press
SESSION_SAMPLE_S = 20.0
PROJECT = Path(__file__).resolve().parents[1]

CONFIG = """\
device:
  state_dir: {state}
hardware:
  emulated: true
  gpio:
    pin_factory: mock
audio:
  output: wav
prompts:
  enabled: false
listeners:
  dir: {state}/listeners
"""

PEER_READY = """
import os, socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
"""


def _listen(folder: Path) -> tuple[socket.socket, str]:
    path = str(folder / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(30.0)
    return sock, path


def _wait_for(sock: socket.socket, prefix: bytes) -> float:
    while True:
        if sock.recv(4096).startswith(prefix):
            return time.perf_counter()


def _vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _spawn(args: list[str], notify: str, config: Path | None) -> subprocess.Popen:
    env = dict(os.environ, NOTIFY_SOCKET=notify, PYTHONPATH=str(PROJECT))
    cmd = [sys.executable, *args]
    if config is not None:
        cmd = [sys.executable, "-m", "appliance.cli", "--config", str(config), *args]
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=PROJECT
    )


def import_top(folder: Path, config: Path) -> list[tuple[float, str]]:
    """`python -X importtime` on `attune run` up to READY: the ten costliest top-level imports
    (cumulative, seconds), i.e. what the start-up pays for before it can be ready."""
    sock, path = _listen(folder)
    log = folder / "importtime.txt"
    env = dict(os.environ, NOTIFY_SOCKET=path, PYTHONPATH=str(PROJECT))
    args = ["-X", "importtime", "-m", "appliance.cli", "--config", str(config), "run"]
    with log.open("w") as err:  # a file, not a pipe: the report is larger than a pipe holds
        proc = subprocess.Popen(
            [sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=err, cwd=PROJECT
        )
        _wait_for(sock, b"READY=1")
        # Only what was imported up to READY: the warm-up's imports follow on its thread.
        upto_ready = log.stat().st_size
        _stop(proc)
    sock.close()
    rows = []
    text = log.read_bytes()[:upto_ready].decode(errors="replace")
    for line in text.splitlines():
        # "import time: self [us] | cumulative | imported package", nesting by indentation
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].rstrip()
        if name.startswith("  "):
            continue  # imported by another module: counted in that one's cumulative time
        rows.append((int(parts[1]) / 1e6, name.strip()))
    return sorted(rows, reverse=True)[:TOP_IMPORTS]


def _stop(proc: subprocess.Popen) -> tuple[int, float]:
    start = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    return code, time.perf_counter() - start


def measure_process(folder: Path, config: Path) -> dict[str, float]:
    ready, peer, idle_rss = [], [], []
    for run in range(RUNS):
        sock, path = _listen(folder / f"r{run}")
        t0 = time.perf_counter()
        proc = _spawn(["run"], path, config)
        ready.append(_wait_for(sock, b"READY=1") - t0)
        idle_rss.append(_vm_hwm_mb(proc.pid))
        _stop(proc)
        sock.close()
        sock, path = _listen(folder / f"p{run}")
        t0 = time.perf_counter()
        proc = _spawn(["-c", PEER_READY], path, None)
        peer.append(_wait_for(sock, b"READY=1") - t0)
        proc.wait(30)
        sock.close()
    sock, path = _listen(folder / "session")
    proc = _spawn(["run", "--start-session"], path, config)
    _wait_for(sock, b"READY=1")
    time.sleep(SESSION_SAMPLE_S)
    session_rss = _vm_hwm_mb(proc.pid)
    code, stop_s = _stop(proc)
    sock.close()
    return {
        "ready_s": statistics.median(ready),
        "peer_ready_s": statistics.median(peer),
        "idle_rss_mb": max(idle_rss),
        "session_rss_mb": session_rss,
        "exit_code": code,
        "stop_s": stop_s,
    }


def _press_once(service, pin, *, render_ahead: bool) -> tuple[float, float]:
    from appliance.service.daemon import POLL_S
    from appliance.service.state import State

    if render_ahead:
        service.appliance.renderer.wait(60)
    t_physical = time.monotonic()  # the service's clock (MonotonicClock)
    pin.drive_low()
    deadline = t_physical + TAP_S

    def release_when_due() -> None:
        if pin.state == 0 and time.monotonic() >= deadline:
            pin.drive_high()

    while service.state is not State.SESSION:
        release_when_due()
        service.tick()
        time.sleep(POLL_S)
    sink = service.sink
    while sink.first_audible is None:
        release_when_due()
        service.tick()
        time.sleep(0.005)
    while pin.state == 0:  # a tap, not a hold
        release_when_due()
        service.tick()
        time.sleep(POLL_S)
    from_gesture = sink.first_audible - service.pressed_at
    from_press = sink.first_audible - t_physical
    service.running.session.request_stop("stopped")
    while service.state is not State.IDLE:
        service.tick()
        time.sleep(POLL_S)
    return from_gesture, from_press


def measure_press(folder: Path, config_path: Path) -> dict[str, float]:
    from appliance.config import load_config
    from appliance.service.run import make_service
    from appliance.service.sdnotify import Notifier

    config = load_config(config_path)
    out: dict[str, float] = {}
    for render_ahead in (True, False):
        service = make_service(
            config, notifier=Notifier({}), power_off=lambda: True, render_ahead=render_ahead
        )
        try:
            service.start()
            pin = service.controls.button.pin
            results = [_press_once(service, pin, render_ahead=render_ahead) for _ in range(RUNS)]
        finally:
            service.close()
            service.appliance.close()
        key = "ours" if render_ahead else "peer"
        out[f"{key}_gesture_s"] = statistics.median(r[0] for r in results)
        out[f"{key}_press_s"] = statistics.median(r[1] for r in results)
    return out


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="attune-bench-") as tmp:
        folder = Path(tmp)
        for name in ("r0", "r1", "r2", "p0", "p1", "p2", "session", "imports"):
            (folder / name).mkdir()
        config = folder / "attune.yaml"
        config.write_text(CONFIG.format(state=folder / "state"))
        proc = measure_process(folder, config)
        top = import_top(folder / "imports", config)
        press = measure_press(folder, config)
    print(
        f"start-up to READY=1 (median of {RUNS}): {proc['ready_s']:.2f} s; "
        f"target {TARGET_READY_S:g} s → {proc['ready_s'] / TARGET_READY_S:.2f}× target; "
        f"peer (bare interpreter) {proc['peer_ready_s']:.2f} s → "
        f"{proc['ready_s'] / proc['peer_ready_s']:.2f}× peer"
    )
    print(f"  python -X importtime, top {TOP_IMPORTS} top-level imports of `attune run` to READY:")
    for seconds, name in top:
        print(f"    {seconds * 1000:7.0f} ms  {name}")
    g, p = press["ours_gesture_s"], press["peer_gesture_s"]
    print(
        f"start decided → first audible sample (median of {RUNS}): {g * 1000:.0f} ms; "
        f"target {TARGET_PRESS_S * 1000:.0f} ms → {g / TARGET_PRESS_S:.2f}× target; "
        f"peer (render-ahead off) {p * 1000:.0f} ms → {g / p:.3f}× peer"
    )
    g, p = press["ours_press_s"], press["peer_press_s"]
    print(
        f"physical press → first audible sample (median of {RUNS}; incl. 50 ms debounce and "
        f"the loop's 25 ms poll): {g * 1000:.0f} ms; target {TARGET_PRESS_S * 1000:.0f} ms → "
        f"{g / TARGET_PRESS_S:.2f}× target; "
        f"peer {p * 1000:.0f} ms → {g / p:.3f}× peer"
    )
    print(
        f"peak RSS (VmHWM) {SESSION_SAMPLE_S:g} s into a session: {proc['session_rss_mb']:.0f} MB; "
        f"target {TARGET_RSS_MB:g} MB → {proc['session_rss_mb'] / TARGET_RSS_MB:.2f}× target; "
        f"peer (same process idle at READY) {proc['idle_rss_mb']:.0f} MB → "
        f"{proc['session_rss_mb'] / proc['idle_rss_mb']:.2f}× peer"
    )
    print(
        f"SIGTERM during the session: exit code {proc['exit_code']}, "
        f"stopped in {proc['stop_s']:.1f} s (the music fades out, the session is recorded)"
    )

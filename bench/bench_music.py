"""Music engine and audio output benchmarks.

1. Render speed on one core: our engine (compose + FluidSynth float render + levels) against
   the `fluidsynth -F` command-line renderer of the very same MIDI with the same settings
   (Debian package `fluidsynth`; skipped with a note when absent). Each runs in its own
   child process pinned to one CPU; peak RSS is that child's ru_maxrss (os.wait4), with and
   without dynamic sample loading.
2. A 60-minute session through the real pyaudio → PortAudio → ALSA path (an ALSA file PCM over
   the null device) with every core busy with a CPU hog: underruns. ALSA's null device is not
   paced, so the bench paces the PortAudio callback itself to a device clock: 60 minutes at
   ACCELERATION × real time (a harsher test: the callback, loop and mixer run 40× as often),
   plus REALTIME_S at real time. Segments are rendered ahead in a worker thread, as the
   session does, and crossfaded by the mixer; as in the session's loop, one thread pulls a
   tick's audio from the mixer and writes it into the ring, the blocking write pacing it.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SEGMENT_S = 180.0
RECIPE = {"tempo_bpm": 72, "density": 0.7, "instrument": "piano", "seed": 1}
SESSION_MIN = 60.0
SESSION_SEGMENT_S = 120.0
ACCELERATION = 40.0
REALTIME_S = float(os.environ.get("ATTUNE_BENCH_REALTIME_S", "20"))  # 3600: the full hour
SAMPLE_RATE = 44100

OURS = """
import json, resource, sys, time
from appliance.music.recipe import Recipe
from appliance.music.render import FluidSynthRenderer
dynamic = sys.argv[1] == "1"
t0 = time.perf_counter()
renderer = FluidSynthRenderer(sample_rate=44100)
if not dynamic:
    renderer._settings["synth.dynamic-sample-loading"] = 0
    renderer._synth.delete(); renderer._synth, _ = renderer._new_synth()
t1 = time.perf_counter()
renderer.render(Recipe(**json.loads(sys.argv[2])), {seconds})
t2 = time.perf_counter()
print(json.dumps({{"load_s": t1 - t0, "render_s": t2 - t1}}))
"""


def _one_core() -> int:
    return sorted(os.sched_getaffinity(0))[-1]


def _run_measured(argv: list[str], env: dict | None = None) -> tuple[str, float, int]:
    """Like _child but reads the child's own peak RSS through wait4."""
    core = _one_core()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child: pin, then become the program
        os.sched_setaffinity(0, {core})
        out_fd = os.open(env["BENCH_OUT"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out_fd, 1)
        os.execvpe(argv[0], argv, env)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"{argv[0]} exited with {status}")
    return Path(env["BENCH_OUT"]).read_text(), wall, usage.ru_maxrss


def render_bench(work: Path) -> None:
    from appliance.music.compose import compose
    from appliance.music.recipe import Recipe
    from appliance.music.render import DEFAULT_SOUNDFONT, REVERB_SETTINGS

    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root, "BENCH_OUT": str(work / "out.txt")}
    script = work / "ours.py"
    script.write_text(OURS.format(seconds=SEGMENT_S))
    results = {}
    for dynamic in ("1", "0"):
        out, wall, rss = _run_measured(
            [sys.executable, str(script), dynamic, json.dumps(RECIPE)], env
        )
        results[dynamic] = (json.loads(out), wall, rss)
    ours, wall, rss = results["1"]
    speed = SEGMENT_S / ours["render_s"]
    print(f"render {SEGMENT_S:.0f} s segment on one core (ours, dynamic sample loading):")
    print(
        f"  render {ours['render_s']:.2f} s = {speed:.0f}x real time "
        f"(target >= 100x); soundfont load {ours['load_s']:.2f} s; process {wall:.2f} s"
    )
    print(
        f"  peak RSS (ru_maxrss of the child): {rss / 1024:.1f} MB with dynamic loading, "
        f"{results['0'][2] / 1024:.1f} MB loading the whole font "
        f"(ratio {results['0'][2] / rss:.2f})"
    )
    fluidsynth = shutil.which("fluidsynth")
    if fluidsynth is None:
        print("  peer: fluidsynth CLI not installed (apt-get install fluidsynth): skipped")
        return
    midi = work / "segment.mid"
    compose(Recipe(**RECIPE), SEGMENT_S).save(str(midi))
    settings = {
        "synth.polyphony": 48,
        "synth.chorus.active": 0,
        "synth.reverb.active": 1,
        "synth.dynamic-sample-loading": 1,
        "synth.gain": 0.4,
        **REVERB_SETTINGS,
    }
    argv = [fluidsynth, "-ni", "-q", "-r", str(SAMPLE_RATE), "-O", "float", "-T", "wav"]
    for key, value in settings.items():
        argv += ["-o", f"{key}={value}"]
    argv += ["-F", str(work / "peer.wav"), str(DEFAULT_SOUNDFONT), str(midi)]
    _, peer_wall, peer_rss = _run_measured(argv, env)
    ours_total = ours["load_s"] + ours["render_s"]
    print(
        f"  peer `fluidsynth -F` (same MIDI, same settings), whole process: {peer_wall:.2f} s "
        f"= {SEGMENT_S / peer_wall:.0f}x real time, peak RSS {peer_rss / 1024:.1f} MB"
    )
    print(
        f"  ours load+render {ours_total:.2f} s vs peer {peer_wall:.2f} s: ratio "
        f"{peer_wall / ours_total:.2f} (>1: ours faster); RSS ratio ours/peer "
        f"{rss / peer_rss:.2f} (ours includes the Python interpreter and numpy)"
    )


RENDER_MARGIN_S = 12.0  # as the session renders past a segment's end
RING_S = 2.0  # audio.buffer_s default: the ring's slack in wall-clock seconds
TICK_S = 0.1  # the session's tick: the audio it pulls and writes each time round
STOP_FADE_S = 1.0
SESSION_RECIPES = (  # the segments cycle through these, a new seed each time
    {"tempo_bpm": 72, "density": 0.6},
    {"tempo_bpm": 66, "key": "F", "instrument": "strings", "density": 0.4},
    {"tempo_bpm": 60, "key": "D", "mode": "minor", "instrument": "harp", "density": 0.5},
    {"tempo_bpm": 56, "key": "G", "instrument": "pads", "density": 0.2, "percussion": True},
)


def _paced_sink_class():
    from drivers.audio import PyAudioSink

    class PacedSink(PyAudioSink):
        """PyAudioSink whose callback keeps a device clock at `speed` × real time.

        ALSA's null device asks for audio as fast as it can; a sound card asks at its sample
        rate. Sleeping in the callback until the block is due emulates the card's clock.
        """

        speed = 1.0
        _clock_start: float | None = None
        _consumed = 0

        def _callback(self, in_data, frame_count, time_info, status):
            now = time.perf_counter()
            if self._clock_start is None:
                self._clock_start = now
            due = self._clock_start + self._consumed / (self.sample_rate * self.speed)
            if due > now:
                time.sleep(due - now)
            self._consumed += frame_count
            return super()._callback(in_data, frame_count, time_info, status)

    return PacedSink


def run_session(seconds: float, speed: float, segment_s: float, sample_rate: int) -> dict:
    from appliance.music.mixer import Mixer
    from appliance.music.recipe import Recipe
    from appliance.music.render import FluidSynthRenderer

    paced = _paced_sink_class()
    paced.speed = speed
    # The ring is RING_S of wall-clock slack whatever the speed, as on the device.
    sink = paced(sample_rate=sample_rate, buffer_s=RING_S * speed)
    mixer = Mixer(sample_rate=sample_rate, crossfade_s=6.0, max_level_dbfs=-12.0)
    renderer = FluidSynthRenderer(sample_rate=sample_rate)
    pool = ThreadPoolExecutor(max_workers=1)
    renders: list[float] = []

    def render(index: int):
        recipe = Recipe(**SESSION_RECIPES[index % len(SESSION_RECIPES)], seed=index)
        start = time.perf_counter()
        pcm = renderer.render(recipe, min(segment_s, seconds) + RENDER_MARGIN_S)
        renders.append(time.perf_counter() - start)
        return pcm

    mixer.queue(render(0))
    wall_start = time.perf_counter()
    block = round(TICK_S * sample_rate)
    total = round(seconds * sample_rate)
    index, late, written = 1, 0, 0
    pending = pool.submit(render, index)
    counted = False
    while written < total:
        # As the session's loop: a render not done by its segment's start is late, and the loop
        # goes on writing (the previous segment's margin plays) until it is; it never waits.
        if pending is not None and written >= index * segment_s * sample_rate:
            if pending.done():
                mixer.queue(pending.result())
                index += 1
                more = index * segment_s < seconds
                pending = pool.submit(render, index) if more else None
                counted = False
            elif not counted:
                late, counted = late + 1, True
        sink.write(mixer.pull(block))  # blocks while the ring is full: the device's pace
        written += block
    mixer.fade_out(STOP_FADE_S)
    for _ in range(round(STOP_FADE_S / TICK_S)):
        sink.write(mixer.pull(block))
    sink.close()
    pool.shutdown()
    renderer.close()
    return {
        "underruns": sink.underruns,
        "device_underflows": sink.device_underflows,
        "reopens": sink.reopens,
        "segments": index,
        "late_renders": late,
        "slowest_render_s": max(renders),
        "render_budget_s": segment_s / speed,
        "wall_s": time.perf_counter() - wall_start,
    }


def _hog() -> None:
    while True:
        pass


def session_bench(work: Path) -> None:
    conf = work / "asound.conf"
    conf.write_text(
        'pcm.!default { type plug; slave { pcm "capture"; format S16_LE } }\n'
        'pcm.capture { type file; slave.pcm { type null }; file "/dev/null"; format "raw" }\n'
    )
    os.environ["ALSA_CONFIG_PATH"] = str(conf)
    hogs = [multiprocessing.Process(target=_hog, daemon=True) for _ in range(os.cpu_count() or 2)]
    for hog in hogs:
        hog.start()
    try:
        for minutes, speed in ((SESSION_MIN, ACCELERATION), (REALTIME_S / 60.0, 1.0)):
            report = run_session(minutes * 60.0, speed, SESSION_SEGMENT_S, SAMPLE_RATE)
            print(
                f"session {minutes:.1f} min at {speed:.0f}x real time, {len(hogs)} CPU hogs: "
                f"underruns {report['underruns']} (target 0), PortAudio underflows "
                f"{report['device_underflows']}, reopens {report['reopens']}, "
                f"{report['segments']} segments ({report['late_renders']} late), slowest render "
                f"{report['slowest_render_s']:.2f} s of {report['render_budget_s']:.2f} s budget, "
                f"wall {report['wall_s']:.1f} s"
            )
    finally:
        for hog in hogs:
            hog.terminate()
            hog.join()
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of the session process (ru_maxrss): {peak:.1f} MB")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        render_bench(Path(tmp))
        session_bench(Path(tmp))


if __name__ == "__main__":
    main()

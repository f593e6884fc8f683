"""Resampling a family track to the mixer's rate: speed and memory against SciPy and pedalboard.

A 3-minute stereo track at 48 kHz → 44.1 kHz, each way in its own child process pinned to one
CPU (peak RSS from os.wait4):
- ours: appliance.music.resample (libsoxr "HQ" through python-soxr);
- scipy.signal.resample_poly (160/147), the peer a session must no longer import;
- pedalboard's StreamResampler (32-tap windowed sinc), what ours replaced.
Each prints CPU seconds, × real time on one core, ours as a ratio of each peer's time, and the
memory it adds over an idle child that has loaded the same input (numpy only); the import alone
is measured too, since for SciPy that is most of it.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from bench.pinned import run_pinned

SECONDS = 180.0
FROM_RATE = 48000
TO_RATE = 44100

CHILD = """
import json, sys, time
import numpy as np
mode, track, a, b = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
what, _, stage = mode.partition(":")
pcm = np.load(track)
if what == "ours":
    from appliance.music.resample import resample
    run = lambda: resample(pcm, a, b)
elif what == "scipy":
    from scipy.signal import resample_poly
    run = lambda: resample_poly(pcm, 147, 160, axis=0).astype(np.float32)
elif what == "pedalboard":
    from pedalboard import Resample
    from pedalboard.io import StreamResampler
    def run():
        stream = StreamResampler(a, b, 2, Resample.Quality.WindowedSinc32)
        frames = np.ascontiguousarray(pcm.T)
        return np.concatenate([stream.process(frames), stream.process(None)], axis=1).T
t0, c0 = time.perf_counter(), time.process_time()
if what != "idle" and stage != "import":
    out = run()
print(json.dumps({"s": time.perf_counter() - t0, "cpu": time.process_time() - c0}))
"""


def _track() -> np.ndarray:
    """Music-like and full-band: chord tones on a beat over a little noise, float32 (n, 2)."""
    t = np.arange(round(SECONDS * FROM_RATE)) / FROM_RATE
    notes = (261.6, 329.6, 392.0)
    tones = sum(np.sin(2 * np.pi * f * t) for f in notes) * np.exp(-(t % 0.86) * 4)
    noise = np.random.default_rng(0).normal(scale=0.02, size=(len(t), 2))
    return (0.2 * tones[:, None] + noise).astype(np.float32)


def _run(mode: str, root: Path, script: Path) -> tuple[float, float, int]:
    return run_pinned(
        script, [mode, str(root / "track.npy"), str(FROM_RATE), str(TO_RATE)], root / "out.json"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        script = root / "child.py"
        script.write_text(CHILD)
        np.save(root / "track.npy", _track())
        started = time.perf_counter()
        peers = ("ours", "scipy", "pedalboard")
        modes = ("idle", *peers, *(f"{p}:import" for p in peers))
        results = {m: _run(m, root, script) for m in modes}
        _, _, idle_rss = results["idle"]
        ours_s = results["ours"][0]
        print(
            f"{SECONDS / 60:.0f} minutes of stereo {FROM_RATE / 1000:g} kHz → "
            f"{TO_RATE / 1000:g} kHz, one core each:"
        )
        labels = {
            "ours": "ours: libsoxr HQ (python-soxr)",
            "scipy": "peer: scipy resample_poly",
            "pedalboard": "peer: pedalboard StreamResampler",
        }

        def ratio(mode: str, seconds: float) -> str:
            return "the subject" if mode == "ours" else f"ours takes {ours_s / seconds:.3f}x its"

        # CPU seconds: what one core does, whatever else the machine runs (wall in brackets).
        for mode in peers:
            seconds, wall, rss = results[mode]
            import_rss = results[f"{mode}:import"][2]
            print(
                f"  {labels[mode]:<34} {seconds:6.3f} s CPU = {SECONDS / seconds:6.0f}x real "
                f"time ({ratio(mode, seconds)}; wall {wall:.2f} s)"
                f"  peak RSS {rss / 1024:6.1f} MB: {(rss - idle_rss) / 1024:+.1f} MB over the "
                f"idle process, of which the import {(import_rss - idle_rss) / 1024:+.1f} MB"
            )
        print(f"  ({time.perf_counter() - started:.1f} s in all)")


if __name__ == "__main__":
    main()

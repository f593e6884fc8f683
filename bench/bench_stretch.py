"""Time-stretching a personal track to the arc's tempo: speed and memory against the plain render.

One 120 s segment of a 44.1 kHz stereo track, each way in its own child process pinned to one
CPU (peak RSS from os.wait4):
- plain: the track at its own speed (MusicEngine → Library.load_segment), the peer;
- ours: stretched to 94 % speed through the engine (Rubber Band R2 in chunks, crossfaded);
- the streaming source (StretchedSource, chunks made ahead on a thread), read as the mixer does;
- alternatives measured for the choice: Rubber Band R3 (pedalboard high_quality=True) on the
  whole segment, and a plain phase vocoder written here in numpy/scipy (no phase locking).
Each prints × real time on one core (CPU seconds), the ratio to the plain render, and the
memory it adds over an idle child (the same imports, nothing rendered) and over the plain render.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from bench.pinned import run_pinned

SEGMENT_S = 120.0
TRACK_S = 150.0
SPEED = 0.94
RATE = 44100

CHILD = """
import json, sys, time
import numpy as np
from pathlib import Path
from appliance.music.engine import MusicEngine
from appliance.music.library import Library
from appliance.music.recipe import Recipe
from appliance.music.stretch import stretch
mode, root, seconds, speed = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])

class Rate:
    sample_rate = 44100
    def close(self): pass

library = Library(root / "music")
engine = MusicEngine(Rate(), library)
plain = Recipe(70.0, source="file", file="bench/track.wav")
t0, c0 = time.perf_counter(), time.process_time()
if mode == "idle":
    pass
elif mode == "plain":
    engine.render(plain, seconds)
elif mode == "ours":
    engine.render(plain.with_(speed=speed, tempo_bpm=70.0 * speed), seconds)
elif mode == "stream":
    source = engine.stream(plain.with_(speed=speed, tempo_bpm=70.0 * speed), seconds)
    for _ in range(round(seconds * 10)):
        source.read(4410)
    source.close()
elif mode == "r3":
    pcm = engine.render(plain, seconds * speed + 1.0)
    import pedalboard
    pedalboard.time_stretch(np.ascontiguousarray(pcm.T), 44100.0, speed, high_quality=True)
elif mode == "vocoder":
    from bench.bench_stretch import phase_vocoder
    phase_vocoder(engine.render(plain, seconds * speed + 1.0), speed)
print(json.dumps({"s": time.perf_counter() - t0, "cpu": time.process_time() - c0}))
"""


def phase_vocoder(pcm: np.ndarray, speed: float, n_fft: int = 2048, hop: int = 512) -> np.ndarray:
    """The textbook phase vocoder (Flanagan & Golden; Laroche & Dolson's basic form): STFT,
    frames read at `speed` × the hop with phases advanced by each bin's measured frequency,
    overlap-added. The alternative Rubber Band is measured against."""
    from scipy import signal

    out = []
    for channel in pcm.T:
        _, _, z = signal.stft(channel, nperseg=n_fft, noverlap=n_fft - hop)
        steps = np.arange(0, z.shape[1] - 1, speed)
        expected = 2 * np.pi * hop * np.arange(z.shape[0]) / n_fft
        phase = np.angle(z[:, 0])
        frames = np.empty((z.shape[0], len(steps)), np.complex64)
        for i, t in enumerate(steps):
            k = int(t)
            frac = t - k
            mag = (1 - frac) * np.abs(z[:, k]) + frac * np.abs(z[:, k + 1])
            frames[:, i] = mag * np.exp(1j * phase)
            delta = np.angle(z[:, k + 1]) - np.angle(z[:, k]) - expected
            phase += expected + (delta + np.pi) % (2 * np.pi) - np.pi
        _, y = signal.istft(frames, nperseg=n_fft, noverlap=n_fft - hop)
        out.append(y)
    return np.stack(out, axis=1).astype(np.float32)


def _track(seconds: float) -> np.ndarray:
    """Music-like: plucked chord tones on a 70 BPM beat over a soft pad."""
    t = np.arange(round(seconds * RATE)) / RATE
    beat = 60.0 / 70.0
    index = (t // beat).astype(int)
    notes = np.array([261.6, 329.6, 392.0, 523.3])[index % 4]
    pluck = np.sin(2 * np.pi * notes * t) * np.exp(-(t % beat) * 5)
    pad = 0.05 * sum(np.sin(2 * np.pi * f * t) for f in (130.8, 196.0))
    mono = 0.3 * pluck + pad
    return np.stack([mono, 0.9 * mono], axis=1).astype(np.float32)


def _run(mode: str, root: Path, script: Path) -> tuple[float, float, int]:
    return run_pinned(script, [mode, str(root), str(SEGMENT_S), str(SPEED)], root / "out.json")


def main() -> None:
    import soundfile as sf

    from appliance.music.library import Library

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = root / "track.wav"
        sf.write(str(source), _track(TRACK_S), RATE)
        Library(root / "music").import_path("bench", source)
        script = root / "child.py"
        script.write_text(CHILD)
        started = time.perf_counter()
        modes = ("idle", "plain", "ours", "stream", "r3", "vocoder")
        results = {m: _run(m, root, script) for m in modes}
        _, _, idle_rss = results.pop("idle")
        plain_s, _, plain_rss = results["plain"]
        print(
            f"a {SEGMENT_S:.0f} s segment of a 44.1 kHz stereo track, at {SPEED:.0%} speed, "
            "one core each:"
        )
        labels = {
            "plain": "plain render (own speed, the peer)",
            "ours": "ours: Rubber Band R2, chunked",
            "stream": "ours, streamed (thread ahead)",
            "r3": "alternative: Rubber Band R3",
            "vocoder": "alternative: plain phase vocoder",
        }
        # CPU seconds: what one core does, whatever else the machine runs (wall in brackets).
        for mode, (seconds, wall, rss) in results.items():
            print(
                f"  {labels[mode]:<36} {seconds:6.2f} s CPU = {SEGMENT_S / seconds:6.1f}x real "
                f"time ({seconds / plain_s:5.1f}x the plain render's; wall {wall:.1f} s)"
                f"  peak RSS {rss / 1024:6.1f} MB: {(rss - idle_rss) / 1024:+.1f} MB over the "
                f"idle process, {(rss - plain_rss) / 1024:+.1f} MB over the plain render"
            )
        print(f"  ({time.perf_counter() - started:.1f} s in all)")


if __name__ == "__main__":
    main()

"""Decoding a listener's files: PyAV (FFmpeg) against soundfile (libsndfile) on the very
same files; the figures behind appliance/music/decode.py's choice.

A three-minute stereo 44.1 kHz track is written as WAV, FLAC, OGG Vorbis and MP3 (libsndfile)
and as M4A/AAC (FFmpeg; libsndfile cannot read it). Each decoder reads each file to the end
in float32 blocks, in its own child process pinned to one CPU, three times; the best wall time
counts. Peak memory is the child's ru_maxrss (os.wait4), so the C libraries' own buffers are
counted, beside that of a child that only imports the decoder.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SECONDS = 180.0
RATE = 44100
REPEATS = 3

PYAV = """
import sys, time
import av  # the decoder imports it lazily: the import-only child must load it too
from appliance.music.decode import PyAVDecoder
path, decode = sys.argv[1], sys.argv[2] == "1"
t0 = time.perf_counter(); n = 0
if decode:
    with PyAVDecoder(path) as audio:
        for block in audio.blocks():
            n += len(block)
print(time.perf_counter() - t0, n)
"""
SOUNDFILE = """
import sys, time
import soundfile
path, decode = sys.argv[1], sys.argv[2] == "1"
t0 = time.perf_counter(); n = 0
if decode:
    with soundfile.SoundFile(path) as audio:
        for block in audio.blocks(65536, dtype="float32", always_2d=True):
            n += len(block)
print(time.perf_counter() - t0, n)
"""


def _run(program: str, path: Path, decode: bool) -> tuple[float, int, int]:
    """(decode seconds, frames, the child's peak RSS in KiB), the child pinned to one core."""
    out = Path(tempfile.mkstemp(prefix="bench-decode-")[1])
    pid = os.fork()
    if pid == 0:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
        fd = os.open(out, os.O_WRONLY | os.O_TRUNC)
        os.dup2(fd, 1)
        argv = [sys.executable, "-c", program, str(path), "1" if decode else "0"]
        os.execv(sys.executable, argv)
    _, status, usage = os.wait4(pid, 0)
    text = out.read_text()
    out.unlink()
    if status != 0:
        raise RuntimeError(f"decoding {path.name} failed ({status})")
    seconds, frames = text.split()
    return float(seconds), int(frames), usage.ru_maxrss


def _best(program: str, path: Path) -> tuple[float, int, int]:
    runs = [_run(program, path, True) for _ in range(REPEATS)]
    return min(r[0] for r in runs), runs[0][1], max(r[2] for r in runs)


def _write_files(folder: Path) -> dict[str, Path]:
    import av
    import soundfile

    t = np.arange(round(SECONDS * RATE)) / RATE
    beat = np.exp(-(t % 0.8) * 8) * np.sin(2 * np.pi * 660 * t)
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
    mono = 0.3 * (0.6 * chord + 0.4 * beat)
    pcm = np.stack([mono, 0.9 * mono], axis=1).astype(np.float32)
    files = {}
    for suffix in ("wav", "flac", "ogg", "mp3"):
        files[suffix] = folder / f"track.{suffix}"
        with soundfile.SoundFile(str(files[suffix]), "w", RATE, 2) as f:
            for i in range(0, len(pcm), 16384):  # libsndfile's Vorbis dislikes huge writes
                f.write(pcm[i : i + 16384])
    files["m4a"] = folder / "track.m4a"
    with av.open(str(files["m4a"]), "w", format="ipod") as out:
        stream = out.add_stream("aac", rate=RATE)
        stream.layout = "stereo"
        for i in range(0, len(pcm), RATE):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(pcm[i : i + RATE].T), format="fltp", layout="stereo"
            )
            frame.sample_rate = RATE
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return files


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = _write_files(Path(tmp))
        idle_av = _run(PYAV, files["wav"], False)[2]
        idle_sf = _run(SOUNDFILE, files["wav"], False)[2]
        print(
            f"  {SECONDS:.0f} s stereo {RATE} Hz, best of {REPEATS}, one core; "
            f"import-only RSS: PyAV {idle_av / 1024:.1f} MB, soundfile {idle_sf / 1024:.1f} MB"
        )
        results = {}
        for suffix, path in files.items():
            ours = _best(PYAV, path)
            line = (
                f"  {suffix:4s} PyAV {ours[0] * 1000:7.1f} ms ({SECONDS / ours[0]:6.0f}x real "
                f"time), peak RSS {ours[2] / 1024:.1f} MB"
            )
            if suffix == "m4a":
                line += "  | soundfile: cannot read M4A/AAC"
            else:
                peer = _best(SOUNDFILE, path)
                line += (
                    f"  | soundfile {peer[0] * 1000:7.1f} ms, peak RSS {peer[2] / 1024:.1f} MB"
                    f"  | speed ratio {peer[0] / ours[0]:.2f} (>1: PyAV faster), "
                    f"RSS ratio PyAV/soundfile {ours[2] / peer[2]:.2f}"
                )
                results[suffix] = {"pyav_s": ours[0], "soundfile_s": peer[0]}
            print(line, flush=True)
        print(
            "  "
            + json.dumps({k: round(v["soundfile_s"] / v["pyav_s"], 2) for k, v in results.items()})
        )


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"({time.perf_counter() - start:.1f} s)")

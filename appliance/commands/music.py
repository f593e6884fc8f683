"""attune music import|list|remove|calibrate: a listener's own music, and the level
calibration."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from appliance.commands import config_from

NAME = "music"
HELP = "import a listener's own music, list or remove it, or calibrate the output level"
CALIBRATION_SECONDS = 20.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = sub.add_parser(
        "import",
        help="copy WAV/FLAC/OGG/MP3/M4A files (a file or a folder, e.g. a USB stick) into the "
        "store",
    )
    _whose(imp)
    imp.add_argument("path", type=Path, help="an audio file or a folder searched recursively")
    ls = sub.add_parser("list", help="list a listener's tracks with their features and tags")
    _whose(ls)
    rm = sub.add_parser(
        "remove", help="take tracks out of a listener's store (by file, as listed, or title)"
    )
    _whose(rm)
    rm.add_argument(
        "tracks", nargs="+", metavar="TRACK", help="a track's file in the store, or its title"
    )
    cal = sub.add_parser(
        "calibrate", help="play pink noise at the reference level and record the meter reading"
    )
    cal.add_argument("--spl", type=float, help="the meter reading in dB(A) (else asked for)")
    cal.add_argument("--seconds", type=float, default=CALIBRATION_SECONDS)
    cal.add_argument("--no-play", action="store_true", help="record --spl without playing")


def _whose(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--listener", help="the listener's id")
    group.add_argument(
        "--shared", action="store_true", help="the shared library every listener may hear"
    )


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    state_dir = Path(config.device.state_dir)
    if args.action == "calibrate":
        return _calibrate(args, config, state_dir)
    from appliance.music.library import SHARED, Library, LibraryError

    library = Library.in_state_dir(state_dir)
    listener = SHARED if args.shared else args.listener
    try:
        if args.action == "import":
            return _import(library, listener, args.path)
        if args.action == "remove":
            return _remove(library, listener, args.tracks)
        return _list(library, listener)
    except LibraryError as exc:
        print(f"attune: {exc}", file=sys.stderr)
        return 2


def _import(library, listener: str, path: Path) -> int:
    report = library.import_path(listener, path)
    for track in report.imported:
        print(f"imported   {track.file}  {_describe(track)}")
    same = {stored for _, stored in report.same_audio}
    for track in report.already_there:
        if track.file not in same:
            print(f"unchanged  {track.file}  (already in the store)")
    for source, stored in report.same_audio:
        print(f"duplicate  {source}: the same audio as {stored}, already in the store")
    for problem in report.tag_problems:
        print(f"tag problem: {problem}", file=sys.stderr)
    for bad, reason in report.failed:
        print(f"skipped    {bad}: {reason}", file=sys.stderr)
    stored = len(library.tracks(listener, include_avoided=True, shared=False))
    print(
        f"{len(report.imported)} imported, {len(report.already_there)} already there, "
        f"{len(report.failed)} refused; {_name(listener)} has {stored} tracks on this device"
    )
    # Refused files are reported with their reason and skipped; only an import that took
    # nothing fails.
    return 1 if report.failed and not (report.imported or report.already_there) else 0


def _remove(library, listener: str, wanted: list[str]) -> int:
    from appliance.music.library import LibraryError

    failed = 0
    for track in wanted:
        try:
            removed = library.remove(listener, track)
        except LibraryError as exc:
            print(f"attune: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"removed    {removed.file}  (imported as {removed.original_name})")
    left = len(library.tracks(listener, include_avoided=True, shared=False))
    print(f"{len(wanted) - failed} removed; {_name(listener)} has {left} tracks on this device")
    return 2 if failed else 0


def _list(library, listener: str) -> int:
    from appliance.music.library import SHARED

    tracks = library.tracks(listener, include_avoided=True)
    if not tracks:
        print(f"{_name(listener)} has no personal music on this device")
        return 0
    for track in tracks:
        shared = "  (shared)" if track.listener_id == SHARED and listener != SHARED else ""
        print(f"{track.file}  {_describe(track)}{shared}")
    return 0


def _name(listener: str) -> str:
    from appliance.music.library import SHARED

    return "the shared library" if listener == SHARED else listener


def _describe(track) -> str:
    from appliance.music.features import TEMPO_CONFIDENT

    f, tags = track.features, track.tags
    minutes, seconds = divmod(round(f.duration_s), 60)
    tempo = "no clear pulse"
    if f.tempo_bpm is not None:
        sure = "" if f.tempo_confidence >= TEMPO_CONFIDENT else ", unsure"
        tempo = f"~{f.tempo_bpm:.0f} BPM (confidence {f.tempo_confidence:.2f}{sure})"
    loudness = "silent" if f.loudness_lufs is None else f"{f.loudness_lufs:.1f} LUFS"
    text = (
        f"{minutes}:{seconds:02d}, {loudness}, range {f.loudness_range_lu:.1f} LU, "
        f"centroid {f.spectral_centroid_hz:.0f} Hz, {f.onset_density_per_s:.1f} onsets/s, {tempo}"
    )
    marks = [name for name in ("vocals", "familiar") if getattr(tags, name)]
    marks += [value for value in (tags.era, tags.culture) if value]
    if tags.avoid:
        marks.append("AVOID" + (f": {tags.avoid_reason}" if tags.avoid_reason else ""))
    return text + (f"  [{'; '.join(marks)}]" if marks else "")


def _calibrate(args: argparse.Namespace, config, state_dir: Path) -> int:
    from appliance.fsutil import ensure_private_dir
    from appliance.music.calibration import (
        REFERENCE_DBFS,
        master_cap_dbfs,
        pink_noise,
        save_calibration,
    )

    audio = config.audio
    device = "default" if audio.device == "default" else audio.device
    if not args.no_play:
        from drivers.audio import PyAudioSink

        print(
            f"Playing pink noise at {REFERENCE_DBFS:g} dBFS for {args.seconds:g} s on {device}. "
            "Hold the meter (A-weighted, slow) where the listener's head will be."
        )
        sink = PyAudioSink(
            device=None if device == "default" else device,
            sample_rate=audio.sample_rate,
            buffer_s=0.5,
        )
        try:
            sink.write(pink_noise(args.seconds, audio.sample_rate))
        finally:
            sink.close()
    spl = args.spl
    if spl is None:
        try:
            answer = input("Meter reading in dB(A): ").strip().replace(",", ".")
        except EOFError:
            print(
                "\nattune: no meter reading: standard input is closed; nothing was saved. "
                "Give the reading with --spl DB (e.g. --no-play --spl 72).",
                file=sys.stderr,
            )
            return 2
        try:
            spl = float(answer)
        except ValueError:
            print(f"attune: {answer!r} is not a number; nothing was saved", file=sys.stderr)
            return 2
    try:
        calibration = save_calibration(ensure_private_dir(state_dir), spl, device)
    except ValueError as exc:
        print(f"attune: {exc}; nothing was saved", file=sys.stderr)
        return 2
    cap = master_cap_dbfs(audio.max_level_dbfs, audio.max_spl_db, calibration)
    print(
        f"Saved: {REFERENCE_DBFS:g} dBFS = {spl:g} dB(A) at the listener. With max_spl_db "
        f"{audio.max_spl_db:g} the master cap is {cap:.1f} dBFS "
        f"(max_level_dbfs {audio.max_level_dbfs:g})."
    )
    return 0

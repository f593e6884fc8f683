"""attune usb sync: a plugged-in stick's reports and music (started by attune-usb@.service)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

from appliance.commands import config_from

NAME = "usb"
HELP = "copy reports onto a USB stick and import the family's music from it"

log = logging.getLogger("appliance.usb")


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    sync = sub.add_parser(
        "sync",
        help="reports into Attune/reports/ on the stick; new music from Attune/<listener>/",
        description="Run by attune-usb@.service when a stick is plugged in; by hand: "
        "sudo -u attune attune usb sync --mount /media/stick",
    )
    where = sync.add_mutually_exclusive_group(required=True)
    where.add_argument("device", nargs="?", type=Path, help="a mounted partition, e.g. /dev/sda1")
    where.add_argument("--mount", type=Path, help="the folder the stick is mounted on")


class Pulled(Exception):
    """systemd stops the handler when the stick's device goes away (BindsTo=)."""


def _on_term(signum: int, frame: object) -> None:
    raise Pulled()


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    state_dir = Path(config.device.state_dir)
    mount = args.mount if args.mount is not None else _mount_point(args.device)
    if mount is None:
        print(
            f"attune: {args.device} is not mounted; mount it first, or give --mount DIR "
            "(a plugged stick is mounted by attune-usb@.service)",
            file=sys.stderr,
        )
        return 2
    if not mount.is_dir():
        print(f"attune: --mount {mount} is not a folder", file=sys.stderr)
        return 2
    if os.geteuid() == 0 and state_dir.exists() and state_dir.stat().st_uid != 0:
        print(
            f"attune: run this as the service's user, or the files it leaves in {state_dir} "
            "are root's and the service cannot read them: sudo -u attune attune usb sync ...",
            file=sys.stderr,
        )
        return 2
    from appliance.usb.spool import Spool
    from appliance.usb.summary import spoken
    from appliance.usb.sync import SyncResult

    spool = Spool(state_dir)
    result = SyncResult(attune_found=True, pulled=True)  # what a stop before the end says
    previous = signal.signal(signal.SIGTERM, _on_term)
    busy = None
    try:
        busy = spool.mark_busy(mount.name)
        result = _sync(config, state_dir, mount)
    except Pulled:
        result.pulled = True
    except (OSError, sqlite3.Error) as exc:  # the device's own state folder or database
        print(f"attune: the USB sync failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        result = SyncResult(attune_found=True, failed=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a fault of ours: said, and its traceback in the journal
        log.exception("USB stick at %s: the sync failed", mount)
        result = SyncResult(attune_found=True, failed=f"{type(exc).__name__}: {exc}")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the notice is written whatever comes
        try:
            spool.post(not (result.pulled or result.failed), spoken(result))
            if busy is not None:
                busy.unlink(missing_ok=True)
        except OSError as exc:
            log.error("the notice for the service cannot be written in %s: %s", spool.folder, exc)
        signal.signal(signal.SIGTERM, previous)
    _print(mount, result)
    return 1 if result.failed else 0


def _sync(config, state_dir: Path, mount: Path):
    from appliance.app import DB_NAME
    from appliance.clock import zone
    from appliance.listeners import load_listeners
    from appliance.music.library import Library
    from appliance.store.db import Store
    from appliance.usb.reports import report_writers
    from appliance.usb.sync import sync_stick

    profiles, problems = load_listeners(config.listeners.dir)
    for problem in problems:
        log.warning("profile skipped: %s", problem)
    database = state_dir / DB_NAME
    store, store_problem = None, None
    try:
        store = Store(database, read_only=True) if database.exists() else None
    except (OSError, sqlite3.Error) as exc:  # the family's music still goes in
        store_problem = f"{database} cannot be read ({type(exc).__name__}: {exc})"
        print(f"attune: no reports: {store_problem}", file=sys.stderr)
    try:
        result = sync_stick(
            mount,
            profiles=profiles,
            store=store,
            library=Library.in_state_dir(state_dir),
            writers=report_writers(
                zone(config.device.timezone), config.device.timezone, _on_stick(mount)
            ),
            staging=state_dir / "usb" / "staging",
        )
    finally:
        if store is not None:
            store.close()
    if store_problem is not None:
        result.problems.insert(0, f"no reports: {store_problem}")
        result.failed = result.failed or "the device's database cannot be read"
    _write_log(mount, result, datetime.now(zone(config.device.timezone)))
    return result


def _on_stick(mount: Path):
    """Whether the stick already holds a listener's report file (written whole or not at all)."""
    from appliance.usb.stick import ATTUNE_FOLDER, REPORTS_FOLDER, find_child

    def on_stick(listener_id: str, name: str) -> bool:
        attune = find_child(mount, ATTUNE_FOLDER)
        reports = None if attune is None else find_child(attune, REPORTS_FOLDER)
        return reports is not None and (reports / listener_id / name).is_file()

    return on_stick


def _write_log(mount: Path, result, now: datetime) -> None:
    from appliance.usb.stick import ATTUNE_FOLDER, LOG_NAME, find_child, put_text, still_there
    from appliance.usb.summary import log_section, new_log

    attune = find_child(mount, ATTUNE_FOLDER)
    if attune is None or result.pulled:
        return
    path = attune / LOG_NAME
    try:
        old = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        put_text(new_log(old.replace("\r\n", "\n"), log_section(result, now)), path)
    except OSError as exc:
        if not still_there(attune):
            result.pulled = True
        else:
            result.failed = result.failed or f"{path}: {exc.strerror or exc}"


def _print(mount: Path, result) -> None:
    if not result.attune_found:
        print(f"{mount}: no Attune folder on this stick; nothing read or written")
        return
    for listener_id, (written, same) in sorted(result.reports.items()):
        print(f"reports   {listener_id}: {written} copied, {same} unchanged")
    for problem in result.problems:
        print(f"problem   {problem}", file=sys.stderr)
    for music in result.music:
        print(
            f"music     {music.listener_id} (Attune/{music.folder}): {len(music.added)} added, "
            f"{len(music.known)} already there, {len(music.refused)} refused"
        )
    for name in result.unknown_folders:
        print(f"left      Attune/{name}: no listener with this id or usb_folder")
    for name in result.no_consent_folders:
        print(f"left      Attune/{name}: the listener's profile records no consent")
    if result.pulled:
        print("the stick went away before the end; plug it in again to finish")
    if result.failed:
        print(f"attune: the stick could not be written: {result.failed}", file=sys.stderr)


def _mount_point(device: Path) -> Path | None:
    """Where `device` is mounted, from /proc/self/mounts."""
    try:
        real = os.path.realpath(device)
        with open("/proc/self/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                source, target, *_ = line.split()
                if os.path.realpath(source) == real:
                    return Path(target.replace("\\040", " "))
    except OSError:
        return None
    return None

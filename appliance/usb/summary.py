"""What a plug did, in words: the log written on the stick, and the spoken summary.

The log (`Attune/attune-log.txt`) is for the family and staff at their own computer: one
section per plug, newest last, naming every file and why it was or was not taken. The spoken
summary is a few phrases of service/prompts.py with their fields filled in.
"""

from __future__ import annotations

from datetime import datetime

from appliance.usb.spool import Prompt
from appliance.usb.sync import SyncResult

LOG_KEEP_CHARS = 200_000  # the log keeps its newest part: a stick is not a place to fill up


def log_section(result: SyncResult, when: datetime) -> str:
    lines = [
        f"== {when:%Y-%m-%d %H:%M} ({when.tzname() or 'device time'}): USB stick plugged in =="
    ]
    if result.swept:
        lines.append(
            f"Removed {len(result.swept)} half-copied file(s) left by a stick pulled early."
        )
    if not result.reports and not result.problems:
        lines.append("Reports: none (no resident on this device has consented to keeping data).")
    for listener_id, (written, same) in sorted(result.reports.items()):
        lines.append(
            f"Reports for {listener_id}: {written} file(s) copied, {same} already up to date "
            f"(in Attune/reports/{listener_id}/)"
        )
    lines += [f"Problem: {p}" for p in result.problems]
    for music in result.music:
        lines.append(f"Music for {music.listener_id} (folder Attune/{music.folder}):")
        lines += [f"  added: {name}" for name in music.added]
        lines += [f"  already on the device: {name}" for name in music.known]
        lines += [f"  NOT added: {name}: {why}" for name, why in music.refused]
        if not (music.added or music.known or music.refused):
            lines.append("  no music files in this folder")
    for name in result.unknown_folders:
        lines.append(
            f"Folder Attune/{name}: no resident on this device has this id or folder name; "
            "left alone. (Ask staff for the right folder name.)"
        )
    for name in result.no_consent_folders:
        lines.append(
            f"Folder Attune/{name}: this resident's profile records no consent to keeping "
            "their data, so their music is not kept on the device; left alone."
        )
    if result.pulled:
        lines.append("The stick was taken out before the end; plug it in again to finish.")
    if result.failed:
        lines.append(f"The stick could not be written ({result.failed}); nothing was lost.")
    return "\n".join(lines) + "\n"


def new_log(old: str, section: str) -> str:
    text = (old + "\n" if old else "") + section
    if len(text) > LOG_KEEP_CHARS:
        text = text[-LOG_KEEP_CHARS:]
        text = text[text.find("\n== ") + 1 :] if "\n== " in text else text
    return text


def spoken(result: SyncResult) -> list[Prompt]:
    """The phrases to speak, in order (keys of appliance.service.prompts.PHRASES)."""
    if not result.attune_found:
        return [("usb_no_folder", {})]
    said: list[Prompt] = []
    # Numbers after a colon: a sentence every shipped language says the same way for 1 or 12.
    if result.reports:
        said.append(("usb_reports", {"residents": str(len(result.reports))}))
    for music in result.music:
        said.append(("usb_music", {"songs": str(len(music.added)), "who": music.folder}))
        if music.refused:
            said.append(("usb_music_refused", {"unreadable": str(len(music.refused))}))
    if result.pulled:
        said.append(("usb_pulled", {}))
    elif result.failed:
        said.append(("usb_failed", {}))
    else:
        said.append(("usb_done", {}))
    return said

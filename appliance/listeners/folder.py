"""The profiles folder: every profile loaded, a broken one skipped with its reasons, and the
profiles that clash (a shared id or strap, a second default) named."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from appliance.config.errors import ConfigError, Problem
from appliance.listeners.profile import ListenerProfile, parse_profile

PROFILE_SUFFIXES = (".yaml", ".yml")


def load_listeners(
    directory: Path, *, today: date | None = None
) -> tuple[list[ListenerProfile], list[Problem]]:
    """Every *.yaml and *.yml profile in `directory` (sorted by file name), and every problem.

    A broken profile is skipped with its problems and the others load: one typo must never
    cost the device every listener. A missing directory is no profile at all (anonymous
    sessions), not an error."""
    profiles: list[ListenerProfile] = []
    problems: list[Problem] = []
    if not directory.is_dir():
        return profiles, problems
    paths = sorted(p for p in directory.iterdir() if p.suffix in PROFILE_SUFFIXES)
    for path in paths:
        try:
            profile, found = parse_profile(path, today=today)
        except Exception as exc:  # the last line of defence: one file must not stop the service
            profile, found = None, [Problem(str(path), None, "", f"cannot be read ({exc!r})")]
        problems.extend(found)
        if profile is not None:
            profiles.append(profile)
    kept, clashes = _cross_check(profiles)
    return kept, problems + clashes


def _cross_check(profiles: list[ListenerProfile]) -> tuple[list[ListenerProfile], list[Problem]]:
    """Profiles sharing an id or a wearable are all skipped (which one is the listener's is
    not ours to guess, and consent differs between files); a second default stays a profile
    but not the default."""
    problems: list[Problem] = []
    skipped: set[str] = set()
    for key in ("id", "wearable"):
        owners: dict[str, list[str]] = {}
        for p in profiles:
            if (value := getattr(p, key)) is not None:
                owners.setdefault(value, []).append(p.file)
        for value, files in owners.items():
            for file in files if len(files) > 1 else ():
                others = ", ".join(f for f in files if f != file)
                message = f"{value} is also the {key} of {others}; skipped until only one has it"
                problems.append(Problem(file, None, key, message))
                skipped.add(file)
    kept: list[ListenerProfile] = []
    default: str | None = None
    for p in profiles:
        if p.file in skipped:
            continue
        if p.default and default is not None:
            message = f"{default} is already the default; this profile is not used as one"
            problems.append(Problem(p.file, None, "default", message))
            p = replace(p, default=False)
        elif p.default:
            default = p.file
        kept.append(p)
    return kept, problems


def load_listeners_or_raise(directory: Path) -> list[ListenerProfile]:
    profiles, problems = load_listeners(directory)
    if problems:
        raise ConfigError(problems)
    return profiles

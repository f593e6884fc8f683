"""Listener profiles in YAML, validated like the configuration: every problem at once, each
with file:line and key.

A profile is pseudonymous: an id such as L-0042, never a name. Without consent the appliance
keeps nothing of a session beyond its anonymous outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from appliance.affect.priors import AGE_BANDS
from appliance.config.errors import ConfigError, Problem, did_you_mean
from appliance.config.validators import BleAddressList, Bool, FilePath, Float, OneOf
from appliance.config.yamlread import read_yaml_file
from appliance.listeners.schedule import ScheduleSlot, parse_slot
from appliance.sequencer.profile import (
    CONSTRAINTS,
    MAX_SESSION_MIN,
    MIN_SESSION_MIN,
    SequencerProfile,
)
from appliance.vocabulary import GOALS, check_listener_id


@dataclass(frozen=True)
class Consent:
    given: bool
    date: date | None = None


@dataclass(frozen=True)
class ListenerProfile:
    id: str
    goal: str
    consent: Consent
    session_min: float | None = None  # None: the sequencer's rule (configured, or dementia's)
    constraint: str = "none"  # one of appliance.sequencer.profile.CONSTRAINTS
    wearable: str | None = None  # the strap's Bluetooth address, upper case
    music_dir: Path | None = None
    dementia: bool = False
    breathing_guide: bool = False
    default: bool = False
    schedule: tuple[ScheduleSlot, ...] = ()
    age_band: str | None = None  # resting norms for the entry estimate; never a birth date
    usb_folder: str | None = None  # the family's folder on a USB stick: Attune/<usb_folder>/
    # Opted in to the comparison: each session plays the adaptive music or the fixed
    # U-sequence, drawn at random (listeners/comparison.py). Needs consent: it rests on records.
    compare_adaptation: bool = False
    file: str = ""

    @property
    def keeps_data(self) -> bool:
        """Only with consent is anything kept under the listener's id."""
        return self.consent.given

    def for_sequencer(self) -> SequencerProfile:
        """The part of the profile the music decisions follow, built directly (no dict)."""
        return SequencerProfile(
            goal=self.goal,
            constraint=self.constraint,
            dementia=self.dementia,
            breathing_guide=self.breathing_guide,
            session_min=self.session_min,
        )


def _wearable(value: Any) -> str:
    return BleAddressList()([value])[0]


def _consent_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date like 2024-05-01")


def _schedule(value: Any) -> tuple[ScheduleSlot, ...]:
    if not isinstance(value, list):
        raise ValueError("is not a list; write ['mon-fri 14:00-15:00', ...]")
    return tuple(parse_slot(v) for v in value)


def _usb_folder(value: Any) -> str:
    """One folder name a family can type on a stick (FAT's rules), not our reports folder."""
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    if not text or len(text) > 64 or text.startswith(".") or any(c in text for c in '/\\:*?"<>|'):
        raise ValueError(
            f"{value!r} is not a folder name; write one name of up to 64 characters without "
            '/ \\ : * ? " < > | (e.g. Margaret)'
        )
    if text.casefold() == "reports":
        raise ValueError("'reports' is where the device writes the reports; choose another name")
    return text


def _id(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text")
    return check_listener_id(value)


# key → (validator, required)
FIELDS: Mapping[str, tuple[Callable[[Any], Any], bool]] = {
    "id": (_id, True),
    "goal": (OneOf(GOALS), True),
    "session_min": (Float(MIN_SESSION_MIN, MAX_SESSION_MIN), False),
    "consent": (lambda v: v, True),  # a section, checked below
    "constraint": (OneOf(tuple(CONSTRAINTS)), False),
    "wearable": (_wearable, False),
    "music_dir": (FilePath(absolute=True), False),
    "dementia": (Bool(), False),
    "breathing_guide": (Bool(), False),
    "default": (Bool(), False),
    "schedule": (_schedule, False),
    "age_band": (OneOf(tuple(AGE_BANDS)), False),
    "usb_folder": (_usb_folder, False),
    "compare_adaptation": (Bool(), False),
}
CONSENT_FIELDS = ("given", "date")


def _unknown(name: str, known: list[str]) -> str:
    return f"unknown key{did_you_mean(name, known)}"


def parse_profile(
    path: Path, *, today: date | None = None
) -> tuple[ListenerProfile | None, list[Problem]]:
    """One profile, or None and every problem found. `today` (the local date by default)
    bounds the consent date: consent cannot have been given in the future."""
    document, problems = read_yaml_file(path)
    file, data, lines = document.file, document.data, document.lines
    if problems:
        return None, problems
    values: dict[str, Any] = {}

    def problem(key_path: tuple[str, ...], message: str) -> None:
        line = lines.get(key_path) or lines.get(key_path[:1])
        problems.append(Problem(file, line, ".".join(key_path), message))

    for name, raw in data.items():
        if name not in FIELDS:
            problem((name,), _unknown(name, list(FIELDS)))
            continue
        try:
            values[name] = FIELDS[name][0](raw)
        except ValueError as exc:
            problem((name,), str(exc))
    for name, (_, required) in FIELDS.items():
        if required and name not in data:
            problems.append(Problem(file, None, name, "is required"))
    consent = _parse_consent(data.get("consent"), problem, today or date.today())
    if values.get("compare_adaptation") and not consent.given:
        problem(
            ("compare_adaptation",),
            "the comparison needs consent (consent: given: true, with its date): it compares "
            "the listener's kept session records",
        )
    if problems:
        return None, problems
    profile = ListenerProfile(
        id=values["id"],
        goal=values["goal"],
        session_min=values.get("session_min"),
        consent=consent,
        constraint=values.get("constraint", "none"),
        wearable=values.get("wearable"),
        music_dir=values.get("music_dir"),
        dementia=values.get("dementia", False),
        breathing_guide=values.get("breathing_guide", False),
        default=values.get("default", False),
        schedule=values.get("schedule", ()),
        age_band=values.get("age_band"),
        usb_folder=values.get("usb_folder"),
        compare_adaptation=values.get("compare_adaptation", False),
        file=file,
    )
    return profile, problems


def _parse_consent(
    raw: Any, problem: Callable[[tuple[str, ...], str], None], today: date
) -> Consent:
    if raw is None:
        return Consent(False)
    if not isinstance(raw, dict):
        problem(("consent",), "is a section; expected given: true|false and date: YYYY-MM-DD")
        return Consent(False)
    for name in raw:
        if name not in CONSENT_FIELDS:
            problem(("consent", name), _unknown(name, list(CONSENT_FIELDS)))
    try:
        given = Bool()(raw.get("given"))
    except ValueError as exc:
        problem(("consent", "given"), str(exc))
        return Consent(False)
    when = None
    if "date" in raw:
        try:
            when = _consent_date(raw["date"])
        except ValueError as exc:
            problem(("consent", "date"), str(exc))
        else:
            if when > today:
                problem(("consent", "date"), f"{when} is in the future; today is {today}")
    elif given:
        problem(("consent", "date"), "consent given needs the date it was given")
    return Consent(given, when)


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

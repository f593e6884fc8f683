"""Listener profiles in YAML, validated like the configuration: every problem at once, each
with file:line and key.

A profile is pseudonymous: an id such as L-0042, never a name. Without consent the appliance
keeps nothing of a session beyond its anonymous outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from appliance.affect.priors import AGE_BANDS
from appliance.config.errors import Problem, did_you_mean
from appliance.config.validators import BleAddressList, Bool, Float, OneOf
from appliance.config.yamlread import read_yaml_file
from appliance.listeners.schedule import ScheduleSlot, parse_slot
from appliance.sequencer.familiar import LifeHistory, parse_born
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
    dementia: bool = False
    breathing_guide: bool = False
    default: bool = False
    schedule: tuple[ScheduleSlot, ...] = ()
    age_band: str | None = None  # resting norms for the entry estimate; never a birth date
    usb_folder: str | None = None  # the family's folder on a USB stick: Attune/<usb_folder>/
    # Opted in to the comparison: each session plays the adaptive music or the fixed
    # U-sequence, drawn at random (listeners/comparison.py). Needs consent: it rests on records.
    compare_adaptation: bool = False
    # Life history the music choice uses (sequencer/familiar.py): birth year or decade as a
    # (first, last) year range, and the cultural backgrounds their music may come from.
    born: tuple[int, int] | None = None
    culture: tuple[str, ...] = ()
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

    def life_history(self) -> LifeHistory:
        return LifeHistory(born=self.born, culture=self.culture)


def _born(value: Any) -> tuple[int, int]:
    first, last = parse_born(value)
    if not 1900 <= first <= date.today().year:
        raise ValueError(f"{value!r} is outside 1900..{date.today().year}")
    return first, last


def _culture(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise ValueError(f"{value!r} is not a text or a list of texts, like [Irish, Catholic]")
    return tuple(v.strip() for v in values)


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
    "dementia": (Bool(), False),
    "breathing_guide": (Bool(), False),
    "default": (Bool(), False),
    "schedule": (_schedule, False),
    "age_band": (OneOf(tuple(AGE_BANDS)), False),
    "usb_folder": (_usb_folder, False),
    "compare_adaptation": (Bool(), False),
    "born": (_born, False),
    "culture": (_culture, False),
}
CONSENT_FIELDS = ("given", "date")
# Keys older profiles may carry that mean nothing now, with what to do instead. `music_dir`
# promised "their personal music folder" but was never read. A listener's music lives in one
# place, the device's store (<state_dir>/music/<id>/: owner-only, swept after a crash, erased
# by `attune listeners forget`), filled by `attune music import` or a USB stick. A second,
# free location would split those guarantees across folders anyone may pick, and a folder
# read in place (a share, a stick) can vanish mid-session. So it is an error a technician
# sees at `attune listeners check`, not a key silently ignored.
RETIRED = {
    "music_dir": (
        "is no longer used: a listener's music is copied into the device's store "
        "(<state_dir>/music/<id>/) by 'attune music import --listener <id> FOLDER' or from a "
        "USB stick; import that folder once, then delete this line (the folder is not touched)"
    ),
}


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
        if name in RETIRED:
            problem((name,), RETIRED[name])
            continue
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
        dementia=values.get("dementia", False),
        breathing_guide=values.get("breathing_guide", False),
        default=values.get("default", False),
        schedule=values.get("schedule", ()),
        age_band=values.get("age_band"),
        usb_folder=values.get("usb_folder"),
        compare_adaptation=values.get("compare_adaptation", False),
        born=values.get("born"),
        culture=values.get("culture", ()),
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

"""Human tags for a personal track, from a sidecar YAML written by family or staff.

`Moon River.mp3` is described by `Moon River.yaml` (or `Moon River.mp3.yaml`, `.yml`) beside it:

    vocals: yes          # sung (the rules may avoid lyrics at bedtime)
    familiar: yes        # the listener knows it well
    era: 1960s
    culture: American film music
    avoid: no            # or a reason: "played at her husband's funeral"

yes/no and true/false are both accepted for the yes-or-no tags (this file is written by
families, not technicians). Unknown keys and bad values are reported, never fatal.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from appliance.config.errors import Problem
from appliance.config.yamlread import read_yaml_file

SIDECAR_SUFFIXES = (".yaml", ".yml")
YES = frozenset({"yes", "y", "true", "on"})
NO = frozenset({"no", "n", "false", "off"})
TEXT_TAGS = ("era", "culture")
FLAG_TAGS = ("vocals", "familiar")


@dataclass(frozen=True)
class Tags:
    vocals: bool | None = None  # None: nobody said
    familiar: bool | None = None
    era: str | None = None
    culture: str | None = None
    avoid: bool = False  # never offered to the sequencer
    avoid_reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Tags:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def sidecar_for(audio: Path) -> Path | None:
    """The sidecar YAML of an audio file, if there is one."""
    for base in (audio.with_suffix(""), audio):
        for suffix in SIDECAR_SUFFIXES:
            candidate = base.parent / (base.name + suffix)
            if candidate.is_file():
                return candidate
    return None


def read_tags(sidecar: Path) -> tuple[Tags, list[str]]:
    """Tags from a sidecar file and the problems found in it (the good tags still count)."""
    # The same bounded reader as the configuration: a sidecar comes on a family's USB stick.
    document, problems = read_yaml_file(sidecar)
    if problems:
        return Tags(), [_where(sidecar, p) for p in problems]
    return parse_tags(document.data, sidecar.name)


def parse_tags(data: dict[object, object], source: str) -> tuple[Tags, list[str]]:
    problems: list[str] = []
    values: dict[str, object] = {}
    for key, value in data.items():
        name = str(key).strip().lower()
        if name in FLAG_TAGS:
            flag = _flag(value)
            if flag is None:
                problems.append(f"{source}: {name}: {value!r} is not yes or no")
            else:
                values[name] = flag
        elif name in TEXT_TAGS:
            if value is not None and str(value).strip():
                values[name] = str(value).strip()
        elif name == "avoid":
            flag = _flag(value)
            if flag is not None:
                values["avoid"] = flag
            elif isinstance(value, str) and value.strip():
                values["avoid"], values["avoid_reason"] = True, value.strip()
            else:
                problems.append(f"{source}: avoid: {value!r} is not yes, no or a reason")
        else:
            known = ", ".join((*FLAG_TAGS, *TEXT_TAGS, "avoid"))
            problems.append(f"{source}: unknown tag {name!r} (known: {known})")
    return Tags(**values), problems


def _flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in YES | NO:
        return value.strip().lower() in YES
    return None


def _where(sidecar: Path, problem: Problem) -> str:
    line = "" if problem.line is None else f":{problem.line}"
    key = f" {problem.key}:" if problem.key else ""
    return f"{sidecar.name}{line}:{key} {problem.message}"

"""Configuration problems: each one names the file, the line and the full key path."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration, where a technician can find it."""

    file: str
    line: int | None
    key: str  # full dotted path, e.g. "hardware.ppg.sample_rate"; "" when not about one key
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(Exception):
    """Raised when anything is wrong; holds every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


def did_you_mean(name: str, candidates: Iterable[str], *, section: str = "") -> str:
    """ "; did you mean 'X'?" naming the candidate closest to a misspelt `name`, or "" when
    none is close. `section`, when given, is the dotted path the candidates are keys of: the
    suggestion names the full key."""
    close = difflib.get_close_matches(name, list(candidates), n=1)
    if not close:
        return ""
    suggestion = f"{section}.{close[0]}" if section else close[0]
    return f"; did you mean {suggestion!r}?"

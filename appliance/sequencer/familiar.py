"""Which family a personal track belongs to for this listener, from its tags and their life
history: familiar (the family said so), reminiscence (from the years they were 10 to 30, the
"reminiscence bump" autobiographical memory clusters in: Rubin, Rahhal & Poon 1998; Krumhansl
& Zupnick 2013 for music), their culture, or none of these.

The bandit learns each family as its own arm (arms.TRACK_FAMILIES), and the sequencer prefers
them where familiarity helps most: iso entry and the session's end (adaptive.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from appliance.music.tags import Tags

FAMILIAR, REMINISCENCE, CULTURE, OTHER = "familiar", "reminiscence", "culture", "other"
REMINISCENCE_AGES = (10, 30)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)(s?)\b")
_SHORT_DECADE = re.compile(r"(?<![\d'])'?([2-9]0)s\b")  # "60s", "'60s": the 1900s
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class LifeHistory:
    """What a profile says of the listener's past (ListenerProfile: born, culture)."""

    born: tuple[int, int] | None = None  # first and last possible birth year
    culture: tuple[str, ...] = ()

    @property
    def reminiscence_years(self) -> tuple[int, int] | None:
        if self.born is None:
            return None
        return self.born[0] + REMINISCENCE_AGES[0], self.born[1] + REMINISCENCE_AGES[1]


def parse_born(value: object) -> tuple[int, int]:
    """A birth year (1938) or decade ("1930s") as (first, last) year; ValueError otherwise."""
    text = str(value).strip().lower() if not isinstance(value, bool) else ""
    match = re.fullmatch(r"(1[89]\d\d|20\d\d)(s?)", text)
    if match is None:
        raise ValueError(f"{value!r} is not a birth year like 1938 or a decade like 1930s")
    year = int(match.group(1))
    if match.group(2):
        if year % 10:
            raise ValueError(f"{value!r}: a decade starts at a round year, like 1930s")
        return year, year + 9
    return year, year


def era_years(era: str | None) -> tuple[int, int] | None:
    """The years an era tag names ("1960s", "1965", "60s", "1958-1962"), or None."""
    if not era:
        return None
    spans = [(int(y), int(y) + (9 if s else 0)) for y, s in _YEAR.findall(era)] + [
        (1900 + int(d), 1909 + int(d)) for d in _SHORT_DECADE.findall(era)
    ]
    if not spans:
        return None
    return min(a for a, _ in spans), max(b for _, b in spans)


def culture_match(tag: str | None, cultures: tuple[str, ...]) -> str | None:
    """The listener's culture the tag names (whole words, any case), or None."""
    if not tag:
        return None
    words = " " + " ".join(_WORD.findall(tag.casefold())) + " "
    for culture in cultures:
        wanted = " ".join(_WORD.findall(culture.casefold()))
        if wanted and f" {wanted} " in words:
            return culture
    return None


def track_family(tags: Tags, life: LifeHistory) -> tuple[str, str]:
    """(family, why) for a track: the first of familiar, reminiscence, culture that holds."""
    if tags.familiar:
        return FAMILIAR, FAMILIAR
    window, era = life.reminiscence_years, era_years(tags.era)
    if window is not None and era is not None and era[0] <= window[1] and era[1] >= window[0]:
        return REMINISCENCE, f"reminiscence ({tags.era}, when they were 10-30)"
    culture = culture_match(tags.culture, life.culture)
    if culture is not None:
        return CULTURE, f"their culture ({culture})"
    return OTHER, "their own music"

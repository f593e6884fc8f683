"""Validators for configuration values.

Each is a callable that returns the typed value or raises ValueError with a message meant for
a technician (the caller adds the file, line and key path).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from appliance.config.yamlwrite import hex_byte

# What technicians write when they mean a boolean; the YAML loader keeps them as strings.
_BOOLEAN_LOOKALIKES = frozenset({"yes", "no", "on", "off", "y", "n", "true", "false", "1", "0"})
_BLE_ADDRESS = re.compile(r"^[0-9A-F]{2}(?::[0-9A-F]{2}){5}$")
I2C_FIRST_ADDRESS = 0x03  # 0x00-0x02 and 0x78-0x7F are reserved by the I2C specification
I2C_LAST_ADDRESS = 0x77


def describe(value: Any) -> str:
    """A value as a technician would recognise it in the YAML."""
    if value is None:
        return "an empty value"
    if isinstance(value, dict):
        return "a section (key: value pairs)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return repr(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class Bool:
    """Only YAML true/false: `yes`, `on`, `1` are refused rather than guessed."""

    def __call__(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str | int) and str(value).lower() in _BOOLEAN_LOOKALIKES:
            raise ValueError(f"{describe(value)} is not a boolean; use true or false")
        raise ValueError(f"{describe(value)} is not a boolean; expected true or false")


class Int:
    def __init__(self, minimum: int, maximum: int, show: Callable[[int], str] = str) -> None:
        self.minimum, self.maximum, self._show = minimum, maximum, show

    def __call__(self, value: Any) -> int:
        # bool is an int in Python; `true` is never a number here.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{describe(value)} is not a whole number")
        if not self.minimum <= value <= self.maximum:
            raise ValueError(
                f"{self._show(value)} is out of range; "
                f"allowed: {self._show(self.minimum)}..{self._show(self.maximum)}"
            )
        return value


class Float:
    def __init__(self, minimum: float, maximum: float) -> None:
        self.minimum, self.maximum = minimum, maximum

    def __call__(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{describe(value)} is not a number")
        if not self.minimum <= value <= self.maximum:
            raise ValueError(
                f"{_number_text(value)} is out of range; "
                f"allowed: {_number_text(self.minimum)}..{_number_text(self.maximum)}"
            )
        return float(value)


class OneOf:
    """A closed set of text or numeric choices (enums, datasheet register settings)."""

    def __init__(self, choices: Sequence[Any], show: Callable[[Any], str] | None = None) -> None:
        self.choices = tuple(choices)
        self._show = show or (lambda v: _number_text(v) if isinstance(v, float) else str(v))

    def __call__(self, value: Any) -> Any:
        numeric = all(isinstance(c, int | float) for c in self.choices)
        if isinstance(value, bool) or (numeric and not isinstance(value, int | float)):
            kind = "a number" if numeric else "one of the names below"
            raise ValueError(f"{describe(value)} is not {kind}; allowed: {self._allowed()}")
        for choice in self.choices:
            if value == choice and type(value) is not bool:
                return choice
        shown = self._show(value) if numeric else describe(value)
        raise ValueError(f"{shown} is not allowed; allowed: {self._allowed()}")

    def _allowed(self) -> str:
        return ", ".join(self._show(c) for c in self.choices)


class I2cAddress(Int):
    """A 7-bit I2C address; YAML reads 0x57 as an integer, and errors show it in hex."""

    def __init__(self, minimum: int = I2C_FIRST_ADDRESS, maximum: int = I2C_LAST_ADDRESS) -> None:
        super().__init__(minimum, maximum, show=hex_byte)

    def __call__(self, value: Any) -> int:
        if isinstance(value, str) and re.fullmatch(r"0[xX][0-9a-fA-F]+", value.strip()):
            raise ValueError(f"{describe(value)} is quoted; write the address unquoted: {value}")
        return super().__call__(value)


class Text:
    """Non-empty text, optionally matching a pattern (described in `expected`)."""

    def __init__(self, pattern: str | None = None, expected: str = "") -> None:
        self._pattern = re.compile(pattern) if pattern else None
        self._expected = expected

    def __call__(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{describe(value)} is not text")
        if self._pattern and not self._pattern.fullmatch(value):
            raise ValueError(f"{describe(value)} is not valid; expected {self._expected}")
        return value


class FilePath:
    """A path; absolute where the service's working directory must not matter."""

    def __init__(self, absolute: bool = True) -> None:
        self._absolute = absolute

    def __call__(self, value: Any) -> Path:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{describe(value)} is not a path")
        if self._absolute and not value.startswith("/"):
            raise ValueError(f"{describe(value)} is not an absolute path (start it with /)")
        return Path(value)


class BleAddressList:
    """Bluetooth device addresses AA:BB:CC:DD:EE:FF, upper-cased as BlueZ reports them."""

    def __call__(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise ValueError(f"{describe(value)} is not a list; write [AA:BB:CC:DD:EE:FF, ...]")
        bad = [v for v in value if not isinstance(v, str) or not _BLE_ADDRESS.match(v.upper())]
        if bad:
            listed = ", ".join(describe(v) for v in bad)
            raise ValueError(f"not a Bluetooth address (AA:BB:CC:DD:EE:FF): {listed}")
        addresses = tuple(v.upper() for v in value)
        if len(set(addresses)) != len(addresses):
            raise ValueError("an address is listed twice")
        return addresses


# Files in the zone database that are not zones a person lives in.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


class TimeZone:
    """An IANA time zone name (Europe/London, UTC), checked against the zone database."""

    def __call__(self, value: Any) -> str:
        import zoneinfo

        hint = "use an IANA name such as Europe/London or UTC (`timedatectl list-timezones`)"
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{describe(value)} is not a time zone; {hint}")
        try:
            if value in _NOT_ZONES:
                raise zoneinfo.ZoneInfoNotFoundError(value)
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            close = get_close_matches(value, sorted(zoneinfo.available_timezones()), n=1)
            suggestion = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"{describe(value)} is not a time zone{suggestion}; {hint}") from None
        return value

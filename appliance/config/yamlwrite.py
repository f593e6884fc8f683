"""Writing values back as YAML that reads the same way (for `config show` and messages)."""

from __future__ import annotations

from typing import Any

import yaml


class HexInt(int):
    """An int written as 0x57, as datasheets and technicians write I2C addresses."""


def hex_byte(value: int) -> str:
    return f"0x{value:02X}"


class _Dumper(yaml.SafeDumper):
    """SafeDumper quotes yes/no/on/off and 017, so they read back as the same strings."""


_Dumper.add_representer(
    HexInt, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:int", hex_byte(value))
)


def yaml_scalar(value: Any) -> str:
    """One value in flow style on one line, quoted wherever YAML would misread it."""
    text = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, width=float("inf"))
    return text.removesuffix("\n").removesuffix("\n...").strip()

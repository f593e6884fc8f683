"""`attune config check` and `attune config show`: text for the technician, no I/O to stdout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.config.errors import ConfigError
from appliance.config.loader import load_config
from appliance.config.schema import SCHEMA
from appliance.config.values import DEFAULT_ORIGIN, Config, nest
from appliance.config.yamlwrite import yaml_scalar

_INDENT = "  "


def check_command(path: Path | None, etc_dir: Path) -> tuple[int, str]:
    """Exit code and text: "OK: <files read>", or every problem, one per line."""
    try:
        config = load_config(path, etc_dir=etc_dir)
    except ConfigError as error:
        return 1, str(error)
    if not config.files:
        return 0, f"OK: no configuration files in {etc_dir}; the defaults apply"
    return 0, f"OK: {', '.join(config.files)}"


def show_command(config: Config, changed_only: bool) -> str:
    """The effective configuration as YAML; a value that differs from its default carries
    the file:line that set it as a trailing comment."""
    changed = config.changed()
    keys = [key for key in config if not changed_only or key in changed]
    files = ", ".join(config.files) if config.files else "none (defaults only)"
    header = [
        "# Effective Attune configuration. Files read after the defaults: " + files,
        "# A trailing comment marks a value that differs from the default and where it was set.",
    ]
    if not keys:
        return "\n".join([*header, "{}  # every value is the default", ""])
    values = {key: SCHEMA[key].to_yaml(config.get(key)) for key in keys}
    comments = {key: config.origin(key) for key in keys if key in changed}
    body = _emit(nest(values), "", 0, comments)
    return "\n".join([*header, *body, ""])


def _emit(tree: dict[str, Any], prefix: str, depth: int, comments: dict[str, str]) -> list[str]:
    lines: list[str] = []
    for name, value in tree.items():
        key = f"{prefix}.{name}" if prefix else name
        indent = _INDENT * depth
        if isinstance(value, dict):
            lines.append(f"{indent}{name}:")
            lines.extend(_emit(value, key, depth + 1, comments))
            continue
        line = f"{indent}{name}: {yaml_scalar(value)}"
        origin = comments.get(key)
        if origin is not None and origin != DEFAULT_ORIGIN:
            line += f"  # {origin}"
        lines.append(line)
    return lines

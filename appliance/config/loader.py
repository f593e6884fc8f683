"""Layered loading: shipped defaults → /etc/attune/conf.d/*.yaml (sorted) → /etc/attune/attune.yaml.

`--config FILE` (development) replaces both /etc layers: defaults → FILE. Mappings merge
deeply, lists and scalars replace. Every value is validated in the file that sets it, so a
single run reports every problem, each with file:line and the full key path.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from appliance.config.crosschecks import CROSS_CHECKS
from appliance.config.errors import ConfigError, Problem, did_you_mean
from appliance.config.schema import SCHEMA
from appliance.config.validators import describe
from appliance.config.values import DEFAULT_ORIGIN, Config
from appliance.config.yamlread import KeyPath, YamlDocument, parse_yaml, read_yaml_file
from appliance.config.yamlwrite import yaml_scalar

ETC_DIR = Path("/etc/attune")
MAIN_FILE = "attune.yaml"
DROP_IN_DIR = "conf.d"
DEFAULTS_NAME = "defaults.yaml (shipped)"


def layer_files(config_file: Path | None, etc_dir: Path = ETC_DIR) -> list[Path]:
    """The files to apply over the defaults, in order. Missing /etc files are skipped."""
    if config_file is not None:
        return [config_file]  # must exist: read_yaml_file reports it if not
    drop_ins = etc_dir / DROP_IN_DIR
    files = sorted(drop_ins.glob("*.yaml")) if drop_ins.is_dir() else []
    main = etc_dir / MAIN_FILE
    return [*files, main] if main.exists() else files


def load_config(config_file: Path | None = None, *, etc_dir: Path = ETC_DIR) -> Config:
    """The effective configuration, or ConfigError listing every problem found."""
    defaults = _load_defaults()
    merged = _Merge(defaults)
    files = layer_files(config_file, etc_dir)
    for path in files:
        document, problems = read_yaml_file(path)
        merged.problems.extend(problems)
        merged.apply(document)
    merged.cross_check()
    if merged.problems:
        raise ConfigError(merged.problems)
    return Config(merged.values, merged.origins, defaults, tuple(str(p) for p in files))


def _load_defaults() -> dict[str, Any]:
    """Flat {dotted key: typed value}; a broken defaults file is a packaging bug, reported."""
    text = resources.files("appliance.config").joinpath("defaults.yaml").read_text("utf-8")
    document, problems = parse_yaml(text, DEFAULTS_NAME)
    flat = _flatten(document.data)
    for key in sorted(set(flat) ^ set(SCHEMA)):
        where = "has no schema option" if key in flat else "has no default"
        problems.append(Problem(DEFAULTS_NAME, None, key, f"{where} (packaging error)"))
    values: dict[str, Any] = {}
    for key, raw in flat.items():
        if key in SCHEMA:
            try:
                values[key] = SCHEMA[key].validate(raw)
            except ValueError as error:
                line = document.lines.get(tuple(key.split(".")))
                problems.append(Problem(DEFAULTS_NAME, line, key, str(error)))
    if problems:
        raise ConfigError(problems)
    return values


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, path))
        else:
            flat[path] = value
    return flat


class _Merge:
    """Applies one file after another over the defaults, collecting problems."""

    def __init__(self, defaults: Mapping[str, Any]) -> None:
        self.values: dict[str, Any] = dict(defaults)
        self.origins: dict[str, str] = {}
        self.problems: list[Problem] = []
        self._invalid: set[str] = set()  # keys whose value was refused somewhere
        self._sections = _section_paths(SCHEMA)
        self._known = self._sections | SCHEMA.keys()

    def apply(self, document: YamlDocument) -> None:
        self._apply_mapping(document, document.data, ())

    def _apply_mapping(
        self, document: YamlDocument, mapping: Mapping[str, Any], path: KeyPath
    ) -> None:
        for name, value in mapping.items():
            key_path = (*path, name)
            key = ".".join(key_path)
            line = document.lines.get(key_path)
            if "." in name or key not in self._known:
                hint = _suggestion(".".join(path), name, self._sections)
                self.problems.append(Problem(document.file, line, key, f"unknown key{hint}"))
            elif key in self._sections:
                if value is None:
                    continue  # `ppg:` with nothing under it: the defaults apply
                if isinstance(value, dict):
                    self._apply_mapping(document, value, key_path)
                else:
                    message = f"is a section; expected keys under it, got {describe(value)}"
                    self.problems.append(Problem(document.file, line, key, message))
            else:
                self._apply_value(document.file, line, key, value)

    def _apply_value(self, file: str, line: int | None, key: str, value: Any) -> None:
        if value is None:
            default = yaml_scalar(SCHEMA[key].to_yaml(self.values[key]))
            message = f"has no value; delete the line to keep the default ({default})"
            self.problems.append(Problem(file, line, key, message))
            self._invalid.add(key)
            return
        try:
            self.values[key] = SCHEMA[key].validate(value)
        except ValueError as error:
            self.problems.append(Problem(file, line, key, str(error)))
            self._invalid.add(key)
            return
        self.origins[key] = f"{file}:{line}" if line is not None else file

    def cross_check(self) -> None:
        for rule in CROSS_CHECKS:
            if self._invalid.intersection(rule.keys):
                continue  # already reported; a cross-check on a refused value would mislead
            message = rule.check(self.values)
            if message is None:
                continue
            # Blame the key a file set last (the defaults are consistent on their own).
            set_keys = [k for k in rule.keys if k in self.origins]
            key = set_keys[0] if set_keys else rule.keys[0]
            file, line = _split_origin(self.origins.get(key, DEFAULT_ORIGIN))
            self.problems.append(Problem(file, line, key, message))


def _split_origin(origin: str) -> tuple[str, int | None]:
    file, _, line = origin.rpartition(":")
    return (file, int(line)) if file and line.isdigit() else (origin, None)


def _section_paths(keys: Mapping[str, Any]) -> set[str]:
    """Every proper prefix of every key: "hardware", "hardware.ppg", ..."""
    parts = (key.split(".") for key in keys)
    return {".".join(p[:i]) for p in parts for i in range(1, len(p))}


def _suggestion(prefix: str, name: str, sections: set[str]) -> str:
    """ "; did you mean 'X'?" from the siblings, else the same name in another section."""
    known = set(SCHEMA) | sections
    full = f"{prefix}.{name}" if prefix else name
    if "." in name and full in known:
        nested = ": / ".join(full.split("."))
        return f"; dotted keys are not expanded: nest it, one name per line ({nested}:)"
    siblings = [k.rpartition(".")[2] for k in known if k.rpartition(".")[0] == prefix]
    hint = did_you_mean(name, siblings, section=prefix)
    elsewhere = sorted(k for k in known if k.rpartition(".")[2] == name)
    if hint or not elsewhere:
        return hint
    return did_you_mean(elsewhere[0], elsewhere[:1])  # the very key, in its own section

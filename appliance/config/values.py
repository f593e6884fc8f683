"""The effective configuration: read-only, typed, and aware of where each value came from."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from appliance.config.errors import did_you_mean

DEFAULT_ORIGIN = "default"


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """{"a.b": 1} → {"a": {"b": 1}}, keeping the order of `flat`."""
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        *sections, name = key.split(".")
        node = tree
        for section in sections:
            node = node.setdefault(section, {})
        node[name] = value
    return tree


def _plain(value: Any) -> Any:
    """A value as YAML would hold it (paths as text, tuples as lists)."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


class Section:
    """One section of the configuration, read by attribute: `cfg.hardware.ppg.address`."""

    __slots__ = ("_items", "_path")

    def __init__(self, path: str, items: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_items", MappingProxyType(dict(items)))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._items[name]
        except KeyError:
            where = f"{self._path}.{name}" if self._path else name
            siblings = [f"{self._path}.{n}" if self._path else n for n in self._items]
            raise AttributeError(_unknown(where, siblings)) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the configuration is read-only")

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __repr__(self) -> str:
        return f"Section({self._path or '<root>'!r}, {list(self._items)})"


def _unknown(key: str, candidates: list[str]) -> str:
    """The error for a missing key, with the closest full key path as a suggestion."""
    return f"no configuration key {key!r}{did_you_mean(key, candidates)}"


def _build_section(path: str, node: Mapping[str, Any]) -> Section:
    items = {
        key: _build_section(f"{path}.{key}" if path else key, value)
        if isinstance(value, dict)
        else value
        for key, value in node.items()
    }
    return Section(path, items)


class Config:
    """Typed, read-only values by dotted key, their origins, and the defaults they replaced."""

    def __init__(
        self,
        values: Mapping[str, Any],
        origins: Mapping[str, str],
        defaults: Mapping[str, Any],
        files: tuple[str, ...] = (),
    ) -> None:
        self._values = MappingProxyType(dict(values))
        self._origins = MappingProxyType(dict(origins))
        self._defaults = MappingProxyType(dict(defaults))
        self._root = _build_section("", nest(self._values))
        self.files = files  # files read, in the order they were applied

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._root, name)

    def get(self, key: str) -> Any:
        """A value (or a Section) by dotted path: `cfg.get("hardware.ppg.address")`."""
        if key in self._values:
            return self._values[key]
        node: Any = self._root
        for part in key.split("."):
            if not isinstance(node, Section) or part not in node:
                raise KeyError(_unknown(key, list(self._values)))
            node = getattr(node, part)
        return node

    def origin(self, key: str) -> str:
        """ "default", or "path:line" of the file that set the value."""
        if key not in self._values:
            raise KeyError(_unknown(key, list(self._values)))
        return self._origins.get(key, DEFAULT_ORIGIN)

    def __iter__(self) -> Iterator[str]:
        """Every dotted key, in the order of defaults.yaml."""
        return iter(self._values)

    def as_dict(self) -> dict[str, Any]:
        """Nested plain data (paths as text, lists as lists), as YAML would hold it."""
        return nest({key: _plain(value) for key, value in self._values.items()})

    def changed(self) -> dict[str, Any]:
        """{dotted key: value} for every value that differs from its default."""
        return {
            key: _plain(value)
            for key, value in self._values.items()
            if value != self._defaults[key]
        }

    def __repr__(self) -> str:
        return f"Config(files={list(self.files)}, changed={self.changed()})"

"""The loader under `yamlread`: PyYAML's SafeLoader with strict scalars and hard bounds.

Strict scalars: only `true`/`false` are booleans (`yes`, `no`, `on`, `off` stay strings, so a
technician's `no` is never silently False); numbers are YAML 1.2 style (decimal, 0x, 0o, 0b; no
leading-zero octal, no base-60, which eats Bluetooth addresses); 1e-3 is a float.

Bounds, because one broken listener profile must not take the device down: at most 64 KiB a
file, 16 levels of nesting, no anchors or aliases (a few hundred bytes of aliases expand to
gigabytes, and no shipped file uses them), only the plain tags (!!str, !!int, ...), numbers
within ±1e15 and finite, dates that exist. A refusal is a `Refused` carrying its mark and
saying what is allowed; `yamlread` turns it into a Problem.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

MAX_BYTES = 64 * 1024  # the shipped files are under 4 kB
MAX_DEPTH = 16  # the config nests 4 deep
MAX_MAGNITUDE = 10**15

_TAG = "tag:yaml.org,2002:"
_BOOL_TAG = _TAG + "bool"
_INT_TAG = _TAG + "int"
_FLOAT_TAG = _TAG + "float"
_STRICT_TAGS = (_BOOL_TAG, _INT_TAG, _FLOAT_TAG)
_ALLOWED_TAGS = frozenset(_TAG + n for n in ("str", "int", "float", "bool", "null", "seq", "map"))
_INT_PATTERN = re.compile(
    r"^(?:[-+]?[0-9][0-9_]*|0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+)$", re.ASCII
)
# YAML 1.2 floats: 1.5, .5, 1., 1e-3, 2E6, .inf, .nan (no base-60 floats).
_FLOAT_PATTERN = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+
    |[-+]?[0-9][0-9_]*\.
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.ASCII | re.VERBOSE,
)
_NUMBER_HINT = "numbers between -1e15 and 1e15 are allowed"


class Refused(yaml.MarkedYAMLError):
    """Well-formed YAML that Attune does not take (see the module docstring); `problem` says
    what is allowed."""

    def __init__(self, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem=message, problem_mark=mark)


class AttuneYamlLoader(yaml.SafeLoader):
    """SafeLoader with strict scalars and the bounds above (see the module docstring)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    # The scanner looks ahead over a whole run of brackets, quadratically: stop it early.
    def fetch_flow_collection_start(self, TokenClass: type) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise Refused(_too_deep(), self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column: int) -> bool:
        added = super().add_indent(column)
        if added and len(self.indents) > MAX_DEPTH:
            raise Refused(_too_deep(), self.get_mark())
        return added

    def compose_node(self, parent: Any, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise Refused(_no_anchors(f"alias *{event.anchor}"), event.start_mark)
        if event.anchor is not None:
            raise Refused(_no_anchors(f"anchor &{event.anchor}"), event.start_mark)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in _ALLOWED_TAGS:
            shown = "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag
            allowed = "!!str, !!int, !!float, !!bool, !!null, !!seq, !!map"
            raise Refused(f"tag {shown} is not supported; allowed: {allowed}", event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise Refused(_too_deep(), event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _too_deep() -> str:
    return f"nested more than {MAX_DEPTH} levels deep; the config needs at most 4"


def _no_anchors(what: str) -> str:
    return f"{what}: anchors and aliases are not supported; write the value out in full"


def _replace_resolvers() -> None:
    resolvers = {
        first: [(tag, regexp) for tag, regexp in entries if tag not in _STRICT_TAGS]
        for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    # A fresh dict: SafeLoader's own resolvers (used elsewhere) stay untouched.
    AttuneYamlLoader.yaml_implicit_resolvers = resolvers
    AttuneYamlLoader.add_implicit_resolver(
        _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    AttuneYamlLoader.add_implicit_resolver(_INT_TAG, _INT_PATTERN, list("-+0123456789"))
    AttuneYamlLoader.add_implicit_resolver(_FLOAT_TAG, _FLOAT_PATTERN, list("-+0123456789."))


def _shorten(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:20]}... ({len(text)} characters)"


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if not _INT_PATTERN.match(text):  # only an explicit !!int gets here unmatched
        raise Refused(f"{text[:40]!r} is not a whole number", node.start_mark)
    text = text.replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    bases = {"0x": 16, "0o": 8, "0b": 2}
    base = bases.get(digits[:2].lower(), 10)
    digits = digits[2:] if base != 10 else digits
    # Length first: converting thousands of digits is slow, and refused by Python beyond 4300.
    if len(digits.lstrip("0")) > 60 or abs(value := int(digits or "0", base)) > MAX_MAGNITUDE:
        raise Refused(f"{_shorten(text)} is too large; {_NUMBER_HINT}", node.start_mark)
    return sign * value


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node))
    plain = text.replace("_", "").lower()
    if plain.lstrip("+-") in (".inf", ".nan"):
        raise Refused(f"{text} is not a finite number; {_NUMBER_HINT}", node.start_mark)
    try:  # an explicit !!float may hold anything; the implicit ones match _FLOAT_PATTERN
        value = float(_construct_int(loader, node) if _INT_PATTERN.match(text) else plain)
    except ValueError:
        raise Refused(f"{text[:40]!r} is not a number", node.start_mark) from None
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise Refused(f"{_shorten(text)} is out of range; {_NUMBER_HINT}", node.start_mark)
    return value


def _construct_bool(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bool:
    text = str(loader.construct_scalar(node))
    if text.lower() not in ("true", "false"):
        raise Refused(f"{text[:40]!r} is not true or false", node.start_mark)
    return text.lower() == "true"


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        text = str(loader.construct_scalar(node))[:40]
        message = f"{text} is not a date that exists; write YYYY-MM-DD, e.g. 2024-05-01"
        raise Refused(message, node.start_mark) from None


_replace_resolvers()
AttuneYamlLoader.add_constructor(_INT_TAG, _construct_int)
AttuneYamlLoader.add_constructor(_FLOAT_TAG, _construct_float)
AttuneYamlLoader.add_constructor(_BOOL_TAG, _construct_bool)
AttuneYamlLoader.add_constructor(_TAG + "timestamp", _construct_timestamp)

"""Reading technicians' YAML: strict, line-aware, and never guessing.

- Only `true`/`false` are booleans: `yes`, `no`, `on`, `off`, `y`, `n` stay strings, so a
  technician's `no` is never silently turned into False (the schema then explains the error).
- Numbers are YAML 1.2 style: decimal, 0x hex, 0o octal, 0b binary. YAML 1.1's leading-zero
  octal (`017` = 15) and base-60 (`11:22:33` = 40953, which eats Bluetooth addresses) are gone;
  1e-3 is a float.
- Every key's line is recorded; duplicate keys and syntax errors become Problems with file:line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from appliance.config.errors import Problem

KeyPath = tuple[str, ...]

_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STRICT_TAGS = (_BOOL_TAG, _INT_TAG, _FLOAT_TAG)
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


class AttuneYamlLoader(yaml.SafeLoader):
    """SafeLoader with strict booleans and integers (see the module docstring)."""


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


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    bases = {"0x": 16, "0o": 8, "0b": 2}
    base = bases.get(digits[:2].lower(), 10)
    return sign * int(digits[2:] if base != 10 else digits, base)


_replace_resolvers()
AttuneYamlLoader.add_constructor(_INT_TAG, _construct_int)


@dataclass
class YamlDocument:
    """A parsed file: nested mappings, and the line of every key (by key path)."""

    file: str
    data: dict[str, Any]
    lines: dict[KeyPath, int] = field(default_factory=dict)


def parse_yaml(text: str, file: str) -> tuple[YamlDocument, list[Problem]]:
    """Parse one document; problems (syntax, duplicates, odd keys) are returned, not raised.

    An empty file, or one holding only comments, is an empty mapping.
    """
    problems: list[Problem] = []
    document = YamlDocument(file, {})
    loader = AttuneYamlLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return document, problems
        if not isinstance(root, yaml.MappingNode):
            line = root.start_mark.line + 1
            problems.append(Problem(file, line, "", "expected sections (key: value) at the top"))
            return document, problems
        document.data = _build_mapping(loader, root, (), document.lines, problems, file)
    except yaml.MarkedYAMLError as error:
        problems.append(_syntax_problem(error, file))
    except yaml.YAMLError as error:  # unmarked errors (e.g. bad stream encoding)
        problems.append(Problem(file, None, "", f"YAML error: {error}"))
    finally:
        loader.dispose()
    return document, problems


def read_yaml_file(path: Path) -> tuple[YamlDocument, list[Problem]]:
    """Read and parse a file; an unreadable file is a Problem naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return YamlDocument(str(path), {}), [
            Problem(str(path), None, "", f"not UTF-8 text ({error.reason})")
        ]
    except OSError as error:
        reason = error.strerror or str(error)
        return YamlDocument(str(path), {}), [Problem(str(path), None, "", f"cannot read: {reason}")]
    return parse_yaml(text, str(path))


def _syntax_problem(error: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark is not None else None
    detail = error.problem or "invalid YAML"
    if error.context:
        detail = f"{detail} ({error.context})"
    return Problem(file, line, "", f"YAML syntax error: {detail}")


def _build_mapping(
    loader: AttuneYamlLoader,
    node: yaml.MappingNode,
    path: KeyPath,
    lines: dict[KeyPath, int],
    problems: list[Problem],
    file: str,
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if key_node.tag == _MERGE_TAG:
            problems.append(
                Problem(file, line, ".".join(path), "merge keys (<<) are not supported")
            )
            continue
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            where = ".".join(path)
            problems.append(Problem(file, line, where, f"key {key!r} is not a name"))
            continue
        key_path = (*path, key)
        if key in result:
            first = lines[key_path]
            message = f"duplicate key (first set on line {first})"
            problems.append(Problem(file, line, ".".join(key_path), message))
            continue
        lines[key_path] = line
        if isinstance(value_node, yaml.MappingNode):
            result[key] = _build_mapping(loader, value_node, key_path, lines, problems, file)
        else:
            result[key] = loader.construct_object(value_node, deep=True)
    return result

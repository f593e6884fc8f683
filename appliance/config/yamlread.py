"""Reading technicians' YAML: strict, line-aware, bounded, and never guessing.

The one reader of the configuration, the listener profiles and the music sidecar files; the
loader's rules and bounds are in `yamlloader`. Every key's line is recorded; duplicate keys,
syntax errors, control characters, oversized files and everything the loader refuses become
Problems with file:line and what is allowed, never an exception.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from appliance.config.errors import Problem
from appliance.config.yamlloader import MAX_BYTES, AttuneYamlLoader, Refused

__all__ = [
    "MAX_BYTES",
    "AttuneYamlLoader",
    "KeyPath",
    "YamlDocument",
    "parse_yaml",
    "read_yaml_file",
]

KeyPath = tuple[str, ...]
_MERGE_TAG = "tag:yaml.org,2002:merge"
# C0/C1 controls except tab and line breaks, Unicode line/paragraph separators (they move
# lines under the reader's feet) and bidirectional overrides (text that reads other than it is).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile("\r\n|\r|\n")


@dataclass
class YamlDocument:
    """A parsed file: nested mappings, and the line of every key (by key path)."""

    file: str
    data: dict[str, Any]
    lines: dict[KeyPath, int] = field(default_factory=dict)


def parse_yaml(text: str, file: str) -> tuple[YamlDocument, list[Problem]]:
    """Parse one document; problems (syntax, duplicates, odd keys, bounds) are returned, never
    raised.

    An empty file, or one holding only comments, is an empty mapping.
    """
    document = YamlDocument(file, {})
    problems = _screen(text, file)
    if problems:
        return document, problems
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
        problems.append(_marked_problem(error, file, ""))
    except yaml.YAMLError as error:  # unmarked errors (e.g. bad stream encoding)
        problems.append(Problem(file, None, "", f"YAML error: {error}"))
    finally:
        loader.dispose()
    return document, problems


def read_yaml_file(path: Path) -> tuple[YamlDocument, list[Problem]]:
    """Read and parse a file; an unreadable, oversized or non-regular file is a Problem."""
    empty = YamlDocument(str(path), {})
    try:
        # Not a FIFO or a device: opening one could wait forever or read without end.
        if not stat.S_ISREG(os.stat(path).st_mode):
            return empty, [Problem(str(path), None, "", "is not a regular file")]
        with path.open("rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except OSError as error:
        reason = error.strerror or str(error)
        return empty, [Problem(str(path), None, "", f"cannot read: {reason}")]
    if len(raw) > MAX_BYTES:
        return empty, [_too_big(str(path))]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return empty, [Problem(str(path), None, "", f"not UTF-8 text ({error.reason})")]
    return parse_yaml(text, str(path))


def _too_big(file: str) -> Problem:
    return Problem(
        file, None, "", f"larger than {MAX_BYTES} bytes; a config or profile is a few kB"
    )


def _screen(text: str, file: str) -> list[Problem]:
    """What must be refused before the parser sees the text."""
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        return [_too_big(file)]
    found = _CONTROL.search(text)
    if found is None:
        return []
    line = len(_LINE_BREAK.findall(text, 0, found.start())) + 1
    code = f"U+{ord(found.group()):04X}"
    message = f"control character {code} is not allowed; only tab and line breaks are"
    return [Problem(file, line, "", message)]


def _marked_problem(error: yaml.MarkedYAMLError, file: str, key: str) -> Problem:
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark is not None else None
    if isinstance(error, Refused):  # well-formed, and its message says what is allowed
        return Problem(file, line, key, str(error.problem))
    detail = error.problem or "invalid YAML"
    if error.context:
        detail = f"{detail} ({error.context})"
    return Problem(file, line, key, f"YAML syntax error: {detail}")


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
        where = ".".join(path)
        if key_node.tag == _MERGE_TAG:
            problems.append(Problem(file, line, where, "merge keys (<<) are not supported"))
            continue
        try:
            key = loader.construct_object(key_node, deep=True)
        except yaml.MarkedYAMLError as error:
            problems.append(_marked_problem(error, file, where))
            continue
        if not isinstance(key, str):
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
            continue
        try:
            result[key] = loader.construct_object(value_node, deep=True)
        except yaml.MarkedYAMLError as error:
            problems.append(_marked_problem(error, file, ".".join(key_path)))
    return result

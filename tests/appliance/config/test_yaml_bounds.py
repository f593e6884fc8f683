"""The YAML reader's bounds: what once escaped as a traceback, or hung, is now a Problem naming
the file, the line and what is allowed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from appliance.config.yamlread import MAX_BYTES, parse_yaml, read_yaml_file

PROJECT = Path(__file__).resolve().parents[3]

# A billion-laughs document of 306 bytes: nine levels of nine aliases, 9**9 strings expanded.
ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


def one_problem(text: str):
    _, problems = parse_yaml(text, "p.yaml")
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize(
    ("text", "line", "key", "says"),
    [
        ("consent:\n  date: 2024-02-30\n", 2, "consent.date", "not a date that exists"),
        ("when: 2024-13-45T99:00:00\n", 1, "when", "not a date that exists"),
        ("a: 1\nid: L-0\x01\n", 2, "", "control character U+0001 is not allowed"),
        ("id: L-0\x00\n", 1, "", "control character U+0000"),
        ("id: \u202eL-0001\n", 1, "", "control character U+202E"),
        ("big: " + "9" * 4301 + "\n", 1, "big", "between -1e15 and 1e15"),
        ("big: 10000000000000000\n", 1, "big", "between -1e15 and 1e15"),
        ("big: 1e999\n", 1, "big", "between -1e15 and 1e15"),
        ("v: .nan\n", 1, "v", "not a finite number"),
        ("v: -.inf\n", 1, "v", "not a finite number"),
        ("v: !!float abc\n", 1, "v", "'abc' is not a number"),
        ("v: !!int abc\n", 1, "v", "'abc' is not a whole number"),
        ("v: !!bool maybe\n", 1, "v", "'maybe' is not true or false"),
        ("v: !!binary aGVsbG8=\n", 1, "", "tag !!binary is not supported; allowed: !!str"),
        ("v: !local x\n", 1, "", "tag !local is not supported"),
        ("a: 1\nb: &x [*x]\n", 2, "", "anchor &x: anchors and aliases are not supported"),
        ("a: *nowhere\n", 1, "", "alias *nowhere: anchors and aliases are not supported"),
        (ALIAS_BOMB, 1, "", "anchors and aliases are not supported"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", 1, "", "nested more than 16 levels"),
        ("a: " + "{b: " * 3000 + "1" + "}" * 3000 + "\n", 1, "", "nested more than 16 levels"),
        ("a:\n" + "- " * 40 + "x\n", 2, "", "nested more than 16 levels"),
    ],
)
def test_refused_with_line_and_what_is_allowed(text: str, line: int, key: str, says: str) -> None:
    problem = one_problem(text)
    assert (problem.file, problem.line, problem.key) == ("p.yaml", line, key)
    assert says in problem.message


def test_every_refusal_in_one_file_is_reported_at_once() -> None:
    _, problems = parse_yaml("a: 2024-02-30\nb: 1e999\nc: ok\n", "p.yaml")
    assert [(p.line, p.key) for p in problems] == [(1, "a"), (2, "b")]


def test_what_stays_within_the_bounds_reads_as_before() -> None:
    document, problems = parse_yaml(
        "a: " + "[" * 10 + "]" * 10 + "\nd: 2024-02-29\nn: -1000000000000000\nt: !!str 12\n",
        "p.yaml",
    )
    assert problems == []
    assert document.data["n"] == -(10**15) and document.data["t"] == "12"
    assert str(document.data["d"]) == "2024-02-29"


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("# padding\n" * (MAX_BYTES // 10 + 1))
    _, problems = read_yaml_file(path)
    assert [p.message for p in problems] == [
        f"larger than {MAX_BYTES} bytes; a config or profile is a few kB"
    ]
    assert one_problem("a: 1\n" + "#" * MAX_BYTES).message.startswith("larger than")


def test_a_fifo_is_refused_rather_than_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    _, problems = read_yaml_file(fifo)
    assert [p.message for p in problems] == ["is not a regular file"]


def test_no_shipped_file_needs_what_is_now_refused() -> None:
    shipped = [
        *sorted((PROJECT / "config").rglob("*.yaml")),
        PROJECT / "appliance" / "config" / "defaults.yaml",
    ]
    assert len(shipped) >= 5
    for path in shipped:
        assert read_yaml_file(path)[1] == [], path

"""The YAML reader: strict scalars, key lines, duplicates and syntax errors as Problems."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from appliance.config.yamlread import AttuneYamlLoader, parse_yaml, read_yaml_file


def parse(text: str):
    return parse_yaml(textwrap.dedent(text), "test.yaml")


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "Yes", "NO", "On", "OFF"])
def test_yes_no_on_off_stay_strings(word: str) -> None:
    document, problems = parse(f"flag: {word}\n")
    assert problems == []
    assert document.data["flag"] == word
    assert isinstance(document.data["flag"], str)


@pytest.mark.parametrize(("word", "value"), [("true", True), ("false", False), ("True", True)])
def test_only_true_and_false_are_booleans(word: str, value: bool) -> None:
    document, _ = parse(f"flag: {word}\n")
    assert document.data["flag"] is value


def test_the_stock_safe_loader_is_left_alone() -> None:
    # Our resolvers are a copy: other code using yaml.safe_load keeps YAML 1.1 behaviour.
    assert yaml.safe_load("a: yes") == {"a": True}
    assert yaml.load("a: yes", Loader=AttuneYamlLoader) == {"a": "yes"}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0x57", 0x57),
        ("0X4b", 0x4B),
        ("017", 17),  # YAML 1.1 would read octal 15
        ("-5", -5),
        ("1_000", 1000),
        ("0o17", 15),
        ("0b101", 5),
        ("1e-3", 0.001),
        ("2E6", 2_000_000.0),
        ("4.096", 4.096),
        ("-12.0", -12.0),
        ("11:22:33:44:55:00", "11:22:33:44:55:00"),  # YAML 1.1 base-60 would make an int
        ("1:30", "1:30"),
        ("09", 9),  # PyYAML's own int constructor crashes on this
    ],
)
def test_numbers_are_read_as_technicians_mean_them(text: str, value: object) -> None:
    document, problems = parse(f"v: {text}\n")
    assert problems == []
    assert document.data["v"] == value
    assert type(document.data["v"]) is type(value)


def test_every_key_has_its_line() -> None:
    document, problems = parse(
        """\
        # comment
        hardware:
          ppg:

            address: 0x57
        session:
          goal: sleep
        """
    )
    assert problems == []
    assert document.lines == {
        ("hardware",): 2,
        ("hardware", "ppg"): 3,
        ("hardware", "ppg", "address"): 5,
        ("session",): 6,
        ("session", "goal"): 7,
    }


def test_empty_file_and_comment_only_file_are_empty_mappings() -> None:
    for text in ("", "# nothing here\n", "\n\n"):
        document, problems = parse(text)
        assert (document.data, problems) == ({}, [])


def test_duplicate_key_is_a_problem_naming_both_lines() -> None:
    _, problems = parse(
        """\
        hardware:
          ppg:
            address: 0x57
            sample_rate: 100
            address: 0x58
        """
    )
    assert len(problems) == 1
    assert (problems[0].line, problems[0].key) == (5, "hardware.ppg.address")
    assert "duplicate key (first set on line 3)" in problems[0].message


def test_syntax_error_is_a_problem_with_its_line_not_a_traceback() -> None:
    document, problems = parse(
        """\
        session:
          goal: relax
            length_min: 20
        """
    )
    assert document.data == {}
    assert len(problems) == 1
    assert problems[0].line == 3
    assert problems[0].message.startswith("YAML syntax error")
    assert str(problems[0]).startswith("test.yaml:3: YAML syntax error")


def test_unclosed_quote_reports_a_line() -> None:
    _, problems = parse('audio:\n  device: "hw:1\n')
    assert len(problems) == 1 and problems[0].line is not None


def test_top_level_must_be_a_mapping() -> None:
    _, problems = parse("- session\n- audio\n")
    assert [(p.line, p.message) for p in problems] == [
        (1, "expected sections (key: value) at the top")
    ]


def test_unsafe_tags_are_refused_as_problems() -> None:
    _, problems = parse("session:\n  goal: !!python/object/apply:os.system [echo]\n")
    assert len(problems) == 1
    assert problems[0].line == 2


def test_non_text_keys_and_merge_keys_are_problems() -> None:
    _, problems = parse(
        """\
        session:
          <<: {goal: relax}
          3: x
        """
    )
    messages = sorted((p.line, p.key, p.message) for p in problems)
    assert messages == [
        (2, "session", "merge keys (<<) are not supported"),
        (3, "session", "key 3 is not a name"),
    ]


def test_unreadable_file_is_a_problem_naming_it(tmp_path) -> None:
    missing = tmp_path / "nope.yaml"
    _, problems = read_yaml_file(missing)
    assert len(problems) == 1
    assert problems[0].file == str(missing)
    assert "No such file" in problems[0].message

    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"goal: \xff\xfe\n")
    _, problems = read_yaml_file(binary)
    assert "not UTF-8" in problems[0].message

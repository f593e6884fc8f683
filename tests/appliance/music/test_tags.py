"""Sidecar tags are read by the configuration's bounded reader: a broken sidecar is a problem
naming the file and line, never an exception, and the track still imports untagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.music.tags import Tags, read_tags


def test_a_good_sidecar_reads_its_tags(tmp_path: Path) -> None:
    sidecar = tmp_path / "Moon River.yaml"
    sidecar.write_text("vocals: yes\nfamiliar: no\nera: 1960s\navoid: the funeral\n")
    tags, problems = read_tags(sidecar)
    assert problems == []
    assert (tags.vocals, tags.familiar, tags.era, tags.avoid) == (True, False, "1960s", True)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("era: 1960s\nvocals: &v yes\nfamiliar: *v\n", "Hymn.yaml:2: anchor &v"),
        ("era: 19\x0760s\n", "Hymn.yaml:1: control character U+0007"),
        ("vocals: yes\nera: " + "[" * 40 + "\n", "Hymn.yaml:2: nested more than"),
        ("- vocals\n- yes\n", "Hymn.yaml:1: expected sections"),
        ("era: !!binary aGVsbG8=\n", "Hymn.yaml:1: tag !!binary is not supported"),
    ],
)
def test_a_broken_sidecar_is_a_problem_not_an_exception(
    tmp_path: Path, text: str, says: str
) -> None:
    sidecar = tmp_path / "Hymn.yaml"
    sidecar.write_text(text)
    tags, problems = read_tags(sidecar)
    assert tags == Tags()
    assert len(problems) == 1 and problems[0].startswith(says), problems

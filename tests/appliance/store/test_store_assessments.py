"""Clinician assessments: scales and ranges checked before anything is written; kept per
listener, oldest first; erased with the listener."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from appliance.store.assessments import SCALES, Assessments, check_score, scale_named
from appliance.store.db import Store


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("GAD-7", "gad7"),
        ("phq9", "phq9"),
        ("Agitation", "agitation"),
        ("CMAI-SF", "cmai-sf"),
        ("cmai", "cmai-sf"),
    ],
)
def test_a_scale_is_found_however_it_is_written(name: str, key: str) -> None:
    assert scale_named(name).key == key


def test_an_unknown_scale_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown scale 'MMSE'.*GAD-7 \(0-21\).*CMAI"):
        scale_named("MMSE")


@pytest.mark.parametrize(
    ("key", "good", "bad"),
    [
        ("gad7", (0, 21), (-1, 22)),
        ("phq9", (0, 27), (-1, 28)),
        ("agitation", (0, 10), (-1, 11)),
        ("cmai-sf", (14, 70), (13, 71)),
    ],
)
def test_each_scale_takes_its_whole_range_and_nothing_outside(
    key: str, good: tuple[int, int], bad: tuple[int, int]
) -> None:
    scale = SCALES[key]
    assert [check_score(scale, s) for s in good] == list(good)
    for score in (*bad, good[0] + 0.5):
        with pytest.raises(ValueError, match=f"whole number from {good[0]} to {good[1]}"):
            check_score(scale, score)


def test_assessments_are_kept_oldest_first_and_erased_with_the_listener(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        book = Assessments(store)
        book.add("L-1", SCALES["gad7"], 12, date(2026, 11, 20))
        book.add("L-1", SCALES["cmai-sf"], 30, date(2026, 11, 2))
        book.add("L-2", SCALES["phq9"], 5, date(2026, 11, 3))
        with pytest.raises(ValueError, match="from 0 to 21"):
            book.add("L-1", SCALES["gad7"], 22, date(2026, 11, 21))
        tomorrow_but_one = datetime.now(UTC).date() + timedelta(days=2)
        with pytest.raises(ValueError, match="in the future"):
            book.add("L-1", SCALES["gad7"], 3, tomorrow_but_one)
        mine = book.of("L-1")
        assert [(a.scale.key, a.score, a.on) for a in mine] == [
            ("cmai-sf", 30, date(2026, 11, 2)),
            ("gad7", 12, date(2026, 11, 20)),
        ]
        assert store.forget_listener("L-1")["assessments"] == 2
        assert book.of("L-1") == []
        assert len(book.of("L-2")) == 1


def test_a_session_records_which_policy_played(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        a = store.start_session("L-1", "relax", 600, policy="adaptive", randomised=True)
        b = store.start_session("L-1", "relax", 600, policy="u_sequence", randomised=True)
        c = store.start_session("L-1", "relax", 600)
        assert store.policies("L-1") == {
            a: ("adaptive", True),
            b: ("u_sequence", True),
            c: (None, False),
        }

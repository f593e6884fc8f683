"""CSV export: the two files, their content, privacy and atomic replacement."""

from __future__ import annotations

import csv
import math
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from appliance.affect.estimate import AffectEstimate
from appliance.music.recipe import Recipe
from appliance.sequencer.decision import Decision
from appliance.signals.features import WindowFeatures
from appliance.store.db import Store
from appliance.store.export import DECISIONS_COLUMNS, PHYSIOLOGY_COLUMNS, export_session_csv

START = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def store_with_session() -> tuple[Store, int]:
    store = Store(":memory:")
    sid = store.start_session("L-0042", "relax", 1200, START)
    calm = Recipe(tempo_bpm=60, key="D", mode="minor", instrument="strings", density=0.2)
    personal = Recipe(tempo_bpm=70, source="file", file="Mary's wedding song.ogg")
    store.add_decision(sid, 0.0, Decision(calm, 180, "calibration", "calibration", "baseline"))
    store.add_decision(
        sid,
        180.0,
        Decision(personal, 120, "iso", "iso.match", f"liked: {personal.describe()}", 0.37, 0.5),
    )
    for t, hr in ((60.0, 78.0), (65.0, math.nan)):
        quality = 0.1 if math.isnan(hr) else 0.9
        features = WindowFeatures(t_end=5000 + t, window_s=60, hr_bpm=hr, scl_us=4.5,
                                  ppg_quality=quality, eda_quality=0.7)  # fmt: skip
        estimate = AffectEstimate(t=5000 + t, p_stress=0.7, arousal=0.7, confidence=0.6,
                                  quality=features.quality)  # fmt: skip
        store.add_physiology(sid, t, features, estimate if t == 60.0 else None)
    store.end_session(sid, "completed", 1200, {})
    yield store, sid
    store.close()


def test_export_writes_both_files_with_expected_rows(
    store_with_session: tuple[Store, int], tmp_path: Path
) -> None:
    store, sid = store_with_session
    paths = export_session_csv(store, sid, tmp_path / "export" / "s1")
    # The names carry the session id: a second session exported beside it overwrites nothing.
    assert [p.name for p in paths] == [
        f"session-{sid}-physiology.csv",
        f"session-{sid}-decisions.csv",
    ]

    physiology = _read(paths[0])
    assert list(physiology[0]) == list(PHYSIOLOGY_COLUMNS)
    assert [row["t_s"] for row in physiology] == ["60", "65"]
    assert physiology[0]["hr_bpm"] == "78" and physiology[0]["label"] == "stressed"
    assert physiology[1]["hr_bpm"] == "" and physiology[1]["arousal"] == ""  # missing: empty
    assert {row["listener_id"] for row in physiology} == {"L-0042"}
    assert {row["session_id"] for row in physiology} == {str(sid)}

    decisions = _read(paths[1])
    assert list(decisions[0]) == list(DECISIONS_COLUMNS)
    assert [(d["seq"], d["t_s"], d["phase"], d["tempo_bpm"]) for d in decisions] == [
        ("0", "0", "calibration", "60"),
        ("1", "180", "iso", "70"),
    ]
    assert (decisions[0]["key"], decisions[0]["mode"], decisions[0]["instrument"]) == (
        "D",
        "minor",
        "strings",
    )
    assert decisions[1]["probability"] == "0.37" and decisions[1]["source"] == "file"
    assert decisions[1]["reason"] == "liked: personal track [name withheld]"


def test_export_holds_only_the_minimum(
    store_with_session: tuple[Store, int], tmp_path: Path
) -> None:
    store, sid = store_with_session
    text = "".join(p.read_text() for p in export_session_csv(store, sid, tmp_path))
    assert "2024" not in text  # no wall-clock dates or times
    assert "wedding" not in text  # no personal track names


def test_export_is_private_and_replaces_atomically(
    store_with_session: tuple[Store, int], tmp_path: Path
) -> None:
    store, sid = store_with_session
    out = tmp_path / "new" / "dir"
    first = export_session_csv(store, sid, out)
    (out / f"session-{sid}-physiology.csv").write_text("stale content\n")
    second = export_session_csv(store, sid, out)
    assert first == second
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in second)
    assert "stale" not in second[0].read_text()
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in second)


def test_export_of_unknown_session_writes_nothing(tmp_path: Path) -> None:
    with Store(":memory:") as store, pytest.raises(KeyError):
        export_session_csv(store, 42, tmp_path / "out")
    assert not (tmp_path / "out").exists()

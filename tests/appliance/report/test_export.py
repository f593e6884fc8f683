"""Exports: file names carry what they hold, 0700/0600, documented CSV columns, a FHIR bundle
that fhir.resources validates, and nothing of a listener without consent but the outcome."""

from __future__ import annotations

import csv
import json
import re
import stat
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.bundle import Bundle  # fhir.resources 6.x: FHIR R4 (4.0.1)
from outcome_sessions import record_session

from appliance.report.export import OUTCOME_COLUMNS, NothingToExport, export_sessions
from appliance.report.fhir import LISTENER_SYSTEM, OUTCOME_SYSTEM
from appliance.store.db import MEMORY, Store
from appliance.store.export import DECISIONS_COLUMNS, PHYSIOLOGY_COLUMNS

LONDON = ZoneInfo("Europe/London")
DOCS = Path(__file__).parents[3] / "docs" / "outcomes.md"


@pytest.fixture
def store():
    with Store(MEMORY) as s:
        yield s


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_one_session_exports_named_private_files(store: Store, tmp_path: Path) -> None:
    sid = record_session(store)
    dest = tmp_path / "out" / "exports"
    paths = export_sessions(store, dest, session_id=sid, tz=LONDON, timezone_name="Europe/London")
    assert sorted(p.name for p in paths) == sorted(
        [
            f"session-{sid}-outcomes.csv",
            f"session-{sid}-outcomes.fhir.json",
            f"session-{sid}-physiology.csv",
            f"session-{sid}-decisions.csv",
        ]
    )
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in paths)
    assert sorted(dest.iterdir()) == sorted(paths)  # no temporary files left behind
    (row,) = _rows(dest / f"session-{sid}-outcomes.csv")
    assert tuple(row) == OUTCOME_COLUMNS
    assert row["listener_id"] == "L-1"
    # Records are UTC (09:00); what a person reads is the care home's clock (BST in May).
    assert (row["date_local"], row["start_local"], row["timezone"]) == (
        "2026-05-01",
        "10:00",
        "Europe/London",
    )
    assert (row["heart_rate_pre"], row["heart_rate_post"], row["heart_rate_change"]) == (
        "89",
        "73",
        "-16",
    )
    assert (row["rmssd_pre"], row["rmssd_post"], row["scl_pre"], row["scl_post"]) == (
        "30",
        "42",
        "4.1",
        "3.2",
    )
    assert row["heart_rate_pre_quality"] == "0.9" and row["time_to_calm_min"] == "6"
    assert (row["likes"], row["alerts"]) == ("2", "1")
    assert tuple(_rows(dest / f"session-{sid}-physiology.csv")[0]) == PHYSIOLOGY_COLUMNS


def test_a_second_export_into_the_same_folder_overwrites_nothing(
    store: Store, tmp_path: Path
) -> None:
    first, second = record_session(store), record_session(store)
    a = export_sessions(store, tmp_path, session_id=first)
    b = export_sessions(store, tmp_path, session_id=second)
    assert not set(a) & set(b)
    assert all(p.exists() for p in a + b)


def test_a_listener_or_a_date_range(store: Store, tmp_path: Path) -> None:
    may = record_session(store, listener="L-1")
    june = record_session(store, listener="L-1", start=datetime(2026, 6, 3, 23, 30, tzinfo=UTC))
    other = record_session(store, listener="L-2")
    paths = export_sessions(store, tmp_path / "a", listener_id="L-1")
    ids = [r["session_id"] for r in _rows(tmp_path / "a" / "listener-L-1-outcomes.csv")]
    assert ids == [str(may), str(june)]
    assert not any(f"session-{other}-" in p.name for p in paths)
    # 23:30 UTC on 3 June is already 4 June in London: the day is the care home's.
    export_sessions(
        store, tmp_path / "b", since=date(2026, 6, 4), until=date(2026, 6, 4), tz=LONDON
    )
    (row,) = _rows(tmp_path / "b" / "2026-06-04-to-2026-06-04-outcomes.csv")
    assert row["session_id"] == str(june) and row["date_local"] == "2026-06-04"
    with pytest.raises(NothingToExport):
        export_sessions(store, tmp_path / "c", since=date(2027, 1, 1))
    assert not (tmp_path / "c").exists()


def test_without_consent_only_the_anonymous_outcome_leaves(store: Store, tmp_path: Path) -> None:
    sid = record_session(store, listener=None)
    paths = export_sessions(store, tmp_path, since=date(2026, 5, 1))
    assert sorted(p.name for p in paths) == [
        "2026-05-01-to-now-outcomes.csv",
        "2026-05-01-to-now-outcomes.fhir.json",
    ]  # no windows, no decisions
    (row,) = _rows(paths[0])
    assert row["session_id"] == str(sid) and row["listener_id"] == "" and row["start_local"] == ""
    assert row["heart_rate_pre"] == "89"  # the outcome itself is kept
    bundle = json.loads(paths[1].read_text())
    resources = [e["resource"] for e in bundle["entry"]]
    assert resources and all("subject" not in r for r in resources)
    assert all(r["effectiveDateTime"] == "2026-05-01" for r in resources)  # no time of day


def test_the_fhir_bundle_validates_and_codes_each_measure(store: Store, tmp_path: Path) -> None:
    sid = record_session(store)
    export_sessions(store, tmp_path, session_id=sid, tz=LONDON)
    text = (tmp_path / f"session-{sid}-outcomes.fhir.json").read_text()
    bundle = Bundle.parse_raw(text)  # raises on anything FHIR R4 does not allow
    assert bundle.type == "collection"
    observations = [e.resource for e in bundle.entry]
    assert {o.get_resource_type() for o in observations} == {"Observation"}
    by_code = {(o.code.coding[0].system, o.code.coding[0].code): o for o in observations}
    hr = [o for o in observations if o.code.coding[0].code == "8867-4"]
    assert [o.code.coding[0].system for o in hr] == ["http://loinc.org"] * 2
    assert [float(o.valueQuantity.value) for o in hr] == [89.0, 73.0]
    assert hr[0].valueQuantity.code == "/min"
    assert hr[0].subject.identifier.system == LISTENER_SYSTEM
    assert hr[0].subject.identifier.value == "L-1"
    assert hr[0].effectivePeriod.start.isoformat() == "2026-05-01T10:00:00+01:00"
    quality = hr[0].component[0]
    assert (
        quality.code.coding[0].code == "signal-quality"
        and float(quality.valueQuantity.value) == 0.9
    )
    for code in ("rmssd", "scl", "scr-rate", "arousal", "time-to-calm", "likes", "staff-alerts"):
        assert (OUTCOME_SYSTEM, code) in by_code, code
    assert by_code[(OUTCOME_SYSTEM, "likes")].valueInteger == 2
    assert len({o.id for o in observations}) == len(observations)


def test_every_exported_column_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_0-9]+)` \|", text, flags=re.MULTILINE))
    for columns in (OUTCOME_COLUMNS, PHYSIOLOGY_COLUMNS, DECISIONS_COLUMNS):
        missing = [c for c in columns if c not in documented]
        assert not missing, missing

"""A listener's earlier calibrations: read from their finished sessions only, and gone when the
sessions go (forget, retention) or were never kept (no consent)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from appliance.session.records import SessionRecords
from appliance.store.calibrations import personal_reference
from appliance.store.db import MEMORY, Store


def calibration(hr: float) -> dict[str, object]:
    return {"hr_bpm": hr, "rmssd_ms": 40.0, "usable_windows": 12}


def session(store: Store, lid: str | None, hr: float, *, days_ago: int = 0) -> int:
    start = datetime.now(UTC) - timedelta(days=days_ago)
    sid = store.start_session(lid, "relax", 1200.0, start, consent=lid is not None)
    store.end_session(sid, "completed", 1200.0, {"calibration": calibration(hr)})
    return sid


def test_the_reference_is_the_listener_s_finished_sessions_oldest_first() -> None:
    with Store(MEMORY) as store:
        session(store, "r-1", 58.0, days_ago=2)
        session(store, "r-2", 90.0)  # someone else
        session(store, "r-1", 60.0, days_ago=1)
        session(store, None, 99.0)  # anonymous
        store.start_session("r-1", "relax", 1200.0, consent=True)  # this one, still running
        reference = personal_reference(store, "r-1")
        assert reference is not None
        assert [c.hr_bpm for c in reference.past] == [58.0, 60.0]
        assert personal_reference(store, None) is None  # an anonymous session: population
        assert personal_reference(store, "r-3").sessions == 0  # a first session: population


def test_a_session_without_a_calibration_record_adds_nothing() -> None:
    with Store(MEMORY) as store:
        sid = store.start_session("r-1", "relax", 1200.0, consent=True)
        store.end_session(sid, "stopped", 20.0, {"cancelled": True})  # stopped before it
        assert personal_reference(store, "r-1").sessions == 0


def test_forget_erases_the_reference_with_the_sessions() -> None:
    with Store(MEMORY) as store:
        session(store, "r-1", 58.0)
        session(store, "r-1", 59.0)
        assert personal_reference(store, "r-1").sessions == 2
        store.forget_listener("r-1")
        assert personal_reference(store, "r-1").sessions == 0
        assert not store.holds_listener("r-1")


def test_retention_purges_old_calibrations() -> None:
    with Store(MEMORY) as store:
        session(store, "r-1", 58.0, days_ago=400)
        session(store, "r-1", 61.0, days_ago=3)
        store.purge_older_than(365)
        assert [c.hr_bpm for c in personal_reference(store, "r-1").past] == [61.0]


def test_without_consent_no_calibration_is_kept() -> None:
    with Store(MEMORY) as store:
        for keep in (True, False):
            records = SessionRecords(store, keep_data=keep)
            sid = records.start_session("r-1", "relax", 1200.0)
            records.end_session(sid, "completed", 1200.0, {"calibration": calibration(58.0)})
        kept, anonymous = store.sessions()
        assert "calibration" in kept.summary and kept.listener_id == "r-1"
        assert "calibration" not in anonymous.summary and anonymous.listener_id is None


class Broken(Store):
    """Every read fails as a damaged file's would."""

    def _query(self, sql, params=()):  # type: ignore[override]
        raise sqlite3.DatabaseError("database disk image is malformed")


def test_an_unreadable_store_falls_back_to_the_population_norm() -> None:
    with Broken(MEMORY) as store:
        assert personal_reference(store, "r-1") is None


def test_only_the_latest_usable_calibrations_are_read() -> None:
    with Store(MEMORY) as store:
        for day in range(40, 0, -1):  # oldest first: HR 100 - day, so the newest is 99
            session(store, "r-1", 100.0 - day, days_ago=day)
        sid = store.start_session("r-1", "relax", 1200.0, datetime.now(UTC), consent=True)
        poor = {**calibration(50.0), "usable_windows": 1}
        store.end_session(sid, "completed", 1200.0, {"calibration": poor})  # the newest: unusable
        store.start_session("r-1", "relax", 1200.0, datetime.now(UTC), consent=True)  # running
        past = personal_reference(store, "r-1").past
    assert [c.hr_bpm for c in past] == [float(hr) for hr in range(88, 100)]  # 12, oldest first

"""Bandit state and quarantine in the store (schema version 2)."""

from __future__ import annotations

from pathlib import Path

from appliance.store.bandit_state import LearningStore
from appliance.store.db import Store


def test_state_and_quarantine_persist_and_are_per_listener(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    with Store(path) as store:
        learning = LearningStore(store)
        learning.save_state("L-1", "m", {"n": 1})
        learning.save_state("L-1", "m", {"n": 2})  # replaces
        learning.save_state("L-2", "m", {"n": 5})
        learning.quarantine("L-1", "file:L-1/song.ogg", reason="distress pressed")
        learning.quarantine("L-1", "file:L-1/song.ogg")  # once is enough
    with Store(path) as store:
        learning = LearningStore(store)
        assert learning.load_state("L-1", "m") == {"n": 2}
        assert learning.load_state("L-1", "other") is None
        assert learning.other_states("m", excluding="L-1") == [{"n": 5}]
        assert len(learning.other_states("m", excluding=None)) == 2
        assert learning.quarantined("L-1") == {"file:L-1/song.ogg"}
        assert learning.quarantined("L-2") == set()


def test_learning_rows_go_with_their_listener(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        learning = LearningStore(store)
        learning.save_state("L-9", "m", {"n": 1})
        learning.quarantine("L-9", "generated:harp/minor")
        with store.transaction() as conn:
            conn.execute("DELETE FROM listeners WHERE id = 'L-9'")
        assert learning.load_state("L-9", "m") is None
        assert learning.quarantined("L-9") == set()

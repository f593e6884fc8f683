"""When the familiar stops helping: a virtual listener whose own music calms them for five
sessions and then agitates them. The sequencer must notice within two sessions and explore
again, not keep the music it learned to prefer."""

from __future__ import annotations

import statistics

import pytest

from appliance.sequencer.own_music import LOOK, MIN_SESSIONS, OwnMusicWatch
from appliance.simulate.harness import simulate_session
from appliance.simulate.population import OWN_MUSIC_TURN_SESSION, own_music_turns
from appliance.store.db import MEMORY, Store

TURNED_SIGN = "stopped calming them"


def test_the_sequencer_notices_within_two_sessions_and_explores_again() -> None:
    sessions = []
    with Store(MEMORY) as store:
        for k in range(OWN_MUSIC_TURN_SESSION + 2):
            simulate_session(
                own_music_turns(0, k, 0), index=0, session=k, policy="adaptive", store=store,
                seed=100 + k,
            )  # fmt: skip
            sessions.append(store.decisions(store.sessions()[-1].id))
    own = [statistics.fmean(d["recipe"]["source"] == "file" for d in s) for s in sessions]
    noticed = [any(TURNED_SIGN in d["reason"] for d in s) for s in sessions]
    before, after = slice(0, OWN_MUSIC_TURN_SESSION), slice(OWN_MUSIC_TURN_SESSION, None)
    # While it calms them, their own music becomes what plays, and nothing is "noticed".
    assert min(own[OWN_MUSIC_TURN_SESSION - 2 : OWN_MUSIC_TURN_SESSION]) >= 0.8, own
    assert not any(noticed[before]), noticed
    # It turns: noticed within two sessions, then other music is explored.
    assert any(noticed[after]), noticed
    assert own[-1] <= 0.3, own
    explored = {
        (d["recipe"]["instrument"], d["recipe"]["mode"])
        for s in sessions[after]
        for d in s
        if d["recipe"]["source"] == "generated"
    }
    assert len(explored) >= 2, explored
    # The familiar preference at iso entry and the end is suspended once it turned.
    last = sessions[-1]
    assert not any("preferred at" in d["reason"] for d in last)


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_a_steady_listener_on_a_days_scale_is_no_turn(scale: float) -> None:
    watch = OwnMusicWatch(history=[1.4, 1.0, 1.7, 1.2, 1.5])
    drops = [watch.add(v * scale) for v in (1.3, 0.9, 1.6, 1.2)]
    # A whole day at half (or twice) the scale is within the spread; a turn to nothing is not.
    assert drops == [None] * 4 and not watch.turned
    turned = OwnMusicWatch(history=[1.4, 1.0, 1.7, 1.2, 1.5])
    assert [turned.add(v) for v in (-0.1, 0.0, 0.1)][-1] == pytest.approx(0.0 - 1.4)
    assert turned.turned and turned.take_note() and turned.take_note() is None


def test_the_watch_persists_and_rearms() -> None:
    watch = OwnMusicWatch.from_state({"history": [1.0] * MIN_SESSIONS, "current": [0.2] * LOOK})
    assert watch.history == [1.0] * MIN_SESSIONS + [pytest.approx(0.2)]
    assert OwnMusicWatch.from_state({"history": "x", "current": [None]}).history == []
    turned = OwnMusicWatch.from_state({"history": [0.1], "current": [], "turned": True})
    assert turned.turned  # not re-armed before it has a new reference
    rearmed = OwnMusicWatch.from_state(
        {"history": [0.1] * 2, "current": [0.1] * LOOK, "turned": True}
    )
    assert not rearmed.turned

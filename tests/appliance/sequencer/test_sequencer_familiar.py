"""Familiar music in the choice: track families from tags and the listener's life history,
the preference at iso entry and at the session's end, stretched tracks along the descent,
tracks with no clear pulse only where the arc holds, and avoided music never."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import soundfile as sf

from appliance.listeners.profile import parse_profile
from appliance.music.engine import MusicEngine
from appliance.music.library import Library
from appliance.music.recipe import Recipe
from appliance.music.tags import Tags
from appliance.sequencer.familiar import (
    LifeHistory,
    culture_match,
    era_years,
    parse_born,
    track_family,
)
from appliance.sequencer.personal import LibraryTracks
from appliance.simulate.harness import listener_id, simulate_session
from appliance.simulate.population import builtin
from appliance.store.db import MEMORY, Store
from tests.appliance.music.test_stretch import onset_tempo

RATE = 22050
LID = listener_id(0)
LIFE = LifeHistory(born=(1930, 1939), culture=("Irish",))


def beats(bpm: float | None, seconds: float = 40.0) -> np.ndarray:
    """Plucks on every beat (None: rubato, plucks 0.4-1.6 s apart at random: no pulse)."""
    t = np.arange(round(seconds * RATE)) / RATE
    if bpm is None:
        mono = np.zeros(len(t))
        onsets = np.cumsum(np.random.default_rng(0).uniform(0.4, 1.6, 100))
        for onset in onsets[onsets < seconds - 1]:
            i = round(onset * RATE)
            mono[i:] += (
                0.3 * np.sin(2 * np.pi * 392 * t[: len(t) - i]) * np.exp(-t[: len(t) - i] * 6)
            )
    else:
        mono = 0.4 * np.sin(2 * np.pi * 523.3 * t) * np.exp(-(t % (60.0 / bpm)) * 9)
    return np.stack([mono, mono], axis=1).astype(np.float32)


TRACKS = {  # title: (BPM or None, sidecar tags)
    "Moon River": (70.0, "familiar: yes\nvocals: no\n"),
    "Lullaby": (62.0, "era: 1950s\nvocals: no\n"),
    "Danny Boy": (None, "culture: Irish folk\nvocals: no\n"),
    "Tango": (84.0, "vocals: no\n"),
    "Funeral March": (66.0, "familiar: yes\nvocals: no\navoid: played at her husband's funeral\n"),
}


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Library:
    root = tmp_path_factory.mktemp("familiar")
    stick = root / "stick"
    stick.mkdir()
    for title, (bpm, tags) in TRACKS.items():
        sf.write(str(stick / f"{title}.wav"), beats(bpm), RATE)
        (stick / f"{title}.yaml").write_text(tags)
    library = Library.in_state_dir(root / "state")
    report = library.import_path(LID, stick)
    assert len(report.imported) == len(TRACKS) and not report.failed
    return library


def tracks(library: Library, limit: float = 0.10) -> LibraryTracks:
    return LibraryTracks(library, LID, stretch_limit=limit, life=LIFE)


def test_families_from_tags_and_life_history() -> None:
    assert parse_born(1938) == (1938, 1938) and parse_born("1930s") == (1930, 1939)
    for bad in ("1935s", "thirties", True, 38):
        with pytest.raises(ValueError):
            parse_born(bad)
    assert era_years("1960s") == (1960, 1969) and era_years("late '50s") == (1950, 1959)
    assert era_years("1958-1962") == (1958, 1962) and era_years("wartime") is None
    assert culture_match("Irish folk", ("German", "Irish")) == "Irish"
    assert culture_match("Irishman's lament", ("Irish",)) is None  # whole words only
    assert track_family(Tags(familiar=True, era="1990s"), LIFE)[0] == "familiar"
    assert track_family(Tags(era="1945"), LIFE)[0] == "reminiscence"  # at 6-15: overlaps 10
    assert track_family(Tags(era="1980s"), LIFE)[0] == "other"  # in their 40s and 50s
    assert track_family(Tags(culture="irish folk"), LIFE)[0] == "culture"
    assert track_family(Tags(era="1950s"), LifeHistory())[0] == "other"  # no birth known


def test_profile_keys_born_and_culture_are_validated(tmp_path) -> None:
    path = tmp_path / "p.yaml"
    head = "id: L-1\ngoal: relax\nconsent: {given: false}\n"
    path.write_text(head + "born: 1930s\nculture: [Irish, Catholic]\n")
    profile, problems = parse_profile(path, today=date(2025, 1, 1))
    assert not problems and profile is not None
    assert profile.life_history() == LifeHistory((1930, 1939), ("Irish", "Catholic"))
    path.write_text(head + "born: 1935s\nculture: [3]\n")
    profile, problems = parse_profile(path, today=date(2025, 1, 1))
    assert profile is None
    assert [(p.line, p.key) for p in problems] == [(4, "born"), (5, "culture")]
    assert "1930s" in problems[0].message


def test_a_track_follows_the_arcs_tempo_within_the_limit(library) -> None:
    lib = tracks(library)
    slower = lib.find(Recipe(66.0), allow_vocals=False, family="familiar")
    assert slower is not None and slower.file == f"{LID}/Moon River.wav"
    assert slower.tempo_bpm == 66.0 and slower.speed == pytest.approx(66.0 / 70.0, abs=0.01)
    assert lib.describe(slower) == "familiar: 'Moon River', slowed 6 % to 66 BPM"
    assert lib.find(Recipe(60.0), allow_vocals=False, family="familiar") is None  # 14 % away
    assert tracks(library, 0.15).find(Recipe(60.0), allow_vocals=False, family="familiar")
    # No clear pulse: only where the arc holds its tempo, played as recorded.
    assert lib.find(Recipe(64.0), allow_vocals=False, family="culture") is None
    hymn = lib.find(Recipe(64.0), allow_vocals=False, family="culture", holds_tempo=True)
    assert hymn is not None and hymn.speed == 1.0
    assert lib.describe(hymn) == (
        "their culture (Irish): 'Danny Boy', no clear pulse: played as recorded while the arc holds"
    )


def test_a_simulated_session_plays_familiar_tracks_stretched_along_the_descent(library) -> None:
    listener = builtin(0, 0, 3)
    listener.profile = {"goal": "relax", "constraint": "no_generated"}
    with Store(MEMORY) as store:
        simulate_session(
            listener, index=0, session=0, policy="adaptive", store=store, seed=3,
            library=tracks(library),
        )  # fmt: skip
        rows = store.decisions(store.sessions()[0].id)
    played = [(r["phase"], r["recipe"], r["reason"]) for r in rows]
    files = {recipe["file"] for _, recipe, _ in played if recipe["source"] == "file"}
    assert f"{LID}/Funeral March.wav" not in files  # avoided: never, whatever fits
    stretched = [(p, r, why) for p, r, why in played if r["source"] == "file" and r["speed"] != 1]
    assert any(p in ("iso", "descend") for p, _, _ in stretched), played
    for _, recipe, why in stretched:
        assert ("slowed" in why or "quickened" in why) and f"{recipe['tempo_bpm']:.0f} BPM" in why
    # What the descent plays is heard at the tempo the decision names, by an onset check.
    _, recipe, _ = next(s for s in stretched if s[0] in ("iso", "descend"))
    pcm = MusicEngine(_Rate(), library).render(Recipe(**recipe), 20.0)  # type: ignore[arg-type]
    assert onset_tempo(pcm[RATE * 3 :], RATE) == pytest.approx(recipe["tempo_bpm"], rel=0.03)


class _Rate:
    sample_rate = RATE

    def close(self) -> None:
        pass


def test_familiar_music_is_preferred_at_iso_entry_and_at_the_end(library) -> None:
    from appliance.sequencer.adaptive import AdaptiveSequencer
    from appliance.sequencer.decision import SequencerState
    from appliance.sequencer.profile import SequencerProfile

    sequencer = AdaptiveSequencer(
        profile=SequencerProfile(), session_s=1200.0, library=tracks(library), seed=1
    )
    decisions, elapsed, previous = [], 0.0, None
    while True:
        state = SequencerState(elapsed, 1200.0, None, None, previous, hr_bpm=72.0)
        decision = sequencer.next(state)
        if decision.duration_s <= 0:
            break
        decisions.append(decision)
        elapsed, previous = elapsed + decision.duration_s, decision
    iso = next(d for d in decisions if d.phase == "iso")
    assert iso.recipe.file == f"{LID}/Moon River.wav"
    assert "familiar: 'Moon River'" in iso.reason and "preferred at iso entry" in iso.reason
    assert "preferred at the session's end" in decisions[-1].reason
    assert decisions[-1].recipe.source == "file"
    assert all(d.recipe.file != f"{LID}/Funeral March.wav" for d in decisions)
    # Without the life history only the familiar tag counts: no reminiscence, no culture.
    plain = LibraryTracks(library, LID)
    assert (
        plain.find(iso.recipe.with_(tempo_bpm=62.0), allow_vocals=False, family="reminiscence")
        is None
    )

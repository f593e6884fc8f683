import itertools

import mido
import numpy as np
import pytest

from appliance.music.compose import (
    BASS_CHANNEL,
    LEAD_CHANNEL,
    PAD_CHANNEL,
    SCALES,
    TICKS_PER_BEAT,
    chord_ticks,
    compose,
)
from appliance.music.recipe import INSTRUMENTS, KEYS, Recipe

PERCUSSION_CHANNEL = 9


def notes(midi: mido.MidiFile, channel: int) -> list[tuple[int, int, int]]:
    """(start tick, note, velocity) of each note on a channel."""
    found = []
    for track in midi.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "note_on" and message.velocity > 0 and message.channel == channel:
                found.append((tick, message.note, message.velocity))
    return found


def lead_notes_per_beat(recipe: Recipe, seconds: float = 40.0) -> float:
    midi = compose(recipe, seconds)
    lead = notes(midi, LEAD_CHANNEL)
    last_tick = max(tick for tick, _, _ in lead)
    return len(lead) / (last_tick / TICKS_PER_BEAT + 1)


def test_tempo_is_exactly_the_recipes():
    for bpm in (64.0, 90.0, 72.5):
        midi = compose(Recipe(tempo_bpm=bpm), 20.0)
        tempos = [m.tempo for m in midi.tracks[0] if m.type == "set_tempo"]
        assert len(tempos) == 1
        assert mido.tempo2bpm(tempos[0]) == pytest.approx(bpm, rel=1e-6)


def test_key_signature_and_every_note_in_the_scale():
    for key, mode in (("C", "major"), ("F#", "minor"), ("Eb", "major"), ("A", "minor")):
        midi = compose(Recipe(tempo_bpm=72, key=key, mode=mode, density=0.9, seed=5), 30.0)
        signature = [m.key for m in midi.tracks[0] if m.type == "key_signature"]
        assert signature == [key + ("m" if mode == "minor" else "")]
        scale = {(KEYS.index(key) + step) % 12 for step in SCALES[mode]}
        for channel in (LEAD_CHANNEL, PAD_CHANNEL, BASS_CHANNEL):
            assert {note % 12 for _, note, _ in notes(midi, channel)} <= scale


def test_programs_come_from_the_instrument_family_and_no_percussion():
    for family, programs in INSTRUMENTS.items():
        midi = compose(Recipe(tempo_bpm=70, instrument=family), 15.0)
        changes = {
            m.channel: m.program for t in midi.tracks for m in t if m.type == "program_change"
        }
        assert changes == dict(
            zip((LEAD_CHANNEL, PAD_CHANNEL, BASS_CHANNEL), programs, strict=True)
        )
        channels = {m.channel for t in midi.tracks for m in t if not m.is_meta}
        assert PERCUSSION_CHANNEL not in channels


def test_every_note_starts_on_the_beat_grid():
    for density in (0.2, 0.5, 0.8, 1.0):
        midi = compose(Recipe(tempo_bpm=80, density=density), 20.0)
        for channel in (LEAD_CHANNEL, PAD_CHANNEL, BASS_CHANNEL):
            # The finest grid used is a sixteenth or a triplet eighth: 120 or 160 ticks.
            assert all(tick % 120 == 0 or tick % 160 == 0 for tick, _, _ in notes(midi, channel))
        bass_ticks = [tick for tick, _, _ in notes(midi, BASS_CHANNEL)]
        assert all(tick % (4 * TICKS_PER_BEAT) == 0 for tick in bass_ticks)  # a bass note a bar
        assert len(bass_ticks) == len(set(bass_ticks))


def test_lead_notes_per_beat_grow_with_density():
    rates = [lead_notes_per_beat(Recipe(tempo_bpm=72, density=d)) for d in (0.2, 0.5, 0.8, 1.0)]
    assert rates == sorted(rates)
    assert rates[0] <= 0.6  # sparse: about a note every two beats
    assert rates[2] >= 2.0  # flowing


def test_velocities_follow_loudness():
    def mean_velocity(loudness_db: float) -> float:
        midi = compose(Recipe(tempo_bpm=72, loudness_db=loudness_db), 20.0)
        return float(np.mean([v for _, _, v in notes(midi, LEAD_CHANNEL)]))

    assert mean_velocity(-30.0) < mean_velocity(-20.0) < mean_velocity(-10.0)


def test_pad_moves_by_small_steps():
    midi = compose(Recipe(tempo_bpm=72, seed=2), 60.0)
    chords: dict[int, list[int]] = {}
    for tick, note, _ in notes(midi, PAD_CHANNEL):
        chords.setdefault(tick, []).append(note)
    voicings = [sorted(chords[tick]) for tick in sorted(chords)]
    assert len(voicings) >= 10 and all(len(v) == 3 for v in voicings)
    for before, after in itertools.pairwise(voicings):
        assert sum(abs(a - b) for a, b in zip(before, after, strict=True)) <= 6


def test_ends_on_the_tonic_before_the_tail():
    recipe = Recipe(tempo_bpm=90, key="D", mode="minor")
    midi = compose(recipe, 20.0)
    assert midi.length <= 20.0 - 1.5  # releases and reverb ring into the last seconds
    last_bass = notes(midi, BASS_CHANNEL)[-1][1]
    assert last_bass % 12 == KEYS.index("D")


def test_same_seed_same_notes_other_seed_other_notes():
    def lead(seed: int) -> list[tuple[int, int, int]]:
        return notes(compose(Recipe(tempo_bpm=72, density=0.6, seed=seed), 30.0), LEAD_CHANNEL)

    assert lead(7) == lead(7)
    assert lead(7) != lead(8)


def test_percussion_only_when_asked_soft_and_on_the_beat():
    plain = compose(Recipe(tempo_bpm=72, density=0.7), 20.0)
    assert not notes(plain, PERCUSSION_CHANNEL)
    with_drums = compose(Recipe(tempo_bpm=72, density=0.7, percussion=True), 20.0)
    drums = notes(with_drums, PERCUSSION_CHANNEL)
    lead = notes(with_drums, LEAD_CHANNEL)
    assert drums and all(tick % (TICKS_PER_BEAT // 2) == 0 for tick, _, _ in drums)
    assert max(v for _, _, v in drums) < np.mean([v for _, _, v in lead])  # supports, never leads
    assert {note for _, note, _ in drums} <= {35, 82}  # soft bass drum and shaker only


@pytest.mark.parametrize("bpm", [50.0, 60.0, 72.0, 96.0, 120.0])
def test_phrases_last_about_ten_seconds(bpm):
    slot_beats = chord_ticks(bpm) / TICKS_PER_BEAT
    phrase_s = 4 * slot_beats * 60.0 / bpm
    assert 6.5 <= phrase_s <= 14.0

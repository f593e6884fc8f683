"""Recipe → MIDI: a calm, steady piece in the recipe's tempo, key and mode.

Three parts on their own channels: a lead melody or arpeggio whose notes per beat grow with
density, a sustained pad that moves to each chord by the smallest steps, and a bass note on each
chord's root; a fourth, soft percussion (GM channel 10), only when the recipe asks for it. Every
note starts on the beat grid, so the pulse is exactly the recipe's tempo. Phrases are four
chords lasting about ten seconds whatever the tempo (a chord lasts two, four or eight beats), and
the piece closes on the tonic. The same recipe and seed always give the same notes.

Over 300 lines on purpose: the four parts share one chord plan and one beat grid, and reading
them side by side is how a change to one is checked against the others.
"""

from __future__ import annotations

import itertools
import math

import mido
import numpy as np

from appliance.music.recipe import INSTRUMENTS, KEYS, Recipe

TICKS_PER_BEAT = 480
BEATS_PER_BAR = 4
BAR_TICKS = TICKS_PER_BEAT * BEATS_PER_BAR
TAIL_S = 2.0  # notes stop this long before the segment ends, so reverb and releases ring out

LEAD_CHANNEL, PAD_CHANNEL, BASS_CHANNEL = 0, 1, 2
PERCUSSION_CHANNEL = 9  # GM: channel 10 plays the drum kit
PAN = {LEAD_CHANNEL: 74, PAD_CHANNEL: 52, BASS_CHANNEL: 64, PERCUSSION_CHANNEL: 58}  # 64 = centre
REVERB_SEND = 48  # CC91: a gentle room
CC_VOLUME, CC_PAN, CC_REVERB, CC_CHORUS = 7, 10, 91, 93

SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
# Four-chord progressions as scale degrees (0 = tonic): an opening phrase chosen by the seed,
# then an answering phrase that comes home to the tonic (an eight-chord period).
PROGRESSIONS = {
    "major": ((0, 5, 3, 4), (0, 3, 5, 4), (0, 4, 5, 3), (0, 3, 0, 4)),  # I–vi–IV–V …
    "minor": ((0, 5, 2, 6), (0, 3, 5, 6), (0, 5, 3, 6), (0, 6, 5, 6)),  # i–VI–III–VII …
}
CADENCES = {"major": (0, 3, 4, 0), "minor": (0, 3, 6, 0)}  # I–IV–V–I, i–iv–VII–i
TONIC_PULL = 1.6  # melody weight for tonic-triad tones: the key is heard, not just implied
ARPEGGIO_FAMILIES = frozenset({"harp", "guitar"})  # plucked leads arpeggiate; others sing

PAD_RANGE = (50, 74)  # MIDI notes: D3..D5, under the lead
PAD_CENTRE = 62
BASS_LOWEST = 36  # C2: the bass plays each root in the octave above
LEAD_RANGE = (4, 13)  # scale steps above the tonic below middle C…F#: about a fifth to a 13th
LEAD_CENTRE = 8

# Accent by position in the bar (beats 1..4) and for notes between beats: a felt pulse.
BEAT_ACCENT = (1.0, 0.86, 0.94, 0.86)
OFFBEAT_ACCENT = 0.74
PAD_VELOCITY_SCALE = 0.62
BASS_VELOCITY_SCALE = 0.8

PHRASE_CHORDS = 4
PHRASE_TARGET_S = 10.0
CHORD_BEAT_CHOICES = (2, 4, 8)  # harmonic rhythm: half a bar, a bar, two bars
# Soft percussion (GM drum map): a felt low drum on beats 1 and 3, a shaker on every beat and,
# when busy, between beats. Velocities relative to the lead's: it supports, never leads.
SOFT_KICK, SHAKER = 35, 82  # Acoustic Bass Drum, Shaker
KICK_VELOCITY_SCALE = 0.45
SHAKER_VELOCITY_SCALE = 0.32
SHAKER_OFFBEAT_DENSITY = 0.6


def compose(recipe: Recipe, seconds: float) -> mido.MidiFile:
    """A type-1 MIDI file of about `seconds` (notes end TAIL_S early to ring out)."""
    rng = np.random.default_rng(recipe.seed)
    slot = chord_ticks(recipe.tempo_bpm)
    slot_s = slot / TICKS_PER_BEAT * 60.0 / recipe.tempo_bpm
    n_chords = max(1, math.floor((seconds - TAIL_S) / slot_s))
    tonic = KEYS.index(recipe.key)
    scale = SCALES[recipe.mode]
    opening = PROGRESSIONS[recipe.mode][int(rng.integers(len(PROGRESSIONS[recipe.mode])))]
    period = opening + CADENCES[recipe.mode]
    chords = [period[i % len(period)] for i in range(n_chords)]
    chords[-1] = 0  # close on the tonic

    base_velocity = velocity_for_loudness(recipe.loudness_db)
    step = lead_step_ticks(recipe.density)
    if recipe.instrument in ARPEGGIO_FAMILIES:
        lead = _arpeggio(chords, slot, tonic, scale, step, base_velocity, rng)
    else:
        lead = _melody(chords, slot, tonic, scale, step, base_velocity, rng)
    pad = _pad(chords, slot, tonic, scale, base_velocity)
    bass = _bass(chords, slot, tonic, scale, base_velocity)

    lead_program, pad_program, bass_program = INSTRUMENTS[recipe.instrument]
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(_conductor(recipe))
    midi.tracks.append(_part("lead", LEAD_CHANNEL, lead_program, lead))
    midi.tracks.append(_part("pad", PAD_CHANNEL, pad_program, pad))
    midi.tracks.append(_part("bass", BASS_CHANNEL, bass_program, bass))
    if recipe.percussion:
        drums = _percussion(n_chords * slot, recipe.density, base_velocity, rng)
        midi.tracks.append(_part("percussion", PERCUSSION_CHANNEL, 0, drums))
    return midi


def chord_ticks(tempo_bpm: float) -> int:
    """How long each chord lasts: the choice that makes a four-chord phrase nearest ten seconds."""

    def miss(beats: int) -> float:
        phrase_s = PHRASE_CHORDS * beats * 60.0 / tempo_bpm
        return abs(math.log(phrase_s / PHRASE_TARGET_S))  # a ratio: 8 s and 12.5 s are as near

    return min(CHORD_BEAT_CHOICES, key=miss) * TICKS_PER_BEAT


def velocity_for_loudness(loudness_db: float) -> int:
    """Softer recipes play softer notes (timbre as well as level): -20 dB → 80."""
    return int(np.clip(round(80 + 2.0 * (loudness_db + 20.0)), 30, 110))


def lead_step_ticks(density: float) -> int:
    """Ticks between lead notes: a note every two beats when sparse, four a beat when busy."""
    if density < 0.3:
        return 2 * TICKS_PER_BEAT
    if density < 0.5:
        return TICKS_PER_BEAT
    if density < 0.75:
        return TICKS_PER_BEAT // 2
    if density < 0.9:
        return TICKS_PER_BEAT // 3
    return TICKS_PER_BEAT // 4


# A note: (start tick, length in ticks, MIDI note, velocity)
Note = tuple[int, int, int, int]


def _pitch(step: int, tonic: int, scale: tuple[int, ...]) -> int:
    """MIDI note of a scale step counted from the tonic just below middle C…F# (step 0)."""
    base = 48 + tonic if tonic >= 6 else 60 + tonic
    octave, degree = divmod(step, len(scale))
    return base + 12 * octave + scale[degree]


def _chord_steps(degree: int) -> tuple[int, int, int]:
    """Scale-degree residues (mod 7) of the triad on a degree."""
    return degree % 7, (degree + 2) % 7, (degree + 4) % 7


def _accent(tick: int) -> float:
    beat, offset = divmod(tick % BAR_TICKS, TICKS_PER_BEAT)
    return BEAT_ACCENT[beat] if offset == 0 else OFFBEAT_ACCENT


def _velocity(base: int, tick: int, rng: np.random.Generator) -> int:
    return int(np.clip(round(base * _accent(tick) + rng.integers(-3, 4)), 1, 127))


def _melody(
    chords: list[int],
    slot: int,
    tonic: int,
    scale: tuple[int, ...],
    step: int,
    base: int,
    rng: np.random.Generator,
) -> list[Note]:
    """A singing line: chord tones on the beats, stepwise passing notes between them."""
    low, high = LEAD_RANGE
    current = LEAD_CENTRE
    notes: list[Note] = []
    for index, degree in enumerate(chords):
        chord = _chord_steps(degree)
        last_chord = index == len(chords) - 1
        phrase_end = index % PHRASE_CHORDS == PHRASE_CHORDS - 1 or last_chord
        for tick_in_chord in range(0, slot, step):
            if phrase_end and tick_in_chord >= slot // 2:
                break  # breathe: the phrase's last note is held through the chord's second half
            on_beat = tick_in_chord % TICKS_PER_BEAT == 0
            if on_beat or last_chord:
                candidates = [
                    s for s in range(low, high + 1) if s % 7 in chord and abs(s - current) <= 4
                ]
                if last_chord and tick_in_chord == 0:
                    candidates = [s for s in range(low, high + 1) if s % 7 == 0] or candidates
            else:
                candidates = [
                    s
                    for s in (current - 2, current - 1, current + 1, current + 2)
                    if low <= s <= high
                ]
            candidates = candidates or [current]
            # Prefer small moves, and lean back towards the middle of the range.
            weights = np.array(
                [
                    1.0 / (1.0 + abs(s - current)) / (1.0 + 0.15 * abs(s - LEAD_CENTRE))
                    for s in candidates
                ]
            )
            weights[[i for i, s in enumerate(candidates) if s % 7 in (0, 2, 4)]] *= TONIC_PULL
            if len(candidates) > 1:
                weights[[i for i, s in enumerate(candidates) if s == current]] *= 0.3
            current = int(rng.choice(candidates, p=weights / weights.sum()))
            length = step if not (phrase_end and tick_in_chord + step >= slot // 2) else slot // 2
            start = index * slot + tick_in_chord
            notes.append(
                (start, _held(length), _pitch(current, tonic, scale), _velocity(base, start, rng))
            )
    return notes


def _arpeggio(
    chords: list[int],
    slot: int,
    tonic: int,
    scale: tuple[int, ...],
    step: int,
    base: int,
    rng: np.random.Generator,
) -> list[Note]:
    """A rising and falling broken chord, restarting on the root at each chord."""
    notes: list[Note] = []
    for index, degree in enumerate(chords):
        root = degree % 7  # from around middle C up an octave and a third at most
        tones = [root, root + 2, root + 4, root + 7]
        pattern = tones + tones[-2:0:-1]  # up and back down: 1 3 5 8 5 3
        for i, tick_in_chord in enumerate(range(0, slot, step)):
            start = index * slot + tick_in_chord
            pitch = _pitch(pattern[i % len(pattern)], tonic, scale)
            notes.append((start, _held(step), pitch, _velocity(base, start, rng)))
    return notes


def _pad(chords: list[int], slot: int, tonic: int, scale: tuple[int, ...], base: int) -> list[Note]:
    """Sustained triads, each voiced to move the fewest semitones from the last."""
    velocity = round(base * PAD_VELOCITY_SCALE)
    notes: list[Note] = []
    previous: tuple[int, ...] | None = None
    for index, degree in enumerate(chords):
        voicing = _voice({_pitch(s, tonic, scale) % 12 for s in _chord_steps(degree)}, previous)
        notes.extend((index * slot, _held(slot), pitch, velocity) for pitch in voicing)
        previous = voicing
    return notes


def _voice(pitch_classes: set[int], previous: tuple[int, ...] | None) -> tuple[int, ...]:
    """The closed voicing of a triad in PAD_RANGE nearest to the previous one."""
    low, high = PAD_RANGE
    options = [[p for p in range(low, high + 1) if p % 12 == pc] for pc in sorted(pitch_classes)]
    voicings = sorted(
        tuple(sorted(combo))
        for combo in itertools.product(*options)
        if max(combo) - min(combo) <= 12
    )

    def cost(voicing: tuple[int, ...]) -> float:
        if previous is None:
            return abs(sum(voicing) / len(voicing) - PAD_CENTRE)
        return sum(abs(a - b) for a, b in zip(voicing, previous, strict=True))

    return min(voicings, key=cost)


def _bass(
    chords: list[int], slot: int, tonic: int, scale: tuple[int, ...], base: int
) -> list[Note]:
    """The chord's root as each chord starts, held for the chord."""
    velocity = round(base * BASS_VELOCITY_SCALE)
    notes: list[Note] = []
    for index, degree in enumerate(chords):
        root_class = _pitch(degree, tonic, scale) % 12
        pitch = BASS_LOWEST + (root_class - BASS_LOWEST) % 12
        notes.append((index * slot, _held(slot), pitch, velocity))
    return notes


def _percussion(length: int, density: float, base: int, rng: np.random.Generator) -> list[Note]:
    """A soft felt drum on beats 1 and 3 and a shaker on the beats (and between, when busy)."""
    step = TICKS_PER_BEAT // 2 if density >= SHAKER_OFFBEAT_DENSITY else TICKS_PER_BEAT
    notes: list[Note] = []
    for start in range(0, length, step):
        shaker = round(base * SHAKER_VELOCITY_SCALE * _accent(start)) + int(rng.integers(-2, 3))
        notes.append((start, step // 2, SHAKER, max(1, shaker)))
        if start % (2 * TICKS_PER_BEAT) == 0:
            kick = round(base * KICK_VELOCITY_SCALE * _accent(start))
            notes.append((start, TICKS_PER_BEAT // 2, SOFT_KICK, max(1, kick)))
    return notes


def _held(length: int) -> int:
    """Sound a note for most of its slot: legato, but the next attack is still clean."""
    return max(1, length - length // 16)


def _conductor(recipe: Recipe) -> mido.MidiTrack:
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=recipe.describe(), time=0))
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(recipe.tempo_bpm), time=0))
    track.append(mido.MetaMessage("time_signature", numerator=BEATS_PER_BAR, denominator=4, time=0))
    key_name = recipe.key + ("m" if recipe.mode == "minor" else "")
    track.append(mido.MetaMessage("key_signature", key=key_name, time=0))
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def _part(name: str, channel: int, program: int, notes: list[Note]) -> mido.MidiTrack:
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=name, time=0))
    track.append(mido.Message("program_change", channel=channel, program=program, time=0))
    for control, value in (
        (CC_VOLUME, 100),
        (CC_PAN, PAN[channel]),
        (CC_REVERB, REVERB_SEND),
        (CC_CHORUS, 0),
    ):
        track.append(mido.Message("control_change", channel=channel, control=control, value=value))
    # Note-offs sort before note-ons at the same tick so a repeated pitch re-attacks cleanly.
    events = sorted(
        [(start, 1, pitch, velocity) for start, _, pitch, velocity in notes]
        + [(start + length, 0, pitch, 0) for start, length, pitch, _ in notes]
    )
    now = 0
    for tick, is_on, pitch, velocity in events:
        kind = "note_on" if is_on else "note_off"
        track.append(
            mido.Message(kind, channel=channel, note=pitch, velocity=velocity, time=tick - now)
        )
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track

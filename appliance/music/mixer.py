"""The mixer: plays queued segments with equal-power crossfades, a smooth volume and a cap.

`pull(n)` is called from the playback loop (every ~0.1 s on a Pi), `queue`, `set_volume`,
`overlay` and `fade_out` from the session; a lock keeps them consistent. Work buffers are
reused between pulls, so a pull allocates only the block it returns.

Order in a pull: segments (crossfading) → volume glide → duck glide (under a spoken prompt) →
+ prompts → gain rider → soft limiter and hard clip at max_level_dbfs. Every gain change is a
ramp (MIN_RAMP_S at least), so nothing ever jumps, and nothing leaves above the cap.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from appliance.music.levels import SOFT_KNEE_DB, db_to_gain, limit
from appliance.music.stream import SegmentSource

MIN_RAMP_S = 0.02  # even a "sudden" change is ramped this long: never a click
MIN_VOLUME_DB = -90.0  # volume floor; below this is treated as silence-with-a-ramp
LIMITER_ATTACK_S = 0.005  # how fast the master gain comes down for a loud block
LIMITER_RELEASE_S = 0.5  # how fast it recovers afterwards (time constant)
DUCK_ATTACK_S = 0.3  # music dips this fast under a prompt; the prompt starts once it has
DUCK_RELEASE_S = 1.0  # and comes back this slowly after it

HOLD, FADE_IN, FADE_OUT = "hold", "in", "out"


@dataclass
class _Voice:
    """One playing segment and the fade it is in: PCM in memory, or a source read as it plays."""

    pcm: np.ndarray | None
    source: SegmentSource | None = None
    position: int = 0
    shape: str = HOLD
    gain: float = 1.0  # HOLD: constant; FADE_IN: final; FADE_OUT: starting gain
    fade_frames: int = 0
    fade_position: int = 0

    def current_gain(self) -> float:
        if self.shape == HOLD:
            return self.gain
        progress = min(1.0, self.fade_position / self.fade_frames)
        if self.shape == FADE_IN:
            return self.gain * math.sin(0.5 * math.pi * progress)
        return self.gain * math.cos(0.5 * math.pi * progress)

    def fade_out(self, frames: int) -> None:
        remaining = self.fade_frames - self.fade_position if self.shape == FADE_OUT else None
        if remaining is not None and remaining <= frames:
            return  # already leaving sooner
        self.gain = self.current_gain()
        self.shape, self.fade_frames, self.fade_position = FADE_OUT, frames, 0

    @property
    def finished(self) -> bool:
        faded = self.shape == FADE_OUT and self.fade_position >= self.fade_frames
        return faded or self.position >= self.n_frames

    @property
    def n_frames(self) -> int:
        return len(self.pcm) if self.pcm is not None else self.source.n_frames

    def take(self, n: int) -> np.ndarray:
        if self.pcm is not None:
            return self.pcm[self.position : self.position + n]
        return self.source.read(n)

    def close(self) -> None:
        if self.source is not None:
            self.source.close()


class _Glide:
    """A gain in dB that moves linearly to a target over a given number of frames."""

    def __init__(self, db: float) -> None:
        self.db = self.target_db = max(db, MIN_VOLUME_DB)
        self.step_db = 0.0  # per frame while moving

    def glide_to(self, db: float, frames: int) -> None:
        self.target_db = max(db, MIN_VOLUME_DB)
        self.step_db = (self.target_db - self.db) / max(1, frames)

    def apply(self, out: np.ndarray, ramp: np.ndarray, work: np.ndarray) -> None:
        n = len(out)
        if self.db == self.target_db:
            if self.db != 0.0:
                out *= np.float32(db_to_gain(self.db))
            return
        db = work[:n]
        np.multiply(ramp[:n], np.float32(self.step_db), out=db)
        db += np.float32(self.db)
        if self.step_db > 0:
            np.minimum(db, self.target_db, out=db)
        else:
            np.maximum(db, self.target_db, out=db)
        reached = self.db + self.step_db * n
        done = (reached - self.target_db) * self.step_db >= 0
        self.db = self.target_db if done else reached
        db *= np.float32(math.log(10.0) / 20.0)  # dB → gain: exp(db · ln10 / 20)
        np.exp(db, out=db)
        out *= db[:, None]


class Mixer:
    """Segments in, one capped stereo stream out."""

    def __init__(
        self,
        *,
        sample_rate: int = 44100,
        crossfade_s: float = 6.0,
        max_level_dbfs: float = -12.0,
        volume_db: float = 0.0,
    ) -> None:
        self.sample_rate = sample_rate
        self.crossfade_s = crossfade_s
        self.max_level_dbfs = max_level_dbfs
        self._ceiling = db_to_gain(max_level_dbfs)
        # The gain rider aims under the soft limiter's knee so it rarely has to bend anything.
        self._rider_target = self._ceiling * db_to_gain(-SOFT_KNEE_DB)
        self._lock = threading.Lock()
        self._voices: list[_Voice] = []
        self._volume = _Glide(volume_db)
        self._duck = _Glide(0.0)
        self._prompts: list[_Voice] = []  # spoken prompts over the music, not ducked
        self._limiter_gain = 1.0
        self._work_size = 0
        self._grow(int(sample_rate * 0.1))

    @property
    def playing(self) -> bool:
        with self._lock:
            return bool(self._voices)

    @property
    def volume_db(self) -> float:
        """The volume now (mid-ramp, the value reached so far)."""
        with self._lock:
            return self._volume.db

    @property
    def volume_target_db(self) -> float:
        """Where the volume is gliding to (the volume now, once a glide has ended)."""
        with self._lock:
            return self._volume.target_db

    def queue(self, pcm: np.ndarray | SegmentSource) -> None:
        """Play a segment (PCM, or a source read as it plays, closed once done): now if
        nothing plays, else crossfading in from now."""
        source = None
        if not isinstance(pcm, np.ndarray):
            source, pcm = pcm, None
        elif pcm.ndim != 2 or pcm.shape[1] != 2:
            raise ValueError(f"a segment is float32 (n, 2), not {pcm.dtype} {pcm.shape}")
        else:
            pcm = np.ascontiguousarray(pcm, dtype=np.float32)
        with self._lock:
            if not self._voices:
                # Onto silence: a MIN_RAMP_S fade-in, so even a segment cut mid-note never clicks.
                fade = self._frames(0.0)
                self._voices.append(_Voice(pcm, source, shape=FADE_IN, fade_frames=fade))
                return
            frames = self._frames(self.crossfade_s)
            for voice in self._voices:
                voice.fade_out(frames)
            self._voices.append(_Voice(pcm, source, shape=FADE_IN, fade_frames=frames))

    def set_volume(self, db: float, ramp_s: float = 1.0) -> None:
        """Glide to `db` (relative to the cap) over ramp_s, linearly in dB."""
        with self._lock:
            self._volume.glide_to(db, self._frames(ramp_s))

    def overlay(
        self, pcm: np.ndarray, duck_db: float = -10.0, sample_rate: int | None = None
    ) -> float:
        """Speak a prompt over the music: the music dips by duck_db (a ramp of DUCK_ATTACK_S),
        the prompt plays at its own level once the dip is done, then the music comes back
        over DUCK_RELEASE_S. Mono or stereo; resampled if sample_rate differs from the
        mixer's. The cap still holds. Returns the seconds until the prompt has finished."""
        pcm = np.asarray(pcm, dtype=np.float32)
        if pcm.ndim == 1:
            pcm = np.repeat(pcm[:, None], 2, axis=1)
        if pcm.ndim != 2 or pcm.shape[1] != 2:
            raise ValueError(f"a prompt is mono (n,) or stereo (n, 2), not {pcm.shape}")
        if sample_rate and sample_rate != self.sample_rate:
            from appliance.music.resample import resample

            pcm = resample(pcm, sample_rate, self.sample_rate)
        attack = self._frames(DUCK_ATTACK_S)
        padded = np.zeros((attack + len(pcm), 2), dtype=np.float32)
        padded[attack:] = pcm
        with self._lock:
            self._duck.glide_to(-abs(duck_db), attack)  # -10 and 10 both mean 10 dB down
            self._prompts.append(_Voice(padded))
        return len(padded) / self.sample_rate

    def fade_out(self, seconds: float) -> None:
        """Fade everything playing to silence over `seconds`; then pull() gives silence."""
        with self._lock:
            frames = self._frames(seconds)
            for voice in self._voices:
                voice.fade_out(frames)

    def close(self) -> None:
        """Drop whatever still plays (a streamed segment's synth with it)."""
        with self._lock:
            for voice in self._voices:
                voice.close()
            self._voices = []

    def pull(self, n_frames: int) -> np.ndarray:
        """Exactly n_frames of float32 stereo, never above max_level_dbfs."""
        out = np.zeros((n_frames, 2), dtype=np.float32)
        if n_frames == 0:
            return out
        with self._lock:
            self._grow(n_frames)
            for voice in self._voices:
                self._mix_voice(voice, out)
            for voice in self._voices:
                if voice.finished:
                    voice.close()  # a streamed segment's synth goes at once
            self._voices = [voice for voice in self._voices if not voice.finished]
            self._volume.apply(out, self._ramp, self._gain)
            self._duck.apply(out, self._ramp, self._gain)
            for prompt in self._prompts:
                self._mix_voice(prompt, out)
            self._prompts = [prompt for prompt in self._prompts if not prompt.finished]
            if not self._prompts and self._duck.target_db != 0.0:
                self._duck.glide_to(0.0, self._frames(DUCK_RELEASE_S))
            self._apply_limiter(out)
        return out

    # --- internals (called with the lock held) ---

    def _frames(self, seconds: float) -> int:
        return max(1, round(max(seconds, MIN_RAMP_S) * self.sample_rate))

    def _grow(self, n: int) -> None:
        if n <= self._work_size:
            return
        self._work_size = n
        self._ramp = np.arange(n, dtype=np.float32)
        self._gain = np.empty(n, dtype=np.float32)
        self._scratch = np.empty((n, 2), dtype=np.float32)

    def _mix_voice(self, voice: _Voice, out: np.ndarray) -> None:
        take = min(len(out), voice.n_frames - voice.position)
        if voice.shape == FADE_OUT:
            take = min(take, voice.fade_frames - voice.fade_position)
        if take <= 0:
            return
        source = voice.take(take)
        scaled = self._scratch[:take]
        if voice.shape == HOLD:
            np.multiply(source, np.float32(voice.gain), out=scaled)
        else:
            gain = self._gain[:take]
            np.add(self._ramp[:take], voice.fade_position, out=gain)
            gain *= np.float32(1.0 / voice.fade_frames)
            np.minimum(gain, 1.0, out=gain)
            gain *= np.float32(0.5 * math.pi)
            (np.sin if voice.shape == FADE_IN else np.cos)(gain, out=gain)
            gain *= np.float32(voice.gain)
            np.multiply(source, gain[:, None], out=scaled)
            voice.fade_position += take
            if voice.shape == FADE_IN and voice.fade_position >= voice.fade_frames:
                voice.shape, voice.fade_frames, voice.fade_position = HOLD, 0, 0
        out[:take] += scaled
        voice.position += take

    def _apply_limiter(self, out: np.ndarray) -> None:
        """Ride the master gain down for loud blocks, then bend and clip at the cap."""
        n = len(out)
        peak = float(np.max(np.abs(out)))
        needed = 1.0 if peak <= self._rider_target else self._rider_target / peak
        start = self._limiter_gain
        if needed < start:
            end = needed
            ramp_frames = min(n, max(1, round(LIMITER_ATTACK_S * self.sample_rate)))
        else:
            recovery = 1.0 - math.exp(-n / (LIMITER_RELEASE_S * self.sample_rate))
            end = min(needed, start + (1.0 - start) * recovery)
            ramp_frames = n
        self._limiter_gain = end
        if start != 1.0 or end != 1.0:
            gain = self._gain[:n]
            np.multiply(self._ramp[:n], np.float32((end - start) / ramp_frames), out=gain)
            gain += np.float32(start)
            gain[ramp_frames:] = end
            out *= gain[:, None]
        limit(out, self.max_level_dbfs, out=out)

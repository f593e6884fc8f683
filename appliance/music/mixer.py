"""The mixer: plays queued segments with equal-power crossfades, a smooth volume and a cap.

`pull(n)` is called from the playback loop (every ~0.1 s on a Pi), `queue`, `set_volume` and
`fade_out` from the session; a lock keeps them consistent. Work buffers are reused between
pulls, so a pull allocates only the block it returns.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from appliance.music.levels import SOFT_KNEE_DB, db_to_gain, limit

MIN_RAMP_S = 0.02  # even a "sudden" change is ramped this long: never a click
MIN_VOLUME_DB = -90.0  # volume floor; below this is treated as silence-with-a-ramp
LIMITER_ATTACK_S = 0.005  # how fast the master gain comes down for a loud block
LIMITER_RELEASE_S = 0.5  # how fast it recovers afterwards (time constant)

HOLD, FADE_IN, FADE_OUT = "hold", "in", "out"


@dataclass
class _Voice:
    """One playing segment and the fade it is in."""

    pcm: np.ndarray
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
        return faded or self.position >= len(self.pcm)


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
        self._volume_db = max(volume_db, MIN_VOLUME_DB)
        self._volume_target_db = self._volume_db
        self._volume_step_db = 0.0  # per frame while ramping
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
            return self._volume_db

    def queue(self, pcm: np.ndarray) -> None:
        """Play a segment: now if nothing plays, else crossfading in from now."""
        if pcm.ndim != 2 or pcm.shape[1] != 2:
            raise ValueError(f"a segment is float32 (n, 2), not {pcm.dtype} {pcm.shape}")
        pcm = np.ascontiguousarray(pcm, dtype=np.float32)
        with self._lock:
            if not self._voices:
                self._voices.append(_Voice(pcm))
                return
            frames = self._frames(self.crossfade_s)
            for voice in self._voices:
                voice.fade_out(frames)
            self._voices.append(_Voice(pcm, shape=FADE_IN, fade_frames=frames))

    def set_volume(self, db: float, ramp_s: float = 1.0) -> None:
        """Glide to `db` (relative to the cap) over ramp_s, linearly in dB."""
        with self._lock:
            self._volume_target_db = max(db, MIN_VOLUME_DB)
            frames = self._frames(ramp_s)
            self._volume_step_db = (self._volume_target_db - self._volume_db) / frames

    def fade_out(self, seconds: float) -> None:
        """Fade everything playing to silence over `seconds`; then pull() gives silence."""
        with self._lock:
            frames = self._frames(seconds)
            for voice in self._voices:
                voice.fade_out(frames)

    def pull(self, n_frames: int) -> np.ndarray:
        """Exactly n_frames of float32 stereo, never above max_level_dbfs."""
        out = np.zeros((n_frames, 2), dtype=np.float32)
        if n_frames == 0:
            return out
        with self._lock:
            self._grow(n_frames)
            for voice in self._voices:
                self._mix_voice(voice, out)
            self._voices = [voice for voice in self._voices if not voice.finished]
            self._apply_volume(out)
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
        take = min(len(out), len(voice.pcm) - voice.position)
        if voice.shape == FADE_OUT:
            take = min(take, voice.fade_frames - voice.fade_position)
        if take <= 0:
            return
        source = voice.pcm[voice.position : voice.position + take]
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

    def _apply_volume(self, out: np.ndarray) -> None:
        n = len(out)
        if self._volume_db == self._volume_target_db:
            out *= np.float32(db_to_gain(self._volume_db))
            return
        db = self._gain[:n]
        np.multiply(self._ramp[:n], np.float32(self._volume_step_db), out=db)
        db += np.float32(self._volume_db)
        if self._volume_step_db > 0:
            np.minimum(db, self._volume_target_db, out=db)
        else:
            np.maximum(db, self._volume_target_db, out=db)
        reached = self._volume_db + self._volume_step_db * n
        done = (reached - self._volume_target_db) * self._volume_step_db >= 0
        self._volume_db = self._volume_target_db if done else reached
        db *= np.float32(math.log(10.0) / 20.0)  # dB → gain: exp(db · ln10 / 20)
        np.exp(db, out=db)
        out *= db[:, None]

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

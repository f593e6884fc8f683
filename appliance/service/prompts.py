"""Spoken prompts where a light is not enough: espeak-ng rendered to PCM at the session's rate.

espeak-ng (Debian package espeak-ng) writes a 22 050 Hz mono WAV to stdout; we resample it to
the output rate, set its peak level and make it stereo. Each phrase is rendered once and kept.
During a session the prompt is mixed over the music, which ducks under it; between sessions it
goes straight to the audio output.
"""

from __future__ import annotations

import io
import logging
import math
import shutil
import subprocess
import wave
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from scipy.signal import resample_poly

from appliance.music.levels import db_to_gain

if TYPE_CHECKING:
    from appliance.music.mixer import Mixer
    from drivers.audio import AudioSink

log = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
ESPEAK_TIMEOUT_S = 10.0
LEAD_IN_S = 0.15  # silence before the words, so the music has ducked when they start

PHRASES = {
    "session_starting": "The music session is starting.",
    "session_ending": "The music session has ended.",
    "wearable_not_found": "The heart rate strap was not found. The music goes on without it.",
    "call_staff": "Please call a member of staff.",
    "shutting_down": "Switching off.",
    # The USB stick (appliance/usb): fields are filled in by the handler's summary.
    "usb_no_folder": "This USB stick has no Attune folder, so nothing was copied.",
    "usb_reports": "Reports for {residents} copied to the USB stick.",
    "usb_music": "{songs} added for {who}'s profile{unreadable}.",
    "usb_done": "You can take the USB stick out now.",
    "usb_pulled": "The USB stick was taken out too early. Nothing was lost. "
    "Plug it in again to finish.",
    "usb_failed": "The USB stick could not be finished. Nothing was lost. "
    "Please tell the technician.",
}

SpeechRenderer = Callable[[str, str, int], tuple[np.ndarray, int]]


class PromptUnavailable(RuntimeError):
    pass


def espeak_render(text: str, voice: str, words_per_min: int) -> tuple[np.ndarray, int]:
    """(mono float32 samples, sample rate) for `text`, spoken by espeak-ng."""
    exe = shutil.which(ESPEAK)
    if exe is None:
        raise PromptUnavailable("espeak-ng is not installed (sudo apt-get install espeak-ng)")
    try:
        done = subprocess.run(
            [exe, "-v", voice, "-s", str(words_per_min), "--stdout", text],
            capture_output=True,
            timeout=ESPEAK_TIMEOUT_S,
            check=True,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        raise PromptUnavailable(f"espeak-ng failed: {exc}") from exc
    with wave.open(io.BytesIO(done.stdout), "rb") as w:
        if w.getsampwidth() != 2:
            raise PromptUnavailable(f"espeak-ng wrote {w.getsampwidth() * 8}-bit audio")
        raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        mono = raw.reshape(-1, w.getnchannels())[:, 0].astype(np.float32) / 32768.0
        return mono, w.getframerate()


def to_output(mono: np.ndarray, rate: int, sample_rate: int, level_dbfs: float) -> np.ndarray:
    """Resampled to `sample_rate`, peak at `level_dbfs`, stereo float32, with a short lead-in."""
    if rate != sample_rate:
        g = math.gcd(rate, sample_rate)
        mono = resample_poly(mono, sample_rate // g, rate // g).astype(np.float32)
    peak = float(np.max(np.abs(mono))) if len(mono) else 0.0
    if peak > 0:
        mono = mono * np.float32(db_to_gain(level_dbfs) / peak)
    lead = np.zeros(round(LEAD_IN_S * sample_rate), dtype=np.float32)
    mono = np.concatenate([lead, mono])
    return np.repeat(mono[:, None], 2, axis=1).astype(np.float32)


class Prompts:
    """Renders and plays the prompts; `play()` never raises (a prompt is a courtesy)."""

    def __init__(
        self,
        *,
        enabled: bool,
        voice: str,
        words_per_min: int,
        level_dbfs: float,
        duck_db: float,
        sample_rate: int,
        render: SpeechRenderer = espeak_render,
    ) -> None:
        self.enabled = enabled
        self.voice = voice
        self.words_per_min = words_per_min
        self.level_dbfs = level_dbfs
        self.duck_db = duck_db
        self.sample_rate = sample_rate
        self._render = render
        self._cache: dict[str, np.ndarray] = {}
        self.played: list[tuple[str, str]] = []  # (phrase key, how): for the log and tests

    def pcm(self, key: str, fields: dict[str, str] | None = None) -> np.ndarray | None:
        """`fields` fill in a phrase's {placeholders} (the USB summary's counts and names)."""
        if not self.enabled:
            return None
        text = PHRASES[key].format(**fields) if fields else PHRASES[key]
        if text not in self._cache:
            try:
                mono, rate = self._render(text, self.voice, self.words_per_min)
            except PromptUnavailable as exc:
                log.warning("spoken prompts off: %s", exc)
                self.enabled = False
                return None
            self._cache[text] = to_output(mono, rate, self.sample_rate, self.level_dbfs)
        return self._cache[text]

    def warm(self, *keys: str) -> None:
        """Render ahead, so a prompt costs nothing when it is needed."""
        for key in keys or tuple(k for k, text in PHRASES.items() if "{" not in text):
            self.pcm(key)  # a phrase with {fields} is rendered when its fields are known

    def play(
        self,
        key: str,
        *,
        mixer: Mixer | None = None,
        sink: AudioSink | None = None,
        fields: dict[str, str] | None = None,
    ) -> str:
        """Over the session's music (`mixer`), else straight to `sink`. Returns how it went:
        "overlay", "sink", or "skipped"."""
        how = "skipped"
        pcm = self.pcm(key, fields)
        if pcm is not None:
            try:
                if mixer is not None:
                    mixer.overlay(pcm, -abs(self.duck_db), self.sample_rate)
                    how = "overlay"
                elif sink is not None:
                    sink.write(pcm)
                    how = "sink"
            except Exception:
                log.exception("prompt %r could not be played", key)
        self.played.append((key, how))
        log.info("prompt %r: %s", key, how)
        return how

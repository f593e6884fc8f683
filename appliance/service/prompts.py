"""Spoken prompts where a light is not enough: espeak-ng rendered to PCM at the session's rate.

The words are those of `prompts.language` (prompt_texts.py), spoken by its espeak-ng voice.
A recorded human voice wins where there is one: `<prompts.recordings_dir>/<language>/<key>.wav`
(e.g. /etc/attune/prompts/de/call_staff.wav), any rate, mono or stereo; a recording that
cannot be read is logged and espeak-ng speaks instead.

espeak-ng (Debian package espeak-ng) writes a 22 050 Hz mono WAV to stdout; we resample it to
the output rate, set its peak level and make it stereo. Each phrase is rendered once and kept.
During a session the prompt is mixed over the music, which ducks under it; between sessions it
goes straight to the audio output.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import wave
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from appliance.music.levels import db_to_gain
from appliance.service.prompt_texts import PHRASES as TEXTS
from appliance.service.prompt_texts import resolve

if TYPE_CHECKING:
    from appliance.music.mixer import Mixer
    from drivers.audio import AudioSink

log = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
ESPEAK_TIMEOUT_S = 10.0
LEAD_IN_S = 0.15  # silence before the words, so the music has ducked when they start

PHRASES = TEXTS["en"]  # the English texts, by key (every language has the same keys and fields)

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
        from appliance.music.resample import resample

        mono = resample(mono, rate, sample_rate)
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
        language: str = "auto",
        recordings_dir: Path | None = None,
    ) -> None:
        self.enabled = enabled
        self.language, self.voice = resolve(language, voice)
        self.recordings_dir = recordings_dir
        self.words_per_min = words_per_min
        self.level_dbfs = level_dbfs
        self.duck_db = duck_db
        self.sample_rate = sample_rate
        self._render = render
        self._cache: dict[str, np.ndarray] = {}
        self.played: list[tuple[str, str]] = []  # (phrase key, how): for the log and tests

    def recording(self, key: str) -> Path | None:
        """Where a recorded voice for `key` in this language would be."""
        if self.recordings_dir is None:
            return None
        return Path(self.recordings_dir) / self.language / f"{key}.wav"

    def pcm(self, key: str, fields: dict[str, str] | None = None) -> np.ndarray | None:
        """`fields` fill in a phrase's {placeholders} (the USB summary's counts and names)."""
        if not self.enabled:
            return None
        text = TEXTS[self.language][key]
        text = text.format(**fields) if fields else text
        if text not in self._cache:
            # A recording says its words only: one for a phrase with counts would be wrong.
            recorded = None if "{" in TEXTS[self.language][key] else self._recorded(key)
            if recorded is not None:
                self._cache[text] = to_output(*recorded, self.sample_rate, self.level_dbfs)
                return self._cache[text]
            try:
                mono, rate = self._render(text, self.voice, self.words_per_min)
            except PromptUnavailable as exc:
                log.warning("spoken prompts off: %s", exc)
                self.enabled = False
                return None
            self._cache[text] = to_output(mono, rate, self.sample_rate, self.level_dbfs)
        return self._cache[text]

    def _recorded(self, key: str) -> tuple[np.ndarray, int] | None:
        """(mono float32, rate) of the recorded voice for `key`, or None (no file, or one
        that cannot be read: logged, and espeak-ng speaks)."""
        path = self.recording(key)
        if path is None or not path.is_file():
            return None
        import soundfile

        try:
            data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
        except (RuntimeError, ValueError, OSError) as exc:
            log.warning(
                "prompt %r: the recording %s cannot be read (%s); espeak-ng speaks", key, path, exc
            )
            return None
        if not len(data) or not np.isfinite(data).all():
            log.warning(
                "prompt %r: the recording %s holds no usable audio; espeak-ng speaks", key, path
            )
            return None
        return data.mean(axis=1).astype(np.float32), int(rate)

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

"""Every shipped language's prompts spoken by the real espeak-ng with its voice, and a
recorded human voice (a WAV in the config folder) taking precedence."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from appliance.config import load_config
from appliance.service.prompt_texts import KEYS, PHRASES, language_of
from appliance.service.prompts import LEAD_IN_S, Prompts, PromptUnavailable, espeak_render
from appliance.vocabulary import PROMPT_VOICES
from tests.appliance.service.test_prompts import needs_espeak

RATE = 16000


class Spoken:
    """The real espeak-ng renderer, noting what it was asked to say and with which voice."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def __call__(self, text: str, voice: str, words_per_min: int) -> tuple[np.ndarray, int]:
        self.asked.append((text, voice))
        return espeak_render(text, voice, words_per_min)


def prompts(render, **overrides) -> Prompts:
    options = dict(
        enabled=True,
        voice="auto",
        words_per_min=140,
        level_dbfs=-20.0,
        duck_db=10.0,
        sample_rate=RATE,
        render=render,
    )
    return Prompts(**(options | overrides))


def dominant_hz(pcm: np.ndarray) -> float:
    mono = pcm[:, 0]
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1 / RATE)[np.argmax(spectrum)])


@needs_espeak
@pytest.mark.parametrize("language", sorted(PROMPT_VOICES))
def test_each_language_speaks_its_own_texts_with_its_voice(language) -> None:
    spoken = Spoken()
    p = prompts(spoken, language=language)
    for key in KEYS:
        pcm = p.pcm(key)
        assert pcm is not None, key
        seconds = len(pcm) / RATE - LEAD_IN_S
        assert 0.4 < seconds < 10.0, (key, seconds)
        speech = pcm[round(LEAD_IN_S * RATE) :, 0]
        assert np.sqrt(np.mean(speech**2)) > 0.005  # sound, not silence
    assert spoken.asked == [(PHRASES[language][key], PROMPT_VOICES[language]) for key in KEYS]


@needs_espeak
def test_the_languages_sound_different_and_a_voice_brings_its_language() -> None:
    rendered = {
        language: prompts(Spoken(), language=language).pcm("call_staff")
        for language in PROMPT_VOICES
    }
    lengths = {language: len(pcm) for language, pcm in rendered.items()}
    assert len(set(lengths.values())) == len(lengths), lengths  # five different utterances
    # An older config names only the voice: its language's words are spoken.
    spoken = Spoken()
    p = prompts(spoken, voice="nl")
    assert p.language == "nl" and p.pcm("session_starting") is not None
    assert spoken.asked == [(PHRASES["nl"]["session_starting"], "nl")]
    assert (language_of("en-gb"), language_of("fr-fr"), language_of("es-419")) == (
        "en",
        "fr",
        "es",
    )
    assert prompts(Spoken(), voice="ru").language == "en"  # not shipped: English words


@needs_espeak
def test_a_recorded_voice_wins_and_a_broken_one_falls_back_to_espeak(tmp_path, caplog) -> None:
    folder = tmp_path / "prompts" / "fr"
    folder.mkdir(parents=True)
    t = np.arange(RATE * 2) / 22050  # a 440 Hz "voice" recorded at 22.05 kHz, stereo
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    sf.write(str(folder / "call_staff.wav"), np.stack([tone, tone], 1), 22050, "PCM_16")
    (folder / "session_ending.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    spoken = Spoken()
    p = prompts(spoken, language="fr", recordings_dir=tmp_path / "prompts")
    recorded = p.pcm("call_staff")
    assert len(recorded) == round((len(tone) / 22050 + LEAD_IN_S) * RATE)
    assert dominant_hz(recorded) == pytest.approx(440, abs=5)
    assert np.max(np.abs(recorded)) == pytest.approx(10 ** (-20 / 20), rel=1e-3)
    assert spoken.asked == []  # espeak-ng was not asked
    with caplog.at_level(logging.WARNING):
        assert p.pcm("session_ending") is not None
    assert spoken.asked == [(PHRASES["fr"]["session_ending"], "fr-fr")]
    assert "session_ending.wav cannot be read" in caplog.text

    # A recording plays even where espeak-ng cannot speak.
    def broken(text: str, voice: str, wpm: int):
        raise PromptUnavailable("espeak-ng is not installed")

    p = prompts(broken, language="fr", recordings_dir=tmp_path / "prompts")
    assert p.pcm("call_staff") is not None and p.pcm("session_starting") is None


def test_the_config_check_offers_the_shipped_languages(tmp_path: Path) -> None:
    from appliance.config.errors import ConfigError

    path = tmp_path / "attune.yaml"
    path.write_text("prompts:\n  language: de\n")
    config = load_config(path)
    assert (config.prompts.language, config.prompts.voice) == ("de", "auto")
    path.write_text("prompts:\n  language: klingon\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert f"{path}:2" in str(error.value) and "nl" in str(error.value)

"""Prompts through the real espeak-ng, resampled to the output rate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from appliance.music.mixer import Mixer
from appliance.service.prompts import LEAD_IN_S, Prompts, espeak_render, to_output
from drivers.audio import WavSink

# espeak-ng itself (conftest.py): a machine without it fails, saying so, never skips.
needs_espeak = pytest.mark.usefixtures("espeak")


def prompts(**overrides) -> Prompts:
    options = (
        dict(
            enabled=True,
            voice="en",
            words_per_min=140,
            level_dbfs=-20.0,
            duck_db=10.0,
            sample_rate=44100,
        )
        | overrides
    )
    return Prompts(**options)


@needs_espeak
def test_espeak_speech_is_resampled_levelled_and_stereo() -> None:
    mono, rate = espeak_render("Please call a member of staff.", "en", 140)
    assert rate == 22050 and 0.8 < len(mono) / rate < 5.0
    pcm = to_output(mono, rate, 44100, -20.0)
    assert pcm.shape[1] == 2 and pcm.dtype == np.float32
    seconds = len(pcm) / 44100
    assert seconds == pytest.approx(len(mono) / rate + LEAD_IN_S, abs=0.01)
    assert np.max(np.abs(pcm)) == pytest.approx(10 ** (-20 / 20), rel=1e-3)
    assert np.all(pcm[: int(LEAD_IN_S * 44100) - 1] == 0)  # the music ducks first


@needs_espeak
def test_between_sessions_a_prompt_goes_to_the_output(tmp_path: Path) -> None:
    sink = WavSink(tmp_path / "p.wav", sample_rate=16000)
    p = prompts(sample_rate=16000)
    assert p.play("call_staff", sink=sink) == "sink"
    assert sink.frames_written > 16000  # over a second of speech
    sink.close()


@needs_espeak
def test_during_a_session_a_prompt_is_mixed_over_the_music() -> None:
    mixer = Mixer(sample_rate=16000, max_level_dbfs=-12.0)
    p = prompts(sample_rate=16000)
    assert p.play("session_starting", mixer=mixer) == "overlay"
    out = mixer.pull(16000 * 3)
    assert np.max(np.abs(out)) > 0.01  # the speech is heard


def test_disabled_or_missing_espeak_never_raises(tmp_path: Path) -> None:
    sink = WavSink(tmp_path / "p.wav", sample_rate=16000)
    assert prompts(enabled=False).play("call_staff", sink=sink) == "skipped"

    def broken(text: str, voice: str, wpm: int):
        from appliance.service.prompts import PromptUnavailable

        raise PromptUnavailable("espeak-ng is not installed")

    p = prompts(render=broken)
    assert p.play("call_staff", sink=sink) == "skipped"
    assert p.enabled is False  # told once, then quiet
    assert sink.frames_written == 0
    sink.close()

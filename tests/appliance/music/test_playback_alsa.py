"""The whole music chain through real PortAudio and ALSA into an ALSA file PCM: rendered
segments → mixer (crossfade, volume, cap) → PyAudioSink → WAV on disk, written block by block
as the session's loop writes them."""

import json
import os
import subprocess
import sys
import textwrap
import wave
from pathlib import Path

import numpy as np
import pytest

from appliance.music.features import spectral_summary, tempo_estimate

SR = 44100
PROJECT_ROOT = Path(__file__).resolve().parents[3]
CAP_DBFS = -14.0
CROSSFADE_S = 3.0
FIRST_S, SECOND_S, SWITCH_AT_S = 14.0, 14.0, 10.0

CHAIN = f"""
    import json
    from appliance.music.mixer import Mixer
    from appliance.music.recipe import Recipe
    from appliance.music.render import FluidSynthRenderer
    from drivers.audio import PyAudioSink

    with FluidSynthRenderer(sample_rate={SR}) as renderer:
        # Hot on purpose: the cap, not the recipe, decides the level.
        first = renderer.render(Recipe(tempo_bpm=72, density=0.6, loudness_db=-6.0), {FIRST_S})
        second = renderer.render(
            Recipe(tempo_bpm=72, density=0.6, key="F", instrument="harp", loudness_db=-6.0, seed=4),
            {SECOND_S},
        )
    mixer = Mixer(sample_rate={SR}, crossfade_s={CROSSFADE_S}, max_level_dbfs={CAP_DBFS},
                  volume_db=0.0)
    # The ring holds everything, so the unpaced null device never runs it dry.
    sink = PyAudioSink(sample_rate={SR}, buffer_s=40.0)
    block = round(0.05 * {SR})

    def play(seconds):
        for _ in range(round(seconds * {SR} / block)):
            sink.write(mixer.pull(block))

    mixer.queue(first)
    play({SWITCH_AT_S})
    mixer.queue(second)
    play({SECOND_S - 2})
    mixer.fade_out(1.0)
    play(1.0)
    sink.close()
    print(json.dumps({{"underruns": sink.underruns}}))
"""


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as wav:
        data = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, 2)
        return data.astype(np.float64) / 32768.0


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("alsa")
    conf = tmp / "asound.conf"
    conf.write_text(
        'pcm.!default { type plug; slave { pcm "capture_file"; format S16_LE } }\n'
        "pcm.capture_file { type file; slave.pcm { type null }; "
        f'file "{tmp}/out_%r_%c.wav"; format "wav" }}\n'
    )
    script = tmp / "chain.py"
    script.write_text(textwrap.dedent(CHAIN))
    env = {**os.environ, "ALSA_CONFIG_PATH": str(conf), "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    data = read_wav(next(tmp.glob("out_*.wav")))
    start = int(np.argmax(np.any(np.abs(data) > 0, axis=1)))
    return report, data[start:]


def test_through_alsa_the_level_stays_under_the_cap(captured):
    report, data = captured
    assert report["underruns"] == 0
    assert 20 * np.log10(np.max(np.abs(data))) <= CAP_DBFS + 0.01  # 16-bit rounding
    assert 20 * np.log10(np.sqrt(np.mean(data**2))) > CAP_DBFS - 20  # capped, not muted


def test_through_alsa_no_clicks_at_the_crossfade_or_the_start(captured):
    _, data = captured
    jumps = np.abs(np.diff(data[:, 0]))
    switch = round(SWITCH_AT_S * SR)
    steady = np.max(jumps[SR : switch - SR])  # the music's own fastest movement
    around = jumps[switch - SR // 2 : switch + round(CROSSFADE_S * SR) + SR // 2]
    assert np.max(around) <= 1.2 * steady
    assert np.max(jumps[: SR // 100]) <= steady  # the first 10 ms: a fade, not a step


def test_through_alsa_the_tempo_is_the_recipes(captured):
    _, data = captured
    for part in (data[: round(SWITCH_AT_S * SR)], data[round((SWITCH_AT_S + CROSSFADE_S) * SR) :]):
        summary = spectral_summary(part.mean(axis=1), SR)
        bpm, confidence = tempo_estimate(summary.onset_envelope, summary.envelope_rate_hz)
        assert bpm == pytest.approx(72.0, rel=0.02)
        assert confidence > 0.3

import numpy as np
import pytest

from appliance.music.layers import SWELL_DEPTH_DB, drone, swell_envelope, with_swell
from appliance.music.levels import rms_dbfs

SR = 8000


def test_swell_period_depth_and_crest():
    gain = swell_envelope(60 * SR, SR, 6.0, depth_db=4.0)
    db = 20 * np.log10(gain)
    assert db.max() == pytest.approx(0.0, abs=1e-6)  # never louder than the music
    assert db.min() == pytest.approx(-4.0, abs=0.01)
    for seconds, expected_db in ((3.0, -4.0), (6.0, 0.0), (9.0, -4.0), (13.5, -2.0), (54.0, 0.0)):
        assert db[round(seconds * SR)] == pytest.approx(expected_db, abs=0.01)


def test_swell_is_seamless_across_segments_given_their_start():
    whole = swell_envelope(20 * SR, SR, 5.0)
    first = swell_envelope(7 * SR, SR, 5.0)
    second = swell_envelope(13 * SR, SR, 5.0, start_s=7.0)
    np.testing.assert_allclose(np.concatenate([first, second]), whole, atol=1e-6)
    assert np.max(np.abs(np.diff(whole))) < 1e-3  # smooth: no steps


def test_with_swell_dips_by_the_depth_and_leaves_unguided_music_alone():
    pcm = np.ones((4 * SR, 2), np.float32)
    out = with_swell(pcm, SR, 4.0, 0.0)
    assert out[0, 0] == pytest.approx(1.0)
    assert out[2 * SR, 1] == pytest.approx(10 ** (-SWELL_DEPTH_DB / 20), rel=1e-4)  # the trough
    assert with_swell(pcm, SR, None, 0.0) is pcm


def test_drone_is_soft_low_and_faded():
    pcm = drone("A", 12 * SR, SR)
    assert rms_dbfs(pcm) == pytest.approx(-45.0, abs=0.1)
    assert abs(pcm[0, 0]) < 1e-6 and abs(pcm[-1, 0]) < 1e-4
    spectrum = np.abs(np.fft.rfft(pcm[:, 0].astype(np.float64)))
    peak_hz = np.fft.rfftfreq(len(pcm), 1 / SR)[np.argmax(spectrum)]
    assert peak_hz == pytest.approx(220.0, abs=1.0)  # A3, the tonic

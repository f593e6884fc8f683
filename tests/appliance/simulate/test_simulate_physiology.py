"""Pure waveform pieces of the virtual listener."""

from __future__ import annotations

import numpy as np
import pytest

from appliance.simulate import physiology as phys


def test_time_noise_is_a_pure_standard_normal_function_of_time() -> None:
    t = np.arange(0, 200, 0.01)
    z = phys.time_noise(t, key=7)
    np.testing.assert_array_equal(z[5000:5100], phys.time_noise(t[5000:5100], key=7))
    assert abs(z.mean()) < 0.03 and z.std() == pytest.approx(1.0, abs=0.03)
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1]) < 0.03  # white
    assert not np.array_equal(z, phys.time_noise(t, key=8))


def test_pulse_has_a_systolic_peak_then_a_dicrotic_notch_then_a_diastolic_wave() -> None:
    dt = np.arange(0, 1.0, 0.005)
    p = phys.pulse_shape(dt)
    i_peak = int(np.argmax(p))
    assert dt[i_peak] == pytest.approx(phys.SYSTOLIC_DELAY_S, abs=0.01)
    after = p[i_peak:]
    notch = i_peak + int(np.argmax(np.diff(after) > 0))  # first turn upwards after the peak
    assert p[notch] < p[notch + 10]  # the diastolic wave rises after the notch
    width = dt[p > 0.5 * p.max()]
    assert 0.1 < width[-1] - width[0] < 0.4
    assert phys.pulse_shape(np.array([-0.1, 1.5])).tolist() == [0.0, 0.0]


def test_bateman_peaks_at_one_and_recovers() -> None:
    dt = np.arange(-1, 40, 0.01)
    b = phys.bateman(dt)
    assert b.max() == pytest.approx(1.0, abs=1e-3)
    assert b[dt < 0].max() == 0.0 and b[dt > 20].max() < 0.01
    onset_to_peak = dt[np.argmax(b)]
    assert 1.0 < onset_to_peak < 3.0  # SCR rise times are 1-3 s


def test_counts_are_clipped_to_18_bits() -> None:
    out = phys.to_counts(np.array([-5.0, 1.4, 300_000.0]))
    assert out.tolist() == [0.0, 1.0, phys.MAX30102_FULL_SCALE]

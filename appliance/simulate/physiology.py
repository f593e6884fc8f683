"""Waveform synthesis for virtual listeners: pure functions of sample times and events.

Everything here is deterministic given its inputs, so a sample time queried twice (two
emulators, overlapping reads) gives the same value twice. Noise is a hash of the sample time,
not a stateful random stream.
"""

from __future__ import annotations

import numpy as np

# PPG pulse shape (seconds after the R-wave): the systolic wave arrives after the pulse transit
# time, the diastolic (reflected) wave later, the dicrotic notch between them. A pulse is about
# 0.3 s wide at half height (Allen 2007, Physiol Meas 28:R1, fig. 2).
SYSTOLIC_DELAY_S = 0.18
SYSTOLIC_WIDTH_S = 0.07
DIASTOLIC_DELAY_S = 0.42
DIASTOLIC_WIDTH_S = 0.10
DIASTOLIC_RELATIVE = 0.45
PULSE_SPAN_S = 1.0  # a beat's pulse is negligible after this

# SCR impulse response, a Bateman function: onset and recovery time constants as used by
# Benedek & Kaernbach 2010 (J Neurosci Methods 190:80) for the phasic driver.
SCR_RISE_S = 0.75
SCR_DECAY_S = 2.0
SCR_SPAN_S = 30.0

MAX30102_FULL_SCALE = (1 << 18) - 1  # 18-bit ADC counts

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """A well-mixed 64-bit hash (Steele et al. 2014); uint64 arithmetic wraps on purpose."""
    x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
    x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
    x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
    return x ^ (x >> np.uint64(31))


def time_noise(t: np.ndarray, key: int) -> np.ndarray:
    """Standard normal noise that is a pure function of (sample time to the µs, key)."""
    micro = np.round(np.asarray(t, dtype=np.float64) * 1e6).astype(np.int64).view(np.uint64)
    salt = np.uint64((key * 0x632BE59BD9B4E019) & 0xFFFFFFFFFFFFFFFF)
    h1 = _splitmix64(micro ^ salt)
    h2 = _splitmix64(h1)
    # 53-bit uniforms in (0, 1], then Box-Muller.
    u1 = ((h1 >> np.uint64(11)).astype(np.float64) + 1.0) / 2.0**53
    u2 = (h2 >> np.uint64(11)).astype(np.float64) / 2.0**53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def pulse_shape(dt: np.ndarray) -> np.ndarray:
    """Blood-volume pulse (peak ~1) at times dt after a beat; 0 before the beat."""
    dt = np.asarray(dt, dtype=np.float64)
    systolic = np.exp(-0.5 * ((dt - SYSTOLIC_DELAY_S) / SYSTOLIC_WIDTH_S) ** 2)
    diastolic = DIASTOLIC_RELATIVE * np.exp(
        -0.5 * ((dt - DIASTOLIC_DELAY_S) / DIASTOLIC_WIDTH_S) ** 2
    )
    return np.where((dt >= 0) & (dt < PULSE_SPAN_S), systolic + diastolic, 0.0)


def blood_volume(t: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """Sum of the pulses of every beat at sample times t (beats ascending)."""
    t = np.asarray(t, dtype=np.float64)
    out = np.zeros_like(t)
    if len(beats) == 0 or len(t) == 0:
        return out
    # Each sample sees at most the few beats within PULSE_SPAN_S before it (HR <= 240 bpm).
    last = np.searchsorted(beats, t, side="right") - 1
    for back in range(5):
        idx = last - back
        valid = idx >= 0
        dt = np.where(valid, t - beats[np.clip(idx, 0, None)], np.inf)
        out += np.where(valid, pulse_shape(dt), 0.0)
    return out


def bateman(dt: np.ndarray) -> np.ndarray:
    """SCR shape normalised to a peak of 1, zero before onset and after SCR_SPAN_S."""
    dt = np.asarray(dt, dtype=np.float64)
    t_peak = (
        np.log(SCR_DECAY_S / SCR_RISE_S) * SCR_RISE_S * SCR_DECAY_S / (SCR_DECAY_S - SCR_RISE_S)
    )
    peak = np.exp(-t_peak / SCR_DECAY_S) - np.exp(-t_peak / SCR_RISE_S)
    safe = np.clip(dt, 0.0, SCR_SPAN_S)
    shape = (np.exp(-safe / SCR_DECAY_S) - np.exp(-safe / SCR_RISE_S)) / peak
    return np.where((dt >= 0) & (dt < SCR_SPAN_S), shape, 0.0)


def scr_sum(t: np.ndarray, onsets: np.ndarray, amplitudes_us: np.ndarray) -> np.ndarray:
    """Phasic conductance: the sum of Bateman-shaped responses, in µS."""
    t = np.asarray(t, dtype=np.float64)
    out = np.zeros_like(t)
    for onset, amplitude in zip(onsets, amplitudes_us, strict=True):
        if len(t) == 0 or onset > t[-1] or onset + SCR_SPAN_S < t[0]:
            continue
        out += amplitude * bateman(t - onset)
    return out


def slow_wander(t: np.ndarray, freqs_hz: np.ndarray, phases: np.ndarray) -> np.ndarray:
    """Baseline wander: a few slow sinusoids, mean 0, amplitude ~1 in total."""
    t = np.asarray(t, dtype=np.float64)[:, None]
    return np.sum(np.sin(2 * np.pi * freqs_hz * t + phases), axis=1) / max(len(freqs_hz), 1)


def motion_artefact(
    t: np.ndarray, onset: float, duration_s: float, freq_hz: float, phase: float
) -> np.ndarray:
    """A hand movement: a few Hz of large swings under a Hann window; 0 outside the event."""
    t = np.asarray(t, dtype=np.float64)
    x = (t - onset) / duration_s
    window = np.where((x >= 0) & (x <= 1), np.sin(np.pi * np.clip(x, 0, 1)) ** 2, 0.0)
    return window * np.sin(2 * np.pi * freq_hz * t + phase)


def to_counts(x: np.ndarray) -> np.ndarray:
    """Round and clip to the MAX30102's 18-bit range (kept as float64 counts)."""
    return np.clip(np.round(x), 0, MAX30102_FULL_SCALE)

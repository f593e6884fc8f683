"""Features of a listener's track from its mono signal: brightness, onsets, tempo.

Pure functions on numpy arrays. The spectrum is taken in slices of frames so a ten-minute
track never needs its whole spectrogram in memory (the Pi Zero 2 W has 512 MB).

Tempo is the autocorrelation of the onset envelope, weighted by a broad prior around calm
tempos; its confidence is how strongly the envelope repeats at that lag (0: no pulse, as in
most ambient music, whatever BPM is reported; 1: a metronome). Rules should only trust a
tempo whose confidence is above TEMPO_CONFIDENT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

FRAME_S = 0.046  # ~1024 samples at 22.05 kHz: the analysis window
HOP_S = 0.0116  # ~256 samples at 22.05 kHz: 86 onset-envelope values a second
FRAMES_PER_SLICE = 2048
LOG_COMPRESSION = 1000.0  # log(1 + C·|X|): onsets of soft notes count too
TEMPO_RANGE_BPM = (40.0, 200.0)
TEMPO_PRIOR_BPM = 90.0  # calm music: halves and doubles are judged against this
TEMPO_PRIOR_OCTAVES = 1.0  # standard deviation of the prior in octaves
TEMPO_CONFIDENT = 0.3
DETREND_S = 2.0
ONSET_THRESHOLD_SD = 1.5  # an onset stands this many SDs over the envelope's local median
ONSET_MIN_GAP_S = 0.07
# Absolute floors in flux units (summed log-magnitude rises): a click at -40 dBFS rises ~5,
# a steady tone's frame-to-frame wobble ~0.02. Below them there is no onset and no pulse.
ONSET_FLOOR = 0.5
PULSE_FLOOR = 0.05
ONSET_MEDIAN_S = 0.5
SILENT_FRAME_DBFS = -70.0


@dataclass(frozen=True)
class SpectralSummary:
    centroid_hz: float  # energy-weighted mean spectral centroid (brightness)
    onset_envelope: np.ndarray  # spectral flux, one value per hop
    envelope_rate_hz: float


def spectral_summary(mono: np.ndarray, sample_rate: int) -> SpectralSummary:
    """Spectral centroid and the onset (spectral flux) envelope of a mono signal."""
    frame = 1 << max(6, round(math.log2(FRAME_S * sample_rate)))
    hop = max(1, round(HOP_S * sample_rate))
    mono = np.asarray(mono, dtype=np.float32)
    if len(mono) < frame:
        return SpectralSummary(0.0, np.zeros(0), sample_rate / hop)
    window = np.hanning(frame).astype(np.float32)
    freqs = np.fft.rfftfreq(frame, 1.0 / sample_rate)
    frames = sliding_window_view(mono, frame)[::hop]
    silent_power = frame * 10.0 ** (SILENT_FRAME_DBFS / 10.0)
    weighted_centroid, total_power = 0.0, 0.0
    flux_parts: list[np.ndarray] = []
    previous: np.ndarray | None = None
    for start in range(0, len(frames), FRAMES_PER_SLICE):
        spectrum = np.abs(np.fft.rfft(frames[start : start + FRAMES_PER_SLICE] * window, axis=1))
        power = spectrum**2
        frame_power = power.sum(axis=1)
        sounding = frame_power > silent_power
        centroids = (power[sounding] @ freqs) / frame_power[sounding]
        weighted_centroid += float(centroids @ frame_power[sounding])
        total_power += float(frame_power[sounding].sum())
        compressed = np.log1p(LOG_COMPRESSION * spectrum / frame)
        first = compressed[:1] if previous is None else previous
        rise = np.diff(np.concatenate([first, compressed]), axis=0)
        flux_parts.append(np.maximum(rise, 0.0).sum(axis=1))
        previous = compressed[-1:]
    centroid = weighted_centroid / total_power if total_power > 0 else 0.0
    return SpectralSummary(centroid, np.concatenate(flux_parts), sample_rate / hop)


def onset_times(envelope: np.ndarray, rate_hz: float) -> np.ndarray:
    """Seconds of each onset: envelope peaks standing clear of their local median."""
    if len(envelope) < 3:
        return np.zeros(0)
    half = max(1, round(ONSET_MEDIAN_S * rate_hz / 2))
    padded = np.pad(envelope, half, mode="edge")
    local_median = np.median(sliding_window_view(padded, 2 * half + 1), axis=1)
    novelty = envelope - local_median
    spread = float(np.std(novelty))
    if spread == 0.0:
        return np.zeros(0)
    over = novelty > max(ONSET_THRESHOLD_SD * spread, ONSET_FLOOR)
    peak = (novelty[1:-1] >= novelty[:-2]) & (novelty[1:-1] > novelty[2:]) & over[1:-1]
    candidates = np.nonzero(peak)[0] + 1
    kept: list[int] = []
    min_gap = ONSET_MIN_GAP_S * rate_hz
    for index in candidates:
        if not kept or index - kept[-1] >= min_gap:
            kept.append(int(index))
    return np.asarray(kept, dtype=np.float64) / rate_hz


def onset_density(envelope: np.ndarray, rate_hz: float) -> float:
    """Onsets per second."""
    seconds = len(envelope) / rate_hz if rate_hz > 0 else 0.0
    return len(onset_times(envelope, rate_hz)) / seconds if seconds > 0 else 0.0


def tempo_estimate(envelope: np.ndarray, rate_hz: float) -> tuple[float, float]:
    """(BPM, confidence 0..1) from the onset envelope's autocorrelation."""
    low_bpm, high_bpm = TEMPO_RANGE_BPM
    shortest = math.floor(60.0 * rate_hz / high_bpm)
    longest = math.ceil(60.0 * rate_hz / low_bpm)
    if len(envelope) < 4 * longest:
        return math.nan, 0.0  # under four beats at the slowest tempo: no claim
    # Take out the slow swell (a moving mean over DETREND_S) so only the pulse repeats.
    width = max(1, round(DETREND_S * rate_hz))
    trend = np.convolve(envelope, np.ones(width) / width, mode="same")
    centred = envelope - trend
    if float(np.std(centred)) < PULSE_FLOOR:
        return math.nan, 0.0  # steady sound: nothing repeats
    size = 1 << math.ceil(math.log2(2 * len(centred)))
    spectrum = np.fft.rfft(centred, size)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), size)[: longest + 2]
    if acf[0] <= 0:
        return math.nan, 0.0
    # Unbiased: each lag's sum has fewer terms; then normalised so lag 0 is 1.
    acf = acf / (len(centred) - np.arange(len(acf))) * len(centred) / acf[0]
    lags = np.arange(shortest, longest + 1)
    bpm = 60.0 * rate_hz / lags
    prior = np.exp(-0.5 * (np.log2(bpm / TEMPO_PRIOR_BPM) / TEMPO_PRIOR_OCTAVES) ** 2)
    best = int(np.argmax(np.maximum(acf[lags], 0.0) * prior))
    lag = float(lags[best])
    if 0 < lags[best] < len(acf) - 1:  # parabolic refinement between whole lags
        left, centre, right = acf[lags[best] - 1], acf[lags[best]], acf[lags[best] + 1]
        curvature = left - 2.0 * centre + right
        if curvature < 0:
            lag += 0.5 * (left - right) / curvature
    # How far the chosen lag stands above the typical lag: a smooth or noisy envelope
    # correlates with itself at every lag alike, a pulse only at its period.
    typical = float(np.median(acf[lags]))
    confidence = float(np.clip((acf[lags[best]] - typical) / (1.0 - typical), 0.0, 1.0))
    return 60.0 * rate_hz / lag, confidence

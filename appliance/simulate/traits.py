"""What makes one virtual listener unlike another: the traits the listener's physiology
(listener.py) and its response to music (response.py) both read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ListenerTraits:
    baseline_hr_bpm: float = 62.0  # at arousal 0
    hr_gain_bpm: float = 35.0  # HR rise from arousal 0 to 1
    baseline_rmssd_ms: float = 55.0  # at arousal 0
    baseline_scl_us: float = 3.0  # tonic conductance at arousal 0
    scl_gain: float = 4.0  # µS added from arousal 0 to 1
    scr_rate_gain: float = 8.0  # SCRs per minute added from arousal 0 to 1
    breathing_rate_bpm: float = 11.0  # breaths per minute at arousal 0
    tau_s: float = 120.0  # arousal time constant
    start_arousal: float = 0.5
    rest_arousal: float = 0.45  # where arousal settles in silence
    tempo_sensitivity: float = 1.0  # scales the tempo effect
    preferred_instruments: tuple[str, ...] = ("piano",)
    dislikes_minor: bool = False
    arousal_noise: float = 0.004  # per sqrt(second); stationary SD ~ noise·sqrt(tau/2)
    hr_jitter_ms: float = 5.0  # beat-to-beat white jitter of RR
    ppg_noise: float = 0.03  # sensor noise, fraction of the pulse amplitude
    eda_noise_us: float = 0.005
    motion_artefacts_per_min: float = 0.0
    ir_dc_counts: float = 100_000.0
    red_dc_counts: float = 80_000.0
    perfusion_index: float = 0.01  # IR pulse amplitude, fraction of DC
    seed: int = 0

"""One analysis window's physiology, the input to affect estimation and the physiology record."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class WindowFeatures:
    t_end: float  # monotonic seconds at the end of the window
    window_s: float
    hr_bpm: float = math.nan
    rmssd_ms: float = math.nan
    sdnn_ms: float = math.nan
    n_beats: int = 0
    rr_corrected_share: float = 0.0  # share of RR intervals rejected or corrected
    breathing_rate_bpm: float = math.nan
    scl_us: float = math.nan  # tonic skin conductance level
    scl_slope_us_per_min: float = math.nan
    scr_per_min: float = math.nan
    ppg_quality: float = 0.0  # 0..1
    eda_quality: float = 0.0  # 0..1
    pnn50_pct: float = math.nan  # share of successive differences over 50 ms, 0..100
    lf_hf: float = math.nan  # only for windows with two unbroken minutes of RR
    scr_amplitude_us: float = math.nan  # mean amplitude of the window's SCRs
    scr_rise_time_s: float = math.nan  # mean onset-to-peak time of the window's SCRs
    # AF or frequent ectopic beats (signals.rhythm): RMSSD, SDNN, pNN50, LF/HF and breathing
    # are then NaN, since they no longer describe the autonomic state; HR stays.
    irregular_rhythm: bool = False

    @property
    def quality(self) -> float:
        """The window's overall quality: PPG-derived cardiac features carry most weight."""
        if self.eda_quality <= 0:
            return self.ppg_quality * 0.8
        if self.ppg_quality <= 0:
            return self.eda_quality * 0.5
        return 0.7 * self.ppg_quality + 0.3 * self.eda_quality

    def as_dict(self) -> dict[str, float]:
        d = asdict(self)
        d["quality"] = self.quality
        return d

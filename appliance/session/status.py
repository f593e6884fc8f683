"""What a session reports: its live status line and, at the end, its result."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class SessionStatus:
    """The live one-line status and, at the end, the summary."""

    phase: str = "starting"
    elapsed_s: float = 0.0
    hr_bpm: float = math.nan
    scl_us: float = math.nan
    arousal: float = math.nan
    tempo_bpm: float = math.nan
    segment: int = 0
    quality: float = math.nan
    missing: tuple[str, ...] = ()
    alert: str | None = None  # a staff alert raised by the safety guard (the UI shows it)
    breathing_period_s: float | None = None  # the breathing guide's swell period, if on

    def line(self) -> str:
        def f(x: float, fmt: str) -> str:
            return "--" if x is None or math.isnan(x) else format(x, fmt)

        m, s = divmod(int(self.elapsed_s), 60)
        text = (
            f"{self.phase:<11} {m:02d}:{s:02d}  HR {f(self.hr_bpm, '5.1f')}  "
            f"EDA {f(self.scl_us, '5.2f')} µS  arousal {f(self.arousal, '4.2f')}  "
            f"tempo {f(self.tempo_bpm, '3.0f')} BPM  segment {self.segment}"
        )
        if self.missing:
            text += f"  (no {', '.join(self.missing)})"
        return text


@dataclass
class SessionResult:
    session_id: int
    status: str
    duration_s: float
    summary: dict[str, object] = field(default_factory=dict)

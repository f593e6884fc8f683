"""What every sensor source yields, real driver or emulator alike.

Times are monotonic seconds from the injected `now` callable (see appliance.clock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

Now = Callable[[], float]


@dataclass(frozen=True)
class PpgBatch:
    """Samples drained from a PPG sensor: raw ADC counts, oldest first."""

    t: np.ndarray  # float64 seconds
    red: np.ndarray  # float64 counts
    ir: np.ndarray  # float64 counts

    def __len__(self) -> int:
        return len(self.t)


@dataclass(frozen=True)
class GsrBatch:
    """Skin conductance samples, oldest first. NaN where the electrodes are off."""

    t: np.ndarray  # float64 seconds
    microsiemens: np.ndarray  # float64 µS

    def __len__(self) -> int:
        return len(self.t)


@dataclass(frozen=True)
class HrSample:
    """One Heart Rate Measurement from a wearable."""

    t: float
    bpm: int
    rr_s: tuple[float, ...] = field(default_factory=tuple)
    contact: bool | None = None  # None: the strap does not report contact


class PpgSource(Protocol):
    def read(self) -> PpgBatch: ...

    def close(self) -> None: ...


class GsrSource(Protocol):
    def read(self) -> GsrBatch: ...

    def close(self) -> None: ...


class SensorNotFound(OSError):
    """An I2C device did not answer at its address."""

    def __init__(self, what: str, bus: int | str, address: int, detail: str = "") -> None:
        msg = f"{what} not found on I2C bus {bus} at address 0x{address:02X}"
        if detail:
            msg += f": {detail}"
        super().__init__(msg)
        self.bus = bus
        self.address = address

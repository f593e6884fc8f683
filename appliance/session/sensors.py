"""The session's sensors: each optional, each reporting its health.

A sensor that is absent at start or fails mid-session is dropped from the session and named;
the session goes on with what is left (rules only when nothing is).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from appliance.signals.stream import PhysiologyStream
from drivers.sources import GsrSource, HrSample, PpgSource

log = logging.getLogger(__name__)


class HrSource(Protocol):
    def read(self) -> list[HrSample]: ...

    def close(self) -> None: ...


@dataclass
class Sensors:
    ppg: PpgSource | None = None
    gsr: GsrSource | None = None
    hr: HrSource | None = None
    i2c: Any = None  # the SMBus (or its emulator) the I2C sensors share
    # A wearable outlives sessions (it also tells whose session it is): the service owns it
    # and the session only reads it, so close() leaves it running.
    hr_owned: bool = True
    # name → why it is not available (absent at start, or lost during the session)
    problems: dict[str, str] = field(default_factory=dict)

    def missing(self) -> list[str]:
        return sorted(self.problems)

    def present(self) -> list[str]:
        names = {"ppg": self.ppg, "gsr": self.gsr, "ble_hr": self.hr}
        return [name for name, source in names.items() if source is not None]

    def poll_into(self, stream: PhysiologyStream) -> Iterator[tuple[str, str]]:
        """Feed whatever each sensor has into the stream; yield (name, problem) for failures."""
        if self.ppg is not None:
            try:
                batch = self.ppg.read()
                if len(batch):
                    stream.push_ppg(batch)
            except (OSError, ValueError) as exc:
                yield self._lose("ppg", exc)
        if self.gsr is not None:
            try:
                gbatch = self.gsr.read()
                if len(gbatch):
                    stream.push_gsr(gbatch)
            except (OSError, ValueError) as exc:
                yield self._lose("gsr", exc)
        if self.hr is not None:
            try:
                for sample in self.hr.read():
                    if sample.rr_s:
                        stream.push_rr(sample.t, sample.rr_s)
            except (OSError, ValueError) as exc:
                yield self._lose("ble_hr", exc)

    def _lose(self, name: str, exc: Exception) -> tuple[str, str]:
        problem = str(exc) or type(exc).__name__
        self.problems[name] = problem
        source = getattr(self, "hr" if name == "ble_hr" else name)
        setattr(self, "hr" if name == "ble_hr" else name, None)
        if name == "ble_hr" and not self.hr_owned:
            return name, problem  # the service's wearable: it reconnects on its own
        try:
            source.close()
        except Exception:  # already broken; closing is best effort
            log.debug("closing %s failed", name, exc_info=True)
        return name, problem

    def close(self) -> None:
        for name in ("ppg", "gsr", "hr"):
            source = getattr(self, name)
            if name == "hr" and not self.hr_owned:
                self.hr = None
                continue
            if source is not None:
                try:
                    source.close()
                except Exception:
                    log.warning("closing %s failed", name, exc_info=True)
                setattr(self, name, None)
        if self.i2c is not None:
            self.i2c.close()
            self.i2c = None

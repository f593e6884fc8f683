"""The session's sensors: each optional, each reporting its health.

A sensor absent at start is named, and looked for again now and then. A sensor whose reads fail
is retried; only when the failures persist is it lost (named, closed), and a lost one is opened
again now and then, so a clip put back (or plugged in late) joins the session (sensor_retry.py
holds the bounds and why). The session goes on with what is left meanwhile (rules only when
nothing is).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from appliance.session.sensor_retry import Retry
from appliance.signals.stream import PhysiologyStream
from drivers.sources import GsrSource, HrSample, PpgSource

log = logging.getLogger(__name__)

ATTRIBUTES = {"ppg": "ppg", "gsr": "gsr", "ble_hr": "hr"}  # a sensor's name → its field


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
    # name → opens that sensor again (raising OSError while it is still not there)
    reopen: dict[str, Callable[[], Any]] = field(default_factory=dict)
    lost: set[str] = field(default_factory=set)  # lost during the session (not absent at start)
    _retry: dict[str, Retry] = field(default_factory=dict)

    def absent(self, name: str, problem: str) -> None:
        """`name` is not there at the start: named, and looked for again from the first poll."""
        self.problems[name] = problem
        self._retry[name] = Retry(next_reopen=-math.inf)

    def missing(self) -> list[str]:
        return sorted(self.problems)

    def present(self) -> list[str]:
        return [name for name, attr in ATTRIBUTES.items() if getattr(self, attr) is not None]

    def poll_into(self, stream: PhysiologyStream, now: float) -> Iterator[tuple[str, str, str]]:
        """Feed whatever each sensor has into the stream; yield (name, "lost" or "back",
        detail) when a sensor is lost or comes back."""
        for name, attr in ATTRIBUTES.items():
            source = getattr(self, attr)
            retry = self._retry.setdefault(name, Retry())
            if source is None:
                if name in self.problems and name in self.reopen and retry.reopen_due(now):
                    back = self._reopen(name)
                    if back is not None:
                        retry.reopened()
                        yield name, "back", back
                continue
            if not retry.read_due(now):
                continue  # backing off after a failed read
            try:
                _feed(name, source, stream)
            except (OSError, ValueError) as exc:
                if retry.failed(now):
                    yield name, "lost", self._lose(name, exc)
                continue
            retry.succeeded()

    def _reopen(self, name: str) -> str | None:
        try:
            source = self.reopen[name]()
        except (OSError, ValueError) as exc:  # still not there: the next attempt is later
            log.debug("%s still unavailable: %s", name, exc)
            return None
        setattr(self, ATTRIBUTES[name], source)
        was = self.problems.pop(name, "")
        if name not in self.lost:
            return f"{name} found (absent at the start: {was})"
        self.lost.discard(name)
        return f"{name} back (it was lost: {was})" if was else f"{name} back"

    def _lose(self, name: str, exc: Exception) -> str:
        problem = str(exc) or type(exc).__name__
        self.problems[name] = problem
        self.lost.add(name)
        attr = ATTRIBUTES[name]
        source = getattr(self, attr)
        setattr(self, attr, None)
        if name == "ble_hr" and not self.hr_owned:
            return problem  # the service's wearable: it reconnects on its own
        try:
            source.close()
        except Exception:  # already broken; closing is best effort
            log.debug("closing %s failed", name, exc_info=True)
        return problem

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


def _feed(name: str, source: Any, stream: PhysiologyStream) -> None:
    if name == "ppg":
        batch = source.read()
        if len(batch):
            stream.push_ppg(batch)
    elif name == "gsr":
        gbatch = source.read()
        if len(gbatch):
            stream.push_gsr(gbatch)
    else:
        for sample in source.read():
            if sample.rr_s:
                stream.push_rr(sample.t, sample.rr_s)

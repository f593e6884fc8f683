"""When a sensor's reads fail: retry with a backoff, call it lost only once the failures
persist, and once it is lost try now and then to open it again.

The bounds, and why:
- LOST_AFTER_S = 2 s of nothing but failures. I2C glitches (a motor or a phone charger
  nearby, a connector wiggled as the clip is adjusted) last tens to hundreds of milliseconds;
  2 s is well past them, yet short against the 60 s window, so a sensor really gone is named
  (event, LED) within a few seconds and the window it leaves loses at most 2 s of data.
- Retries back off from 50 ms to 400 ms: a failing bus is not hammered, and the first good read
  after a glitch comes within 0.4 s, before the MAX30102's 32-sample FIFO (0.32 s at 100 sps)
  has lost much more than it already has.
- REOPEN_EVERY_S = 5 s, the physiology update: a sensor clipped back on rejoins by the next
  window update. An attempt at an absent chip is one unanswered transfer (well under a
  millisecond on the bus), so trying every 5 s costs the audio loop nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LOST_AFTER_S = 2.0
RETRY_FIRST_S = 0.05
RETRY_MAX_S = 0.4
REOPEN_EVERY_S = 5.0


@dataclass
class Retry:
    """One sensor's run of failed reads and, once it is lost, its re-open attempts."""

    failing_since: float | None = None
    next_read: float = -math.inf
    backoff_s: float = RETRY_FIRST_S
    next_reopen: float = math.inf

    def read_due(self, now: float) -> bool:
        return now >= self.next_read

    def succeeded(self) -> None:
        self.failing_since = None
        self.next_read = -math.inf
        self.backoff_s = RETRY_FIRST_S

    def failed(self, now: float) -> bool:
        """A read failed at `now`: True when the failures have lasted LOST_AFTER_S."""
        if self.failing_since is None:
            self.failing_since = now
        self.next_read = now + self.backoff_s
        self.backoff_s = min(2 * self.backoff_s, RETRY_MAX_S)
        if now - self.failing_since < LOST_AFTER_S:
            return False
        self.succeeded()
        self.next_reopen = now + REOPEN_EVERY_S
        return True

    def reopen_due(self, now: float) -> bool:
        """True at most once every REOPEN_EVERY_S while the sensor is lost."""
        if now < self.next_reopen:
            return False
        self.next_reopen = now + REOPEN_EVERY_S
        return True

    def reopened(self) -> None:
        self.succeeded()
        self.next_reopen = math.inf

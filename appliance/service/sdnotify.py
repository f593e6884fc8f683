"""systemd's notify protocol (sd_notify(3)), spoken directly over $NOTIFY_SOCKET.

No libsystemd binding: one datagram per message, "KEY=value" lines. Outside systemd (no
$NOTIFY_SOCKET) every call is a no-op, so `attune run` behaves the same in a terminal.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)

USEC_PER_S = 1_000_000
# Pet the watchdog this many times per WatchdogSec: systemd's advice is at least twice.
WATCHDOG_PETS_PER_INTERVAL = 3


def socket_address(value: str) -> str | None:
    """$NOTIFY_SOCKET as an AF_UNIX address: '@name' is Linux's abstract namespace ('\\0name')."""
    if not value:
        return None
    if value.startswith("@"):
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    return None  # vsock and other forms are not used on a Pi


def watchdog_interval_s(environ: Mapping[str, str]) -> float | None:
    """systemd's WatchdogSec for this process (from $WATCHDOG_USEC), or None when off."""
    usec = environ.get("WATCHDOG_USEC", "")
    pid = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) <= 0:
        return None
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None  # meant for another process (e.g. the one that exec'd us)
    return int(usec) / USEC_PER_S


class Notifier:
    """Sends READY, STATUS, WATCHDOG and STOPPING to systemd; silent when not under it."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        self.address = socket_address(environ.get("NOTIFY_SOCKET", ""))
        interval = watchdog_interval_s(environ)
        self.watchdog_interval_s = interval
        self.watchdog_pet_s = None if interval is None else interval / WATCHDOG_PETS_PER_INTERVAL
        self._socket: socket.socket | None = None
        if self.address is not None:
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    @property
    def enabled(self) -> bool:
        return self._socket is not None

    def send(self, **fields: str | int) -> bool:
        """One notification; returns whether it was sent. Failures are logged, never raised:
        a lost status line must not stop the music."""
        if self._socket is None or self.address is None:
            return False
        # A newline inside STATUS would start a new (bogus) assignment.
        message = "\n".join(f"{k}={str(v).replace(chr(10), ' ')}" for k, v in fields.items())
        try:
            # Never wait on systemd: a full queue loses one message, not the main loop.
            self._socket.sendto(message.encode("utf-8"), socket.MSG_DONTWAIT, self.address)
        except OSError as exc:
            log.warning("systemd notify failed: %s", exc)
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        return self.send(READY=1, **({"STATUS": status} if status else {}))

    def status(self, text: str) -> bool:
        return self.send(STATUS=text)

    def watchdog(self) -> bool:
        return self.send(WATCHDOG=1)

    def stopping(self, status: str | None = None) -> bool:
        return self.send(STOPPING=1, **({"STATUS": status} if status else {}))

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

"""What a plugged USB stick did, shown and said by the service. Part of `Service` (daemon.py).

The stick is handled by `attune usb sync` in a process of its own (attune-usb@.service),
which leaves a busy marker and then a notice in the state folder (appliance/usb/spool.py): no
socket, no port. The service looks about once a second, between sessions only: during a
session the LED and the sound are the listener's (a voice over the music would break the
session, and the LED may be their breathing guide), so a stick plugged in then is handled
quietly in the background and its summary is spoken once the session has ended.
"""

from __future__ import annotations

import logging
from pathlib import Path

from appliance.service.prompts import PHRASES
from appliance.service.state import State
from appliance.usb.spool import Spool

log = logging.getLogger("appliance.service.daemon")

USB_CHECK_EVERY_S = 1.0
USB_DONE_SHOW_S = 60.0  # steady bright "you can take it out" for a minute, then ready again


class UsbNotices:
    """Mixed into `Service`; uses its appliance, clock, state, controls, prompts and sink."""

    _usb_checked_at = -1e9
    _usb_done_at: float | None = None
    _usb_spool: Spool | None = None
    _usb_shown = False  # either USB pattern is on the LED

    def _check_usb(self, now: float) -> None:
        leds = self.controls.leds
        if self.state is not State.IDLE:
            if self._usb_shown:  # a session started: the LED is the listener's now
                leds.clear("usb_working")
                leds.clear("usb_done")
                self._usb_shown, self._usb_done_at = False, None
            return
        if self._usb_done_at is not None and now - self._usb_done_at >= USB_DONE_SHOW_S:
            leds.clear("usb_done")
            self._usb_shown, self._usb_done_at = False, None
        if now - self._usb_checked_at < USB_CHECK_EVERY_S:
            return
        self._usb_checked_at = now
        if self._usb_spool is None:
            self._usb_spool = Spool(Path(self.appliance.config.device.state_dir))
        try:
            busy = self._usb_spool.busy()
            notices = self._usb_spool.take_notices()
        except OSError as exc:  # an unwritable state folder is health's to report
            log.debug("USB spool not readable: %s", exc)
            return
        if busy:
            leds.clear("usb_done")
            leds.show("usb_working")
            self._usb_shown, self._usb_done_at = True, None
        elif self._usb_shown and self._usb_done_at is None:
            leds.clear("usb_working")
            self._usb_shown = False
        for notice in notices:
            log.info("USB stick: %s", "done" if notice.ok else "not finished")
            leds.clear("usb_working")
            leds.show("usb_done")
            self._usb_shown, self._usb_done_at = True, now
            for key, fields in notice.prompts:
                self._say_usb(key, fields)

    def _say_usb(self, key: str, fields: dict[str, str]) -> None:
        try:
            PHRASES[key].format(**fields)
        except (KeyError, IndexError, ValueError):  # a notice from another version
            log.warning("USB notice phrase %r with %r cannot be said; skipped", key, fields)
            return
        self.prompts.play(key, sink=self.sink, fields=fields)

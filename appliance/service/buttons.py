"""The service's button actions, on the main loop's thread: part of the `Service` state
machine (daemon.py), kept in their own file so that each reads on one screen."""

from __future__ import annotations

import logging

from appliance.service.state import State

log = logging.getLogger("appliance.service.daemon")

VOLUME_STEP_DB, VOLUME_FLOOR_DB = 3.0, -24.0


class ButtonHandling:
    """Mixed into `Service`; uses its state, running session, controls and alert flag."""

    def press(self) -> None:
        if self._alert:  # the first press after a staff alert acknowledges it
            self._alert = False
            self.controls.leds.clear("staff_alert")
            log.info("staff alert acknowledged")
        elif self.state is State.IDLE:
            self.start_session()
        elif self.state is State.SESSION and self.running is not None:
            log.info("button: stop the session")
            self.state = State.STOPPING
            # The listener's own stop: it counts against the music that was playing.
            self.running.session.request_stop("stopped", by_listener=True)

    def press_down(self) -> bool:
        """A first press going down: while idle (nothing to acknowledge) it starts the session
        at once, since a double press means nothing while idle; True when it did. Should the
        press become a hold, press_cancelled withdraws the start."""
        if self._alert or self.state is not State.IDLE or self.sink is None:
            return False
        self.start_session()
        return self.running is not None

    def press_cancelled(self) -> None:
        """The press that started the session is a hold: fade the start out, quickly."""
        running = self.running
        if running is not None and self.state is State.SESSION:
            log.info("button held: the session start is withdrawn")
            self.state = State.STOPPING
            running.session.cancel_start()

    def double_press(self) -> None:
        if self.state is State.SESSION and self.running is not None:
            log.info("button: I like this")
            self.running.session.like()

    def hold(self) -> None:
        log.info("button held: shutting down")
        self.request_exit(power_off=True)

    def second_press(self) -> None:
        running = self.running
        if self._second_button == "distress":
            log.warning("distress button pressed")
            self._raise_alert(mixer=running.session.mixer if running else None)
            if running is not None:
                running.session.distress()
                self.state = State.STOPPING
        elif self._second_button == "volume" and running is not None:
            # One button can only turn down: a press is a step quieter, and at the floor it is
            # ignored, so a listener pressing again and again never makes it louder (a wrap back
            # to the start volume did, by 18 dB). The next session starts at start_volume_db.
            # Steps count from where the last press is heading, so quick presses add up.
            mixer = running.session.mixer
            now = mixer.volume_target_db
            volume = max(now - VOLUME_STEP_DB, min(VOLUME_FLOOR_DB, now))
            if volume < now:
                mixer.set_volume(volume)
                log.info("volume %.0f dB", volume)
            else:
                log.info("volume stays at %.0f dB: the second button's floor", now)

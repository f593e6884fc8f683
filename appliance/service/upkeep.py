"""The service's upkeep between sessions: is the state folder writable, retention, withdrawn
consent, and the SIGHUP reload. Part of the `Service` state machine (daemon.py)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from appliance.listeners.erasure import honour_withdrawn_consent
from appliance.service.health import Level
from appliance.service.reload import reload_config, reload_profiles
from appliance.service.state import State

log = logging.getLogger("appliance.service.daemon")


class Upkeep:
    """Mixed into `Service`; uses its appliance, health, profiles and clock."""

    def _check_store(self) -> bool:
        """Whether the state folder takes writes; if not, health says so in one log line
        (naming the folder and what to do), and sessions play without being recorded."""
        problem = self.appliance.check_store()
        if problem is None:
            self.health.set("store", Level.OK)
        else:
            self.health.set("store", Level.DOWN, problem)
        return problem is None

    def _idle_pattern(self) -> str:
        return "error" if self.health.get("store").level is Level.DOWN else "ready"

    def _purge(self) -> None:
        self._purged_at = self.clock.now()
        days = self.appliance.config.store.retention_days
        deleted = self.appliance.store.purge_older_than(days)
        if deleted:
            log.info("retention: deleted %d session(s) older than %d days", deleted, days)

    def _follow_wall_step(self) -> None:
        """The wall clock was stepped (NTP's first sync on a Pi without a real-time clock):
        the sessions recorded since the start were stamped by the wrong clock, so they move by
        the step (else retention would age them wrongly); the schedules are read at each press
        from the clock as it is now, and the opening prepared for the next session is chosen
        again, as the schedule may now name another listener."""
        step = self._wall_steps.step()
        if not step:
            return
        log.info("the wall clock was stepped by %+.0f s", step)
        if self.health.get("store").level is not Level.DOWN:
            try:
                moved = self.appliance.store.shift_wall_times(self._sessions_before_start, step)
            except (sqlite3.Error, OSError) as exc:  # unwritable now: found by the next check
                log.warning("could not move the wall times of this start's sessions: %s", exc)
            else:
                if moved:
                    log.info("moved %d session(s) recorded since the start with it", moved)
        if self.state is State.IDLE:
            self._prepare_next()

    def _erase_withdrawn(self) -> None:
        """A profile that now says no consent: what was kept under its id before is erased."""
        state_dir = Path(self.appliance.config.device.state_dir)
        honour_withdrawn_consent(self.profiles, self.appliance.store, state_dir)

    def request_reload(self) -> None:
        """SIGHUP (safe from a signal handler: it only sets a flag the loop acts on)."""
        self._reload_asked = True

    def _reload(self) -> None:
        # A session keeps the configuration it started with: the reload waits for its end.
        if self.state is not State.IDLE:
            if not self._reload_deferred:
                self._reload_deferred = True
                log.info("reload asked during a session: done once the session has ended")
            return
        self._reload_asked = self._reload_deferred = False
        if self._load_config is None:
            log.info("reload asked, but this service has no configuration file to read")
            return
        new = reload_config(self.appliance.config, self._load_config)
        if new is not None:
            self.appliance.config = new
        self.profiles = reload_profiles(self.appliance.config)
        if self._check_store():
            self._erase_withdrawn()
        self._prepare_next()

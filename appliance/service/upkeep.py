"""The service's upkeep between sessions: is the state folder writable, retention, withdrawn
consent, and the SIGHUP reload. Part of the `Service` state machine (daemon.py)."""

from __future__ import annotations

import logging
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

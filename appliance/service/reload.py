"""SIGHUP: read the configuration and the listener profiles again, between sessions.

What a session reads when it starts (session, safety, store, listeners) takes effect at the
next session. What was opened when the service started (the device's state folder, the
sensors, the audio output, the synthesiser, the prompts' voice) cannot change under a running
service: a reload that changes those keeps the old configuration and says to restart. An
invalid file is logged with every problem and ignored: the running configuration stays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from appliance.config import Config
from appliance.config.errors import ConfigError
from appliance.listeners import ListenerProfile, load_listeners

log = logging.getLogger(__name__)

# Opened once at start-up: a change needs `systemctl restart attune`.
RESTART_SECTIONS = ("device", "hardware", "audio", "music", "prompts")


def reload_config(current: Config, load: Callable[[], Config]) -> Config | None:
    """The new configuration when it is valid and a running service can take it, else None
    (why is logged)."""
    try:
        new = load()
    except ConfigError as exc:
        for problem in exc.problems:
            log.error("reload: %s", problem)
        log.error("reload: the configuration is invalid; the running one stays")
        return None
    except OSError as exc:
        log.error("reload: cannot read the configuration (%s); the running one stays", exc)
        return None
    old, fresh = current.as_dict(), new.as_dict()
    needs_restart = [s for s in RESTART_SECTIONS if old.get(s) != fresh.get(s)]
    if needs_restart:
        log.warning(
            "reload: %s changed, which only a restart applies (systemctl restart attune); "
            "the running configuration stays",
            ", ".join(needs_restart),
        )
        return None
    changed = [s for s in fresh if old.get(s) != fresh.get(s)]
    log.info("reload: configuration read (%s)", ", ".join(changed) or "unchanged")
    return new


def reload_profiles(config: Config) -> list[ListenerProfile]:
    """The listener profiles as they are now on disk (a broken one is skipped and logged)."""
    profiles, problems = load_listeners(config.listeners.dir)
    for problem in problems:
        log.warning("listener profile: %s", problem)
    log.info("reload: %d listener profile(s)", len(profiles))
    return profiles

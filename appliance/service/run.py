"""Wiring `attune run`: config → appliance, GPIO, audio, wearable, listeners → Service."""

from __future__ import annotations

import logging
import signal
import sqlite3
import sys
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

from appliance.app import build
from appliance.clock import MonotonicClock, WallSteps, zone
from appliance.config import Config
from appliance.fsutil import MOUNTINFO, volatile_storage
from appliance.listeners import load_listeners
from appliance.parts import open_pin_factory
from appliance.service.controls import ButtonActions, Controls
from appliance.service.daemon import Service
from appliance.service.health import HealthRegistry
from appliance.service.monitor import HealthMonitor
from appliance.service.prompts import Prompts
from appliance.service.sdnotify import Notifier
from appliance.service.shutdown import power_off as logind_power_off
from appliance.session.seams import Rendering

log = logging.getLogger(__name__)

# Exit status when the state folder would not survive a reboot: the unit's
# RestartPreventExitStatus= keeps systemd from restarting into the same refusal.
EXIT_VOLATILE_STATE = 78  # EX_CONFIG


def state_survives_reboot(config: Config, mountinfo: Path = MOUNTINFO) -> bool:
    """False (after one clear message) when the state folder sits on storage that a reboot
    wipes (an overlay root's tmpfs, a RAM disk): sessions would be recorded and then lost.
    With emulated hardware (development, tests, the demo) a warning only."""
    state = Path(config.device.state_dir)
    reason = volatile_storage(state, mountinfo)
    if reason is None:
        return True
    advice = (
        f"{reason}: every session recorded would be lost at reboot. Put {state} on a "
        "persistent partition or bind mount (docs/install.md, 'Read-only (overlay) root')"
    )
    if config.hardware.emulated:
        log.warning("%s; emulated hardware: starting all the same", advice)
        return True
    print(f"attune run: refusing to start: {advice}", file=sys.stderr)
    return False


def make_service(
    config: Config,
    *,
    clock=None,
    ui_clock=None,
    notifier: Notifier | None = None,
    power_off: Callable[[], bool] = logind_power_off,
    pin_factory=None,
    render_ahead: bool = True,
    rendering: Rendering = Rendering.BACKGROUND,
    listener=None,
    load_config: Callable[[], Config] | None = None,
    connect_db: Callable[..., sqlite3.Connection] = sqlite3.connect,
    now_local: Callable[[], datetime] | None = None,
    wall_steps: WallSteps | None = None,
) -> Service:
    """The service wired from the config. Tests on a simulated clock pass
    `rendering=Rendering.INLINE`, so what a session renders is waited for and reproducible;
    `connect_db` opens the database (tests: a genuinely read-only connection); `now_local`
    reads the wall clock for the schedules (default: now in device.timezone) and `wall_steps`
    notices it being stepped (tests: a clock that jumps)."""
    clock = clock or MonotonicClock()
    ui_clock = ui_clock or clock
    hw = config.hardware
    factory = pin_factory or open_pin_factory(config)
    second = hw.gpio.second_button

    def controls(actions: ButtonActions) -> Controls:
        return Controls(
            factory,
            now=ui_clock.now,
            button_pin=hw.gpio.button_pin,
            led_pin=hw.gpio.led_pin,
            actions=actions,
            second_button_pin=None if second == "none" else hw.gpio.second_button_pin,
        )

    profiles, problems = load_listeners(config.listeners.dir)
    for problem in problems:  # a broken profile is skipped, never a reason not to start
        log.warning("listener profile: %s", problem)
    skipped = sorted({p.file for p in problems} - {p.file for p in profiles})
    if skipped:
        log.warning(
            "listener profiles: %d loaded; skipped (see above): %s",
            len(profiles),
            ", ".join(skipped),
        )
    appliance = build(
        config,
        clock,
        render_ahead=render_ahead,
        rendering=rendering,
        listener=listener,
        connect_db=connect_db,
    )
    p = config.prompts
    prompts = Prompts(
        enabled=p.enabled,
        voice=p.voice,
        language=p.language,
        recordings_dir=p.recordings_dir,
        words_per_min=p.words_per_min,
        level_dbfs=p.level_dbfs,
        duck_db=p.duck_db,
        sample_rate=config.audio.sample_rate,
    )
    wearable = appliance.open_wearable()
    monitor = HealthMonitor(
        HealthRegistry(),
        enabled=lambda name: getattr(hw, name).enabled,
        open_sensors=partial(appliance.open_sensors, probe=True),
        wearable=wearable,
    )
    return Service(
        appliance,
        controls=controls,
        open_sink=appliance.make_sink,
        notifier=notifier or Notifier(),
        prompts=prompts,
        profiles=profiles,
        power_off=power_off,
        monitor=monitor,
        wearable=wearable,
        second_button=second,
        clock=ui_clock,
        load_config=load_config,
        # The schedules are in people's time: the device's time zone.
        now_local=now_local or partial(datetime.now, zone(config.device.timezone)),
        wall_steps=wall_steps,
    )


def run_service(
    config: Config,
    *,
    start_session: bool = False,
    load_config: Callable[[], Config] | None = None,
) -> int:
    """The service until SIGTERM (or the held button). SIGHUP reads the configuration again
    through `load_config`, between sessions: never a kill without the fade."""
    if not state_survives_reboot(config):
        return EXIT_VOLATILE_STATE
    notifier = Notifier()
    notifier.status("starting")
    stop = {"asked": False}
    service: Service | None = None

    def on_sigterm(signum: int, frame: object) -> None:
        stop["asked"] = True  # acted on by the main loop: the session fades out and is recorded

    def on_sighup(signum: int, frame: object) -> None:
        if service is not None:  # before the service exists there is nothing to reload
            service.request_reload()

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGHUP, on_sighup)
    service = make_service(config, notifier=notifier, load_config=load_config)
    try:
        service.start()
        if start_session:
            service.start_session()
        result = service.run_forever(should_exit=lambda: stop["asked"])
    finally:
        service.close()
        service.appliance.close()
    return result

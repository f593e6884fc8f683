"""`attune run`: the service. It builds the appliance from the installed config and runs the
same session machinery as the demo, in real time with the configured drivers."""

from __future__ import annotations

import logging
import signal

from appliance.app import build
from appliance.clock import MonotonicClock
from appliance.config import Config

log = logging.getLogger(__name__)


def run_service(config: Config) -> int:
    clock = MonotonicClock()
    appliance = build(config, clock)
    sensors = appliance.open_sensors()
    sink = appliance.make_sink()
    session = appliance.new_session(sensors=sensors, sink=sink)

    def on_sigterm(signum: int, frame: object) -> None:
        log.info("SIGTERM: stopping the session")
        session.request_stop("stopped")

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        result = session.run()
        log.info(
            "session %d %s after %.1f min", result.session_id, result.status, result.duration_s / 60
        )
    finally:
        sink.close()
        sensors.close()
        appliance.close()
    return 0

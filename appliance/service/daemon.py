"""`attune run`: the service. Idle ↔ session, driven by the button, shown on the LED.

The main loop runs every ~25 ms on the main thread: it polls the button and the LED, turns
what the session thread reports into health, LED patterns and systemd's STATUS= line, and
pets systemd's watchdog only while it makes progress (the loop turns and, during a session,
audio keeps flowing). A session runs in its own thread with the same machinery as the demo.

Over 300 lines on purpose: this is the service's state machine, and every transition (button,
session thread, audio, exit) is kept in one class so that one read shows them all. The button
actions (buttons.py), the store's upkeep and reload (upkeep.py), health and status (monitor.py)
and the session thread (state.py) live beside it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from datetime import datetime

from appliance.app import Appliance
from appliance.clock import Clock, WallSteps
from appliance.config import Config
from appliance.listeners import ListenerProfile, choose_listener
from appliance.service.buttons import ButtonHandling
from appliance.service.controls import ButtonActions, Controls
from appliance.service.health import Level
from appliance.service.monitor import HealthMonitor, status_line
from appliance.service.prompts import Prompts
from appliance.service.sdnotify import Notifier
from appliance.service.state import Running, State, run_in_thread
from appliance.service.status_file import StatusFile, service_document
from appliance.service.upkeep import Upkeep
from appliance.service.usb_notices import UsbNotices
from appliance.service.watched_sink import WatchedSink
from appliance.session.status import SessionResult, SessionStatus
from drivers.audio import AudioSink

log = logging.getLogger(__name__)

POLL_S = 0.025  # button and LED: 20-50 ms is smooth to the eye and prompt to the finger
STALL_S = 10.0  # a session writing no audio this long is stuck: the watchdog stops
STATUS_EVERY_S = 1.0
PURGE_EVERY_S = 24 * 3600.0
AUDIO_RETRY_S = 5.0


class Service(ButtonHandling, Upkeep, UsbNotices):
    def __init__(
        self,
        appliance: Appliance,
        *,
        controls: Callable[[ButtonActions], Controls],
        open_sink: Callable[[], AudioSink],
        notifier: Notifier,
        prompts: Prompts,
        monitor: HealthMonitor,
        profiles: list[ListenerProfile],
        power_off: Callable[[], bool],
        wearable=None,
        now_local: Callable[[], datetime] = datetime.now,
        second_button: str = "none",
        clock: Clock | None = None,
        load_config: Callable[[], Config] | None = None,
        wall_steps: WallSteps | None = None,
    ) -> None:
        self.appliance = appliance
        self.clock = clock or appliance.clock  # the loop's; the session runs on the appliance's
        self.notifier = notifier
        self.prompts = prompts
        self.profiles = profiles
        self.wearable = wearable
        self.monitor = monitor
        self.health = monitor.health
        self.state = State.BOOTING
        self.running: Running | None = None
        self.last_result: SessionResult | None = None
        self.sink: WatchedSink | None = None
        self.pressed_at: float | None = None  # when the last start was asked for
        self._open_sink = open_sink
        self._power_off = power_off
        self._now_local = now_local
        self._second_button = second_button
        self._events: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        self._exit_after_stop: str | None = None  # "exit" or "power off"
        self._load_config = load_config  # SIGHUP reads the configuration again through this
        self._reload_asked = self._reload_deferred = False
        self._alert = False
        self._alert_prompt_pending = False
        self._ready = False
        self._status_text = ""
        self.status_file = StatusFile(appliance.config.device.state_dir)  # for `attune status`
        self._status_at = self._pet_at = self._audio_try_at = -1e9
        self._purged_at = self.clock.now()
        # The sessions recorded before this start keep their wall times when the clock steps.
        self._wall_steps = wall_steps or WallSteps()
        self._sessions_before_start = appliance.store.last_session_id()
        actions = ButtonActions(
            self.press,
            self.double_press,
            self.hold,
            self.second_press,
            on_press_down=self.press_down,
            on_press_cancelled=self.press_cancelled,
        )
        self.controls = controls(actions)

    # -- start-up -------------------------------------------------------------------------------
    def start(self) -> None:
        """Purge old sessions, probe the sensors, open the audio, then tell systemd READY."""
        self.notifier.status("starting")
        if self._check_store():
            self._purge()
            self._erase_withdrawn()
        self._try_audio()
        self._refresh_health()
        if self.sink is not None:
            self._become_ready()

    def _become_ready(self) -> None:
        self.state = State.IDLE
        self.controls.leds.show(self._idle_pattern())
        self._ready = True
        self.notifier.ready(self.status_line())
        log.info("ready: %s", self.status_line())
        threading.Thread(target=self._warm_up, name="warm-up", daemon=True).start()
        self._prepare_next()

    def _warm_up(self) -> None:
        self.prompts.warm()
        self.appliance.warm_up()

    def _try_audio(self) -> None:
        self._audio_try_at = self.clock.now()
        try:
            self.sink = WatchedSink(self._open_sink(), self.clock.now)
            self.health.set("audio", Level.OK, f"{self.sink.sample_rate} Hz")
        except Exception as exc:  # no sound card, ALSA busy: show it, retry
            self.health.set("audio", Level.DOWN, str(exc))
            self.controls.leds.show("error")

    def _prepare_next(self) -> None:
        profile, _ = self._choose()
        self.appliance.prepare_opening(profile)

    # -- the main loop ----------------------------------------------------------------------------
    def run_forever(self, *, should_exit: Callable[[], bool] = lambda: False) -> int:
        while self.state is not State.EXITING:
            if should_exit():
                self.request_exit()
            self.tick()
            self.clock.sleep(POLL_S)
        return 0

    def tick(self) -> None:
        now = self.clock.now()
        self.controls.poll(now)
        self._drain_events()
        if self.sink is None and now - self._audio_try_at >= AUDIO_RETRY_S:
            self._try_audio()
            if self.sink is not None and not self._ready:
                self._become_ready()
        self._refresh_health()
        self._show_sensor_state()
        self._follow_wall_step()
        if self.state is State.IDLE and now - self._purged_at >= PURGE_EVERY_S:
            if self._check_store():
                self._purge()
            else:
                self._purged_at = now  # tried again a day later
        if self._reload_asked:
            self._reload()
        self._check_usb(now)
        if now - self._status_at >= STATUS_EVERY_S:
            self._send_status(now)
        pet_s = self.notifier.watchdog_pet_s
        if pet_s is not None and now - self._pet_at >= pet_s and self.progressing(now):
            self.notifier.watchdog()
            self._pet_at = now

    def progressing(self, now: float) -> bool:
        """False once a session has written no audio for STALL_S: the watchdog then lapses and
        systemd restarts the service, which records the session as interrupted."""
        running, sink = self.running, self.sink
        if running is None or sink is None:
            return True
        last = max(sink.last_write or running.started, running.started)
        return now - last < STALL_S

    def request_exit(self, *, power_off: bool = False) -> None:
        """Stop (SIGTERM) or shut down (the held button), after the session has faded out."""
        if self._exit_after_stop == "power off":
            return
        self._exit_after_stop = "power off" if power_off else "exit"
        if power_off:
            self.state = State.SHUTTING_DOWN
            self.controls.leds.show("shutting_down")
        self.notifier.stopping(self._exit_after_stop)
        if self.running is not None:
            self.running.session.request_stop("stopped")
            if not power_off:
                self.state = State.STOPPING
        else:
            self._finish_exit()

    def _finish_exit(self) -> None:
        if self._exit_after_stop == "power off":
            self.prompts.play("shutting_down", sink=self.sink)
            if not self._power_off():
                self.controls.leds.show("error")
                self._exit_after_stop = None
                self.state = State.IDLE
                return
        self.state = State.EXITING

    # -- sessions ---------------------------------------------------------------------------------
    def _choose(self) -> tuple[ListenerProfile | None, str]:
        connected = None if self.wearable is None else self.wearable.connected_address
        return choose_listener(self.profiles, wearable=connected, now_local=self._now_local())

    def start_session(self) -> None:
        if self.sink is None:
            log.warning("no session: the audio output is not working")
            return
        self.pressed_at = self.clock.now()
        recorded = self._check_store()
        self.sink.arm()
        profile, why = self._choose()
        connected = None if self.wearable is None else self.wearable.connected_address
        lend = self.wearable is not None and (
            profile is None or profile.wearable in (None, connected)
        )
        awaited = None
        if self.wearable is not None and not lend and profile is not None and profile.wearable:
            awaited = (self.wearable, profile.wearable)  # taken once their strap connects
        sensors = self.appliance.open_sensors(hr=self.wearable if lend else None, awaited=awaited)
        keep = profile is not None and profile.keeps_data
        session = self.appliance.new_session(
            sensors=sensors,
            sink=self.sink,
            profile=profile,
            keep_data=keep,
            on_status=self._on_status,
            on_decision=lambda decision, _t: self._events.put(("decision", decision)),
            on_alert=lambda why: self._events.put(("alert", why)),
        )
        who = profile.id if keep else "anonymous"
        if profile is not None and not keep:
            # The journal names only listeners who consent: neither the id nor their strap.
            why = "a profile without consent to keep data"
        log.info(
            "session for %s (%s); sensors: %s%s",
            who,
            why,
            ", ".join(sensors.present()),
            "" if recorded else "; NOT RECORDED: the state folder cannot be written",
        )
        wanted = profile.wearable if profile is not None else None
        wearable_missing = self.wearable is not None and (connected is None or connected != wanted)
        self.prompts.play("session_starting", mixer=session.mixer)
        if wanted is not None and wearable_missing:
            self.prompts.play("wearable_not_found", mixer=session.mixer)
        thread = run_in_thread(session, sensors, self._events)
        self.running = Running(session, thread, profile, self.clock.now())
        self.state = State.SESSION
        self.controls.leds.show("session")
        thread.start()

    def _on_status(self, status: SessionStatus) -> None:
        running = self.running
        if running is not None:
            running.status = status

    def _drain_events(self) -> None:
        while True:
            try:
                kind, payload = self._events.get_nowait()
            except queue.Empty:
                return
            if kind == "decision":
                self._on_decision(payload)
            elif kind == "alert":  # the safety guard stopped the session: staff are needed
                log.warning("staff alert: %s", payload)
                self._raise_alert(mixer=self.running.session.mixer if self.running else None)
            else:
                self._on_session_end(payload if kind == "ended" else None)

    def _on_decision(self, decision) -> None:
        # Alerts arrive through the session's on_alert, whatever raised them.
        period = decision.breathing_period_s
        running = self.running
        guide = running is not None and running.profile is not None
        if guide and running.profile.breathing_guide and period is not None:
            try:
                self.controls.leds.set_breathing(float(period))
                self.controls.leds.show("breathing")
            except ValueError:
                log.warning("breathing period %s s is outside what the LED shows", period)

    def _on_session_end(self, result: SessionResult | None) -> None:
        running, self.running = self.running, None
        if running is not None:
            running.thread.join()
        self.last_result = result
        if result is None:
            self.controls.leds.show("error")
        else:
            log.info(
                "session %d %s after %.1f min",
                result.session_id,
                result.status,
                result.duration_s / 60,
            )
            if result.status == "alert":
                self._raise_alert()
        if self._alert_prompt_pending:
            self._alert_prompt_pending = False
            self.prompts.play("call_staff", sink=self.sink)
        self.controls.leds.clear("sensor_lost")
        self.monitor.forget_probe()
        if self._exit_after_stop is not None:
            self._finish_exit()
            return
        self.state = State.IDLE
        if self.appliance.store_problem is not None:
            self._check_store()  # the card may have filled mid-session: health and LED say so
        if result is not None:
            self.controls.leds.show(self._idle_pattern())
        self._prepare_next()

    def _raise_alert(self, mixer=None) -> None:
        self._alert = True
        self.controls.leds.show("staff_alert")
        if self.running is None:
            self.prompts.play("call_staff", sink=self.sink)
        elif mixer is None or self.prompts.play("call_staff", mixer=mixer) != "overlay":
            self._alert_prompt_pending = True  # spoken once the music has faded out

    # -- what staff and systemd see ---------------------------------------------------------------
    def _show_sensor_state(self) -> None:
        lost = self.running is not None and bool(self.health.lost_sensors())
        (self.controls.leds.show if lost else self.controls.leds.clear)("sensor_lost")

    def _refresh_health(self) -> None:
        running = self.running
        stuck = running is not None and self.sink is not None
        self.monitor.refresh(
            running.session.sensors if running is not None else None,
            audio_stuck=stuck and not self.progressing(self.clock.now()),
        )

    def status_line(self) -> str:
        return status_line(self.state, self.running, self._alert, self.health)

    def _send_status(self, now: float) -> None:
        self._status_at = now
        text = self.status_line()
        if text != self._status_text:
            self._status_text = text
            self.notifier.status(text)
        self._write_status_file()

    def _write_status_file(self, state: State | None = None) -> None:
        document = service_document(state or self.state, self.running, self._alert, self.health)
        self.status_file.update(document)

    def close(self) -> None:
        self._write_status_file(State.EXITING)  # `attune status`: stopped, not killed
        self.controls.leds.show("off")
        self.controls.close()
        if self.sink is not None:
            self.sink.close()
        if self.wearable is not None:
            self.wearable.close()
        self.notifier.close()

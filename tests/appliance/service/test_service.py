"""The service on emulated sensors, gpiozero's MockFactory pins and a real notify socket.

The loop's clock (button, LED) is simulated and stepped by the test; the session runs on its
own simulated clock in its thread, as fast as it can, so minutes of session take a second.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from appliance.service.buttons import VOLUME_FLOOR_DB, VOLUME_STEP_DB
from appliance.service.daemon import STALL_S
from appliance.service.health import Level
from appliance.service.state import State
from appliance.ui.led import READY_LEVEL, quantise
from tests.appliance.service.service_harness import SECOND, WAIT_S


def test_start_up_purges_probes_and_tells_systemd_ready(harness) -> None:
    h = harness()
    store = h.service.appliance.store
    old = store.start_session(None, "relax", 60.0, datetime.now(UTC) - timedelta(days=40))
    store.end_session(old, "completed", 60.0, {})
    recent = store.start_session(None, "relax", 60.0, datetime.now(UTC) - timedelta(hours=1))
    store.end_session(recent, "completed", 60.0, {})
    h.service.start()
    # 40 days older than the newest session and than the clock: purged.
    assert [s.id for s in store.sessions()] == [recent]
    assert h.service.state is State.IDLE
    messages = h.messages()
    assert messages[0] == "STATUS=starting"
    ready = next(m for m in messages if m.startswith("READY=1"))
    assert "ppg ok, gsr ok, ble_hr off, model ok, audio ok" in ready
    h.run(0.1)
    assert h.led.state == quantise(READY_LEVEL)
    booting = [s.state for s in h.led.states]
    assert quantise(0.5) in booting  # the boot blink was shown before ready


def test_tap_starts_tap_stops_and_nothing_personal_is_kept(harness) -> None:
    h = harness()
    h.service.start()
    h.tap()
    assert h.service.state is State.SESSION
    session = h.service.running.session
    h.until(lambda: (session.status.segment or 0) >= 1, "the first segment")
    h.run(1.0)
    pulse = {s.state for s in h.led.states[-30:]}
    assert len(pulse) > 3  # the slow session pulse moves
    h.tap()
    assert h.service.state is State.STOPPING
    h.until(lambda: h.service.state is State.IDLE, "back to idle")
    result = h.service.last_result
    assert result.status == "stopped"
    assert result.duration_s < 10 * 60  # stopped early
    row = h.service.appliance.store.session(result.session_id)
    assert row.listener_id is None  # no profile, no consent: anonymous
    assert h.service.appliance.store.physiology(result.session_id) == []
    h.run(0.1)
    assert h.led.state == quantise(READY_LEVEL)


def test_double_press_is_i_like_this(harness) -> None:
    h = harness()
    h.service.start()
    h.tap()
    session = h.service.running.session
    liked: list[bool] = []
    original = session.like
    session.like = lambda: (liked.append(True), original())[1]
    h.button.drive_low()
    h.run(0.1)
    h.button.drive_high()
    h.run(0.1)
    h.button.drive_low()
    h.run(0.1)
    h.button.drive_high()
    h.run(0.6)
    assert liked == [True]
    assert h.service.state is State.SESSION  # a double press never stops the music


def test_hold_three_seconds_stops_the_session_and_powers_off(harness) -> None:
    h = harness()
    h.service.start()
    h.tap()
    h.button.drive_low()
    h.run(2.0)
    assert h.powered_off == [] and h.service.state is State.SESSION
    assert h.led.state == 1.0  # hold feedback from 1 s
    h.run(1.1)
    assert h.service.state is State.SHUTTING_DOWN
    h.button.drive_high()
    h.until(lambda: h.service.state is State.EXITING, "the shutdown")
    assert len(h.powered_off) == 1
    assert h.service.last_result.status == "stopped"  # the session was recorded first
    assert any(m.startswith("STOPPING=1") for m in h.messages())
    fading = [s.state for s in h.led.states if 0.0 < s.state < 1.0]
    assert fading  # the shutting-down fade


def test_a_tap_never_shuts_down(harness) -> None:
    h = harness()
    h.service.start()
    for _ in range(3):
        h.button.drive_low()
        h.run(0.9)
        h.button.drive_high()
        h.run(0.6)
    assert h.powered_off == []


def test_sigterm_fades_out_and_records_the_session(harness) -> None:
    h = harness()
    h.service.start()
    h.tap()
    h.until(lambda: (h.service.running.session.status.segment or 0) >= 1, "music")
    h.service.request_exit()
    h.until(lambda: h.service.state is State.EXITING, "exit")
    assert h.powered_off == []
    assert h.service.last_result.status == "stopped"


def test_sensor_lost_mid_session_shows_on_health_and_led(harness) -> None:
    h = harness()
    h.service.start()
    h.tap()
    sensors = h.service.running.session.sensors
    h.until(lambda: sensors.i2c is not None, "sensors")
    sensors.i2c.detach(h.config.hardware.gsr.address)
    h.until(lambda: h.service.health.get("gsr").level is Level.DOWN, "gsr down")
    h.run(0.1)
    assert h.service.controls.leds.current == "sensor_lost"
    assert h.service.health.get("ppg").level is Level.OK  # the session goes on with PPG


def test_distress_button_stops_and_alerts_staff_until_acknowledged(harness) -> None:
    h = harness()
    h.service.start()
    h.tap()
    h.tap(h.factory.pin(SECOND))
    assert h.service.controls.leds.current == "staff_alert"
    h.until(lambda: h.service.state is State.IDLE, "the session to stop")
    assert "STAFF ALERT" in h.service.status_line()
    h.run(1.0)
    flashes = [s.state for s in h.led.states[-40:]]
    assert flashes.count(1.0) >= 3  # the impossible-to-miss triple flash
    h.tap()  # acknowledge
    assert h.service.controls.leds.current == "ready"
    assert h.service.state is State.IDLE  # the acknowledging press started nothing


def test_volume_button_steps_down_to_the_floor_and_never_jumps_louder(harness) -> None:
    h = harness(second_button="volume")
    h.service.start()
    h.tap()
    h.until(lambda: h.service.running is not None, "the session")
    mixer = h.service.running.session.mixer
    start = h.config.audio.start_volume_db
    heard = [mixer.volume_target_db]
    for _ in range(round((start - VOLUME_FLOOR_DB) / VOLUME_STEP_DB) + 3):  # past the floor
        h.tap(h.factory.pin(SECOND))
        heard.append(mixer.volume_target_db)
    assert heard[0] == pytest.approx(start)
    steps = [a - b for a, b in pairwise(heard)]
    assert all(0 <= s <= VOLUME_STEP_DB + 1e-9 for s in steps), heard  # never louder
    assert heard[-1] == pytest.approx(VOLUME_FLOOR_DB)
    h.until(lambda: mixer.volume_db <= VOLUME_FLOOR_DB + 1e-6, "the music to reach the floor")


class StuckSink:
    """An output whose write hangs (a wedged sound card), until released."""

    def __init__(self, inner) -> None:
        self.inner, self.sample_rate = inner, inner.sample_rate
        self.entered, self.release = threading.Event(), threading.Event()

    def write(self, frames) -> None:
        self.entered.set()
        self.release.wait(WAIT_S)
        self.inner.write(frames)

    def close(self) -> None:
        self.inner.close()


def test_watchdog_is_petted_only_while_audio_flows(harness) -> None:
    h = harness(watchdog_usec=300_000)  # pet every 0.1 s
    h.service.start()
    h.messages()
    h.run(0.5)
    assert h.messages().count("WATCHDOG=1") >= 3
    h.tap()
    watched = h.service.sink
    stuck = StuckSink(watched.sink)
    watched.sink = stuck
    try:
        assert stuck.entered.wait(WAIT_S)
        h.run(STALL_S - 1)
        assert "WATCHDOG=1" in h.messages()  # a hiccup is not a hang
        h.run(1.5)
        h.messages()
        h.run(1.0)
        assert "WATCHDOG=1" not in h.messages()  # systemd will restart us
        assert h.service.health.get("audio").level is Level.DOWN
    finally:
        stuck.release.set()


def test_listener_profile_with_consent_is_chosen_and_kept(harness) -> None:
    profile = (
        "id: L-0200\ngoal: relax\nsession_min: 5\ndefault: true\nbreathing_guide: true\n"
        "consent:\n  given: true\n  date: 2024-01-01\n"
    )
    h = harness(listeners=profile)
    h.service.start()
    h.tap()
    assert h.service.running.profile.id == "L-0200"
    assert "L-0200" in h.service.status_line()
    h.tap()
    h.until(lambda: h.service.state is State.IDLE, "idle")
    row = h.service.appliance.store.session(h.service.last_result.session_id)
    assert row.listener_id == "L-0200"


def test_from_idle_the_press_down_starts_the_session_before_the_release(harness) -> None:
    h = harness()
    h.service.start()
    h.button.drive_low()
    pressed_at = h.ui.now()
    h.run(0.1)  # debounce (50 ms) and a poll or two: the press is still down
    assert h.service.state is State.SESSION
    assert h.service.pressed_at - pressed_at <= 0.1
    h.button.drive_high()
    h.run(0.6)  # the release and the double-press window add nothing
    assert h.service.state is State.SESSION
    h.tap()  # the next tap stops it, as always
    assert h.service.state is State.STOPPING
    h.until(lambda: h.service.state is State.IDLE, "back to idle")
    assert h.service.last_result.status == "stopped"
    assert "cancelled" not in h.service.last_result.summary


def test_a_hold_from_idle_withdraws_the_start_then_powers_off(harness) -> None:
    h = harness()
    h.service.start()
    h.button.drive_low()
    h.run(0.2)
    assert h.service.state is State.SESSION  # provisionally: it may yet be a hold
    h.run(0.9)  # past the 1 s hold feedback: the start is withdrawn, quickly
    assert h.service.state in (State.STOPPING, State.IDLE)
    h.until(lambda: h.service.state is State.IDLE, "the withdrawn start to end")
    result = h.service.last_result
    assert result.status == "stopped" and result.summary["cancelled"] is True
    assert h.powered_off == []
    h.button.drive_high()  # let go before 3 s: a cancelled hold, nothing else happens
    h.run(3.0)
    assert h.powered_off == [] and h.service.state is State.IDLE
    h.button.drive_low()  # held the full 3 s this time
    h.run(3.2)
    h.button.drive_high()
    h.until(lambda: h.service.state is State.EXITING, "the shutdown")
    assert len(h.powered_off) == 1


NO_CONSENT = "id: L-0300\ngoal: relax\nsession_min: 5\ndefault: true\nconsent:\n  given: false\n"


def test_consent_withdrawn_erases_what_was_kept_at_start_and_the_journal_names_no_one(
    harness, caplog
) -> None:
    h = harness(listeners=NO_CONSENT)
    store = h.service.appliance.store
    kept = store.start_session("L-0300", "relax", 300.0)  # from before consent was withdrawn
    store.add_event(kept, 10.0, "baseline", "HR 70 bpm")
    store.end_session(kept, "completed", 300.0, {})
    with caplog.at_level("INFO"):
        h.service.start()
        assert store.sessions() == [] and not store.holds_listener("L-0300")
        h.tap()
        assert h.service.running.profile.id == "L-0300"
        assert "anon" in h.service.status_line()
        h.tap()
        h.until(lambda: h.service.state is State.IDLE, "idle")
    assert "consent withdrawn by a listener: erased 1 sessions, 1 events" in caplog.text
    assert "session for anonymous (a profile without consent" in caplog.text
    assert "L-0300" not in caplog.text
    assert store.session(h.service.last_result.session_id).listener_id is None

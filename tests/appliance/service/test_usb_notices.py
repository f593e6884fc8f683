"""The service shows and says what a USB stick's handler did, between sessions only: the
handler's busy marker and notice go through the state folder (appliance/usb/spool.py)."""

from __future__ import annotations

import numpy as np

from appliance.service.prompts import Prompts
from appliance.service.state import State
from appliance.service.usb_notices import USB_DONE_SHOW_S
from appliance.ui.led import READY_LEVEL, USB_DONE_LEVEL, USB_WORKING_LEVEL, quantise
from appliance.usb.spool import Spool

MUSIC = ("usb_music", {"songs": "12", "who": "Margaret"})
REFUSED = ("usb_music_refused", {"unreadable": "2"})


def speaking(h) -> list[str]:
    """Prompts on, with a stand-in for espeak-ng that keeps the text it was asked to say."""
    said: list[str] = []

    def render(text: str, voice: str, words_per_min: int) -> tuple[np.ndarray, int]:
        said.append(text)
        return np.full(800, 0.1, dtype=np.float32), 16000

    old = h.service.prompts
    h.service.prompts = Prompts(
        enabled=True,
        voice=old.voice,
        words_per_min=old.words_per_min,
        level_dbfs=old.level_dbfs,
        duck_db=old.duck_db,
        sample_rate=old.sample_rate,
        render=render,
    )
    return said


def test_busy_blinks_then_the_summary_is_spoken_and_the_led_says_take_it_out(harness) -> None:
    h = harness()
    h.service.start()
    said = speaking(h)
    spool = Spool(h.config.device.state_dir)
    busy = spool.mark_busy("sda1")  # this test's pid: a live handler
    h.run(2.0)
    assert h.service.controls.leds.current == "usb_working"
    assert quantise(USB_WORKING_LEVEL) in [s.state for s in h.led.states[-80:]]
    busy.unlink()
    spool.post(True, [MUSIC, REFUSED, ("usb_done", {})])
    h.run(1.5)
    assert said == [
        "New songs for Margaret: 12.",
        "Songs that could not be read: 2.",
        "You can take the USB stick out now.",
    ]
    played = [key for key, how in h.service.prompts.played]
    assert played == ["usb_music", "usb_music_refused", "usb_done"]
    assert all(how == "sink" for _, how in h.service.prompts.played)
    assert h.led.state == quantise(USB_DONE_LEVEL)
    h.run(USB_DONE_SHOW_S + 1.0)
    assert h.led.state == quantise(READY_LEVEL)
    assert spool.take_notices() == []  # each notice is said once


def test_a_stale_busy_marker_of_a_killed_handler_shows_nothing(harness) -> None:
    h = harness()
    h.service.start()
    spool = Spool(h.config.device.state_dir)
    marker = spool.mark_busy("sda1")
    marker.write_text('{"pid": 999999999, "stick": "sda1"}')  # no such process
    h.run(1.5)
    assert h.service.controls.leds.current == "ready"
    assert not marker.exists()


def test_during_a_session_the_notice_waits_and_is_spoken_after_it(harness) -> None:
    h = harness()
    h.service.start()
    said = speaking(h)
    h.tap()
    assert h.service.state is State.SESSION
    spool = Spool(h.config.device.state_dir)
    spool.post(True, [MUSIC])
    h.run(2.0)
    assert said == ["The music session is starting."]
    assert h.service.controls.leds.current != "usb_done"
    assert list(spool.folder.glob("notice-*"))  # still waiting
    h.tap()
    h.until(lambda: h.service.state is State.IDLE, "the session to end")
    h.run(1.5)
    assert said[-1] == "New songs for Margaret: 12."
    assert h.service.controls.leds.current == "usb_done"

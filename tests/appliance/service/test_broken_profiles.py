"""A broken listener profile never stops the service: built on the emulated hardware with every
kind of broken profile that once ended `attune run` in a traceback beside good ones, the service
starts, the good profiles are there and each broken one is named in the log with its reason."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from appliance.clock import SimulatedClock
from appliance.config import load_config
from appliance.service.run import make_service
from appliance.service.sdnotify import Notifier
from appliance.service.state import State
from appliance.session.seams import Rendering
from drivers.gpio import make_pin_factory
from tests.appliance.service.service_harness import process_config

GOOD = "id: {id}\ngoal: relax\nconsent:\n  given: true\n  date: 2024-05-01\n"
BROKEN = {
    "bad-date.yaml": GOOD.format(id="L-0101").replace("2024-05-01", "2024-02-30"),
    "control.yaml": GOOD.format(id="L-01\x0102"),
    "recursive.yaml": GOOD.format(id="L-0103") + "schedule: &s [*s]\n",
    "deep.yaml": GOOD.format(id="L-0104") + "schedule: " + "[" * 5000 + "]" * 5000 + "\n",
    "huge.yaml": GOOD.format(id="L-0105") + "session_min: " + "9" * 4301 + "\n",
    "tag.yaml": GOOD.format(id="L-0106") + "session_min: !!float twenty\n",
    "bomb.yaml": GOOD.format(id="L-0107")
    + "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b]\n",
    "future.yaml": GOOD.format(id="L-0108").replace("2024-05-01", "2999-01-01"),
    "twin-a.yaml": GOOD.format(id="L-0109"),
    "twin-b.yml": GOOD.format(id="L-0109"),
}


def test_the_service_starts_with_the_good_profiles_and_names_the_broken_ones(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "listeners"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD.format(id="L-0001") + "default: true\n")
    (folder / "also-good.yml").write_text(GOOD.format(id="L-0002"))
    for name, text in BROKEN.items():
        (folder / name).write_text(text)
    config_file = tmp_path / "attune.yaml"
    config_file.write_text(process_config(tmp_path / "state", folder))
    ui = SimulatedClock(start=100.0)
    factory = make_pin_factory("mock", clock=ui.now)
    with caplog.at_level(logging.WARNING, logger="appliance.service.run"):
        service = make_service(
            load_config(config_file),
            clock=SimulatedClock(),
            ui_clock=ui,
            notifier=Notifier({}),
            power_off=lambda: True,
            pin_factory=factory,
            render_ahead=False,
            rendering=Rendering.INLINE,
        )
    try:
        service.start()
        assert service.state is State.IDLE
        assert sorted(p.id for p in service.profiles) == ["L-0001", "L-0002"]
        log = caplog.text
        for name in BROKEN:
            assert f"{folder / name}" in log, name
        assert "2024-02-30 is not a date that exists" in log
        assert "control character U+0001" in log
        assert "anchors and aliases are not supported" in log
        assert "nested more than 16 levels" in log
        assert "between -1e15 and 1e15" in log
        assert "'twenty' is not a number" in log
        assert "2999-01-01 is in the future" in log
        assert "L-0109 is also the id of" in log
        assert (
            f"listener profiles: 2 loaded; skipped (see above): {folder / 'bad-date.yaml'}" in log
        )
    finally:
        service.close()
        service.appliance.close()
        factory.close()

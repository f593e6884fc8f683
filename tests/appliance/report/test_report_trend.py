"""The listener's trend page on simulated residents with a known trend, known music and known
alerts: the words say what is true, and the files are private."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import numpy as np
from matplotlib.image import imread

from appliance.app import DB_NAME
from appliance.cli import main as attune
from appliance.clock import zone
from appliance.report.trend import listener_trend
from appliance.report.trend_page import write_listener_report
from appliance.store.assessments import SCALES, Assessments
from appliance.store.db import Store
from tests.appliance.report.residents import record_session

FAVOURITE = "harp/major/sparse"


def resident(store: Store, *, growth: float, sessions: int = 10, seed: int = 0) -> None:
    """Calming that grows by `growth` a session (a known trend), the favourite music in 7 of
    the 10 sessions, one staff alert, two assessments."""
    rng = np.random.default_rng(seed)
    for k in range(sessions):
        record_session(
            store,
            "L-0042",
            day=k,
            calming=0.05 + growth * k + float(rng.normal(0, 0.01)),
            music=FAVOURITE if k % 10 not in (0, 3, 6) else "piano/minor/standard",
            alerts=1 if k == 4 else 0,
            rng=rng,
        )
    book = Assessments(store)
    book.add("L-0042", SCALES["cmai-sf"], 38, date(2026, 11, 1))
    book.add("L-0042", SCALES["cmai-sf"], 31, date(2026, 11, 10))


def test_a_known_trend_music_alert_and_assessment_are_said_in_words(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        resident(store, growth=0.02)
        trend = listener_trend(store, "L-0042")
    assert trend.slope.low < 0.02 < trend.slope.high and trend.slope.low > 0
    assert trend.trend_words().startswith("Sessions calm this listener more as they go on")
    assert trend.preference[0] == (
        "Preferred music: harp, major, sparse (played most in 7 of the last 10 sessions)."
    )
    assert trend.alert_words() == "Staff alerts: 1, in 1 session(s) (5 Nov)."
    assert trend.assessment_words() == "Latest assessments: CMAI short form 31 on 10 Nov 2026."
    assert "fell in 10 of 10 sessions" in trend.average_words()


def test_a_flat_resident_has_no_clear_trend_and_few_sessions_say_so(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        resident(store, growth=0.0)
        assert listener_trend(store, "L-0042").trend_words().startswith("No clear trend")
    with Store(tmp_path / "few.db") as store:
        resident(store, growth=0.02, sessions=2)
        words = listener_trend(store, "L-0042").trend_words()
    assert words == "Trend: not yet enough measured sessions (2 of the 4 needed)."


def test_the_page_is_a_private_png_and_pdf(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        resident(store, growth=0.02)
        written = write_listener_report(store, "L-0042", tmp_path / "out" / "reports")
    assert [p.name for p in written] == ["L-0042-trend.png", "L-0042-trend.pdf"]
    assert stat.S_IMODE((tmp_path / "out" / "reports").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in written)
    page = imread(written[0])
    assert page.shape[0] > page.shape[1] > 1200  # A4 portrait, printable
    assert written[1].read_bytes().startswith(b"%PDF")
    assert not list((tmp_path / "out" / "reports").glob(".*"))  # no temporary file left


def test_listeners_report_without_sessions_is_a_clear_error(tmp_path: Path, capsys) -> None:
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {tmp_path / 'state'}\n")
    argv = ["--config", str(config), "listeners", "report", "L-0042", "--out", str(tmp_path)]
    assert attune(argv) == 1
    assert "no sessions recorded yet" in capsys.readouterr().err
    Store(tmp_path / "state" / DB_NAME).close()
    assert attune(argv) == 1
    assert "listener L-0042 has no recorded sessions" in capsys.readouterr().err


def test_the_report_shows_times_in_the_device_time_zone(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with Store(state / DB_NAME) as store:
        # Recorded at 14:00 UTC: 23:00 the same day in Tokyo (UTC+9).
        resident(store, growth=0.0, sessions=4)
        trend = listener_trend(store, "L-0042", tz=zone("Asia/Tokyo"))
    assert [f"{p.started:%d %H:%M %Z}" for p in trend.sessions[:2]] == [
        "01 23:00 JST",
        "02 23:00 JST",
    ]
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {state}\n  timezone: Asia/Tokyo\n")
    out = tmp_path / "out"
    assert (
        attune(["--config", str(config), "listeners", "report", "L-0042", "--out", str(out)]) == 0
    )
    assert (out / "L-0042-trend.png").exists()

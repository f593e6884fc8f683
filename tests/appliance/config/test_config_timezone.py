"""device.timezone: an IANA name, checked against the zone database, used for every time shown
to a person while the records stay in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from appliance.clock import local_text, zone
from appliance.config import ConfigError, load_config


def _load(tmp_path: Path, value: str):
    path = tmp_path / "attune.yaml"
    path.write_text(f"device:\n  log_level: info\n  timezone: {value}\n")
    return load_config(path, etc_dir=tmp_path / "none")


def test_a_zone_name_is_kept_and_shows_local_time(tmp_path: Path) -> None:
    config = _load(tmp_path, "Europe/London")
    assert config.device.timezone == "Europe/London"
    summer = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert local_text(summer, zone(config.device.timezone)) == "2026-07-01 10:00 BST"
    winter = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    assert local_text(winter, zone(config.device.timezone)) == "2026-01-01 09:00 GMT"


def test_the_default_is_utc(tmp_path: Path) -> None:
    config = load_config(etc_dir=tmp_path / "none")
    assert config.device.timezone == "UTC"
    assert local_text(datetime(2026, 7, 1, 9, tzinfo=UTC), zone("UTC")) == "2026-07-01 09:00 UTC"


@pytest.mark.parametrize("bad", ["Europe/Lodnon", "localtime", "../etc/passwd", "'+01:00'", "3"])
def test_a_bad_zone_names_the_file_line_and_key(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, bad)
    (problem,) = error.value.problems
    text = str(problem)
    assert f"{tmp_path / 'attune.yaml'}:3" in text
    assert "device.timezone" in text and "IANA name such as Europe/London" in text
    assert "\n" not in text


def test_a_near_miss_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="did you mean Europe/London"):
        _load(tmp_path, "Europe/Lodnon")

"""`config check` and `config show`, and the shipped example files."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml

from appliance.config import AttuneYamlLoader, check_command, load_config, show_command

PROJECT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((PROJECT / "config" / "examples").glob("*.yaml"))
COMMENTED_SETTING = re.compile(r"^#(\s*[a-z_0-9]+:(?:\s.*)?)$")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_check_ok_lists_the_files_read(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    code, text = check_command(None, etc)
    assert code == 0 and text.startswith("OK: no configuration files in")
    drop_in = write(etc / "conf.d" / "10-a.yaml", "session:\n  goal: sleep\n")
    main = write(etc / "attune.yaml", "audio:\n  max_level_dbfs: -20\n")
    assert check_command(None, etc) == (0, f"OK: {drop_in}, {main}")


def test_check_prints_every_problem_one_per_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.yaml",
        """\
        hardware:
          ppg:
            sample_rate: 150
            swap_red_ir: no
        sesion: {}
        """,
    )
    code, text = check_command(path, tmp_path / "unused")
    assert code == 1
    assert text.splitlines() == [
        f"{path}:3: hardware.ppg.sample_rate: 150 is not allowed; "
        "allowed: 50, 100, 200, 400, 800, 1000, 1600, 3200",
        f"{path}:4: hardware.ppg.swap_red_ir: 'no' is not a boolean; use true or false",
        f"{path}:5: sesion: unknown key; did you mean 'session'?",
    ]


def test_check_of_a_missing_file_fails_naming_it(tmp_path: Path) -> None:
    code, text = check_command(tmp_path / "typo.yaml", tmp_path)
    assert code == 1 and str(tmp_path / "typo.yaml") in text


@pytest.fixture
def site_config(tmp_path: Path):
    path = write(
        tmp_path / "site.yaml",
        """\
        device:
          state_dir: /srv/attune state
        hardware:
          ppg:
            address: 0x50
          ble_hr:
            enabled: true
            addresses: [a0:9e:1a:12:34:56, 00:22:33:44:55:00]
            adapter: hci1
        audio:
          device: "yes"
        session:
          goal: sleep
          length_min: 20
        """,
    )
    return path, load_config(path)


def test_show_round_trips_through_yaml(site_config) -> None:
    _, config = site_config
    text = show_command(config, changed_only=False)
    for loader in (AttuneYamlLoader, yaml.SafeLoader):
        assert yaml.load(text, Loader=loader) == config.as_dict()


def test_show_marks_non_default_values_with_their_origin(site_config) -> None:
    path, config = site_config
    lines = show_command(config, changed_only=False).splitlines()
    assert "    address: 0x50  # " + f"{path}:5" in lines
    assert f"  goal: sleep  # {path}:13" in lines
    assert "  length_min: 20.0" in lines  # set, but equal to the default: no mark
    assert "    address: 0x48" in lines  # the GSR default, written in hex
    assert f"  device: 'yes'  # {path}:11" in lines  # quoted: it reads back as text


def test_show_changed_only(site_config) -> None:
    _, config = site_config
    text = show_command(config, changed_only=True)
    shown = yaml.load(text, Loader=AttuneYamlLoader)
    assert shown == {
        "device": {"state_dir": "/srv/attune state"},
        "hardware": {
            "ppg": {"address": 0x50},
            "ble_hr": {
                "enabled": True,
                "addresses": ["A0:9E:1A:12:34:56", "00:22:33:44:55:00"],
                "adapter": "hci1",
            },
        },
        "audio": {"device": "yes"},
        "session": {"goal": "sleep"},
    }
    # Every shown value differs from its default, so every line carries its origin.
    assert sum(1 for line in text.splitlines() if "  # " in line) == 7


def test_show_changed_only_output_loads_as_the_same_config(site_config, tmp_path: Path) -> None:
    _, config = site_config
    again = write(tmp_path / "again.yaml", show_command(config, changed_only=True))
    assert load_config(again).as_dict() == config.as_dict()


def test_show_with_nothing_changed_is_still_yaml(tmp_path: Path) -> None:
    text = show_command(load_config(etc_dir=tmp_path), changed_only=True)
    assert yaml.load(text, Loader=AttuneYamlLoader) == {}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_valid(example: Path) -> None:
    assert check_command(example, Path("/nonexistent"))[0] == 0


def test_emulated_example_is_what_the_demo_needs() -> None:
    config = load_config(PROJECT / "config" / "examples" / "emulated.yaml")
    assert config.hardware.emulated is True
    assert config.audio.output == "wav"


def test_documented_attune_yaml_is_valid_as_shipped_and_fully_uncommented(tmp_path: Path) -> None:
    documented = PROJECT / "config" / "attune.yaml"
    shipped = load_config(documented)
    assert shipped.changed() == {}  # every setting is commented out
    lines = documented.read_text().splitlines()
    uncommented = [m.group(1) if (m := COMMENTED_SETTING.match(line)) else line for line in lines]
    assert uncommented != lines
    path = write(tmp_path / "attune.yaml", "\n".join(uncommented) + "\n")
    config = load_config(path)  # every documented key exists and its value is valid
    # ...and the documented values are the defaults they claim to be.
    assert config.changed() == {}
    assert len([k for k in config if config.origin(k) != "default"]) >= 20

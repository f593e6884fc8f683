"""Layered loading, every problem at once, origins and the read-only Config."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from appliance.config import ConfigError, Problem, load_config
from appliance.vocabulary import DEFAULT_SOUNDFONT


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def etc(tmp_path: Path) -> Path:
    return tmp_path / "etc" / "attune"


def problems_of(config_file: Path | None = None, etc_dir: Path | None = None) -> list[Problem]:
    with pytest.raises(ConfigError) as error:
        load_config(config_file, etc_dir=etc_dir or Path("/nonexistent"))
    return error.value.problems


def test_no_files_means_defaults(etc: Path) -> None:
    config = load_config(etc_dir=etc)
    assert config.hardware.ppg.address == 0x57
    assert config.session.goal == "relax"
    assert config.hardware.ble_hr.addresses == ()
    assert config.device.state_dir == Path("/var/lib/attune")
    assert config.origin("hardware.ppg.address") == "default"
    assert config.changed() == {}
    assert config.files == ()


def test_layers_apply_conf_d_sorted_then_attune_yaml(etc: Path) -> None:
    write(etc / "conf.d" / "20-site.yaml", "session:\n  goal: sleep\n  length_min: 30\n")
    write(etc / "conf.d" / "10-base.yaml", "session:\n  goal: relax\n  calibration_min: 4\n")
    write(etc / "conf.d" / "ignored.yml", "session: {goal: bogus}\n")
    write(etc / "attune.yaml", "\nsession:\n  length_min: 40\n")
    config = load_config(etc_dir=etc)
    assert config.session.goal == "sleep"  # 20-site after 10-base
    assert config.session.calibration_min == 4
    assert config.session.length_min == 40  # attune.yaml last
    assert config.origin("session.goal") == f"{etc}/conf.d/20-site.yaml:2"
    assert config.origin("session.length_min") == f"{etc}/attune.yaml:3"
    assert config.origin("session.calibration_min") == f"{etc}/conf.d/10-base.yaml:3"
    assert config.files == (
        f"{etc}/conf.d/10-base.yaml",
        f"{etc}/conf.d/20-site.yaml",
        f"{etc}/attune.yaml",
    )


def test_config_file_replaces_the_etc_layers(etc: Path, tmp_path: Path) -> None:
    write(etc / "attune.yaml", "session:\n  goal: sleep\n")
    dev = write(tmp_path / "dev.yaml", "audio:\n  output: wav\n")
    config = load_config(dev, etc_dir=etc)
    assert config.audio.output == "wav"
    assert config.session.goal == "relax"  # /etc was not read
    assert config.files == (str(dev),)


def test_missing_config_file_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    (problem,) = problems_of(missing)
    assert problem.file == str(missing)
    assert "cannot read" in problem.message


def test_mappings_merge_deeply_and_lists_replace(etc: Path) -> None:
    write(
        etc / "conf.d" / "a.yaml",
        """\
        hardware:
          ble_hr:
            enabled: true
            addresses: [AA:BB:CC:DD:EE:01, AA:BB:CC:DD:EE:02]
        """,
    )
    write(etc / "attune.yaml", "hardware:\n  ble_hr:\n    addresses: [AA:BB:CC:DD:EE:03]\n")
    config = load_config(etc_dir=etc)
    assert config.hardware.ble_hr.enabled is True
    assert config.hardware.ble_hr.addresses == ("AA:BB:CC:DD:EE:03",)
    assert config.hardware.ble_hr.adapter == "hci0"  # untouched sibling keeps its default


def test_empty_section_means_defaults(etc: Path) -> None:
    write(etc / "attune.yaml", "hardware:\n  ppg:\n  gpio:\nsession:\n")
    config = load_config(etc_dir=etc)
    assert config.hardware.ppg.sample_rate == 100
    assert config.hardware.gpio.button_pin == 17
    assert config.session.goal == "relax"


def test_empty_value_is_an_error_suggesting_the_default(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", "hardware:\n  ppg:\n    address:\n")
    (problem,) = problems_of(path)
    assert str(problem) == (
        f"{path}:3: hardware.ppg.address: has no value; delete the line to keep the default (0x57)"
    )


def test_yes_is_refused_for_a_boolean_with_the_key_path(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", "hardware:\n  ppg:\n    swap_red_ir: yes\n")
    (problem,) = problems_of(path)
    assert str(problem) == (
        f"{path}:3: hardware.ppg.swap_red_ir: 'yes' is not a boolean; use true or false"
    )


def test_unknown_keys_get_a_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.yaml",
        """\
        sesion:
          goal: sleep
        hardware:
          ppg:
            adress: 0x57
          address: 0x48
          hardware.ppg.type: max30102
        audio:
          colour: blue
        """,
    )
    found = {(p.line, p.key): p.message for p in problems_of(path)}
    assert found == {
        (1, "sesion"): "unknown key; did you mean 'session'?",
        (5, "hardware.ppg.adress"): "unknown key; did you mean 'hardware.ppg.address'?",
        (6, "hardware.address"): "unknown key; did you mean 'hardware.gsr.address'?",
        (7, "hardware.hardware.ppg.type"): "unknown key",
        (9, "audio.colour"): "unknown key",
    }


def test_dotted_key_at_top_level_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", "hardware.ppg.address: 0x50\n")
    (problem,) = problems_of(path)
    assert problem.key == "hardware.ppg.address"
    assert "nest it, one name per line (hardware: / ppg: / address:)" in problem.message


def test_every_problem_at_once_with_file_line_and_key(etc: Path) -> None:
    drop_in = write(etc / "conf.d" / "50-sensor.yaml", "hardware:\n  gsr:\n    channel: 4\n")
    main = write(
        etc / "attune.yaml",
        """\
        # site settings
        hardware:
          ppg:
            sample_rate: 150
            address: 0x80
            led_current_ma: lots
        session:
          goal: calm
          length_min: 20
        audio: wav
        """,
    )
    problems = problems_of(etc_dir=etc)
    rendered = [str(p) for p in problems]
    assert rendered == [
        f"{drop_in}:3: hardware.gsr.channel: 4 is out of range; allowed: 0..3",
        f"{main}:4: hardware.ppg.sample_rate: 150 is not allowed; "
        "allowed: 50, 100, 200, 400, 800, 1000, 1600, 3200",
        f"{main}:5: hardware.ppg.address: 0x80 is out of range; allowed: 0x03..0x77",
        f"{main}:6: hardware.ppg.led_current_ma: 'lots' is not a number",
        f"{main}:8: session.goal: 'calm' is not allowed; "
        "allowed: relax, sleep, wake, recovery, focus",
        f"{main}:10: audio: is a section; expected keys under it, got 'wav'",
    ]
    error = ConfigError(problems)
    assert str(error).splitlines() == rendered


def test_an_overridden_bad_value_is_still_reported(etc: Path) -> None:
    # The technician should hear about a wrong value even when a later file hides it.
    write(etc / "conf.d" / "a.yaml", "session:\n  goal: calm\n")
    write(etc / "attune.yaml", "session:\n  goal: sleep\n")
    (problem,) = problems_of(etc_dir=etc)
    assert problem.file.endswith("conf.d/a.yaml") and problem.key == "session.goal"


def test_cross_field_checks_blame_the_key_that_was_set(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.yaml",
        """\
        hardware:
          ppg:
            sample_rate: 800
          gpio:
            led_pin: 17
        session:
          calibration_min: 25
        safety:
          hr_min_bpm: 100
          hr_max_bpm: 90
        """,
    )
    found = {(p.line, p.key): p.message for p in problems_of(path)}
    assert found == {
        (3, "hardware.ppg.sample_rate"): "800 samples/s with pulse_width_us 411 is not allowed "
        "by the MAX30102 in SpO2 mode; at 411 µs use at most 400 samples/s",
        (7, "session.calibration_min"): "session.calibration_min (25) must be less than "
        "session.length_min (20)",
        (9, "safety.hr_min_bpm"): "safety.hr_min_bpm (100) must be less than "
        "safety.hr_max_bpm (90)",
        (5, "hardware.gpio.led_pin"): "button_pin and led_pin are both GPIO 17",
    }


def test_cross_checks_skip_values_already_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", "safety:\n  hr_min_bpm: 500\n")
    (problem,) = problems_of(path)
    assert "out of range" in problem.message


def test_ble_enabled_needs_addresses(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", "hardware:\n  ble_hr:\n    enabled: true\n")
    (problem,) = problems_of(path)
    assert (problem.line, problem.key) == (3, "hardware.ble_hr.enabled")
    assert "no addresses" in problem.message


def test_syntax_and_duplicate_errors_come_with_other_files_problems(etc: Path) -> None:
    write(etc / "conf.d" / "a.yaml", "session:\n  goal: relax\n  goal: sleep\n")
    write(etc / "attune.yaml", "session:\n  goal: [relax\n")
    problems = problems_of(etc_dir=etc)
    assert [(Path(p.file).name, p.line) for p in problems] == [("a.yaml", 3), ("attune.yaml", 3)]
    assert problems[0].message.startswith("duplicate key")
    assert problems[1].message.startswith("YAML syntax error")


def test_origins_and_changed(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.yaml",
        """\
        session:
          goal: sleep
          length_min: 20    # same as the default
        hardware:
          ppg:
            address: 0x50
        """,
    )
    config = load_config(path)
    assert config.origin("session.goal") == f"{path}:2"
    assert config.origin("session.length_min") == f"{path}:3"
    assert config.origin("session.window_s") == "default"
    assert config.changed() == {"session.goal": "sleep", "hardware.ppg.address": 0x50}
    with pytest.raises(KeyError, match=r"did you mean 'session\.goal'"):
        config.origin("session.gaol")


def test_config_is_read_only_and_readable_three_ways(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "a.yaml", "hardware:\n  ppg:\n    address: 0x50\n"))
    assert config.hardware.ppg.address == config.get("hardware.ppg.address") == 0x50
    assert config.as_dict()["hardware"]["ppg"]["address"] == 0x50
    assert config.get("hardware.ppg").sample_rate == 100
    assert config.as_dict()["device"]["state_dir"] == "/var/lib/attune"  # plain YAML types
    with pytest.raises(AttributeError, match="read-only"):
        config.hardware.ppg.address = 0x51
    with pytest.raises(AttributeError, match=r"did you mean 'hardware\.ppg\.address'"):
        _ = config.hardware.ppg.adress
    with pytest.raises(KeyError):
        config.get("hardware.ppg.nothing")
    mutable = config.as_dict()
    mutable["session"]["goal"] = "sleep"
    assert config.session.goal == "relax"  # as_dict is a copy


def test_a_soundfont_that_is_not_there_is_refused_at_check_time(tmp_path: Path) -> None:
    # `attune config check` passing and `attune run` then failing on the first segment is what
    # this check prevents; it reads the filesystem when the config is loaded.
    font = tmp_path / "fonts" / "Piano.sf2"
    main = write(tmp_path / "attune.yaml", f"music:\n  soundfont: {font}\n")
    assert [str(p) for p in problems_of(main)] == [
        f"{main}:2: music.soundfont: the soundfont {font} does not exist: give an .sf2 or .sf3 "
        f"file, or leave music.soundfont out for {DEFAULT_SOUNDFONT} (Debian package "
        "fluidr3mono-gm-soundfont)"
    ]
    font.parent.mkdir()
    assert "is not a file" in str(
        problems_of(write(main, f"music:\n  soundfont: {font.parent}\n"))[0]
    )
    font.write_bytes(b"sfbk")  # installed later: the same file now passes
    write(main, f"music:\n  soundfont: {font}\n")
    assert load_config(main, etc_dir=Path("/nonexistent")).music.soundfont == font


def test_the_default_soundfont_missing_names_the_package_to_install(tmp_path, monkeypatch) -> None:
    from appliance.config import crosschecks

    # Where the package is not installed: the default path moved to one that surely is not.
    default = tmp_path / "sounds" / "sf3" / "FluidR3Mono_GM.sf3"
    monkeypatch.setattr(crosschecks, "DEFAULT_SOUNDFONT", default)
    main = write(tmp_path / "attune.yaml", f"music:\n  soundfont: {default}\n")
    assert problems_of(main)[0].message == (
        f"the soundfont {default} does not exist: install the Debian package "
        "fluidr3mono-gm-soundfont (sudo apt-get install fluidr3mono-gm-soundfont)"
    )

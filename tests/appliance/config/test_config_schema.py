"""Validators and the schema: types, ranges, datasheet choices, and defaults.yaml agreement."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from appliance.config.crosschecks import CROSS_CHECKS
from appliance.config.schema import (
    MAX30102_PULSE_WIDTHS_US,
    MAX30102_SAMPLE_RATES_SPS,
    MAX30102_SPO2_MAX_SAMPLE_RATE_SPS,
    SCHEMA,
)
from appliance.config.validators import (
    BleAddressList,
    Bool,
    FilePath,
    Float,
    I2cAddress,
    Int,
    OneOf,
    Text,
)
from appliance.config.yamlread import parse_yaml


def _default_keys() -> set[str]:
    text = resources.files("appliance.config").joinpath("defaults.yaml").read_text("utf-8")
    document, problems = parse_yaml(text, "defaults.yaml")
    assert problems == []

    def leaves(tree: dict, prefix: str = "") -> set[str]:
        keys: set[str] = set()
        for name, value in tree.items():
            path = f"{prefix}.{name}" if prefix else name
            keys |= leaves(value, path) if isinstance(value, dict) else {path}
        return keys

    return leaves(document.data)


def test_every_default_has_exactly_one_option() -> None:
    assert _default_keys() == set(SCHEMA)


def test_cross_checks_name_only_known_keys() -> None:
    for rule in CROSS_CHECKS:
        assert set(rule.keys) <= set(SCHEMA)


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "1", 1, 0])
def test_bool_refuses_lookalikes_and_says_use_true_or_false(word: object) -> None:
    with pytest.raises(ValueError, match="is not a boolean; use true or false"):
        Bool()(word)


def test_bool_accepts_true_and_false_only() -> None:
    assert Bool()(True) is True
    assert Bool()(False) is False
    with pytest.raises(ValueError, match="expected true or false"):
        Bool()("maybe")


def test_int_checks_type_and_range() -> None:
    validate = Int(1, 10)
    assert validate(10) == 10
    with pytest.raises(ValueError, match=r"^11 is out of range; allowed: 1\.\.10$"):
        validate(11)
    with pytest.raises(ValueError, match="is not a whole number"):
        validate(2.5)
    with pytest.raises(ValueError, match="is not a whole number"):
        validate(True)  # a bool is an int in Python, never here
    with pytest.raises(ValueError, match="'5' is not a whole number"):
        validate("5")


def test_float_accepts_ints_and_returns_floats() -> None:
    validate = Float(0.0, 51.0)
    assert validate(7) == 7.0 and isinstance(validate(7), float)
    with pytest.raises(ValueError, match=r"^51\.2 is out of range; allowed: 0\.\.51$"):
        validate(51.2)
    with pytest.raises(ValueError, match="is not a number"):
        validate("7 mA")


def test_one_of_lists_the_datasheet_choices() -> None:
    validate = OneOf(MAX30102_SAMPLE_RATES_SPS)
    assert validate(400) == 400
    with pytest.raises(ValueError) as error:
        validate(150)
    assert str(error.value) == (
        "150 is not allowed; allowed: 50, 100, 200, 400, 800, 1000, 1600, 3200"
    )
    with pytest.raises(ValueError, match="is not a number"):
        validate("100")


def test_one_of_text_choices() -> None:
    validate = OneOf(("relax", "sleep"))
    assert validate("sleep") == "sleep"
    with pytest.raises(ValueError, match=r"^'calm' is not allowed; allowed: relax, sleep$"):
        validate("calm")


def test_float_choices_match_the_pga_table() -> None:
    validate = SCHEMA["hardware.gsr.full_scale_v"].validate
    assert validate(2.048) == 2.048
    with pytest.raises(ValueError, match=r"allowed: 6\.144, 4\.096, 2\.048"):
        validate(3.3)


def test_i2c_address_range_shown_in_hex() -> None:
    validate = I2cAddress()
    assert validate(0x03) == 3 and validate(0x77) == 0x77
    with pytest.raises(ValueError, match=r"^0x78 is out of range; allowed: 0x03\.\.0x77$"):
        validate(0x78)
    with pytest.raises(ValueError, match="quoted; write the address unquoted: 0x57"):
        validate("0x57")


def test_ads1115_address_only_where_the_addr_pin_can_put_it() -> None:
    validate = SCHEMA["hardware.gsr.address"].validate
    assert validate(0x4B) == 0x4B
    with pytest.raises(ValueError, match=r"allowed: 0x48\.\.0x4B"):
        validate(0x57)


def test_ble_addresses() -> None:
    validate = BleAddressList()
    assert validate(["a0:9e:1a:12:34:56"]) == ("A0:9E:1A:12:34:56",)
    assert validate([]) == ()
    with pytest.raises(ValueError, match="'A0-9E-1A-12-34-56'"):
        validate(["A0-9E-1A-12-34-56", "A0:9E:1A:12:34:57"])
    with pytest.raises(ValueError, match="listed twice"):
        validate(["A0:9E:1A:12:34:56", "a0:9e:1a:12:34:56"])
    with pytest.raises(ValueError, match="is not a list"):
        validate("A0:9E:1A:12:34:56")


def test_paths_and_text() -> None:
    assert FilePath()("/var/lib/attune") == Path("/var/lib/attune")
    with pytest.raises(ValueError, match="not an absolute path"):
        FilePath()("var/lib/attune")
    assert FilePath(absolute=False)("music") == Path("music")
    adapter = SCHEMA["hardware.ble_hr.adapter"].validate
    assert adapter("hci1") == "hci1"
    with pytest.raises(ValueError, match="expected an adapter name like hci0"):
        adapter("bluetooth0")
    with pytest.raises(ValueError, match="is not text"):
        Text()("")


def test_max30102_timing_table() -> None:
    (rule,) = [r for r in CROSS_CHECKS if "hardware.ppg.pulse_width_us" in r.keys]
    allowed = {
        (rate, width)
        for rate in MAX30102_SAMPLE_RATES_SPS
        for width in MAX30102_PULSE_WIDTHS_US
        if rule.check({"hardware.ppg.sample_rate": rate, "hardware.ppg.pulse_width_us": width})
        is None
    }
    # The datasheet's SpO2-mode table: longer pulses leave room for fewer samples per second.
    assert (400, 411) in allowed and (800, 411) not in allowed
    assert (800, 215) in allowed and (1000, 215) not in allowed
    assert (1000, 118) in allowed and (1600, 118) not in allowed
    assert (1600, 69) in allowed and (3200, 69) not in allowed
    assert len(allowed) == sum(
        sum(1 for r in MAX30102_SAMPLE_RATES_SPS if r <= limit)
        for limit in MAX30102_SPO2_MAX_SAMPLE_RATE_SPS.values()
    )

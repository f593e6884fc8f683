"""`attune hw check` against the register-level emulators, gpiozero's mock pins, a WAV sink and
the real bleak stack on a fake BlueZ."""

from __future__ import annotations

import itertools
import wave
from pathlib import Path

import numpy as np
import pytest

from appliance.cli import main
from appliance.clock import SimulatedClock
from appliance.config import Config, load_config
from appliance.hwcheck.checks import run_checks
from appliance.hwcheck.probes import (
    FAIL,
    OK,
    SKIP,
    TONE_BELOW_CAP_DB,
    TONE_NOTE_S,
    TONE_NOTES_HZ,
    CheckResult,
    check_wearables,
    format_table,
)
from appliance.parts import open_bus
from appliance.simulate.listener import demo_listener
from drivers.gpio import make_pin_factory

PROJECT = Path(__file__).resolve().parents[3]
EMULATED = PROJECT / "config" / "examples" / "emulated.yaml"
STRAP = "C0:FF:EE:00:00:01"
ABSENT_STRAP = "C0:FF:EE:00:00:09"


def emulated_config(tmp_path: Path, extra: str = "") -> Path:
    """config/examples/emulated.yaml with its state in tmp_path, plus `extra` YAML."""
    text = EMULATED.read_text().replace("/tmp/attune-emulated", str(tmp_path / "state"))
    path = tmp_path / "attune.yaml"
    path.write_text(text + extra)
    return path


def rows(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.name: r for r in results}


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(emulated_config(tmp_path))


def test_every_part_passes_on_the_emulators(config: Config, tmp_path: Path) -> None:
    results = run_checks(config, clock=SimulatedClock(), skip={"ble"})

    by_name = rows(results)
    assert [r.status for r in results] == [OK] * 6, format_table(results)
    assert by_name["MAX30102 PPG (0x57)"].detail.startswith("PART_ID 0x15")
    gsr = by_name["ADS1115 + GSR (0x48)"].detail
    microsiemens = float(gsr.split("=")[1].split()[0])
    assert 0.5 < microsiemens < 50.0, gsr  # the demo listener's skin, not a rail
    assert (tmp_path / "state" / "hw-check-tone.wav").exists()


def test_an_absent_sensor_is_a_fail_row_with_the_remedy(config: Config) -> None:
    clock = SimulatedClock()
    bus = open_bus(config, clock, demo_listener())
    bus.detach(0x57)  # the finger sensor's cable is off

    results = run_checks(config, clock=clock, bus=bus, skip={"audio", "gpio", "ble"})

    ppg = rows(results)["MAX30102 PPG (0x57)"]
    assert ppg.status == FAIL
    assert "i2cdetect -y 1" in ppg.remedy and "show 57" in ppg.remedy
    assert rows(results)["ADS1115 + GSR (0x48)"].status == OK
    table = format_table(results)
    assert "FAIL" in table and "→ check the MAX30102 wiring" in table


def test_an_absent_adc_fails_and_says_how_to_wire_it(config: Config) -> None:
    clock = SimulatedClock()
    bus = open_bus(config, clock, demo_listener())
    bus.detach(0x48)

    gsr = rows(run_checks(config, clock=clock, bus=bus, skip={"audio", "gpio", "ble"}))
    assert gsr["ADS1115 + GSR (0x48)"].status == FAIL
    assert "SIG to AIN0" in gsr["ADS1115 + GSR (0x48)"].remedy


def test_an_unopenable_bus_fails_once_and_skips_the_devices(tmp_path: Path) -> None:
    if Path("/dev/i2c-31").exists():
        pytest.skip("this machine has an I2C bus 31")
    path = tmp_path / "real.yaml"
    path.write_text("hardware:\n  i2c_bus: 31\n")
    config = load_config(path)

    results = run_checks(config, clock=SimulatedClock(), skip={"audio", "gpio", "ble"})

    assert [r.status for r in results] == [FAIL, SKIP, SKIP]
    assert "raspi-config nonint do_i2c 0" in results[0].remedy


def test_the_tone_is_the_chime_under_the_level_cap(config: Config, tmp_path: Path) -> None:
    tone = tmp_path / "tone.wav"
    run_checks(config, clock=SimulatedClock(), skip={"i2c", "gpio", "ble"}, tone_file=tone)

    with wave.open(str(tone)) as w:
        rate = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
    left = pcm[:, 0] / 32767.0
    assert len(left) == round(TONE_NOTE_S * rate) * len(TONE_NOTES_HZ)
    expected_peak = 10 ** ((config.audio.max_level_dbfs - TONE_BELOW_CAP_DB) / 20)
    assert np.max(np.abs(left)) == pytest.approx(expected_peak, rel=0.01)
    note = round(TONE_NOTE_S * rate)
    for i, hz in enumerate(TONE_NOTES_HZ):
        spectrum = np.abs(np.fft.rfft(left[i * note : (i + 1) * note]))
        peak_hz = np.argmax(spectrum) * rate / note
        assert peak_hz == pytest.approx(hz, abs=rate / note)


def test_the_led_blinks_three_times_on_the_configured_pin(config: Config) -> None:
    clock = SimulatedClock()
    factory = make_pin_factory("mock", clock=clock.now)

    results = run_checks(config, clock=clock, pin_factory=factory, skip={"i2c", "audio", "ble"})

    assert [r.status for r in results] == [OK, OK]
    led_pin = factory.pin(config.hardware.gpio.led_pin)
    levels = [s.state for s in led_pin.states]
    rises = sum(1 for a, b in itertools.pairwise(levels) if a == 0 and b == 1)
    assert rises == 3
    assert all(s.timestamp == pytest.approx(0.3) for s in led_pin.states[2:])


# -- wearables through bleak and a fake BlueZ --------------------------------------------------
def test_wearables_disabled_or_unlisted_are_skipped() -> None:
    assert [r.status for r in check_wearables([], adapter="hci0")] == [SKIP]


def test_a_scan_that_cannot_reach_bluez_fails_with_the_remedy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/no-bus")
    extra = f"  ble_hr:\n    enabled: true\n    addresses: [{STRAP}]\n"
    path = emulated_config(tmp_path, "")
    path.write_text(path.read_text().replace("hardware:\n", "hardware:\n" + extra, 1))

    code = main(["--config", str(path), "hw", "check", "--skip", "gpio", "--ble-timeout", "1"])

    out = capsys.readouterr().out
    assert code == 1
    assert "BLE wearables" in out and "FAIL" in out and "systemctl status bluetooth" in out
    assert "MAX30102 PPG (0x57)   OK" in out


def test_cli_prints_the_table_and_exits_0_when_all_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--config", str(emulated_config(tmp_path)), "hw", "check", "--skip", "gpio"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.splitlines()[0].split() == ["Check", "Result", "Detail"]
    assert "BLE wearables" in out and "SKIP" in out


def test_scan_finds_the_configured_strap_and_reports_the_missing_one() -> None:
    pytest.importorskip("dbusmock", reason="python-dbusmock not installed")
    from drivers.emulated.fake_bluez import FakeBluez, dbus_daemon_available

    if not dbus_daemon_available():
        pytest.skip("dbus-daemon not found (Debian package dbus): no private bus for the fake")
    with FakeBluez() as bluez:
        ours = bluez.add_heart_rate_device(STRAP, "Polar H10 OURS")
        neighbour = bluez.add_heart_rate_device("C0:FF:EE:00:00:02", "Polar H10 NEIGHBOUR")

        results = check_wearables([STRAP.lower(), ABSENT_STRAP], adapter="hci0", timeout_s=1.5)

        assert [r.status for r in results] == [OK, FAIL]
        assert "Polar H10 OURS" in results[0].detail
        assert "bluetoothctl scan on" in results[1].remedy
        assert ours.connect_calls == 0 and neighbour.connect_calls == 0  # a scan, never a connect

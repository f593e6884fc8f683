import stat

import numpy as np
import pytest

from appliance.cli import main as attune
from appliance.music.calibration import (
    REFERENCE_DBFS,
    load_calibration,
    master_cap_dbfs,
    pink_noise,
    save_calibration,
)
from appliance.music.levels import rms_dbfs


def test_pink_noise_level_and_slope():
    rate = 44100
    noise = pink_noise(10.0, rate)
    steady = noise[rate:-rate]
    assert rms_dbfs(steady) == pytest.approx(REFERENCE_DBFS, abs=0.2)
    power = np.abs(np.fft.rfft(steady[:, 0].astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(steady), 1 / rate)

    def band_db(low):
        return 10 * np.log10(power[(freqs >= low) & (freqs < 2 * low)].sum())

    # Pink: equal energy per octave.
    assert band_db(250) == pytest.approx(band_db(2000), abs=1.0)
    assert abs(noise[0, 0]) < 1e-4  # faded in


def test_calibration_sets_the_cap_and_persists_privately(tmp_path):
    assert load_calibration(tmp_path) is None
    assert master_cap_dbfs(-12.0, 70.0, None) == -12.0
    saved = save_calibration(tmp_path, 64.0, "default")
    assert stat.S_IMODE((tmp_path / "audio_calibration.json").stat().st_mode) == 0o600
    loaded = load_calibration(tmp_path)
    assert loaded == saved
    # -20 dBFS gave 64 dB(A): 70 dB(A) is -14 dBFS, under the configured -12.
    assert master_cap_dbfs(-12.0, 70.0, loaded) == pytest.approx(-14.0)
    assert master_cap_dbfs(-18.0, 70.0, loaded) == pytest.approx(-18.0)
    with pytest.raises(ValueError):
        save_calibration(tmp_path, 300.0, "default")


def test_calibrate_command_records_the_reading(tmp_path, capsys):
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {tmp_path / 'state'}\n")
    args = ["--config", str(config), "music", "calibrate", "--no-play", "--spl", "66"]
    assert attune(args) == 0
    assert "-16.0 dBFS" in capsys.readouterr().out
    assert load_calibration(tmp_path / "state").measured_spl_db == 66.0


def test_calibrate_with_stdin_closed_says_so_and_saves_nothing(tmp_path, capsys, monkeypatch):
    import io

    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {tmp_path / 'state'}\n")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # `attune music calibrate </dev/null`
    assert attune(["--config", str(config), "music", "calibrate", "--no-play"]) == 2
    err = capsys.readouterr().err
    assert "no meter reading: standard input is closed; nothing was saved" in err
    assert "--spl" in err
    assert not (tmp_path / "state").exists()

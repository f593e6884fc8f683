from pathlib import Path

import numpy as np
import pytest

from appliance.signals import hrv
from appliance.signals.ppg import bandpass, detect_beats, peak_times_s
from appliance.signals.quality import eda_quality
from appliance.signals.rr_correct import correct_rr
from models.e4 import load_e4

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
STRESS_PREDICT = DATA / "stress_predict"
S02 = STRESS_PREDICT / "Raw_data" / "S02"
LABELS = STRESS_PREDICT / "Processed_data" / "Improved_All_Combined_hr_rsp_binary.csv"
needs_data = pytest.mark.skipif(
    not (S02 / "BVP.csv").exists(), reason=f"Stress-Predict data not found at {STRESS_PREDICT}"
)


def test_load_e4_layout(tmp_path):
    (tmp_path / "BVP.csv").write_text("1600000000.000000\n64.000000\n" + "1.5\n-2.0\n3.25\n")
    (tmp_path / "EDA.csv").write_text("1600000000.000000\n4.000000\n0.000000\n0.62\n")
    (tmp_path / "IBI.csv").write_text("1600000000.000000, IBI\n10.5,0.8125\n11.25,0.75\n")
    (tmp_path / "tags_S99.csv").write_text("1600000100.5\n1600000200\n")
    rec = load_e4(tmp_path)
    assert rec.start_unix == 1600000000.0 and rec.bvp_fs == 64.0 and rec.eda_fs == 4.0
    np.testing.assert_array_equal(rec.bvp, [1.5, -2.0, 3.25])
    np.testing.assert_array_equal(rec.bvp_blood_volume_up, [-1.5, 2.0, -3.25])
    np.testing.assert_array_equal(rec.eda, [0.0, 0.62])
    np.testing.assert_array_equal(rec.ibi_times, [10.5, 11.25])
    np.testing.assert_array_equal(rec.ibi_s, [0.8125, 0.75])
    np.testing.assert_allclose(rec.ibi_beat_times, [9.6875, 10.5, 11.25])
    assert rec.tags == [1600000100.5, 1600000200.0]


def test_load_e4_without_ibi_or_tags(tmp_path):
    (tmp_path / "BVP.csv").write_text("1600000000\n64\n1\n2\n")
    (tmp_path / "EDA.csv").write_text("1600000000\n4\n0.5\n")
    (tmp_path / "tags_S98.csv").write_text("")
    rec = load_e4(tmp_path)
    assert rec.ibi_s.size == 0 and rec.tags == []
    with pytest.raises(FileNotFoundError):
        load_e4(tmp_path / "missing")


def test_load_e4_trims_signals_that_start_apart_to_their_common_start(tmp_path, caplog):
    # EDA starts 2 s after BVP (a converted recording): BVP's first 2 s (8 samples at 4 Hz)
    # and the beats inside them are dropped so both signals share one clock.
    (tmp_path / "BVP.csv").write_text("1600000000\n4\n" + "\n".join(map(str, range(20))) + "\n")
    (tmp_path / "EDA.csv").write_text("1600000002\n4\n0.5\n0.6\n0.7\n")
    (tmp_path / "IBI.csv").write_text("1600000000, IBI\n2.5,0.8\n3.5,1.0\n")
    rec = load_e4(tmp_path)
    assert rec.start_unix == 1600000002.0
    np.testing.assert_array_equal(rec.bvp[:2], [8, 9])
    np.testing.assert_array_equal(rec.eda, [0.5, 0.6, 0.7])
    np.testing.assert_allclose(rec.ibi_times, [1.5])  # 2.5 s opened before the common start
    assert "both are read from 1600000002.000" in caplog.text


def test_load_e4_refuses_signals_that_never_overlap(tmp_path):
    (tmp_path / "BVP.csv").write_text("1600000000\n64\n1\n2\n")
    (tmp_path / "EDA.csv").write_text("1600003600\n4\n0.5\n")
    with pytest.raises(ValueError, match="do not overlap"):
        load_e4(tmp_path)


def calm_seconds(participant: int) -> set[int]:
    """Unix seconds the dataset's authors labelled rest (0) for one participant."""
    data = np.loadtxt(LABELS, delimiter=",", skiprows=1, usecols=(0, 3, 4))
    rows = data[(data[:, 0] == participant) & (data[:, 2] == 0)]
    return set(rows[:, 1].astype(int).tolist())


@needs_data
def test_s02_beats_match_the_e4_ibi_beats_in_calm_stretches():
    rec = load_e4(S02)
    fs = rec.bvp_fs
    x = bandpass(rec.bvp_blood_volume_up, fs)
    ours = peak_times_s(x, fs, detect_beats(x, fs))
    reference = rec.ibi_beat_times
    calm = calm_seconds(2)
    in_calm = np.array([int(rec.start_unix + b) in calm for b in reference])
    reference = reference[in_calm]
    assert reference.size > 100
    nearest = np.abs(ours[:, None] - reference[None, :]).min(axis=0)
    assert np.mean(nearest <= 0.050) > 0.9
    # Each calm interval the E4 reported is one of ours, of the same length.
    closing = rec.ibi_times[np.array([int(rec.start_unix + b) in calm for b in rec.ibi_times])]
    ibi = rec.ibi_s[np.isin(rec.ibi_times, closing)]
    j = np.searchsorted(ours, closing - 0.05)
    ours_ibi = ours[np.clip(j, 1, ours.size - 1)] - ours[np.clip(j - 1, 0, ours.size - 2)]
    assert np.mean(np.abs(ours_ibi - ibi) <= 0.050) > 0.85
    cleaned = correct_rr(ours_ibi).rr_s
    assert hrv.hr_bpm(cleaned) == pytest.approx(60 / np.mean(ibi), abs=2)


@needs_data
def test_s02_eda_is_plausible():
    rec = load_e4(S02)
    assert rec.eda_fs == 4.0 and len(rec.tags) > 0
    ten_minutes = rec.eda[int(600 * rec.eda_fs) : int(1200 * rec.eda_fs)]
    assert eda_quality(ten_minutes) > 0.9


GOOD_BVP = "1600000000\n64\n" + "0.5\n" * 128
GOOD_EDA = "1600000000\n4\n" + "0.5\n" * 8


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "BVP.csv",
            "1600000000\n0\n1\n2\n",
            "BVP.csv line 2: sample rate 0 Hz; expected 1 to 1024",
        ),
        ("BVP.csv", "1600000000\n1e12\n1\n", "(the E4 writes 64 Hz)"),
        ("EDA.csv", "1600000000\n-4\n0.5\n", "EDA.csv line 2: sample rate -4 Hz"),
        ("BVP.csv", "1600000000\nnan\n1\n", "BVP.csv line 2: expected the sample rate in Hz"),
        ("BVP.csv", "1600000000\n", "line 2: expected the sample rate in Hz, found nothing"),
        ("EDA.csv", "", "EDA.csv line 1: expected the start time in UTC unix seconds"),
        ("BVP.csv", "soon\n64\n1\n", "BVP.csv line 1: expected the start time in UTC unix seconds"),
        ("BVP.csv", "1e300\n64\n1\n", "line 1: start time 1e+300 is not a UTC unix time"),
        ("BVP.csv", "1600000000\n64\n1\nfoo\n", "BVP.csv: samples from line 3 on must be numbers"),
        ("BVP.csv", "1600000000\n64\n", "BVP.csv: no samples after the two header lines"),
        (
            "IBI.csv",
            "1600000000, IBI\n1\n2\n",
            "IBI.csv: rows from line 2 on must be 't_offset, ibi'",
        ),
        ("tags_S1.csv", "pressed\n", "tags_S1.csv line 1: expected a UTC unix time"),
    ],
)
def test_signals_analyse_refuses_a_malformed_e4_folder_naming_file_and_line(
    tmp_path, capsys, name, text, expected
):
    from appliance import cli

    (tmp_path / "BVP.csv").write_text(GOOD_BVP)
    (tmp_path / "EDA.csv").write_text(GOOD_EDA)
    (tmp_path / name).write_text(text)
    assert cli.main(["signals", "analyse", "--e4", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("attune: cannot read E4 recording") and expected in err
    assert "Traceback" not in err

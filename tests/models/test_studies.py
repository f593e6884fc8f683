"""The second study's layout (wearable_stress_v1), its phases and self-reports."""

import math
from pathlib import Path

import numpy as np
import pytest
from model_synth import write_e4_subject

from models import studies
from models.recordings import load_subject
from models.replay import ReplaySettings

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
WEARABLE = DATA / "wearable_stress_v1"
# The protocol's order with its gaps: baseline (first 60 s unlabelled), Stroop, first rest,
# TMCT, second rest, then three short tasks with unlabelled time between them.
ROWS = [
    (60, 300, 0),
    (300, 360, 1),
    (360, 480, 0),
    (480, 540, 1),
    (540, 620, 0),
    (620, 640, 1),
    (660, 680, 1),
    (700, 720, 1),
]
REPORTS = "3,5,3,6,2,6,7,7"


@pytest.fixture(scope="module")
def wearable(tmp_path_factory):
    root = tmp_path_factory.mktemp("wearable_stress_v1")
    header = ",Baseline,Stroop,First Rest,TMCT,Second Rest,Real Opinion,Opposite Opinion,Subtract"
    reports = [header]
    for k, name in enumerate(("S01", "S03")):
        stress = [(a, b) for a, b, label in ROWS if label]
        write_e4_subject(root / name, 740.0, stress, seed=k, labels_csv=False)
        rows = "\n".join(f"{a:.1f},{b:.1f},{label}" for a, b, label in ROWS)
        (root / name / "labels.csv").write_text("start_s,end_s,label\n" + rows + "\n")
        reports.append(f"{name},{REPORTS}")
    reports.append("S02,1,1,1,1,1,1,1,1")  # a person without recordings is ignored
    (root / "Stress_Level_v1.csv").write_text("\n".join(reports) + "\n")
    return root


def test_the_layout_is_told_apart(wearable, tmp_path):
    assert studies.detect_layout(wearable) == studies.WEARABLE_STRESS_V1
    sp = tmp_path / "sp"
    (sp / "Processed_data").mkdir(parents=True)
    (sp / "Processed_data" / "Improved_All_Combined_hr_rsp_binary.csv").write_text(
        "Participant,HR,respr,Time(sec),Label\n"
    )
    assert studies.detect_layout(sp) == studies.STRESS_PREDICT
    assert studies.detect_layout(tmp_path / "empty") == studies.E4_GENERIC


def test_sessions_carry_phases_labels_and_self_reports(wearable):
    sessions = studies.load_study(wearable, cache_dir=None)
    assert [s.name for s in sessions] == ["S01", "S03"]
    s = sessions[0]
    assert [p.name for p in s.phases] == list(studies.PHASES[studies.WEARABLE_STRESS_V1])
    assert (s.phases[0].start_s, s.phases[0].end_s, s.phases[1].label) == (60.0, 300.0, 1)
    assert s.self_report["TMCT"] == 6.0 and len(s.self_report) == 8
    # The device's calibration: the recording's first 180 s, never scored.
    assert s.t_end.min() > 180.0 and len(s.x) == len(s.t_end) == len(s.y) == len(s.phase)
    # Each window sits in the phase its end falls in; unlabelled time is not scored.
    stroop = s.phase == 1
    assert stroop.any() and np.all((s.t_end[stroop] > 300) & (s.t_end[stroop] <= 360))
    assert np.all(s.phase[(s.t_end > 640) & (s.t_end <= 660)] == -1)
    assert np.isnan(s.y).any() and set(np.unique(s.y_labelled)) == {0, 1}


def test_phases_follow_runs_of_labels_and_are_named_in_order():
    ps = np.r_[np.full(5, np.nan), np.zeros(10), np.ones(5), np.zeros(5), np.full(3, np.nan)]
    named = studies.phases_from_labels(ps, ("Baseline", "Task", "Rest"))
    assert [(p.name, p.start_s, p.end_s, p.label) for p in named] == [
        ("Baseline", 5.0, 15.0, 0),
        ("Task", 15.0, 20.0, 1),
        ("Rest", 20.0, 25.0, 0),
    ]
    generic = studies.phases_from_labels(ps, ("only one name",))
    assert [p.name for p in generic] == ["rest 1", "task 1", "rest 2"]


def test_self_reports_are_read_per_subject_and_phase(tmp_path):
    f = tmp_path / "Stress_Level_v1.csv"
    f.write_text(",Baseline,Stroop\nS01,3.00,4.50\nS05,1,\n")
    assert studies.read_self_reports(f) == {
        "S01": {"Baseline": 3.0, "Stroop": 4.5},
        "S05": {"Baseline": 1.0},
    }


@pytest.mark.skipif(not WEARABLE.is_dir(), reason="../shared/data/wearable_stress_v1 is absent")
def test_the_real_second_study_reads_in_protocol_order():
    assert studies.detect_layout(WEARABLE) == studies.WEARABLE_STRESS_V1
    assert studies.detect_layout(DATA / "stress_predict") == studies.STRESS_PREDICT
    reports = studies.read_self_reports(WEARABLE / "Stress_Level_v1.csv")
    assert len(reports) == 18 and reports["S01"]["Subtract"] == 7.0
    rec = load_subject(WEARABLE / "S01", None, None, None, ReplaySettings(), "S01")
    s = studies.to_session(rec, studies.WEARABLE_STRESS_V1, self_report=reports["S01"])
    names = [p.name for p in s.phases]
    assert names == list(studies.PHASES[studies.WEARABLE_STRESS_V1])
    # The baseline phase's first 60 s are unlabelled; the calibration is the first 180 s.
    assert s.phases[0].start_s == 60.0 and s.t_end.min() > 180.0
    assert math.isclose(float(np.mean(s.y_labelled)), 65 / 343, abs_tol=0.05)

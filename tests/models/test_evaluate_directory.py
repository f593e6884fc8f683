import json
from pathlib import Path

import numpy as np
import pytest
from model_synth import write_e4_subject

from appliance import cli
from models.evaluate_directory import evaluate_directory
from models.recordings import discover_subjects, load_directory, subject_names

pytest.importorskip("ai_edge_litert", reason="the LiteRT runtime (ai-edge-litert) is needed")
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "stress_predict"
STRESS = [(300.0, 420.0), (540.0, 660.0)]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """Two subjects in the per-subject labels.csv format, of different lengths, one with an
    IBI file and one without, plus a folder with no labels at all."""
    root = tmp_path_factory.mktemp("study")
    write_e4_subject(root / "P1", 720.0, STRESS, seed=1)
    write_e4_subject(root / "nested" / "P2", 780.0, STRESS, seed=2, with_ibi=True)
    write_e4_subject(root / "P3", 400.0, [(300.0, 360.0)], seed=3, labels_csv=False)
    return root


def test_every_e4_folder_is_found_and_unlabelled_ones_are_skipped(study):
    assert [p.name for p in discover_subjects(study)] == ["P1", "P3", "P2"]
    subjects = load_directory(study)
    assert sorted(s.name for s in subjects) == ["P1", "nested/P2"]
    for s in subjects:
        assert set(np.unique(s.labels[np.isfinite(s.labels)])) == {0.0, 1.0}


def test_subjects_are_named_by_their_path_below_the_study():
    root = Path("/data/study")
    sp = [root / "Raw_data" / "S02", root / "Raw_data" / "S03"]
    assert subject_names(sp) == ["S02", "S03"]
    # Another study keeps each person's E4 files in a folder of the same name.
    assert subject_names([root / "P01" / "E4", root / "P02" / "E4"]) == ["P01/E4", "P02/E4"]
    assert subject_names([root / "S07"]) == ["S07"]
    assert subject_names([root, root / "P2"]) == ["study", "P2"]


def test_cli_eval_prints_metrics_as_json_on_the_last_line(study, capsys):
    assert cli.main(["model", "eval", "--data", str(study)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(last)
    assert result["n_subjects"] == 2
    for key in ("balanced_accuracy", "macro_f1", "auroc", "per_subject", "ci95"):
        assert key in result
    assert 0.0 <= result["balanced_accuracy"] <= 1.0
    # HR and skin conductance jump during the synthetic stress: the model must see it.
    assert result["auroc"] > 0.7


def test_cli_eval_prints_the_peer_beside_the_model_on_the_same_windows(study, capsys):
    assert cli.main(["model", "eval", "--data", str(study)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    peer = result["peer"]
    assert peer["n_windows"] == result["n_windows"] and peer["n_subjects"] == 2
    for key in ("balanced_accuracy", "sensitivity", "specificity", "auroc"):
        assert key in peer and key in peer["ci95"] and key in result["ci95"]
    assert set(result["model_minus_peer"]) == {"balanced_accuracy", "auroc"}
    assert result["layout"] == "e4"
    table = "\n".join(lines[:-1])
    assert "model" in table and "peer" in table and "model − peer" in table


def test_cli_eval_needs_a_folder_or_two_studies(capsys):
    assert cli.main(["model", "eval"]) == 2
    assert "--data DIR" in capsys.readouterr().err


def test_cli_eval_reports_an_empty_directory_clearly(tmp_path, capsys):
    assert cli.main(["model", "eval", "--data", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no labelled subject" in err


@pytest.mark.slow
@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/stress_predict is not present")
def test_shipped_model_on_two_stress_predict_subjects(tmp_path):
    """The Stress-Predict layout (labels file under Processed_data) read through symlinks."""
    from appliance.affect.model_runtime import AffectModel

    (tmp_path / "Raw_data").mkdir()
    (tmp_path / "Processed_data").symlink_to(DATA.resolve() / "Processed_data")
    for name in ("S05", "S06"):
        (tmp_path / "Raw_data" / name).symlink_to(DATA.resolve() / "Raw_data" / name)
    result = evaluate_directory(tmp_path, AffectModel())
    assert result["n_subjects"] == 2
    assert result["auroc"] > 0.6  # these two were in training: a sanity check, not a metric


def test_cli_cross_study_says_it_needs_tensorflow(tmp_path, capsys):
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("TensorFlow is installed: --cross would train the network")
    assert cli.main(["model", "eval", "--cross", str(tmp_path), str(tmp_path)]) == 2
    assert "pip install -e '.[train]'" in capsys.readouterr().err

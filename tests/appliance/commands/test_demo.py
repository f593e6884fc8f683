"""`attune demo --out DIR` starts a fresh database in DIR: it must never wipe a real one."""

from appliance import cli
from appliance.app import DB_NAME
from appliance.commands.demo import DEMO_CONFIG, foreign_contents


def test_demo_refuses_a_state_folder_and_leaves_its_database_alone(tmp_path, capsys):
    (tmp_path / DB_NAME).write_bytes(b"a real listener's sessions")
    (tmp_path / "music").mkdir()
    assert cli.main(["demo", "--out", str(tmp_path), "--minutes", "5"]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path} holds more than a previous demo's output (music)" in err
    assert (tmp_path / DB_NAME).read_bytes() == b"a real listener's sessions"
    assert sorted(p.name for p in tmp_path.iterdir()) == [DB_NAME, "music"]


def test_demo_refuses_a_folder_whose_demo_yaml_is_not_the_demos(tmp_path, capsys):
    (tmp_path / "demo.yaml").write_text("device:\n  state_dir: /var/lib/attune\n")
    (tmp_path / DB_NAME).write_bytes(b"sessions")
    assert cli.main(["demo", "--out", str(tmp_path)]) == 1
    assert f"({DB_NAME})" in capsys.readouterr().err
    assert (tmp_path / DB_NAME).read_bytes() == b"sessions"


def test_a_previous_demos_output_and_a_new_folder_are_accepted(tmp_path):
    assert foreign_contents(tmp_path / "new", DB_NAME) == []
    assert foreign_contents(tmp_path, DB_NAME) == []  # empty
    (tmp_path / "demo.yaml").write_text(DEMO_CONFIG.format(out=tmp_path, goal="relax", minutes=5))
    for name in ("session.wav", "report.png", DB_NAME, DB_NAME + "-wal", DB_NAME + ".lock"):
        (tmp_path / name).write_bytes(b"")
    assert foreign_contents(tmp_path, DB_NAME) == []
    (tmp_path / "notes.txt").write_text("mine")
    assert foreign_contents(tmp_path, DB_NAME) == ["notes.txt"]

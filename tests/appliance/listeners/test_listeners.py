from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from appliance.listeners import choose_listener, load_listeners, parse_slot

PROJECT = Path(__file__).resolve().parents[3]

GOOD = """\
id: L-0042
goal: sleep
session_min: 30
constraint: no_minor
consent:
  given: true
  date: 2024-05-01
wearable: a0:9e:1a:12:34:56
dementia: true
breathing_guide: true
schedule: ["mon-fri 14:00-15:00", "sun 10:00-10:30"]
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_the_shipped_example_is_valid() -> None:
    profiles, problems = load_listeners(PROJECT / "config" / "listeners")
    assert problems == []
    assert [p.id for p in profiles] == ["L-0001"]
    assert profiles[0].default and not profiles[0].keeps_data


def test_a_full_profile_reads_typed(tmp_path: Path) -> None:
    write(tmp_path, "l42.yaml", GOOD)
    (p,), problems = load_listeners(tmp_path)
    assert problems == []
    assert (p.id, p.goal, p.session_min, p.constraint) == ("L-0042", "sleep", 30.0, "no_minor")
    assert p.consent.given and p.consent.date == date(2024, 5, 1)
    assert p.wearable == "A0:9E:1A:12:34:56"
    assert p.dementia and p.breathing_guide and len(p.schedule) == 2
    seq = p.for_sequencer()
    assert (seq.goal, seq.constraint, seq.dementia) == ("sleep", "no_minor", True)


def test_every_problem_is_reported_with_file_line_and_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        "id: Jane Doe\ngoal: relax\nconsent:\n  given: yes\ncolour: blue\nsession_min: 500\n",
    )
    profiles, problems = load_listeners(tmp_path)
    assert profiles == []
    text = [str(p) for p in problems]
    assert any(t.startswith(f"{path}:1: id:") and "pseudonymous" in t for t in text)
    assert any(t.startswith(f"{path}:4: consent.given:") and "true or false" in t for t in text)
    assert any(t.startswith(f"{path}:5: colour: unknown key") for t in text)
    assert any(t.startswith(f"{path}:6: session_min:") for t in text)


def test_profiles_sharing_an_id_or_wearable_are_all_skipped_naming_each_other(
    tmp_path: Path,
) -> None:
    a = write(tmp_path, "a.yaml", GOOD)
    b = write(tmp_path, "b.yaml", GOOD.replace("a0:9e", "b0:9e"))
    c = write(tmp_path, "c.yaml", GOOD.replace("L-0042", "L-0043"))
    write(tmp_path, "d.yaml", "id: L-0050\ngoal: relax\nconsent: {given: false}\n")
    profiles, problems = load_listeners(tmp_path)
    assert [p.id for p in profiles] == ["L-0050"]
    text = sorted(str(p) for p in problems)
    assert text == sorted(
        [
            f"{a}: id: L-0042 is also the id of {b}; skipped until only one has it",
            f"{b}: id: L-0042 is also the id of {a}; skipped until only one has it",
            f"{a}: wearable: A0:9E:1A:12:34:56 is also the wearable of {c}; "
            "skipped until only one has it",
            f"{c}: wearable: A0:9E:1A:12:34:56 is also the wearable of {a}; "
            "skipped until only one has it",
        ]
    )


def test_a_second_default_loads_but_is_not_the_default(tmp_path: Path) -> None:
    base = "goal: relax\nconsent: {given: false}\ndefault: true\n"
    first = write(tmp_path, "a.yaml", "id: L-0001\n" + base)
    second = write(tmp_path, "b.yaml", "id: L-0002\n" + base)
    profiles, problems = load_listeners(tmp_path)
    assert [(p.id, p.default) for p in profiles] == [("L-0001", True), ("L-0002", False)]
    assert [str(p) for p in problems] == [
        f"{second}: default: {first} is already the default; this profile is not used as one"
    ]


def test_yml_profiles_are_read_like_yaml_ones(tmp_path: Path) -> None:
    write(tmp_path, "a.yml", "id: L-0001\ngoal: relax\nconsent: {given: false}\n")
    write(tmp_path, "b.yaml", "id: L-0002\ngoal: sleep\nconsent: {given: false}\n")
    write(tmp_path, "notes.txt", "not a profile")
    profiles, problems = load_listeners(tmp_path)
    assert problems == []
    assert [p.id for p in profiles] == ["L-0001", "L-0002"]


def test_consent_cannot_be_given_in_the_future(tmp_path: Path) -> None:
    path = write(tmp_path, "l42.yaml", GOOD)
    today = date(2024, 4, 30)
    profiles, problems = load_listeners(tmp_path, today=today)
    assert profiles == []
    assert [str(p) for p in problems] == [
        f"{path}:7: consent.date: 2024-05-01 is in the future; today is 2024-04-30"
    ]
    assert load_listeners(tmp_path, today=date(2024, 5, 1))[1] == []


def test_missing_folder_means_no_profiles(tmp_path: Path) -> None:
    assert load_listeners(tmp_path / "none") == ([], [])


def test_listeners_check_and_list_say_a_missing_folder_does_not_exist(tmp_path: Path, capsys):
    # The service reads a missing folder as no profiles; the technician's check must not
    # pass a misspelt listeners.dir as "0 problems".
    from appliance.cli import main as attune

    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {tmp_path / 'state'}\n")
    (tmp_path / "a-file").write_text("not a folder")
    for action in ("check", "list"):
        assert (
            attune(["--config", str(config), "listeners", action, "--dir", str(tmp_path / "none")])
            == 1
        )
        err = capsys.readouterr().err
        assert f"the profiles folder {tmp_path / 'none'} does not exist (listeners.dir" in err
    assert (
        attune(["--config", str(config), "listeners", "check", "--dir", str(tmp_path / "a-file")])
        == 1
    )
    assert f"{tmp_path / 'a-file'} is not a folder" in capsys.readouterr().err


def test_schedule_slots() -> None:
    slot = parse_slot("Mon-Fri 14:00-15:00")
    assert slot.contains(datetime(2024, 5, 6, 14, 30))  # a Monday
    assert not slot.contains(datetime(2024, 5, 5, 14, 30))  # a Sunday
    assert not slot.contains(datetime(2024, 5, 6, 15, 0))
    weekend_wrap = parse_slot("sat-mon 09:00-10:00")
    assert weekend_wrap.contains(datetime(2024, 5, 6, 9, 0))
    for bad in ("14:00-13:00", "someday 10:00-11:00", "25:00-26:00", 12):
        try:
            parse_slot(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} accepted")


def test_choice_wearable_then_schedule_then_default(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    write(
        tmp_path,
        "b.yaml",
        "id: L-0007\ngoal: relax\nconsent: {given: false}\nschedule: ['10:00-11:00']\n",
    )
    write(tmp_path, "c.yaml", "id: L-0009\ngoal: relax\nconsent: {given: false}\ndefault: true\n")
    profiles, problems = load_listeners(tmp_path)
    assert problems == []
    at_ten = datetime(2024, 5, 6, 10, 15)
    chosen, why = choose_listener(profiles, wearable="a0:9e:1a:12:34:56", now_local=at_ten)
    assert chosen.id == "L-0042" and "wearable" in why
    assert choose_listener(profiles, wearable=None, now_local=at_ten)[0].id == "L-0007"
    night = datetime(2024, 5, 6, 23, 0)
    assert choose_listener(profiles, wearable=None, now_local=night)[0].id == "L-0009"
    assert choose_listener(profiles[:1], wearable=None, now_local=night)[0] is None


def test_an_age_band_is_kept_and_a_birth_date_is_refused(tmp_path) -> None:
    from appliance.listeners.profile import parse_profile

    base = "id: L-0007\ngoal: relax\nconsent: {given: false}\n"
    ok = tmp_path / "ok.yaml"
    ok.write_text(base + "age_band: 80+\n")
    profile, problems = parse_profile(ok)
    assert problems == [] and profile is not None and profile.age_band == "80+"
    bad = tmp_path / "bad.yaml"
    bad.write_text(base + "age_band: 1941-03-02\nbirth_date: 1941-03-02\n")
    profile, problems = parse_profile(bad)
    assert profile is None
    by_key = {p.key: p.message for p in problems}
    assert "18-39" in by_key["age_band"] and by_key["birth_date"].startswith("unknown key")


def test_an_old_profile_with_music_dir_is_refused_saying_what_to_do(tmp_path, capsys) -> None:
    from appliance.cli import main as attune

    folder = tmp_path / "listeners"
    path = write(folder, "l42.yaml", GOOD + "music_dir: /srv/music/L-0042\n")
    profiles, problems = load_listeners(folder)
    assert profiles == []
    [problem] = problems
    assert (problem.line, problem.key) == (12, "music_dir")
    assert "attune music import --listener <id> FOLDER" in problem.message
    config = tmp_path / "attune.yaml"
    config.write_text(f"device:\n  state_dir: {tmp_path / 'state'}\n")
    code = attune(["--config", str(config), "listeners", "check", "--dir", str(folder)])
    _, err = capsys.readouterr()
    assert code != 0 and f"{path}:12: music_dir: is no longer used" in err
    assert "Traceback" not in err

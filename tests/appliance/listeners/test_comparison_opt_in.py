"""The comparison is opt-in per listener, needs consent, and a compared listener's session is
built with the drawn policy and records it."""

from __future__ import annotations

from pathlib import Path

from appliance.app import build
from appliance.clock import SimulatedClock
from appliance.config import load_config
from appliance.listeners.comparison import SEQUENCER_POLICY
from appliance.listeners.profile import parse_profile

BASE = "id: L-0100\ngoal: relax\ncompare_adaptation: {flag}\nconsent: {consent}\n"
GIVEN = "{given: true, date: 2024-05-01}"


def _profile(tmp_path: Path, flag: str, consent: str):
    path = tmp_path / "p.yaml"
    path.write_text(BASE.format(flag=flag, consent=consent))
    return parse_profile(path)


def test_the_comparison_needs_consent_and_a_yes_or_no(tmp_path: Path) -> None:
    profile, problems = _profile(tmp_path, "true", GIVEN)
    assert problems == [] and profile is not None and profile.compare_adaptation
    profile, problems = _profile(tmp_path, "true", "{given: false}")
    assert profile is None
    assert [(p.key, p.line) for p in problems] == [("compare_adaptation", 3)]
    assert "needs consent" in problems[0].message
    profile, problems = _profile(tmp_path, "maybe", GIVEN)
    assert profile is None and problems[0].key == "compare_adaptation"


def test_a_compared_listeners_sessions_are_drawn_and_recorded(tmp_path: Path) -> None:
    config = tmp_path / "attune.yaml"
    config.write_text(
        f"device:\n  state_dir: {tmp_path / 'state'}\nhardware:\n  emulated: true\n"
        "audio:\n  output: wav\n"
    )
    appliance = build(load_config(config), SimulatedClock())
    compared, _ = _profile(tmp_path, "true", GIVEN)
    plain, _ = _profile(tmp_path, "false", GIVEN)
    sink = appliance.make_sink(tmp_path / "s.wav")
    sensors = appliance.open_sensors()
    try:
        drawn = []
        for _ in range(4):
            session = appliance.new_session(sensors=sensors, sink=sink, profile=compared)
            plan = session.plan
            assert plan.randomised
            assert session.sequencer.policy == SEQUENCER_POLICY[plan.policy]
            drawn.append(plan.policy)
            # What the session's run records first, so the next draw sees it.
            appliance.store.start_session(
                plan.listener_id, plan.goal, 60, policy=plan.policy, randomised=True
            )
        assert sorted(drawn) == ["adaptive", "adaptive", "u_sequence", "u_sequence"]
        session = appliance.new_session(sensors=sensors, sink=sink, profile=plain)
        assert (session.plan.policy, session.plan.randomised) == ("adaptive", False)
    finally:
        sensors.close()
        sink.close()
        appliance.close()

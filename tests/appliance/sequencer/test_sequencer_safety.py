"""The physiology guard on its own: step back, then stop and alert; limits; poor windows."""

from __future__ import annotations

from appliance.sequencer.safety import Action, SafetyGuard


def feed(guard: SafetyGuard, hrs: list[float], baseline: float = 70.0, quality: float = 0.9):
    return [guard.update(5.0 * i, hr, baseline, quality) for i, hr in enumerate(hrs)]


def test_hr_above_the_margin_for_the_margin_time_steps_back_once() -> None:
    guard = SafetyGuard(margin_bpm=25, margin_s=60)
    verdicts = feed(guard, [100.0] * 12 + [100.0])  # 0..60 s at +30 bpm
    actions = [v.action for v in verdicts]
    assert actions[:12] == [Action.OK] * 12 and actions[12] is Action.STEP_BACK
    assert "stepping back" in verdicts[12].reason


def test_a_short_excursion_or_an_interrupted_streak_does_nothing() -> None:
    guard = SafetyGuard(margin_bpm=25, margin_s=60)
    hrs = ([100.0] * 8 + [80.0]) * 4
    assert all(v.action is Action.OK for v in feed(guard, hrs))


def test_still_rising_after_the_step_back_stops_and_alerts() -> None:
    guard = SafetyGuard(margin_bpm=25, margin_s=60)
    verdicts = feed(guard, [100.0] * 13 + [103.0, 106.0])
    assert verdicts[12].action is Action.STEP_BACK
    assert verdicts[14].action is Action.STOP and "still rising" in verdicts[14].reason
    assert guard.stopped
    assert guard.update(100.0, 200.0, 70.0, 0.9).action is Action.OK  # stops only once


def test_still_elevated_a_margin_time_after_the_step_back_stops() -> None:
    guard = SafetyGuard(margin_bpm=25, margin_s=60)
    verdicts = feed(guard, [100.0] * 26)
    stops = [i for i, v in enumerate(verdicts) if v.action is Action.STOP]
    assert stops == [24]


def test_absolute_limits_stop_after_two_windows_without_a_baseline() -> None:
    guard = SafetyGuard(max_bpm=150, min_bpm=40)
    assert guard.update(0.0, 160.0, None, 0.9).action is Action.OK  # one window may be a glitch
    verdict = guard.update(10.0, 161.0, None, 0.9)
    assert verdict.action is Action.STOP and "150 bpm limit" in verdict.reason
    low = SafetyGuard(max_bpm=150, min_bpm=40)
    assert [v.action for v in feed(low, [35.0, 35.0, 35.0], baseline=None)][-1] is Action.STOP


def test_poor_quality_and_missing_hr_never_trigger() -> None:
    guard = SafetyGuard()
    assert all(v.action is Action.OK for v in feed(guard, [200.0] * 30, quality=0.2))
    assert all(guard.update(t, None, 70.0, 0.9).action is Action.OK for t in range(0, 300, 5))

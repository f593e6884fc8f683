"""A listener's sessions across time, in figures and in words: what the trend page shows.

Per session: estimated arousal and heart rate at the start and the end (the session outcome's
one definition), alerts, and the music the session played most. Across sessions: the trend of
calming (how far arousal fell) with its uncertainty, the music the device has learned this
listener prefers, the clinician's assessments and, for a listener in the comparison, its
result. No matplotlib here: the page (trend_page.py) draws this.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from appliance.report.compare import Comparison, compare_listener
from appliance.report.outcomes import session_outcomes
from appliance.report.stats import LEVEL, Estimate, robust_slope
from appliance.sequencer import arms as A
from appliance.sequencer.learning import ListenerLearning
from appliance.store.assessments import Assessment, Assessments
from appliance.store.bandit_state import LearningStore
from appliance.store.db import Store

MIN_TREND_SESSIONS = 4  # a slope through fewer points says nothing a clinician should read
RECENT_SESSIONS = 10  # "preferred in 7 of the last 10 sessions"
NOT_MUSIC_PHASES = ("calibration", "safety-hold")


@dataclass(frozen=True)
class SessionPoint:
    session_id: int
    started: datetime  # in the device's time zone
    status: str
    arousal_pre: float | None
    arousal_post: float | None
    hr_pre: float | None
    hr_post: float | None
    alerts: int
    policy: str | None
    music: A.Arm | None  # what the session played longest, outside calibration

    arousal_change: float | None  # the session outcome's change (post − pre)

    @property
    def calming(self) -> float | None:
        """How far estimated arousal fell (positive: calmer at the end)."""
        return None if self.arousal_change is None else -self.arousal_change


@dataclass
class Trend:
    listener_id: str
    sessions: list[SessionPoint]
    slope: Estimate  # calming per session
    assessments: list[Assessment] = field(default_factory=list)
    preference: list[str] = field(default_factory=list)  # sentences
    comparison: Comparison | None = None

    @property
    def measured(self) -> list[SessionPoint]:
        return [s for s in self.sessions if s.calming is not None]

    def trend_words(self) -> str:
        n = len(self.measured)
        if n < MIN_TREND_SESSIONS:
            return (
                f"Trend: not yet enough measured sessions ({n} of the {MIN_TREND_SESSIONS} needed)."
            )
        s = self.slope
        interval = f"{LEVEL:.0%} interval {s.low:+.3f} to {s.high:+.3f}"
        if s.low > 0:
            return (
                f"Sessions calm this listener more as they go on: calming grows by "
                f"{s.value:.3f} a session ({interval})."
            )
        if s.high < 0:
            return (
                f"Sessions calm this listener less as they go on: calming shrinks by "
                f"{-s.value:.3f} a session ({interval})."
            )
        return f"No clear trend: calming changes by {s.value:+.3f} a session ({interval})."

    def average_words(self) -> str:
        measured = [s.calming for s in self.measured]
        if not measured:
            return "No session has a measured change in arousal yet."
        mean = sum(measured) / len(measured)  # type: ignore[arg-type]
        fell = sum(1 for c in measured if c > 0)  # type: ignore[operator]
        return (
            f"Estimated arousal fell in {fell} of {len(measured)} sessions, by {mean:.2f} on "
            "average (0-1 scale)."
        )

    def alert_words(self) -> str:
        alerted = [s for s in self.sessions if s.alerts]
        if not alerted:
            return "Staff alerts: none."
        days = ", ".join(s.started.strftime("%-d %b") for s in alerted)
        total = sum(s.alerts for s in alerted)
        return f"Staff alerts: {total}, in {len(alerted)} session(s) ({days})."

    def assessment_words(self) -> str:
        if not self.assessments:
            return "Clinician assessments: none recorded (attune listeners assess)."
        latest: dict[str, Assessment] = {}
        for a in self.assessments:
            latest[a.scale.key] = a
        parts = [f"{a.scale.title} {a.score} on {a.on:%-d %b %Y}" for a in latest.values()]
        return "Latest assessments: " + "; ".join(parts) + "."


def arm_words(arm: A.Arm) -> str:
    if arm.instrument == A.PERSONAL:
        return "their own music"
    words = [arm.instrument, arm.mode]
    if arm.texture != "standard":
        words.append(arm.texture)
    return ", ".join(words)


def session_music(decisions: list[dict]) -> A.Arm | None:
    """The arm a session played longest outside calibration (the sequencer names the arm it
    chose in each decision's reason; a decision without one counts by its recipe)."""
    played: Counter[A.Arm] = Counter()
    for d in decisions:
        if d["phase"] in NOT_MUSIC_PHASES or d["duration_s"] <= 0:
            continue
        arm = _arm_in(d["reason"])
        if arm is None:
            recipe = d["recipe"]
            if recipe.get("source") == "silence":
                continue
            arm = A.Arm(
                A.PERSONAL if recipe.get("source") == "file" else recipe["instrument"],
                A.ANY_MODE if recipe.get("source") == "file" else recipe["mode"],
            )
        played[arm] += d["duration_s"]
    return played.most_common(1)[0][0] if played else None


_KEYS = {arm.key: arm for arm in A.ALL_ARMS}


def _arm_in(reason: str) -> A.Arm | None:
    for part in reversed(reason.split("; ")):
        word = part.split(" ", 1)[0].rstrip(":")
        if word in _KEYS:
            return _KEYS[word]
    return None


def preference_words(store: Store, listener_id: str, points: list[SessionPoint]) -> list[str]:
    """What the device has learned this listener prefers, in words: the music its adaptive
    sessions played most lately, and what its learning rates highest now."""
    adaptive = [p for p in points if p.policy != "u_sequence" and p.music is not None]
    recent = adaptive[-RECENT_SESSIONS:]
    if not recent:
        return ["Music preference: nothing learned yet (no session of adaptive music recorded)."]
    (arm, count), *_ = Counter(p.music for p in recent).most_common(1)
    lines = [
        f"Preferred music: {arm_words(arm)} (played most in {count} of the last "
        f"{len(recent)} sessions)."  # type: ignore[arg-type]
    ]
    learning = ListenerLearning(LearningStore(store), listener_id)
    if learning.bandit.evidence.n > 0:
        allowed = [
            a
            for a in A.ALL_ARMS
            if f"generated:{a.instrument}/{a.mode}" not in learning.quarantined
        ]
        mean, _, _ = learning.bandit.posterior()
        best = max(allowed, key=lambda a: float(A.arm_vector(a) @ mean[: A.N_ARM_FEATURES]))
        sure = learning.bandit.probability_better(best, A.DEFAULT_ARM)
        if best == A.DEFAULT_ARM:
            lines.append(f"The device's learning rates the default ({arm_words(best)}) highest.")
        else:
            lines.append(
                f"The device's learning rates {arm_words(best)} highest: {sure:.0%} sure it "
                f"calms more than the default ({arm_words(A.DEFAULT_ARM)})."
            )
    return lines


def listener_trend(store: Store, listener_id: str, *, tz: tzinfo | None = None) -> Trend:
    policies = store.policies(listener_id)
    points = [
        SessionPoint(
            session_id=o.session_id,
            started=o.started_utc.astimezone(tz),
            status=o.status,
            arousal_pre=o.arousal.shown_pre,
            arousal_post=o.arousal.shown_post,
            arousal_change=o.arousal.change,
            hr_pre=o.heart_rate.shown_pre,
            hr_post=o.heart_rate.shown_post,
            alerts=o.alerts,
            policy=policies.get(o.session_id, (None, False))[0],
            music=session_music(store.decisions(o.session_id)),
        )
        for o in session_outcomes(store, listener_id=listener_id, tz=tz or UTC)
    ]
    measured = [(i, p.calming) for i, p in enumerate(points) if p.calming is not None]
    slope = robust_slope([i + 1 for i, _ in measured], [c for _, c in measured])
    comparison = compare_listener(store, listener_id)
    return Trend(
        listener_id=listener_id,
        sessions=points,
        slope=slope,
        assessments=Assessments(store).of(listener_id),
        preference=preference_words(store, listener_id, points),
        comparison=comparison if comparison.sessions else None,
    )

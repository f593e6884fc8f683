"""A virtual listener: closed-loop physiology that responds to the music it hears.

Arousal A (0..1) follows first-order dynamics, dA/dt = (target - A)/tau, where the target comes
from the music (see response.py). From A the listener derives heart rate, HRV, breathing and
skin conductance, and renders raw MAX30102-like PPG counts and conductance in µS at whatever
sample times the sensor emulators ask for. Every trait is at arousal 0 unless it says otherwise.

Time advances lazily on a fixed grid as queries arrive (ascending, from two emulators at
different rates); only HISTORY_S seconds are kept, so memory stays bounded over any session.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from appliance.music.recipe import Recipe
from appliance.simulate import physiology as phys
from appliance.simulate.response import ResponseFn, music_target_arousal
from appliance.simulate.traits import ListenerTraits  # and from here, as evaluations import it

GRID_S = 0.25  # arousal/breathing/tonic-EDA grid; far finer than tau
PREROLL_S = 10.0  # history made up before the first contact, for slightly earlier queries
HISTORY_S = 300.0  # how far behind the newest simulated time a query may still reach
SCL_TAU_S = 20.0  # tonic conductance lags arousal (sweat gland filling, Boucsein 2012)
BREATHING_RISE = 0.4  # breathing rate +40 % from arousal 0 to 1
RMSSD_FALL = 0.6  # RMSSD -60 % from arousal 0 to 1 (vagal withdrawal, Thayer & Lane 2000)
LF_HZ, LF_DEPTH = 0.1, 0.01  # Mayer-wave RR modulation (baroreflex), fraction of RR
SCR_BASE_PER_MIN = 1.0  # non-specific SCRs at arousal 0
SCR_MEAN_AMPLITUDE_US = 0.15
PPG_WANDER_DEPTH = 0.004  # slow baseline wander, fraction of DC
PPG_RIIV_DEPTH = 0.002  # respiration-induced intensity variation, fraction of DC
RED_PERFUSION_RATIO = 0.5  # red AC/DC over IR AC/DC: R ~ 0.5 at SpO2 ~ 98 %
MOTION_DEPTH = 0.05  # motion artefact amplitude, fraction of DC


class VirtualListener:
    def __init__(self, traits: ListenerTraits, response: ResponseFn = music_target_arousal) -> None:
        self.traits = traits
        self._response = response
        # Separate streams, so how queries are chunked never changes what is drawn.
        grid_seed, beat_seed, shape_seed = np.random.SeedSequence(traits.seed).spawn(3)
        self._rng = np.random.default_rng(grid_seed)  # arousal noise, SCR and motion events
        self._beat_rng = np.random.default_rng(beat_seed)  # RR jitter
        shape_rng = np.random.default_rng(shape_seed)
        self._schedule: list[tuple[float, Recipe | None]] = []  # (from t, music), ascending
        self._gt: list[float] = []  # grid times
        self._ga: list[float] = []  # arousal
        self._gb: list[float] = []  # breathing phase, cycles
        self._gs: list[float] = []  # tonic skin conductance, µS
        self._beats: list[float] = []
        self._scrs: list[tuple[float, float]] = []  # (onset, amplitude µS)
        self._motions: list[tuple[float, float, float, float]] = []  # onset, dur, freq, phase
        self._wander_hz = shape_rng.uniform(0.01, 0.06, 3)
        self._wander_phase = shape_rng.uniform(0, 2 * np.pi, 3)
        self._lf_phase = float(shape_rng.uniform(0, 2 * np.pi))
        self._noise_key = int(shape_rng.integers(1 << 30))

    # --- inputs ---------------------------------------------------------------------------
    def hear(self, recipe: Recipe | None, t: float) -> None:
        """From time t the listener hears `recipe` (None: silence). Time already simulated is
        not rewritten: the change then applies from the end of the simulated time."""
        self._start(t)
        self._schedule = [s for s in self._schedule if s[0] < t]
        self._schedule.append((t, recipe))

    # --- truth, for evaluation ------------------------------------------------------------
    def true_arousal(self, t: float) -> float:
        self._advance_to(t)
        return _interp1(self._gt, self._ga, t)

    def beat_times_between(self, t0: float, t1: float) -> np.ndarray:
        self._beats_until(t1)
        beats = np.asarray(self._beats)
        return beats[(beats >= t0) & (beats < t1)]

    # --- signal protocols for the sensor emulators ----------------------------------------
    def ppg(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw (red, ir) MAX30102-like counts at ascending sample times t."""
        t = np.asarray(t, dtype=np.float64)
        if len(t) == 0:
            return np.zeros(0), np.zeros(0)
        self._check_history(t[0])
        self._beats_until(t[-1])
        tr = self.traits
        volume = phys.blood_volume(t, np.asarray(self._beats))
        breath = np.cos(2 * np.pi * np.interp(t, self._gt, self._gb))
        wander = phys.slow_wander(t, self._wander_hz, self._wander_phase)
        motion = self._motion(t)
        common = PPG_WANDER_DEPTH * wander + PPG_RIIV_DEPTH * breath + MOTION_DEPTH * motion
        channels = []
        for dc, depth, key in (
            (tr.red_dc_counts, tr.perfusion_index * RED_PERFUSION_RATIO, 1),
            (tr.ir_dc_counts, tr.perfusion_index, 2),
        ):
            noise = tr.ppg_noise * depth * phys.time_noise(t, self._noise_key + key)
            # More blood absorbs more light: both raw channels dip on each pulse.
            channels.append(phys.to_counts(dc * (1.0 + common - depth * volume + noise)))
        return channels[0], channels[1]

    def conductance(self, t: np.ndarray) -> np.ndarray:
        """Skin conductance in µS at ascending sample times t."""
        t = np.asarray(t, dtype=np.float64)
        if len(t) == 0:
            return np.zeros(0)
        self._check_history(t[0])
        self._advance_to(t[-1])
        tonic = np.interp(t, self._gt, self._gs)
        onsets = np.array([s[0] for s in self._scrs])
        amplitudes = np.array([s[1] for s in self._scrs])
        phasic = phys.scr_sum(t, onsets, amplitudes)
        noise = self.traits.eda_noise_us * phys.time_noise(t, self._noise_key + 3)
        return np.maximum(tonic + phasic + noise, 0.01)

    # --- derived physiology ---------------------------------------------------------------
    def _breathing_bpm(self, arousal: float) -> float:
        return self.traits.breathing_rate_bpm * (1.0 + BREATHING_RISE * arousal)

    def _next_rr(self, tb: float) -> float:
        """The interval after a beat at tb: HR from arousal, with RSA at the breathing rate."""
        tr = self.traits
        arousal = _interp1(self._gt, self._ga, tb)
        rr0 = 60.0 / (tr.baseline_hr_bpm + tr.hr_gain_bpm * arousal)
        f_breath = self._breathing_bpm(arousal) / 60.0
        target = tr.baseline_rmssd_ms / 1000.0 * (1.0 - RMSSD_FALL * arousal)
        jitter = tr.hr_jitter_ms / 1000.0
        # RMSSD of a sinusoidal modulation sampled once per beat: sqrt(2)·rr0·a·sin(pi·f·rr0).
        # Size the RSA depth so that RSA, Mayer waves and jitter together give the target.
        lf = math.sqrt(2) * rr0 * LF_DEPTH * math.sin(math.pi * LF_HZ * rr0)
        rsa = math.sqrt(max(target**2 - 2 * jitter**2 - lf**2, (0.25 * target) ** 2))
        depth = rsa / (math.sqrt(2) * rr0 * max(math.sin(math.pi * f_breath * rr0), 0.05))
        phase = _interp1(self._gt, self._gb, tb)
        rr = rr0 * (
            1.0
            + depth * math.sin(2 * math.pi * phase)
            + LF_DEPTH * math.sin(2 * math.pi * LF_HZ * tb + self._lf_phase)
        )
        return float(np.clip(rr + jitter * self._beat_rng.standard_normal(), 0.25, 2.0))

    # --- lazy time advance ----------------------------------------------------------------
    def _start(self, t: float) -> None:
        if self._gt:
            return
        t0 = t - PREROLL_S
        tr = self.traits
        self._gt, self._ga, self._gb = [t0], [tr.start_arousal], [0.0]
        self._gs = [tr.baseline_scl_us + tr.scl_gain * tr.start_arousal]
        self._beats = [t0 + float(self._beat_rng.uniform(0, 0.5))]

    def _check_history(self, t: float) -> None:
        self._start(t)
        if t < self._gt[0]:
            raise ValueError(
                f"sample time {t:.3f} s is before the listener's kept history "
                f"(from {self._gt[0]:.3f} s; queries must ascend)"
            )

    def _music_at(self, t: float) -> Recipe | None:
        current: Recipe | None = None
        for start, recipe in self._schedule:
            if start > t:
                break
            current = recipe
        return current

    def _advance_to(self, t: float) -> None:
        self._start(t)
        tr = self.traits
        keep = int(HISTORY_S / GRID_S)
        while self._gt[-1] < t:
            t0, a = self._gt[-1], self._ga[-1]
            target = self._response(self._music_at(t0), tr)
            decay = math.exp(-GRID_S / tr.tau_s)
            a_next = target + (a - target) * decay
            a_next += tr.arousal_noise * math.sqrt(GRID_S) * self._rng.standard_normal()
            a_next = min(max(a_next, 0.0), 1.0)
            scl_target = tr.baseline_scl_us + tr.scl_gain * a
            scl = scl_target + (self._gs[-1] - scl_target) * math.exp(-GRID_S / SCL_TAU_S)
            self._gt.append(t0 + GRID_S)
            self._ga.append(a_next)
            self._gb.append(self._gb[-1] + self._breathing_bpm(a) / 60.0 * GRID_S)
            self._gs.append(scl)
            self._spawn_events(t0, a)
            if len(self._gt) > 2 * keep:
                self._forget(len(self._gt) - keep)
        # Drop the music schedule already behind us, keeping the entry now playing.
        while len(self._schedule) > 1 and self._schedule[1][0] <= self._gt[-1]:
            self._schedule.pop(0)

    def _spawn_events(self, t0: float, arousal: float) -> None:
        tr = self.traits
        scr_rate = (SCR_BASE_PER_MIN + tr.scr_rate_gain * arousal) / 60.0
        if self._rng.random() < scr_rate * GRID_S:
            amplitude = SCR_MEAN_AMPLITUDE_US * (0.5 + arousal) * self._rng.exponential()
            self._scrs.append((t0 + self._rng.uniform(0, GRID_S), min(amplitude, 2.0)))
        if self._rng.random() < tr.motion_artefacts_per_min / 60.0 * GRID_S:
            self._motions.append(
                (
                    t0 + self._rng.uniform(0, GRID_S),
                    self._rng.uniform(1.0, 4.0),
                    self._rng.uniform(0.8, 3.0),
                    self._rng.uniform(0, 2 * np.pi),
                )
            )

    def _forget(self, n: int) -> None:
        del self._gt[:n], self._ga[:n], self._gb[:n], self._gs[:n]
        start = self._gt[0]
        first = bisect.bisect_left(self._beats, start - 2 * phys.PULSE_SPAN_S)
        del self._beats[: min(first, len(self._beats) - 1)]  # keep the latest beat
        self._scrs = [s for s in self._scrs if s[0] + phys.SCR_SPAN_S >= start]
        self._motions = [m for m in self._motions if m[0] + m[1] >= start]

    def _beats_until(self, t: float) -> None:
        self._advance_to(t)
        while self._beats[-1] <= t:
            self._beats.append(self._beats[-1] + self._next_rr(self._beats[-1]))

    def _motion(self, t: np.ndarray) -> np.ndarray:
        out = np.zeros_like(t)
        for onset, duration, freq, phase in self._motions:
            if onset <= t[-1] and onset + duration >= t[0]:
                out += phys.motion_artefact(t, onset, duration, freq, phase)
        return out


def _interp1(xs: list[float], ys: list[float], x: float) -> float:
    """Linear interpolation at one point on an ascending grid (clamped at the ends)."""
    i = bisect.bisect_right(xs, x)
    if i <= 0:
        return ys[0]
    if i >= len(xs):
        return ys[-1]
    x0, x1 = xs[i - 1], xs[i]
    return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - x0) / (x1 - x0)


def demo_listener(seed: int = 0) -> VirtualListener:
    """A moderately stressed listener (HR ~92 at the start) who calms with slow, soft music."""
    return VirtualListener(
        ListenerTraits(
            baseline_hr_bpm=64.0,
            hr_gain_bpm=40.0,
            baseline_rmssd_ms=50.0,
            baseline_scl_us=2.5,
            scl_gain=5.0,
            scr_rate_gain=8.0,
            breathing_rate_bpm=11.0,
            tau_s=150.0,
            start_arousal=0.7,
            rest_arousal=0.5,
            tempo_sensitivity=1.3,
            preferred_instruments=("strings",),
            seed=seed,
        )
    )

"""Live physiology: sensor batches in, one WindowFeatures every `update_s` out.

Memory is bounded and history is never re-processed:
- PPG is resampled onto a uniform grid (NaN across gaps) held in a ring of window + overlap.
  Beats are detected incrementally: each pass filters only the new data plus PPG_OVERLAP_S of
  context, decides beats up to PPG_GUARD_S before the newest sample (their filter edge is not
  settled yet), and drops any beat within the refractory period of one already found.
- EDA arrives at any rate and is averaged onto a 4 Hz grid (a ring of one window).
- Resampling is deferred (buffers.DeferredGrid): a push queues its samples and only predicts
  the grid's extent, so detection and updates resample many small batches in one pass. The
  values are the same as resampling each batch; numpy's fixed cost per call is what is saved.
- RR intervals from a BLE strap are chained into beat times; they take precedence over PPG
  beats when they cover enough of the window (an ECG strap times beats better than a PPG).

The first minute: `update` returns None until FIRST_WINDOW_S have passed since the start
(`now_start`, or the first data or update seen), then features over everything since the
start, growing to `window_s`. A sensor with less than MIN_COVERED_S of data in the window gives
NaN features and quality 0. Cardiac features lag the window's end by PPG_GUARD_S.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

import numpy as np

from appliance.signals import windows
from appliance.signals.buffers import DeferredGrid
from appliance.signals.eda import EDA_FS_HZ
from appliance.signals.features import WindowFeatures
from appliance.signals.ppg import REFRACTORY_S, bandpass, detect_beats
from drivers.sources import GsrBatch, PpgBatch

FIRST_WINDOW_S = 20.0
PPG_MAX_GAP_S = 0.25  # longer without a sample: a gap, never interpolated across a beat
PPG_OVERLAP_S = 4.0  # context re-filtered before new data (the 0.5 Hz high-pass settles)
PPG_GUARD_S = 1.5  # newest data whose beats wait for more context
PPG_DETECT_EVERY_S = 10.0  # detect during pushes too, so the ring never outruns detection
EDA_MAX_GAP_S = 1.0  # EDA changes slowly: interpolate across shorter holes
STRAP_MAX_DRIFT_S = 2.0  # chained strap beat times this far from the clock: re-anchor, break
BUFFER_MARGIN_S = 2.0
PPG_CHANNELS = ("ir", "red")


class PhysiologyStream:
    def __init__(
        self,
        *,
        window_s: float = 60.0,
        update_s: float = 5.0,
        ppg_fs: float = 100.0,
        now_start: float | None = None,
    ) -> None:
        if window_s < FIRST_WINDOW_S:
            raise ValueError(f"window_s must be at least {FIRST_WINDOW_S} s: {window_s}")
        self.window_s = float(window_s)
        self.update_s = float(update_s)
        self.ppg_fs = float(ppg_fs)
        self._start = now_start
        self._last_update: float | None = None
        ppg_span_s = window_s + PPG_OVERLAP_S + PPG_GUARD_S + PPG_DETECT_EVERY_S + BUFFER_MARGIN_S
        self._ppg = DeferredGrid(ppg_fs, PPG_MAX_GAP_S, math.ceil(ppg_span_s * ppg_fs))
        self._beats: deque[int] = deque()  # absolute PPG grid indices, increasing
        self._detected_until = 0  # beats before this grid index are final
        self._beat_times: np.ndarray | None = None  # beat_times() until the beats change
        eda_capacity = math.ceil((window_s + BUFFER_MARGIN_S) * EDA_FS_HZ)
        self._eda = DeferredGrid(EDA_FS_HZ, EDA_MAX_GAP_S, eda_capacity, 0.5 / EDA_FS_HZ)
        self._strap: deque[tuple[float, float]] = deque()  # (beat time, RR s); NaN RR = break
        self._strap_last_beat: float | None = None

    # ---- input -------------------------------------------------------------------------

    def push_ppg(self, batch: PpgBatch, channel: str = "ir") -> None:
        """Add PPG samples. Both MAX30102 channels fall as blood volume rises: inverted here."""
        if channel not in PPG_CHANNELS:
            raise ValueError(f"unknown PPG channel {channel!r}; expected one of {PPG_CHANNELS}")
        if len(batch) == 0:
            return
        self._note_data(float(batch.t[0]))
        # Copies (the negation is one): a driver may reuse its buffers.
        t = np.array(batch.t, dtype=float)
        self._ppg.push(t, -np.asarray(getattr(batch, channel), dtype=float))
        self._detected_until = max(self._detected_until, self._ppg.start_index)
        if self._ppg.end_index - self._detected_until >= PPG_DETECT_EVERY_S * self.ppg_fs:
            self._detect_new_beats()
        while self._beats and self._beats[0] < self._ppg.start_index:
            self._beats.popleft()
            self._beat_times = None

    def push_gsr(self, batch: GsrBatch) -> None:
        """Add skin conductance samples (µS, NaN = electrodes off) at whatever rate they come."""
        if len(batch) == 0:
            return
        self._note_data(float(batch.t[0]))
        t = np.array(batch.t, dtype=float)  # copies: a driver may reuse its buffers
        self._eda.push(t, np.array(batch.microsiemens, dtype=float))

    def push_rr(self, t: float, rr_s: Sequence[float]) -> None:
        """Add RR intervals (s) from one strap notification received at `t`, oldest first."""
        rr = np.asarray(rr_s, dtype=float)
        rr = rr[np.isfinite(rr) & (rr > 0)]
        if rr.size == 0:
            return
        self._note_data(t - float(rr.sum()))
        # The last interval ends at about `t`; chaining from the previous beat keeps the exact
        # spacing a strap reports, while the clock catches drop-outs and notification delay.
        chained = None if self._strap_last_beat is None else self._strap_last_beat + np.cumsum(rr)
        if chained is not None and abs(chained[-1] - t) <= STRAP_MAX_DRIFT_S:
            beats = chained
        else:
            beats = t - (rr.sum() - np.cumsum(rr))
            if self._strap:
                self._strap.append((float(beats[0]) - float(rr[0]), math.nan))
        for beat, interval in zip(beats, rr, strict=True):
            if self._strap_last_beat is None or beat > self._strap_last_beat:
                self._strap.append((float(beat), float(interval)))
                self._strap_last_beat = float(beat)
        oldest = t - self.window_s - BUFFER_MARGIN_S
        while self._strap and self._strap[0][0] < oldest:
            self._strap.popleft()

    # ---- output ------------------------------------------------------------------------

    def update(self, now: float) -> WindowFeatures | None:
        """Features for the window ending at `now`, or None when it is not time yet."""
        if self._start is None:
            self._start = now
        if now - self._start < FIRST_WINDOW_S:
            return None
        if self._last_update is not None and now - self._last_update < self.update_s - 1e-9:
            return None
        self._last_update = now
        window_s = min(self.window_s, now - self._start)
        self._detect_new_beats()
        cardiac = self._strap_features(now, window_s)
        if cardiac is None:
            cardiac = self._ppg_features(now, window_s)
        eda = self._eda_features(now, window_s)
        return windows.window_features(now, window_s, cardiac, eda)

    def buffer_sizes(self) -> dict[str, int]:
        """Lengths of every buffer the stream holds (health checks and tests)."""
        return {
            "ppg_grid": len(self._ppg),
            "ppg_pending": self._ppg.pending,
            "ppg_beats": len(self._beats),
            "eda_grid": len(self._eda),
            "eda_pending": self._eda.pending,
            "strap_rr": len(self._strap),
        }

    def beat_times(self) -> np.ndarray:
        """Times (s) of the PPG beats still held, oldest first."""
        if self._ppg.t0 is None:
            return np.empty(0)
        if self._beat_times is None:  # cached: callers poll this after every batch
            self._beat_times = self._ppg.t0 + np.asarray(self._beats, dtype=float) / self.ppg_fs
            self._beat_times.flags.writeable = False
        return self._beat_times

    # ---- internals ---------------------------------------------------------------------

    def _note_data(self, t: float) -> None:
        if self._start is None:
            self._start = t

    def _detect_new_beats(self) -> None:
        fs = self.ppg_fs
        end = self._ppg.end_index
        decide_until = end - round(PPG_GUARD_S * fs)
        if decide_until <= self._detected_until:
            return
        chunk_start = max(self._ppg.start_index, self._detected_until - round(PPG_OVERLAP_S * fs))
        chunk = self._ppg.window(chunk_start, end)
        refractory = round(REFRACTORY_S * fs)
        for a, b in windows.finite_runs(chunk):
            if b - a < windows.MIN_FINITE_RUN_S * fs:
                continue
            # A run closed by a gap will get no more data: its beats are final up to its end.
            limit = decide_until if b == chunk.size else chunk_start + b
            peaks = chunk_start + a + detect_beats(bandpass(chunk[a:b], fs), fs)
            for p in peaks:
                if not self._detected_until <= p < limit:
                    continue
                if not self._beats or p - self._beats[-1] >= refractory:
                    self._beats.append(int(p))
                    self._beat_times = None
        self._detected_until = decide_until

    def _ppg_features(self, now: float, window_s: float) -> windows.CardiacFeatures:
        if self._ppg.t0 is None:
            return windows.CardiacFeatures()
        fs = self.ppg_fs
        stop = math.floor(self._ppg.grid_index_at(now)) + 1
        lag = int(np.clip(stop - self._detected_until, 0, round(PPG_GUARD_S * fs)))
        stop -= lag
        start = stop - round(window_s * fs)
        grid = self._ppg.window(start, stop)
        undecided = max(0, self._detected_until - start)
        grid[undecided:] = np.nan  # beats there are not decided yet
        beats = np.asarray(self._beats, dtype=np.int64)
        beats = beats[(beats >= start) & (beats < stop)] - start
        return windows.cardiac_from_ppg(grid, fs, beats)

    def _strap_features(self, now: float, window_s: float) -> windows.CardiacFeatures | None:
        if not self._strap:
            return None
        data = np.array(self._strap)
        inside = (data[:, 0] > now - window_s) & (data[:, 0] <= now)
        rr = data[inside, 1]
        covered_s = float(np.nansum(rr))
        if covered_s < windows.MIN_COVERED_S:
            return None
        coverage = min(1.0, covered_s / window_s)
        return windows.cardiac_from_rr(rr, coverage, n_beats=int(np.count_nonzero(np.isfinite(rr))))

    def _eda_features(self, now: float, window_s: float) -> windows.EdaFeatures:
        if self._eda.t0 is None:
            return windows.EdaFeatures()
        stop = math.floor(self._eda.grid_index_at(now)) + 1
        start = stop - round(window_s * EDA_FS_HZ)
        return windows.eda_window(self._eda.window(start, stop), EDA_FS_HZ)

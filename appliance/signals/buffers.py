"""Bounded buffers for live signals: a ring indexed by absolute sample number, and a resampler
that turns unevenly timed samples into a uniform grid, NaN across gaps.

Grid sample k of a resampler sits at time `t0 + k / fs`, where t0 is its first sample's time.
"""

from __future__ import annotations

import math

import numpy as np

ON_GRID_TOLERANCE = 1e-6  # of a grid period: samples this close to a grid point are on it


class IndexedRing:
    """The newest `capacity` values of an endless series, addressed by absolute index.

    Appending is amortised O(1): the backing array is twice the capacity and the live part is
    moved to the front only when the end is reached.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be positive: {capacity}")
        self.capacity = int(capacity)
        self._data = np.full(2 * self.capacity, np.nan)
        self._lo = 0  # position of the oldest live value in _data
        self._n = 0
        self.end_index = 0  # absolute index one past the newest value

    def __len__(self) -> int:
        return self._n

    @property
    def start_index(self) -> int:
        return self.end_index - self._n

    def extend(self, first_index: int, values: np.ndarray) -> None:
        """Append values whose first one has absolute index `first_index`.

        Indices skipped since the newest value are filled with NaN; values at indices already
        held are ignored (the series never rewrites its past).
        """
        values = np.asarray(values, dtype=float)
        if self._n == 0:
            self.end_index = first_index
        if first_index < self.end_index:
            values = values[self.end_index - first_index :]
            first_index = self.end_index
        gap = first_index - self.end_index
        if gap >= self.capacity:
            self._lo, self._n, self.end_index = 0, 0, first_index
        elif gap > 0:
            self._append(np.full(gap, np.nan))
        self._append(values)

    def _append(self, values: np.ndarray) -> None:
        if values.size >= self.capacity:
            self._data[: self.capacity] = values[-self.capacity :]
            self._lo, self._n = 0, self.capacity
            self.end_index += values.size
            return
        if self._lo + self._n + values.size > self._data.size:
            keep = min(self._n, self.capacity - values.size)
            self._data[:keep] = self._data[self._lo + self._n - keep : self._lo + self._n]
            self._lo, self._n = 0, keep
        end = self._lo + self._n
        self._data[end : end + values.size] = values
        self._n += values.size
        self.end_index += values.size
        if self._n > self.capacity:
            self._lo += self._n - self.capacity
            self._n = self.capacity

    def window(self, start: int, stop: int) -> np.ndarray:
        """Values for absolute indices [start, stop), NaN where not held (a copy)."""
        out = np.full(max(0, stop - start), np.nan)
        a, b = max(start, self.start_index), min(stop, self.end_index)
        if b > a:
            src = self._lo + (a - self.start_index)
            out[a - start : b - start] = self._data[src : src + (b - a)]
        return out


class UniformResampler:
    """Resamples timed samples onto a uniform grid, incrementally.

    Each grid point takes the mean of the finite samples within ±`half_bin_s` of it (an
    anti-alias average when the input is faster than the grid); with no sample in its bin it
    interpolates linearly between the neighbouring samples, unless they are more than
    `max_gap_s` apart (a gap: NaN). A bin holding only NaN samples is NaN. A grid point is
    produced only once a sample at or past the end of its bin has arrived.
    """

    def __init__(self, fs: float, max_gap_s: float, half_bin_s: float = 0.0) -> None:
        self.fs = float(fs)
        self.max_gap_s = float(max_gap_s)
        self.half_bin_s = float(half_bin_s)
        self.t0: float | None = None
        self._next_k = 0
        self._t = np.empty(0)
        self._v = np.empty(0)

    def grid_time(self, k: float) -> float:
        if self.t0 is None:
            raise ValueError("no sample yet: the grid has no origin")
        return self.t0 + k / self.fs

    def grid_index_at(self, t: float) -> float:
        """Fractional grid index of time `t` (floor or ceil it as the caller needs)."""
        if self.t0 is None:
            raise ValueError("no sample yet: the grid has no origin")
        return (t - self.t0) * self.fs

    @property
    def pending(self) -> int:
        """Raw samples held back for bins or interpolation not yet complete."""
        return self._t.size

    def push(self, t: np.ndarray, v: np.ndarray, max_points: int) -> tuple[int, np.ndarray]:
        """Add samples; return (absolute index of the first new grid point, new grid values).

        Samples not later than the newest one already pushed are dropped (clock jitter can
        repeat a time). At most `max_points` grid points are returned: after a very long gap
        the ones that would fall out of any bounded buffer are skipped.
        """
        t = np.asarray(t, dtype=float)
        v = np.asarray(v, dtype=float)
        if t.size == 0:
            return self._next_k, np.empty(0)
        if self.t0 is None:
            self.t0 = float(t[0])
        tt = np.concatenate((self._t, t))
        vv = np.concatenate((self._v, v))
        newest = np.maximum.accumulate(tt)
        increasing = np.concatenate(([True], tt[1:] > newest[:-1]))
        tt, vv = tt[increasing], vv[increasing]
        last_k = math.floor((tt[-1] - self.half_bin_s - self.t0) * self.fs + 1e-9)
        first_k = max(self._next_k, last_k + 1 - max_points)
        if last_k < first_k:
            self._t, self._v = tt, vv
            return self._next_k, np.empty(0)
        values = self._on_grid_values(tt, vv, first_k, last_k)
        if values is None:
            grid = self.t0 + np.arange(first_k, last_k + 1) / self.fs
            values = self._values_at(grid, tt, vv)
        self._next_k = last_k + 1
        keep_from = np.searchsorted(tt, self.grid_time(self._next_k) - self.half_bin_s) - 1
        self._t, self._v = tt[max(0, keep_from) :], vv[max(0, keep_from) :]
        return first_k, values

    def _on_grid_values(self, tt: np.ndarray, vv: np.ndarray, first_k: int, last_k: int):
        """Fast path for a sensor clocked at the grid rate (the usual case): when every sample
        sits on its own consecutive grid point, each grid value is that sample. None otherwise."""
        if self.half_bin_s * self.fs > 0.5:
            return None
        k = (tt - self.t0) * self.fs
        k0 = round(float(k[0]))
        expected = k0 + np.arange(tt.size)
        if np.max(np.abs(k - expected)) > ON_GRID_TOLERANCE or first_k < k0:
            return None
        if last_k - k0 >= tt.size:
            return None
        return vv[first_k - k0 : last_k - k0 + 1].copy()

    def _values_at(self, grid: np.ndarray, tt: np.ndarray, vv: np.ndarray) -> np.ndarray:
        lo = np.searchsorted(tt, grid - self.half_bin_s, side="left")
        hi = np.searchsorted(tt, grid + self.half_bin_s, side="left")
        finite = np.isfinite(vv)
        csum = np.concatenate(([0.0], np.cumsum(np.where(finite, vv, 0.0))))
        ccount = np.concatenate(([0], np.cumsum(finite)))
        n_in_bin = hi - lo
        n_finite = ccount[hi] - ccount[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(n_finite > 0, (csum[hi] - csum[lo]) / n_finite, np.nan)
        empty = np.flatnonzero(n_in_bin == 0)
        if empty.size:
            out[empty] = self._interpolate(grid[empty], lo[empty], tt, vv)
        return out

    def _interpolate(self, g: np.ndarray, nxt: np.ndarray, tt: np.ndarray, vv: np.ndarray):
        nxt = np.minimum(nxt, tt.size - 1)
        prev = np.maximum(nxt - 1, 0)
        exact = np.abs(tt[nxt] - g) < 1e-9
        span = tt[nxt] - tt[prev]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(span > 0, (g - tt[prev]) / span, 0.0)
        out = vv[prev] + (vv[nxt] - vv[prev]) * frac
        bad = (span > self.max_gap_s) | (span <= 0) | (g < tt[prev]) | (g > tt[nxt])
        out = np.where(bad, np.nan, out)
        return np.where(exact, vv[nxt], out)


class DeferredGrid:
    """A UniformResampler feeding an IndexedRing, with the resampling deferred.

    A push only queues the samples and advances the ring's predicted indices (plain float
    arithmetic, the resampler's own rule), so a sensor's many small batches cost one resampling
    pass when the values are next read. The result is the same as resampling every batch: each
    grid value depends only on the samples around it, never on how they were batched.
    """

    def __init__(self, fs: float, max_gap_s: float, capacity: int, half_bin_s: float = 0.0) -> None:
        self.resampler = UniformResampler(fs, max_gap_s, half_bin_s)
        self.ring = IndexedRing(capacity)
        self.capacity = self.ring.capacity
        self._queue_t: list[np.ndarray] = []
        self._queue_v: list[np.ndarray] = []
        self._queued = 0
        self._newest = -math.inf
        self._next_k = 0  # the resampler's next grid index, predicted
        self._n = 0  # the ring's length, predicted
        self.end_index = 0  # the ring's end index, predicted
        self.t0: float | None = None

    @property
    def start_index(self) -> int:
        return self.end_index - self._n

    def push(self, t: np.ndarray, v: np.ndarray) -> None:
        """Queue float64 samples. The arrays are kept, not copied: pass ones nobody reuses."""
        if t.size == 0:
            return
        if self.t0 is None:
            self.t0 = float(t[0])
        self._queue_t.append(t)
        self._queue_v.append(v)
        self._queued += t.size
        self._newest = max(self._newest, float(t.max()))
        half_bin, fs = self.resampler.half_bin_s, self.resampler.fs
        last_k = math.floor((self._newest - half_bin - self.t0) * fs + 1e-9)
        first_k = max(self._next_k, last_k + 1 - self.capacity)
        if last_k < first_k:
            self._predict_extend(self._next_k, 0)
        else:
            self._predict_extend(first_k, last_k + 1 - first_k)
            self._next_k = last_k + 1
        if self._queued > self.capacity:  # bounded memory whatever the read cadence
            self.flush()

    def _predict_extend(self, first: int, count: int) -> None:
        """IndexedRing.extend's bookkeeping of indices, without the values."""
        if self._n == 0:
            self.end_index = first
        if first < self.end_index:
            count = max(0, count - (self.end_index - first))
            first = self.end_index
        gap = first - self.end_index
        if gap >= self.capacity:
            self._n, self.end_index = 0, first
            gap = 0
        self.end_index += gap + count
        self._n = min(self.capacity, self._n + gap + count)

    def flush(self) -> None:
        """Resample everything queued into the ring."""
        if not self._queue_t:
            return
        t = self._queue_t[0] if len(self._queue_t) == 1 else np.concatenate(self._queue_t)
        v = self._queue_v[0] if len(self._queue_v) == 1 else np.concatenate(self._queue_v)
        self._queue_t, self._queue_v, self._queued = [], [], 0
        first, grid = self.resampler.push(t, v, max_points=self.capacity)
        self.ring.extend(first, grid)
        # The prediction mirrors both; the ring is the truth should they ever disagree.
        self.end_index, self._n = self.ring.end_index, len(self.ring)

    def __len__(self) -> int:
        self.flush()
        return len(self.ring)

    @property
    def pending(self) -> int:
        self.flush()
        return self.resampler.pending

    def window(self, start: int, stop: int) -> np.ndarray:
        """Values for absolute grid indices [start, stop), NaN where not held (a copy)."""
        self.flush()
        return self.ring.window(start, stop)

    def grid_index_at(self, t: float) -> float:
        if self.t0 is None:
            raise ValueError("no sample yet: the grid has no origin")
        return (t - self.t0) * self.resampler.fs

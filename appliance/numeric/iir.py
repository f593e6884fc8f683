"""IIR filtering by second-order sections (scipy.signal.sosfilt, sosfiltfilt) in numpy alone.

Why not SciPy: importing scipy.signal costs the service about 75 MB of resident memory, against
120 MB for the whole service on a Pi Zero 2 W. Why not a loop over samples: recordings run for
hours and the Pi filters live chunks many times a minute, so each section runs block-wise as
matrix products instead (exact, not an approximation):

Cut the signal into blocks of B samples. Within a block a section's output is its zero-state
response (the block times the lower-triangular Toeplitz matrix of its first B impulse-response
samples) plus the response to the state it starts the block in (two basis responses). The state
at each block's end is a 2×2 matrix times the state at its start plus a 2×B matrix times the
block, so every block's start state follows from a scan over blocks, one step per block.

Nothing is truncated, however slowly the impulse response decays, so the result differs from
SciPy's recursion by rounding only: on recorded PPG about 7e-15 of the output from an
extended-precision run, as SciPy. Poles very near 1 (a 0.5 Hz edge at 3200 Hz) fed a large
offset round about 50 times worse than SciPy relative to the small output (under 1e-10 of the
input): the block transition is badly conditioned there. The PPG band-pass removes the median.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from appliance.numeric.iir_design import butter_sos, sosfilt_zi

__all__ = ["butter_sos", "sosfilt", "sosfilt_zi", "zero_phase"]

MAX_BLOCK = 64  # longer: fewer scan steps, but B multiply-adds per sample (64 fastest here)
MIN_BLOCK = 8
MATMUL_ROWS = 64  # larger products go to OpenBLAS threads: far more CPU (measured), no gain


def sosfilt(
    sos: np.ndarray, x: np.ndarray, zi: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """scipy.signal.sosfilt(sos, x, axis=0, zi=zi) -> (y, zf) for float `x` of shape (n,) or
    (n, channels); `zi` (and `zf`) has shape (sections, 2) + x.shape[1:], zeros if None.

    `sos` rows are [b0 b1 b2 1 a1 a2], as butter_sos gives them.
    """
    sos = np.asarray(sos, dtype=np.float64)
    if sos.ndim != 2 or sos.shape[1] != 6 or (sos[:, 3] != 1.0).any():
        raise ValueError("sos must have shape (sections, 6) with sos[:, 3] == 1")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (1, 2):
        raise ValueError("x must be 1-D or 2-D (samples, channels)")
    state_shape = (len(sos), 2, *x.shape[1:])
    zi = np.zeros(state_shape) if zi is None else np.asarray(zi, dtype=np.float64)
    if zi.shape != state_shape:
        raise ValueError(f"zi must have shape {state_shape}, not {zi.shape}")
    n = x.shape[0]
    if n == 0:
        return x.copy(), zi.copy()
    channels = 1 if x.ndim == 1 else x.shape[1]
    block = _block_length(n)
    blocks = -(-n // block)
    buf = np.zeros((channels, blocks * block))
    buf[:, :n] = x.reshape(n, channels).T
    states = zi.reshape(len(sos), 2, channels).transpose(0, 2, 1)  # (sections, channels, 2)
    zf = np.empty((len(sos), channels, 2))
    for i, section in enumerate(sos.tolist()):
        out = _section(tuple(section), buf, states[i], block)
        _final_state(section, buf, out, n, states[i], zf[i])
        buf = out  # samples past n are filtered padding: causal, so never reach y[:n]
    return buf[:, :n].T.reshape(x.shape), zf.transpose(0, 2, 1).reshape(state_shape)


def zero_phase(sos: np.ndarray, x: np.ndarray, zi: np.ndarray | None = None) -> np.ndarray:
    """scipy.signal.sosfiltfilt(sos, x, axis=0) (odd extension, steady-state initial
    conditions), except that an input no longer than the pad gets a shorter pad, not an error.

    `zi` is sosfilt_zi(sos), computed here if not given (callers filtering often cache it).
    """
    sos = np.asarray(sos, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] < 2:
        raise ValueError("zero-phase filtering needs at least 2 samples")
    zi = sosfilt_zi(sos) if zi is None else np.asarray(zi, dtype=np.float64)
    zi = zi.reshape(zi.shape + (1,) * (x.ndim - 1))
    # SciPy's pad: three times the taps of the whole filter, less the sections' trailing zeros.
    taps = 2 * len(sos) + 1 - min(int(np.sum(sos[:, 2] == 0)), int(np.sum(sos[:, 5] == 0)))
    pad = min(3 * taps, x.shape[0] - 1)
    ext = np.concatenate((2 * x[0] - x[pad:0:-1], x, 2 * x[-1] - x[-2 : -pad - 2 : -1]))
    y, _ = sosfilt(sos, ext, zi * ext[0])
    y, _ = sosfilt(sos, y[::-1], zi * y[-1])
    return y[::-1][pad : pad + x.shape[0]]


def _block_length(n: int) -> int:
    """The smallest power of two holding `n`, within [MIN_BLOCK, MAX_BLOCK]."""
    return min(MAX_BLOCK, max(MIN_BLOCK, 1 << max(0, n - 1).bit_length()))


def _section(coeffs: tuple[float, ...], buf: np.ndarray, start: np.ndarray, block: int):
    """One section over `buf` (channels, blocks·block) from states `start` (channels, 2)."""
    kernel, zero_input, step = _block_kernel(coeffs, block)
    channels = buf.shape[0]
    product = _matmul(buf.reshape(-1, block), kernel)  # per block: zero-state outputs, end state
    own = product[:, block:]
    starts = _scan(step, own.reshape(channels, -1, 2), start)
    out = product[:, :block]
    out += _matmul(starts, zero_input)
    return out.reshape(channels, -1)


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b, in stacks of MATMUL_ROWS rows: each product stays on one thread."""
    rows = a.shape[0]
    if rows <= 2 * MATMUL_ROWS:
        return a @ b
    whole = rows // MATMUL_ROWS * MATMUL_ROWS
    out = np.empty((rows, b.shape[1]))
    stacked = out[:whole].reshape(-1, MATMUL_ROWS, b.shape[1])
    np.matmul(a[:whole].reshape(-1, MATMUL_ROWS, a.shape[1]), b, out=stacked)
    out[whole:] = a[whole:] @ b
    return out


def _scan(step: np.ndarray, own: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Every block's start state (channels·blocks, 2) from each block's zero-state end state
    `own` (channels, blocks, 2), one step per block in plain floats: a few thousand steps for
    hours of signal, where numpy's per-call cost would dominate. Vectorised scans (a matrix
    of the step's powers; log-depth doubling) lost up to 200 times the precision where the
    poles sit near 1, where the step matrix is far from normal."""
    (p00, p01), (p10, p11) = step.tolist()
    starts: list[float] = []
    for s, rows in zip(start.tolist(), own.reshape(len(own), -1).tolist(), strict=True):
        s0, s1 = s
        pairs = iter(rows)
        for u0 in pairs:
            starts += (s0, s1)
            s0, s1 = p00 * s0 + p01 * s1 + u0, p10 * s0 + p11 * s1 + next(pairs)
    return np.array(starts).reshape(-1, 2)


@lru_cache(maxsize=64)
def _block_kernel(coeffs: tuple[float, ...], block: int) -> tuple[np.ndarray, ...]:
    """Per section and block length: ([Toeplitz | end-state map] (B, B+2), zero-input responses
    (2, B), state transition over a block (2, 2)), by running the recursion (transposed direct
    form II, state s = (z1, z2)): y = z1 + b0 x; z1 ← b1 x − a1 y + z2; z2 ← b2 x − a2 y."""
    b0, b1, b2, _, a1, a2 = coeffs
    transition = np.array([[-a1, 1.0], [-a2, 0.0]])  # state with no input
    drive = np.array([b1 - a1 * b0, b2 - a2 * b0])  # state from one input sample
    powers = [np.eye(2)]
    for _ in range(block):
        powers.append(transition @ powers[-1])
    # From the state: y[t] = first row of transition^t; from an impulse: b0, then C A^(t−1) B.
    zero_input = np.array([p[0] for p in powers[:block]]).T
    impulse = np.concatenate(([b0], [p[0] @ drive for p in powers[: block - 1]]))
    lags = np.arange(block)[:, None] - np.arange(block)[None, :]
    toeplitz = np.where(lags >= 0, impulse[np.clip(lags, 0, None)], 0.0)
    end_map = np.array([powers[block - 1 - k] @ drive for k in range(block)])  # (B, 2)
    kernel = np.ascontiguousarray(np.concatenate((toeplitz.T, end_map), axis=1))
    found = (kernel, zero_input, powers[block])
    for array in found:
        array.flags.writeable = False
    return found


def _final_state(
    section: list[float], x: np.ndarray, y: np.ndarray, n: int, start: np.ndarray, out
) -> None:
    """The state after sample n−1 into `out` (channels, 2), from the section's last two inputs
    and outputs (the last z2 alone when n is 1): z2 = b2 x − a2 y; z1 = b1 x − a1 y + last z2.
    In plain floats: a handful of numbers, where numpy's per-call cost would dominate."""
    _, b1, b2, _, a1, a2 = section
    first = max(n - 2, 0)
    rows = zip(x[:, first:n].tolist(), y[:, first:n].tolist(), start.tolist(), strict=True)
    for c, (xs, ys, s) in enumerate(rows):
        previous = b2 * xs[0] - a2 * ys[0] if n >= 2 else s[1]
        out[c] = (b1 * xs[-1] - a1 * ys[-1] + previous, b2 * xs[-1] - a2 * ys[-1])

"""scipy.ndimage's 1-D grey opening and running mean with mode="reflect", in numpy alone.

ndimage's "reflect" repeats the edge sample (d c b a | a b c d | d c b a), numpy's "symmetric".
A window of `size` samples at output i covers input i − size//2 + shift .. i − size//2 + shift +
size − 1 (shift 0 for the minimum and the mean; for an even-sized maximum inside an opening
ndimage mirrors the structuring element, shift 1), so results equal SciPy's (tests compare).
"""

from __future__ import annotations

import numpy as np


def _running(x: np.ndarray, size: int, shift: int, reduce: np.ufunc) -> np.ndarray:
    """`reduce` (np.minimum or np.maximum) over each window, in O(n) whatever the size:
    van Herk / Gil-Werman. Within blocks of `size` samples a forward and a backward cumulative
    extreme are taken; any window straddles at most one block boundary, so its extreme is the
    backward one at its start combined with the forward one at its end."""
    n = x.size
    before = size // 2 - shift
    padded = np.pad(x, (before, size - 1 - before), mode="symmetric")
    blocks = -(-padded.size // size)
    fill = np.inf if reduce is np.minimum else -np.inf
    grid = np.full(blocks * size, fill)
    grid[: padded.size] = padded
    grid = grid.reshape(blocks, size)
    forward = reduce.accumulate(grid, axis=1).ravel()
    backward = reduce.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    return reduce(backward[:n], forward[size - 1 : size - 1 + n])


def grey_opening_1d(x: np.ndarray, width: int) -> np.ndarray:
    """scipy.ndimage.grey_opening(x, size=width, mode="reflect") for 1-D float `x`: the running
    maximum of the running minimum, the lower envelope without bumps narrower than `width`."""
    x = np.asarray(x, dtype=np.float64)
    if width < 1:
        raise ValueError("width must be at least 1")
    if x.size == 0 or width == 1:
        return x.copy()
    eroded = _running(x, width, 0, np.minimum)
    return _running(eroded, width, 0 if width % 2 else 1, np.maximum)


def uniform_filter1d(x: np.ndarray, size: int) -> np.ndarray:
    """scipy.ndimage.uniform_filter1d(x, size=size, mode="reflect") for 1-D float `x` (equal to
    rounding: SciPy keeps a running sum too, in a different order)."""
    x = np.asarray(x, dtype=np.float64)
    if size < 1:
        raise ValueError("size must be at least 1")
    if x.size == 0 or size == 1:
        return x.copy()
    before = size // 2
    padded = np.pad(x, (before, size - 1 - before), mode="symmetric")
    # Summing about the mean keeps the cumulative sum's rounding at the scale of the signal's
    # variation, not of its level.
    centre = float(np.mean(x))
    sums = np.concatenate(([0.0], np.cumsum(padded - centre)))
    return (sums[size:] - sums[:-size]) / size + centre

"""Butterworth design as second-order sections, and their steady-state initial conditions.

The same steps as scipy.signal.butter(..., output="sos") (analogue prototype, frequency
transform, bilinear transform, pairing poles with zeros nearest first) and
scipy.signal.sosfilt_zi, in the same order of operations, so the coefficients agree to the last
few bits and the sections come in the same order. numpy alone: importing scipy.signal costs the
service about 75 MB of its 120 MB on a Pi Zero 2 W.
"""

from __future__ import annotations

import numpy as np

BTYPES = ("lowpass", "highpass", "bandpass")


def butter_sos(
    order: int, cutoff: float | tuple[float, float], btype: str, fs: float
) -> np.ndarray:
    """scipy.signal.butter(order, cutoff, btype, fs=fs, output="sos"), shape (sections, 6).

    `cutoff` in Hz: one edge for "lowpass" and "highpass", (low, high) for "bandpass".
    """
    if btype not in BTYPES:
        raise ValueError(f"btype must be one of {BTYPES}, not {btype!r}")
    if order < 1 or int(order) != order:
        raise ValueError(f"order must be a positive integer, not {order}")
    wn = np.atleast_1d(np.asarray(cutoff, dtype=np.float64)) / (fs / 2)
    if wn.size != (2 if btype == "bandpass" else 1):
        raise ValueError(f"a {btype} filter takes {2 if btype == 'bandpass' else 1} cutoff(s)")
    if np.any(wn <= 0) or np.any(wn >= 1) or (wn.size == 2 and not wn[0] < wn[1]):
        raise ValueError(f"cutoffs must be increasing, inside 0 < f < fs/2 (fs={fs})")
    # Analogue prototype (poles on the left half of the unit circle), pre-warped edges.
    m = np.arange(-order + 1, order, 2, dtype=np.float64)
    p = -np.exp(1j * np.pi * m / (2 * order))
    z = np.zeros(0)
    k = 1.0
    warped = 2 * 2.0 * np.tan(np.pi * wn / 2.0)
    if btype == "lowpass":
        wo = float(warped[0])
        z, p, k = wo * z, wo * p, k * wo**order
    elif btype == "highpass":
        wo = float(warped[0])
        k = k * np.real(np.prod(-z) / np.prod(-p))
        z, p = np.concatenate((wo / z, np.zeros(order))), wo / p
    else:
        bw = float(warped[1] - warped[0])
        wo = float(np.sqrt(warped[0] * warped[1]))
        z_lp = (z * bw / 2).astype(np.complex128)
        p_lp = (p * bw / 2).astype(np.complex128)
        z = np.concatenate(
            (z_lp + np.sqrt(z_lp**2 - wo**2), z_lp - np.sqrt(z_lp**2 - wo**2), np.zeros(order))
        )
        p = np.concatenate((p_lp + np.sqrt(p_lp**2 - wo**2), p_lp - np.sqrt(p_lp**2 - wo**2)))
        k = k * bw**order
    # Bilinear transform (fs = 2 after pre-warping); zeros at infinity go to Nyquist.
    degree = len(p) - len(z)
    fs2 = 4.0
    k = k * np.real(np.prod(fs2 - z) / np.prod(fs2 - p))
    z = np.concatenate(((fs2 + z) / (fs2 - z), -np.ones(degree)))
    p = (fs2 + p) / (fs2 - p)
    return _zpk2sos(z, p, float(k))


def sosfilt_zi(sos: np.ndarray) -> np.ndarray:
    """scipy.signal.sosfilt_zi: the initial state, per section, of a step response's steady
    state; scaled by the first sample it starts a filter without an edge transient."""
    sos = np.asarray(sos, dtype=np.float64)
    zi = np.empty((len(sos), 2))
    scale = 1.0
    for i, section in enumerate(sos):
        b, a = section[:3], section[3:]
        if a[0] != 1.0:
            b, a = b / a[0], a / a[0]
        # lfilter_zi: solve zi = A zi + B for the companion matrix A of the denominator.
        i_minus_a = np.eye(2) - np.array([[-a[1], -a[2]], [1.0, 0.0]]).T
        zi[i] = scale * np.linalg.solve(i_minus_a, b[1:] - a[1:] * b[0])
        scale *= section[:3].sum() / section[3:].sum()
    return zi


def _zpk2sos(z: np.ndarray, p: np.ndarray, k: float) -> np.ndarray:
    """scipy.signal.zpk2sos with pairing="nearest" for a digital filter: each section takes the
    pole left nearest the unit circle and the zeros nearest it; the worst sections come last."""
    p = np.concatenate((p, np.zeros(max(len(z) - len(p), 0))))
    z = np.concatenate((z, np.zeros(max(len(p) - len(z), 0))))
    n_sections = (max(len(p), len(z)) + 1) // 2
    if len(p) % 2 == 1:
        p, z = np.concatenate((p, [0.0])), np.concatenate((z, [0.0]))
    z = np.concatenate(_cplxreal(z))
    p = np.concatenate(_cplxreal(p))
    sos = np.zeros((n_sections, 6))
    for si in range(n_sections - 1, -1, -1):
        i = _worst(p)
        p1, p = p[i], np.delete(p, i)
        if np.isreal(p1) and np.isreal(p).sum() == 0:
            z1, z = _take_nearest(z, p1, "real")
            sos[si] = _section([z1, 0], [p1, 0])
        elif (
            len(p) + 1 == len(z)
            and not np.isreal(p1)
            and np.isreal(p).sum() == 1
            and np.isreal(z).sum() == 1
        ):
            # One real pole and one real zero left: this complex pole must take complex zeros.
            z1, z = _take_nearest(z, p1, "complex")
            sos[si] = _section([z1, z1.conj()], [p1, p1.conj()])
        else:
            if np.isreal(p1):
                reals = np.flatnonzero(np.isreal(p))
                j = reals[_worst(p[reals])]
                p2, p = p[j], np.delete(p, j)
            else:
                p2 = p1.conj()
            if len(z) == 0:
                sos[si] = _section([], [p1, p2])
                continue
            z1, z = _take_nearest(z, p1, "any")
            if not np.isreal(z1):
                sos[si] = _section([z1, z1.conj()], [p1, p2])
            elif len(z) > 0:
                z2, z = _take_nearest(z, p1, "real")
                sos[si] = _section([z1, z2], [p1, p2])
            else:
                sos[si] = _section([z1], [p1, p2])
    sos[0][:3] *= k
    return sos


def _worst(p: np.ndarray) -> int:
    """Index of the pole nearest the unit circle."""
    return int(np.argmin(np.abs(1 - np.abs(p))))


def _take_nearest(z: np.ndarray, to: complex, which: str) -> tuple[complex, np.ndarray]:
    """The zero nearest `to` among the real, complex or any ones, and the zeros left."""
    order = np.argsort(np.abs(z - to))
    if which != "any":
        mask = np.isreal(z[order])
        order = order[mask if which == "real" else ~mask]
    i = int(order[0])
    return z[i], np.delete(z, i)


def _section(z: list, p: list) -> np.ndarray:
    """One section [b0 b1 b2 1 a1 a2] from up to two zeros and two poles, unit gain."""
    section = np.zeros(6)
    b, a = _poly(z), _poly(p)
    section[3 - len(b) : 3] = b
    section[6 - len(a) : 6] = a
    return section


def _poly(roots: list) -> np.ndarray:
    """np.poly (real coefficients when the roots come in conjugate pairs)."""
    roots = np.atleast_1d(np.asarray(roots))
    if roots.size == 0:
        return np.ones(1)
    a = np.ones((1,), dtype=roots.dtype)
    for r in roots:
        a = np.convolve(a, np.array([1, -r], dtype=roots.dtype), mode="full")
    if np.iscomplexobj(a):
        as_complex = roots.astype(np.complex128)
        if np.all(np.sort(as_complex.imag) == np.sort(as_complex.conj().imag)):
            a = a.real.copy()
    return a


def _cplxreal(z: np.ndarray, tol: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """scipy's _cplxreal: (one of each conjugate pair, positive imaginary part, sorted by real
    part; the real values, sorted)."""
    z = np.atleast_1d(z)
    if z.size == 0:
        return z, z
    tol = 100 * np.finfo((1.0 * z).dtype).eps if tol is None else tol
    z = z[np.lexsort((abs(z.imag), z.real))]
    real = abs(z.imag) <= tol * abs(z)
    zr = z[real].real
    if len(zr) == len(z):
        return np.array([]), zr
    z = z[~real]
    zp, zn = z[z.imag > 0], z[z.imag < 0]
    if len(zp) != len(zn):
        raise ValueError("complex value with no matching conjugate")
    same_real = np.diff(zp.real) <= tol * abs(zp[:-1])
    diffs = np.diff(np.concatenate(([0], same_real, [0])))
    for start, stop in zip(np.flatnonzero(diffs > 0), np.flatnonzero(diffs < 0), strict=True):
        for chunk in (zp[start : stop + 1], zn[start : stop + 1]):
            chunk[...] = chunk[np.lexsort([abs(chunk.imag)])]
    if any(abs(zp - zn.conj()) > tol * abs(zn)):
        raise ValueError("complex value with no matching conjugate")
    return (zp + zn.conj()) / 2, zr

"""The few SciPy routines a session needs, in numpy alone.

A session filters, finds peaks, resamples and tests one tail probability; importing any part
of `scipy.signal` or `scipy.stats` loads most of SciPy (about 75 MB of resident memory here,
against a 120 MB budget for the whole service on a Pi Zero 2 W). These modules give the same
results (tests compare them with SciPy on the same inputs), so the service never imports SciPy;
offline work (training, evaluation, benchmarks) still uses SciPy itself.
"""

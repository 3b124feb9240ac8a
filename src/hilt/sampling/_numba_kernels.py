"""Fused numba kernels: validate and score each row in one pass over memory.

Importing this module imports numba (about half a second) and compiles nothing; each kernel
compiles on first use and is cached on disk (``cache=True``), so only the very first call on a
machine pays for compilation. :func:`hilt.sampling.warmup` compiles them ahead of time.

A row that fails validation (NaN, infinity, a negative value, a sum away from 1) gets a NaN
score. The caller checks for NaN once and, on the error path only, asks the numpy validator
which row was first and why, so the hot loop carries no error bookkeeping.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

_INV_LN2 = 1.0 / math.log(2.0)


@njit(inline="always")
def _scan_top_two(probs, i, tol):
    """Return (p1, p2, ok) for row ``i``; ok is False if the row is not a distribution."""
    p1 = -1.0
    p2 = -1.0
    total = 0.0
    negative = False
    for j in range(probs.shape[1]):
        v = np.float64(probs[i, j])
        total += v
        negative |= v < 0.0
        # Branch-free (max/min instructions): random rows would mispredict an if-chain.
        p2 = max(p2, min(p1, v))
        p1 = max(p1, v)
    ok = (not negative) and abs(total - 1.0) <= tol
    return p1, p2, ok


@njit(parallel=True, cache=True)
def least_confidence(probs, raw, tol):
    n_rows, n_classes = probs.shape
    scale = n_classes / (n_classes - 1.0)
    out = np.empty(n_rows, dtype=np.float64)
    for i in prange(n_rows):
        p1, p2, ok = _scan_top_two(probs, i, tol)
        if not ok:
            out[i] = np.nan
        elif raw:
            out[i] = p1
        else:
            out[i] = min((1.0 - p1) * scale, 1.0)
    return out


@njit(parallel=True, cache=True)
def margin_confidence(probs, raw, tol):
    n_rows = probs.shape[0]
    out = np.empty(n_rows, dtype=np.float64)
    for i in prange(n_rows):
        p1, p2, ok = _scan_top_two(probs, i, tol)
        if not ok:
            out[i] = np.nan
        elif raw:
            out[i] = p1 - p2
        else:
            out[i] = 1.0 - (p1 - p2)
    return out


@njit(parallel=True, cache=True)
def ratio_confidence(probs, raw, tol):
    n_rows = probs.shape[0]
    out = np.empty(n_rows, dtype=np.float64)
    for i in prange(n_rows):
        p1, p2, ok = _scan_top_two(probs, i, tol)
        if not ok:
            out[i] = np.nan
        elif raw:
            out[i] = p1 / p2 if p2 > 0.0 else np.inf
        else:
            out[i] = p2 / p1
    return out


@njit(inline="always")
def _row_entropy(probs, i, tol, raw, norm):
    """Entropy of row ``i`` (bits, or normalized by ``norm``); NaN if it is not a distribution.

    Shared by both entropy kernels so that a row gets the same bits from either.
    """
    total = 0.0
    acc = 0.0
    negative = False
    for j in range(probs.shape[1]):
        v = np.float64(probs[i, j])
        total += v
        negative |= v < 0.0
        if v > 0.0:
            acc += v * math.log(v)
    if negative or not abs(total - 1.0) <= tol:
        return np.nan
    entropy = max(-acc * _INV_LN2, 0.0)
    return entropy if raw else min(entropy / norm, 1.0)


@njit(parallel=True, cache=True)
def entropy_based(probs, raw, tol):
    n_rows, n_classes = probs.shape
    norm = math.log(n_classes) * _INV_LN2
    out = np.empty(n_rows, dtype=np.float64)
    for i in prange(n_rows):
        out[i] = _row_entropy(probs, i, tol, raw, norm)
    return out


@njit(parallel=True, cache=True)
def entropy_pruned(probs, tol, p_max, spread_max, skipped):
    """Normalized entropy of the rows that may score high; ``skipped`` for the others.

    A row is kept when its top probability is ``<= p_max`` and its L1 distance from the
    uniform row is ``<= spread_max`` (the bounds of ``hilt.sampling._entropy_top_k``).
    Validates every row (NaN for a bad one) but takes logarithms only of the rows kept,
    which is what makes ``rank(..., "entropy")`` cheap.
    """
    n_rows, n_classes = probs.shape
    norm = math.log(n_classes) * _INV_LN2
    uniform = 1.0 / n_classes
    out = np.empty(n_rows, dtype=np.float64)
    for i in prange(n_rows):
        # The same branch-free scan as least confidence; the rare kept row is read again
        # from cache. (Folding the distance into this scan made the pass 3-5x slower.)
        p1, p2, ok = _scan_top_two(probs, i, tol)
        if not ok:
            out[i] = np.nan
            continue
        if p1 > p_max:
            out[i] = skipped
            continue
        spread = 0.0
        for j in range(n_classes):
            spread += abs(np.float64(probs[i, j]) - uniform)
        out[i] = skipped if spread > spread_max else _row_entropy(probs, i, tol, False, norm)
    return out


KERNELS = {
    "least": least_confidence,
    "margin": margin_confidence,
    "ratio": ratio_confidence,
    "entropy": entropy_based,
}

#: Every kernel ``warmup`` compiles (``hilt.sampling.uncertainty`` checks them all are ready).
ALL_KERNELS = (*KERNELS.values(), entropy_pruned)

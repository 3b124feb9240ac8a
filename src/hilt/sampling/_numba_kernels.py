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

import numba
import numpy as np
from numba import njit, prange

from hilt.sampling import _scheduling

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


@njit(inline="always")
def _least_row(probs, i, raw, tol, scale):
    p1, p2, ok = _scan_top_two(probs, i, tol)
    if not ok:
        return np.nan
    return p1 if raw else min((1.0 - p1) * scale, 1.0)


@njit(inline="always")
def _margin_row(probs, i, raw, tol):
    p1, p2, ok = _scan_top_two(probs, i, tol)
    if not ok:
        return np.nan
    return p1 - p2 if raw else 1.0 - (p1 - p2)


@njit(inline="always")
def _ratio_row(probs, i, raw, tol):
    p1, p2, ok = _scan_top_two(probs, i, tol)
    if not ok:
        return np.nan
    if raw:
        return p1 / p2 if p2 > 0.0 else np.inf
    return p2 / p1


# Each score has a parallel loop and a serial one over the same inlined row function (no
# fastmath, so no reassociation): a row gets the same bits from either. ``Kernel`` picks one
# per call (see ``hilt.sampling._scheduling``).


@njit(parallel=True, cache=True)
def _least_parallel(probs, raw, tol):
    n_rows, n_classes = probs.shape
    scale = n_classes / (n_classes - 1.0)
    out = np.empty(n_rows, dtype=np.float64)
    for i in prange(n_rows):
        out[i] = _least_row(probs, i, raw, tol, scale)
    return out


@njit(cache=True)
def _least_serial(probs, raw, tol):
    n_rows, n_classes = probs.shape
    scale = n_classes / (n_classes - 1.0)
    out = np.empty(n_rows, dtype=np.float64)
    for i in range(n_rows):
        out[i] = _least_row(probs, i, raw, tol, scale)
    return out


@njit(parallel=True, cache=True)
def _margin_parallel(probs, raw, tol):
    out = np.empty(probs.shape[0], dtype=np.float64)
    for i in prange(probs.shape[0]):
        out[i] = _margin_row(probs, i, raw, tol)
    return out


@njit(cache=True)
def _margin_serial(probs, raw, tol):
    out = np.empty(probs.shape[0], dtype=np.float64)
    for i in range(probs.shape[0]):
        out[i] = _margin_row(probs, i, raw, tol)
    return out


@njit(parallel=True, cache=True)
def _ratio_parallel(probs, raw, tol):
    out = np.empty(probs.shape[0], dtype=np.float64)
    for i in prange(probs.shape[0]):
        out[i] = _ratio_row(probs, i, raw, tol)
    return out


@njit(cache=True)
def _ratio_serial(probs, raw, tol):
    out = np.empty(probs.shape[0], dtype=np.float64)
    for i in range(probs.shape[0]):
        out[i] = _ratio_row(probs, i, raw, tol)
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
def _entropy_parallel(probs, raw, tol):
    n_rows, n_classes = probs.shape
    norm = math.log(n_classes) * _INV_LN2
    out = np.empty(n_rows, dtype=np.float64)
    for i in prange(n_rows):
        out[i] = _row_entropy(probs, i, tol, raw, norm)
    return out


@njit(cache=True)
def _entropy_serial(probs, raw, tol):
    n_rows, n_classes = probs.shape
    norm = math.log(n_classes) * _INV_LN2
    out = np.empty(n_rows, dtype=np.float64)
    for i in range(n_rows):
        out[i] = _row_entropy(probs, i, tol, raw, norm)
    return out


@njit(inline="always")
def _pruned_row(probs, i, tol, p_max, spread_max, skipped, norm, uniform):
    # The same branch-free scan as least confidence; the rare kept row is read again
    # from cache. (Folding the distance into this scan made the pass 3-5x slower.)
    p1, p2, ok = _scan_top_two(probs, i, tol)
    if not ok:
        return np.nan
    if p1 > p_max:
        return skipped
    spread = 0.0
    for j in range(probs.shape[1]):
        spread += abs(np.float64(probs[i, j]) - uniform)
    return skipped if spread > spread_max else _row_entropy(probs, i, tol, False, norm)


@njit(parallel=True, cache=True)
def _pruned_parallel(probs, tol, p_max, spread_max, skipped):
    n_rows, n_classes = probs.shape
    norm = math.log(n_classes) * _INV_LN2
    uniform = 1.0 / n_classes
    out = np.empty(n_rows, dtype=np.float64)
    for i in prange(n_rows):
        out[i] = _pruned_row(probs, i, tol, p_max, spread_max, skipped, norm, uniform)
    return out


@njit(cache=True)
def _pruned_serial(probs, tol, p_max, spread_max, skipped):
    n_rows, n_classes = probs.shape
    norm = math.log(n_classes) * _INV_LN2
    uniform = 1.0 / n_classes
    out = np.empty(n_rows, dtype=np.float64)
    for i in range(n_rows):
        out[i] = _pruned_row(probs, i, tol, p_max, spread_max, skipped, norm, uniform)
    return out


@njit(inline="always")
def _binary_score(v, method):
    """One label's normalized uncertainty by ``method`` (0 least, 1 margin, 2 ratio, 3
    entropy) for the two-class row ``[v, 1 - v]``: the numbers of the one-label kernels."""
    # p2 = min(v, 1 - v), not 1 - p1: the same two numbers as the one-label kernels' row
    # [v, 1 - v] (a tiny v keeps its digits).
    p1 = max(v, 1.0 - v)
    p2 = min(v, 1.0 - v)
    if method == 0:
        return min((1.0 - p1) * 2.0, 1.0)
    if method == 1:
        return 1.0 - (p1 - p2)
    if method == 2:
        return p2 / p1
    acc = p1 * math.log(p1)
    if p2 > 0.0:
        acc += p2 * math.log(p2)
    return min(max(-acc * _INV_LN2, 0.0), 1.0)


@njit(inline="always")
def _multilabel_row(probs, i, method, use_max):
    """Mean (or max) over the labels of row ``i``; NaN if a value is not in [0, 1].

    Every per-label score falls as ``p1 = max(p, 1 - p)`` rises, so the maximum is the score
    of the label with the smallest ``p1``: a branch-free pass finds that ``p1``, a second one
    scores only the labels that have it (all of them when several tie, so the label order
    never matters): one score per row instead of one per label.
    """
    n_labels = probs.shape[1]
    total = 0.0
    closest = 2.0
    ok = True
    for j in range(n_labels):
        v = np.float64(probs[i, j])
        ok &= (v >= 0.0) and (v <= 1.0)  # False for NaN too
        if use_max:
            closest = min(closest, max(v, 1.0 - v))
        else:
            total += _binary_score(v, method)
    if not ok:
        return np.nan
    if not use_max:
        return total / n_labels
    best = 0.0
    for j in range(n_labels):
        v = np.float64(probs[i, j])
        if max(v, 1.0 - v) == closest:
            best = max(best, _binary_score(v, method))
    return best


@njit(parallel=True, cache=True)
def _multilabel_parallel(probs, method, use_max):
    out = np.empty(probs.shape[0], dtype=np.float64)
    for i in prange(probs.shape[0]):
        out[i] = _multilabel_row(probs, i, method, use_max)
    return out


@njit(cache=True)
def _multilabel_serial(probs, method, use_max):
    out = np.empty(probs.shape[0], dtype=np.float64)
    for i in range(probs.shape[0]):
        out[i] = _multilabel_row(probs, i, method, use_max)
    return out


class Kernel:
    """One score's two loops; a call runs on as many threads as there are free cores.

    ``serial`` and ``parallel`` are the numba functions (both compiled by
    :func:`hilt.sampling.warmup`); calling the ``Kernel`` picks one with
    :func:`hilt.sampling._scheduling.threads_for`. The result is the same either way.
    """

    def __init__(self, name: str, serial, parallel) -> None:
        self.name = name
        self.serial = serial
        self.parallel = parallel

    def __call__(self, probs, *args):
        max_threads = numba.get_num_threads()
        threads = _scheduling.threads_for(probs.size, max_threads)
        if threads <= 1:
            return self.serial(probs, *args)
        return _scheduling.run_parallel(self.parallel, (probs, *args), threads, max_threads)

    def __repr__(self) -> str:
        return f"Kernel({self.name!r})"


least_confidence = Kernel("least", _least_serial, _least_parallel)
margin_confidence = Kernel("margin", _margin_serial, _margin_parallel)
ratio_confidence = Kernel("ratio", _ratio_serial, _ratio_parallel)
entropy_based = Kernel("entropy", _entropy_serial, _entropy_parallel)
#: Normalized entropy of the rows that may score high; ``skipped`` for the others.
#: A row is kept when its top probability is ``<= p_max`` and its L1 distance from the
#: uniform row is ``<= spread_max`` (the bounds of ``hilt.sampling._entropy_top_k``).
#: Validates every row (NaN for a bad one) but takes logarithms only of the rows kept,
#: which is what makes ``rank(..., "entropy")`` cheap.
entropy_pruned = Kernel("entropy_pruned", _pruned_serial, _pruned_parallel)
#: Multi-label: every label's score on ``[p, 1 - p]`` by a method code (the position in
#: ``hilt.sampling.METHODS``), then their mean or (``use_max``) their maximum, in one pass.
multilabel = Kernel("multilabel", _multilabel_serial, _multilabel_parallel)


KERNELS = {
    "least": least_confidence,
    "margin": margin_confidence,
    "ratio": ratio_confidence,
    "entropy": entropy_based,
}

#: Every kernel ``warmup`` compiles (``hilt.sampling.uncertainty`` checks them all are ready).
KERNEL_PAIRS = (*KERNELS.values(), entropy_pruned, multilabel)
#: The numba functions behind them, serial and parallel.
ALL_KERNELS = tuple(f for kernel in KERNEL_PAIRS for f in (kernel.serial, kernel.parallel))

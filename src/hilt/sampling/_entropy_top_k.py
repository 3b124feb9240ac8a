"""Exact top-k by entropy that takes the logarithm of only a few rows.

Scoring every row by entropy costs one logarithm per matrix entry, several times the cost of
reading the matrix. But ``rank`` only needs the k most uncertain rows, and a row's entropy is
bounded by its top probability ``p1`` (the maximum entropy with a given ``p1`` spreads the rest
evenly over the other ``n - 1`` classes)::

    H(p) <= U(p1) = h2(p1) + (1 - p1) log2(n - 1),   h2(x) = -x log2 x - (1-x) log2(1-x)

and ``U`` falls as ``p1`` grows (for ``p1 >= 1/n``). So: one validating pass finds every
``p1`` (as cheap as least confidence); the exact entropy of a strided sample estimates a score
``t`` that a few times k rows reach; rows whose bound is below ``t`` cannot reach it and are
dropped without a logarithm; the rest are scored exactly. The numba pass also drops rows
far (in L1) from the uniform row, by Pinsker's inequality (see
:func:`_largest_spread_reaching`), which is the tighter bound when there are many classes. If at least k of them reach ``t``,
the k-th highest entropy of the whole matrix is ``>= t``, above every dropped row, so the
selection on the kept rows equals the selection on all rows, ties included. When the data
defeat the bound (most rows near uniform), the caller scores everything instead.
"""

from __future__ import annotations

import math

import numpy as np

from hilt.errors import InputError
from hilt.sampling._validate import SUM_TOLERANCE, explain_invalid, row_tolerance
from hilt.sampling.uncertainty import _fast_kernels, score_array

#: Below this many rows, scoring everything is cheap enough.
MIN_ROWS = 50_000
#: Rows in the strided sample that estimates the threshold.
SAMPLE_ROWS = 20_000
#: Give up (score everything) when more than this share of rows survive the bound.
MAX_KEPT_SHARE = 0.3
#: What the fused kernel writes for a row it drops (below every normalized entropy).
_SKIPPED = -1.0
#: Slack for rounding in the computed entropy, in normalized units.
_ROUNDING = 1e-9


def entropy_top_k(array: np.ndarray, k: int, engine: str, select) -> np.ndarray | None:
    """Row indices of the ``k`` highest entropies, as ``select`` orders them; or ``None``.

    ``array`` is a checked 2-D float array, ``engine`` the resolved kernels (``"numba"`` or
    ``"numpy"``; a kept row gets exactly the bits a full scoring would give it), ``select``
    the exact top-k of a 1-D score array (ties to the lower position). ``None`` means the
    bound did not prune enough: score every row instead. Bad input raises, as scoring would.
    """
    n_rows, n_classes = array.shape
    if n_rows < MIN_ROWS or k * 20 > n_rows or k == 0:
        return None
    # At most SAMPLE_ROWS rows and at most 1 row in 20: the sample's logarithms are extra work.
    step = max(20, n_rows // SAMPLE_ROWS)
    sampled = np.ascontiguousarray(array[::step])
    try:
        sample = score_array(sampled, "entropy", False, engine)
    except InputError:  # its row number is the sample's: let the full scoring name the row
        return None
    # Aim for ~4k rows at or above t, so sampling noise rarely leaves fewer than k.
    want = min(sample.size - 1, int(4 * k * sample.size / n_rows) + 8)
    threshold = float(np.partition(sample, sample.size - 1 - want)[sample.size - 1 - want])
    p_max = _largest_p1_reaching(threshold - _ROUNDING, n_classes)
    spread_max = _largest_spread_reaching(threshold - _ROUNDING, n_classes) if engine == "numba" else np.inf
    if p_max is None or _kept_share(sampled, p_max, spread_max) > MAX_KEPT_SHARE:
        return None  # the bounds would keep too many rows to pay for the extra pass
    if engine == "numba":
        kept, scores = _numba_pass(array, p_max, spread_max)
    else:
        kept, scores = _numpy_pass(array, p_max)
    if kept is None:
        return None
    reach = np.flatnonzero(scores >= threshold)
    if reach.size < k:
        return None
    # Positions ascend with row index, so ``select`` breaks ties exactly as on all rows.
    return kept[reach[select(scores[reach], k)]]


def _kept_share(sampled: np.ndarray, p_max: float, spread_max: float) -> float:
    """The share of rows the bounds would keep, estimated on (every 4th row of) the sample."""
    rows = sampled[::4]
    kept = rows.max(axis=1) <= p_max
    if np.isfinite(spread_max):
        kept &= np.abs(rows - 1.0 / rows.shape[1]).sum(axis=1) <= spread_max
    return float(kept.mean())


def _numba_pass(array: np.ndarray, p_max: float, spread_max: float):
    """One fused pass: validate every row, take logarithms only of the rows both bounds keep."""
    kernels = _fast_kernels()
    scores = kernels.entropy_pruned(array, row_tolerance(array.shape[1]), p_max, spread_max, _SKIPPED)
    if np.isnan(scores).any():
        error = explain_invalid(array)
        if error is not None:
            raise error
    kept = np.flatnonzero(scores != _SKIPPED)
    return kept, scores[kept]


def _numpy_pass(array: np.ndarray, p_max: float):
    """Validate and find ``p1`` for every row, then score the rows the bound keeps."""
    top = score_array(array, "least", True, "numpy")  # p1 of every row; validates every row
    kept = np.flatnonzero(top <= p_max)
    if kept.size > MAX_KEPT_SHARE * array.shape[0]:
        return None, None
    return kept, score_array(array[kept], "entropy", False, "numpy")


def entropy_bound(p1: float, n_classes: int) -> float:
    """Highest normalized entropy a row can have whose top probability is ``p1``.

    Rows may sum to ``1 ± eps`` (``eps = SUM_TOLERANCE * n``); for a row summing to ``s``,
    ``H(p) = s H(p / s) - s log2 s``, which the bound covers for every allowed ``s``.

    Examples
    --------
    >>> round(entropy_bound(0.25, 4), 6)  # a uniform row: the bound is the maximum, 1
    1.000008
    >>> round(entropy_bound(1.0, 4), 6)  # one-hot: only the slack for sums of 1 +- 4e-6 is left
    4.6e-05
    """
    eps = SUM_TOLERANCE * n_classes
    q = min(1.0, p1 / (1.0 + eps))
    if q <= 1.0 / n_classes:
        bits = math.log2(n_classes)
    else:
        rest = 1.0 - q
        bits = -q * math.log2(q) + (rest * (math.log2(n_classes - 1) - math.log2(rest)) if rest > 0 else 0.0)
    return ((1.0 + eps) * bits + 2.0 * eps) / math.log2(n_classes)


def _largest_spread_reaching(target: float, n_classes: int) -> float:
    """An L1 distance from the uniform row beyond which no row reaches ``target``.

    Pinsker's inequality bounds how far a distribution ``q`` can be from the uniform ``u``
    at a given entropy: ``log2 n - H(q) = D(q || u) >= ||q - u||_1 ** 2 / (2 ln 2)`` bits.
    For a row ``p`` summing to ``s`` within ``eps`` of 1, with ``q = p / s``:
    ``||q - u||_1 >= ||p - u||_1 - eps`` and ``H(p) = s H(q) - s log2 s``, so
    ``H(p) <= (1 + eps) (log2 n - (L1 - eps)**2 / (2 ln 2)) + 2 eps``. Solved for ``L1``.

    Examples
    --------
    >>> round(_largest_spread_reaching(1.0, 4), 3)  # only (near-)uniform rows reach 1
    0.005
    """
    eps = SUM_TOLERANCE * n_classes
    bits = math.log2(n_classes)
    room = bits - (target * bits - 2.0 * eps) / (1.0 + eps)  # the divergence a row may have
    return eps + math.sqrt(2.0 * math.log(2.0) * max(room, 0.0)) + _ROUNDING


def _largest_p1_reaching(target: float, n_classes: int) -> float | None:
    """A ``p`` such that every row with ``p1 > p`` has an entropy bound below ``target``.

    ``None`` if even a one-hot row could reach ``target`` (nothing can be dropped).
    """
    low, high = 0.0, 1.0 + SUM_TOLERANCE * n_classes
    if entropy_bound(high, n_classes) >= target:
        return None
    # entropy_bound falls as p1 grows: keep bound(low) >= target > bound(high).
    for _ in range(64):
        middle = 0.5 * (low + high)
        if entropy_bound(middle, n_classes) >= target:
            low = middle
        else:
            high = middle
    return high

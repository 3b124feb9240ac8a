"""Top-k selection with a deterministic tie-break, and the fused rank helper."""

from __future__ import annotations

import numpy as np

from hilt.errors import InputError
from hilt.sampling._validate import as_probability_array
from hilt.sampling.uncertainty import check_method, resolve_engine, score_array

__all__ = ["top_k", "rank"]


def _check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise InputError(f"Expected k to be a whole number, got {type(k).__name__} {k!r}.")
    if k < 0:
        raise InputError(f"Expected k >= 0, got {k}.")
    return int(k)


def top_k(scores: object, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, highest first; equal scores go to the lower index.

    Runs in O(n + k log k): a partition finds the k-th highest value, then only the scores
    above it and the first ties at it are sorted. If ``k`` exceeds the number of scores,
    every index is returned.

    Parameters
    ----------
    scores : array-like of shape (n_items,)
        Finite numbers or ``+inf``/``-inf``; NaN is an error.
    k : int
        How many indices to return (``k >= 0``).

    Returns
    -------
    numpy.ndarray of shape (min(k, n_items),), int64

    Examples
    --------
    >>> from hilt.sampling import top_k
    >>> top_k([0.2, 0.9, 0.5, 0.9], 3)
    array([1, 3, 2])
    """
    k = _check_k(k)
    values = np.asarray(scores, dtype=np.float64)
    if values.ndim != 1:
        raise InputError(f"Expected 1D array of scores, got {values.ndim}D array instead.")
    if np.isnan(values).any():
        row = int(np.argmax(np.isnan(values)))
        raise InputError(f"Invalid scores: entry {row} is NaN.")
    n = values.shape[0]
    k = min(k, n)
    if k == 0:
        return np.empty(0, dtype=np.int64)
    return _select(values, k).astype(np.int64, copy=False)


#: Pools smaller than this go straight to the exact partition.
_PREFILTER_MIN_SIZE = 50_000


def _prefilter(values: np.ndarray, k: int) -> np.ndarray | None:
    """Indices of a small superset of the top ``k``, or ``None`` to use the whole array.

    A strided sample estimates a value ``t`` that a few times ``k`` scores reach; one cheap
    comparison pass then keeps the scores ``>= t``. If at least ``k`` of them do, the k-th
    highest score is ``>= t``, so every score above it and every tie at it is kept: the exact
    selection on the survivors equals the exact selection on the whole array.
    """
    n = values.shape[0]
    if n < _PREFILTER_MIN_SIZE or k * 20 > n:
        return None
    step = max(1, n // 20_000)
    sample = values[::step]
    # Aim for ~4k survivors, so sampling noise rarely leaves fewer than k.
    want = min(sample.size - 1, int(4 * k * sample.size / n) + 8)
    estimate = np.partition(sample, sample.size - 1 - want)[sample.size - 1 - want]
    survivors = np.flatnonzero(values >= estimate)
    if survivors.size < k or survivors.size > n // 4:
        return None
    return survivors


def _exact_top_k(values: np.ndarray, k: int) -> np.ndarray:
    n = values.shape[0]
    if k == n:
        chosen = np.arange(n)
    else:
        threshold = np.partition(values, n - k)[n - k]
        above = np.flatnonzero(values > threshold)
        ties = np.flatnonzero(values == threshold)[: k - above.size]
        chosen = np.sort(np.concatenate([above, ties]))
    # A stable sort of the index-ordered candidates keeps ties in index order.
    order = np.argsort(-values[chosen], kind="stable")
    return chosen[order]


def rank(probs: object, k: int, method: str = "margin") -> np.ndarray:
    """The ``k`` most uncertain rows of ``probs`` by ``method``, most uncertain first.

    Equivalent to ``top_k(score(probs, method), k)``, same indices in the same order:
    validation and scoring happen in one fused pass, then a partition picks the top ``k``.
    For entropy on large pools, rows whose top probability rules them out are not scored
    (see ``hilt.sampling._entropy_top_k``).

    Parameters
    ----------
    probs : array-like of shape (n_items, n_classes)
        Predicted class probabilities, each row summing to 1.
    k : int
        How many rows to return.
    method : {"least", "margin", "ratio", "entropy"}, default "margin"

    Returns
    -------
    numpy.ndarray of shape (min(k, n_items),), int64

    Examples
    --------
    >>> from hilt.sampling import rank
    >>> rank([[0.9, 0.1], [0.55, 0.45], [0.7, 0.3]], 2, "least")
    array([1, 2])
    """
    return _rank(probs, k, method)


def _rank(probs: object, k: int, method: str, engine: str = "auto") -> np.ndarray:
    """:func:`rank` with a choice of kernels (``auto``, ``numba``, ``numpy``): for benchmarks."""
    from hilt.sampling._entropy_top_k import entropy_top_k

    k = _check_k(k)
    method = check_method(method)
    array = as_probability_array(probs)
    engine = resolve_engine(array, engine)
    if method == "entropy":
        # The logarithm dominates entropy: bound rows by p1 and score only the few that can win.
        chosen = entropy_top_k(array, k, engine, select=_select)
        if chosen is not None:
            return chosen.astype(np.int64, copy=False)
    return top_k(score_array(array, method, False, engine), k)


def _select(values: np.ndarray, k: int) -> np.ndarray:
    """Exact top ``k`` positions of a NaN-free 1-D float64 array (``k <= values.size``)."""
    candidates = _prefilter(values, k)
    subset = values if candidates is None else values[candidates]
    chosen = _exact_top_k(subset, k)
    return chosen if candidates is None else candidates[chosen]

"""Uncertainty of multi-label probabilities: each seed method per label, combined over labels.

A multi-label model gives one independent probability per label, ``P(label j in the item's
set)``. Each label is a two-class question, so each seed method applies to the row
``[p_j, 1 - p_j]``; the item's score is the mean over labels (how unsure the model is on the
whole) or the maximum (its single most doubtful label). With two classes ``least`` and
``margin`` coincide: both are ``1 - |2p - 1|``.

Per label, in the normalized forms of :mod:`hilt.sampling.uncertainty` (1 = most uncertain),
with ``p1 = max(p, 1 - p)`` and ``p2 = min(p, 1 - p)``:

* ``least``: ``2 (1 - p1)``;  ``margin``: ``1 - (p1 - p2)``;  ``ratio``: ``p2 / p1``;
* ``entropy``: ``-(p1 log2 p1 + p2 log2 p2)``.

Large inputs go through a fused numba kernel (validate, score every label and combine in one
pass over memory; no ``(n_items, n_labels)`` temporaries), small ones through numpy.

Examples
--------
>>> from hilt.sampling import multilabel_score
>>> probs = [[0.5, 0.9], [0.9, 0.9]]
>>> multilabel_score(probs, "margin").round(3).tolist()   # mean of [1.0, 0.2] and of [0.2, 0.2]
[0.6, 0.2]
>>> multilabel_score(probs, "margin", combine="max").round(3).tolist()
[1.0, 0.2]
"""

from __future__ import annotations

import numpy as np

from hilt.errors import InputError
from hilt.sampling.uncertainty import METHODS, NUMBA_MIN_SIZE, NUMBA_WARM_MIN_SIZE, _fast_kernels, check_method

__all__ = [
    "COMBINES",
    "cardinality_inconsistency",
    "check_label_probabilities",
    "multilabel_rank",
    "multilabel_score",
    "per_label_scores",
]

#: How per-label scores become one score per item.
COMBINES = ("mean", "max")

_METHOD_CODES = {method: code for code, method in enumerate(METHODS)}


def as_label_probability_array(probs: object) -> np.ndarray:
    """``probs`` as a C-contiguous float32/float64 ``(n_items, n_labels)`` array (shape checked)."""
    if isinstance(probs, np.ndarray):
        array = probs
    else:
        try:
            array = np.asarray(probs, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"Expected a 2D array-like of numbers (n_items, n_labels), got {type(probs).__name__} "
                f"that numpy cannot read as one: {exc}"
            ) from None
    if array.ndim != 2:
        got = f"{array.ndim}D array" if array.ndim else "a scalar"
        raise InputError(f"Expected 2D array of label probabilities (n_items, n_labels), got {got} instead.")
    if array.shape[1] < 1:
        raise InputError(f"Expected at least 1 label (column), got an array of shape {array.shape}.")
    if array.dtype not in (np.float32, np.float64):
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
            raise InputError(f"Expected numeric probabilities, got dtype {array.dtype}.")
        array = array.astype(np.float64)
    return np.ascontiguousarray(array)


def explain_invalid_labels(probs: np.ndarray) -> InputError | None:
    """The first row holding NaN, infinity or a value outside [0, 1], described; else None."""
    finite = np.isfinite(probs).all(axis=1)
    with np.errstate(invalid="ignore"):
        outside = ((probs < 0) | (probs > 1)).any(axis=1)
    bad = ~finite | outside
    if not bad.any():
        return None
    row = int(np.argmax(bad))
    values = np.array2string(probs[row], precision=6, threshold=12)
    problem = "contains NaN or infinity" if not finite[row] else "has a probability outside [0, 1]"
    n_bad = int(bad.sum())
    more = f" ({n_bad - 1} more bad rows after it)" if n_bad > 1 else ""
    return InputError(
        f"Invalid label probabilities: row {row} {problem}: {values}{more} (each column is the "
        "probability of one label, in [0, 1]; rows need not sum to 1)."
    )


def check_label_probabilities(probs: object) -> np.ndarray:
    """``probs`` checked as multi-label probabilities: a 2-D float array with every value in
    [0, 1] (rows need not sum to 1); the error names the first bad row.

    Examples
    --------
    >>> from hilt.sampling import check_label_probabilities
    >>> check_label_probabilities([[0.2, 0.9]]).tolist()
    [[0.2, 0.9]]
    >>> check_label_probabilities([[0.2, 1.5]])
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Invalid label probabilities: row 0 has a probability outside [0, 1]: [0.2 1.5] (each column is the probability of one label, in [0, 1]; rows need not sum to 1).
    """
    array = as_label_probability_array(probs)
    error = explain_invalid_labels(array)
    if error is not None:
        raise error
    return array


def _check_combine(combine: str) -> str:
    if combine not in COMBINES:
        raise InputError(f"Expected combine to be one of {', '.join(COMBINES)}; got {combine!r}.")
    return combine


def _per_label(array: np.ndarray, method: str) -> np.ndarray:
    """``(n, L)`` float64 per-label scores of a checked array (the numpy path)."""
    p = array.astype(np.float64, copy=False)
    # p2 = min(p, 1 - p), not 1 - p1: the numbers of the one-label row [p, 1 - p].
    p1 = np.maximum(p, 1.0 - p)
    p2 = np.minimum(p, 1.0 - p)
    if method == "least":
        return np.minimum((1.0 - p1) * 2.0, 1.0)
    if method == "margin":
        return 1.0 - (p1 - p2)
    if method == "ratio":
        return p2 / p1  # p1 >= 0.5: never a division by zero
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = p1 * np.log2(p1) + np.where(p2 > 0, p2 * np.log2(np.where(p2 > 0, p2, 1.0)), 0.0)
    return np.minimum(np.maximum(-terms, 0.0), 1.0)


def per_label_scores(probs: object, method: str) -> np.ndarray:
    """The ``(n_items, n_labels)`` uncertainty of each label of each item by ``method``: the
    seed method applied to ``[p, 1 - p]`` (normalized form, 1 = most uncertain).

    Examples
    --------
    >>> from hilt.sampling import per_label_scores
    >>> per_label_scores([[0.5, 0.75, 1.0]], "ratio").round(4).tolist()
    [[1.0, 0.3333, 0.0]]
    """
    return _per_label(check_label_probabilities(probs), check_method(method))


def resolve_engine(array: np.ndarray, engine: str) -> str:
    """``numba`` or ``numpy`` for this array, by the rule of :func:`hilt.sampling.score`."""
    if engine not in ("auto", "numba", "numpy"):
        raise InputError(f"Expected engine 'auto', 'numba' or 'numpy', got {engine!r}.")
    if engine == "numpy":
        return "numpy"
    kernels = _fast_kernels() if engine == "numba" or array.size >= NUMBA_WARM_MIN_SIZE else None
    if kernels is None:
        return "numpy"
    if engine == "numba" or array.size >= NUMBA_MIN_SIZE:
        return "numba"
    compiled = kernels.multilabel.serial.signatures
    warm = any(sig[0].dtype.name == array.dtype.name and sig[0].layout == "C" for sig in compiled)
    return "numba" if warm else "numpy"


def _score(probs: object, method: str, combine: str, engine: str = "auto") -> np.ndarray:
    method = check_method(method)
    combine = _check_combine(combine)
    array = as_label_probability_array(probs)
    if resolve_engine(array, engine) == "numpy":
        error = explain_invalid_labels(array)
        if error is not None:
            raise error
        if combine == "mean":
            return _per_label(array, method).mean(axis=1)
        # Each label's score falls as max(p, 1 - p) rises: the max is the closest label's score
        # (of the labels tied closest, the highest), as the fused kernel computes it.
        p = array.astype(np.float64, copy=False)
        q = np.maximum(p, 1.0 - p)
        rows = np.arange(p.shape[0])
        first = q.argmin(axis=1)
        out = _per_label(p[rows, first][:, None], method)[:, 0]
        closest = q == q[rows, first][:, None]
        tied = closest.sum(axis=1) > 1  # rare: score every label tied closest, keep the highest
        if tied.any():
            out[tied] = np.where(closest[tied], _per_label(p[tied], method), -np.inf).max(axis=1)
        return out
    out = _fast_kernels().multilabel(array, _METHOD_CODES[method], combine == "max")
    if np.isnan(out).any():  # the kernel marks a bad row with NaN; find and describe the first
        error = explain_invalid_labels(array)
        if error is not None:
            raise error
    return out


def multilabel_score(probs: object, method: str, combine: str = "mean") -> np.ndarray:
    """Uncertainty of each item from its per-label probabilities.

    Parameters
    ----------
    probs : array-like of shape (n_items, n_labels)
        Independent per-label probabilities, each in [0, 1] (rows need not sum to 1).
    method : {"least", "margin", "ratio", "entropy"}
        The seed method applied to each label's ``[p, 1 - p]``.
    combine : {"mean", "max"}, default "mean"
        Mean over labels, or the most uncertain label's score.

    Returns
    -------
    numpy.ndarray of shape (n_items,), float64, in [0, 1], 1 = most uncertain

    Raises
    ------
    ValueError
        If ``probs`` is not 2-D, or a row holds NaN, infinity or a value outside [0, 1]
        (the message names the first such row).

    Examples
    --------
    >>> from hilt.sampling import multilabel_score
    >>> multilabel_score([[0.5, 1.0], [0.25, 0.75]], "entropy").round(4).tolist()
    [0.5, 0.8113]
    """
    return _score(probs, method, combine)


def multilabel_rank(probs: object, k: int, method: str = "margin", combine: str = "mean") -> np.ndarray:
    """The ``k`` most uncertain items by :func:`multilabel_score`, most uncertain first (ties to
    the lower index), as :func:`hilt.sampling.rank` does for one label per item.

    Examples
    --------
    >>> from hilt.sampling import multilabel_rank
    >>> multilabel_rank([[0.9, 0.1], [0.5, 0.9], [0.6, 0.5]], 2, "margin", "max").tolist()
    [1, 2]
    """
    from hilt.sampling.topk import top_k

    return top_k(_score(probs, method, combine), k)


def cardinality_inconsistency(probs: object, cardinality: float) -> np.ndarray:
    """Label cardinality inconsistency (Li and Guo 2013; small-text's
    ``LabelCardinalityInconsistency``): how far the size of each item's predicted set (labels
    with ``p >= 0.5``) is from ``cardinality``, the mean set size of the labelled items.

    Returns ``|#predicted - cardinality|`` per item, float64 (0 = as many labels as usual).

    Examples
    --------
    >>> from hilt.sampling import cardinality_inconsistency
    >>> cardinality_inconsistency([[0.9, 0.8, 0.1], [0.2, 0.1, 0.3], [0.6, 0.1, 0.1]], 1.5).tolist()
    [0.5, 1.5, 0.5]
    """
    array = check_label_probabilities(probs)
    if not np.isfinite(cardinality) or cardinality < 0:
        raise InputError(f"Expected cardinality to be a number >= 0, got {cardinality!r}.")
    return np.abs((array >= 0.5).sum(axis=1).astype(np.float64) - float(cardinality))

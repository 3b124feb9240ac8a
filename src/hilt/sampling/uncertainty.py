"""The four uncertainty-sampling scores of the seed, each in both of its forms.

``raw=False`` (default) gives the normalized second formula: a float in [0, 1] where 1 means
most uncertain, so that every method ranks "highest score first". ``raw=True`` gives the first
formula exactly as the seed writes it (for least, margin and ratio, *lower* means more uncertain).

Large inputs go through fused numba kernels (validate and score in one pass); small inputs,
and machines where numba is missing or disabled with ``HILT_NO_NUMBA=1``, take the numpy path.
Both give the same numbers.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from hilt import settings
from hilt.errors import InputError
from hilt.sampling import _numpy_kernels
from hilt.sampling._validate import (
    as_probability_array,
    check_probabilities,
    explain_invalid,
    row_tolerance,
)

__all__ = [
    "METHODS",
    "least_confidence",
    "margin_confidence",
    "ratio_confidence",
    "entropy_based",
    "score",
]

#: The method names accepted by :func:`score` and :func:`hilt.sampling.rank`.
METHODS = ("least", "margin", "ratio", "entropy")

#: Below this many matrix entries numpy is as fast as numba and needs no import or compile.
NUMBA_MIN_SIZE = 200_000
#: Once the kernels are compiled in this process, numba wins from about this size on (below,
#: waking its threads costs more than the work, and more still on a busy machine).
NUMBA_WARM_MIN_SIZE = 10_000

_numba_kernels = None  # the module, once imported; False when numba is unavailable


def _fast_kernels():
    """Import the numba kernels on first need (keeps ``import hilt`` and the CLI quick)."""
    global _numba_kernels
    if _numba_kernels is None:
        if settings.NO_NUMBA.read():
            _numba_kernels = False
        else:
            try:
                from hilt.sampling import _numba_kernels as module
            except ImportError:  # numba missing or broken: the numpy path still works
                module = False
            _numba_kernels = module
    return _numba_kernels or None


def _score(probs: object, method: str, raw: bool, engine: str = "auto") -> np.ndarray:
    array = as_probability_array(probs)
    return score_array(array, method, raw, resolve_engine(array, engine))


def resolve_engine(array: np.ndarray, engine: str) -> str:
    """``"numba"`` or ``"numpy"``: the kernels that ``engine`` picks for this array.

    ``auto`` takes numba from ``NUMBA_MIN_SIZE`` entries up, where it pays for importing numba;
    and from ``NUMBA_WARM_MIN_SIZE`` up once every kernel is compiled for this dtype in this
    process (after :func:`hilt.sampling.warmup`), where nothing is left to pay.
    """
    if engine == "numpy":
        return "numpy"
    if array.size >= _min_size(engine) and _fast_kernels() is not None:
        return "numba"
    if engine == "auto" and array.size >= NUMBA_WARM_MIN_SIZE and _kernels_in_memory(array.dtype):
        return "numba"
    return "numpy"


_warm_dtypes: set = set()


def _kernels_in_memory(dtype: np.dtype) -> bool:
    """Whether every numba kernel is already compiled for C-contiguous ``dtype`` input."""
    if not _numba_kernels:  # never imported (a small-input process stays numba-free) or disabled
        return False
    if dtype in _warm_dtypes:
        return True
    for kernel in _numba_kernels.ALL_KERNELS:
        if not any(sig[0].dtype.name == dtype.name and sig[0].layout == "C" for sig in kernel.signatures):
            return False
    _warm_dtypes.add(dtype)
    return True


def score_array(array: np.ndarray, method: str, raw: bool, engine: str) -> np.ndarray:
    """Validate and score a checked 2-D float array with the named kernels (``numba``/``numpy``).

    Every row is scored on its own, so a row gets the same bits whichever array holds it.
    """
    if engine == "numpy":
        check_probabilities(array)
        return _numpy_kernels.KERNELS[method](array, raw)
    scores = _fast_kernels().KERNELS[method](array, raw, row_tolerance(array.shape[1]))
    # One cheap pass over the (n_items,) result instead of error bookkeeping in the hot loop.
    if np.isnan(scores).any():
        error = explain_invalid(array)
        if error is not None:
            raise error
    return scores


def _min_size(engine: str) -> int:
    if engine == "numba":
        return 0
    if engine != "auto":
        raise InputError(f"Expected engine 'auto', 'numba' or 'numpy', got {engine!r}.")
    return NUMBA_MIN_SIZE


def least_confidence(probs: object, raw: bool = False) -> np.ndarray:
    """Least-confidence uncertainty of each row.

    Parameters
    ----------
    probs : array-like of shape (n_items, n_classes)
        Predicted class probabilities, each row summing to 1.
    raw : bool, default False
        ``False``: ``(1 - p1) * n / (n - 1)`` in [0, 1], 1 = most uncertain.
        ``True``: ``p1``, the top probability (lower = more uncertain).

    Returns
    -------
    numpy.ndarray of shape (n_items,), float64

    Raises
    ------
    ValueError
        If ``probs`` is not 2-D, has fewer than 2 columns, or a row holds NaN, infinity,
        a negative value or does not sum to 1 (within 1e-6 per class); the message names
        the first such row.

    Examples
    --------
    >>> from hilt.sampling import least_confidence
    >>> least_confidence([[0.5, 0.3, 0.2], [1.0, 0.0, 0.0]])
    array([0.75, 0.  ])
    >>> least_confidence([[0.5, 0.3, 0.2]], raw=True)
    array([0.5])
    """
    return _score(probs, "least", raw)


def margin_confidence(probs: object, raw: bool = False) -> np.ndarray:
    """Margin-of-confidence uncertainty of each row.

    Parameters
    ----------
    probs : array-like of shape (n_items, n_classes)
        Predicted class probabilities, each row summing to 1.
    raw : bool, default False
        ``False``: ``1 - (p1 - p2)`` in [0, 1], 1 = most uncertain.
        ``True``: ``p1 - p2`` (lower = more uncertain).

    Returns
    -------
    numpy.ndarray of shape (n_items,), float64

    Examples
    --------
    >>> from hilt.sampling import margin_confidence
    >>> margin_confidence([[0.5, 0.3, 0.2]])
    array([0.8])
    >>> margin_confidence([[0.5, 0.3, 0.2]], raw=True)
    array([0.2])
    """
    return _score(probs, "margin", raw)


def ratio_confidence(probs: object, raw: bool = False) -> np.ndarray:
    """Ratio-of-confidence uncertainty of each row.

    Parameters
    ----------
    probs : array-like of shape (n_items, n_classes)
        Predicted class probabilities, each row summing to 1.
    raw : bool, default False
        ``False``: ``p2 / p1`` in [0, 1], 1 = most uncertain.
        ``True``: ``p1 / p2`` in [1, inf] (``inf`` when ``p2 == 0``; lower = more uncertain).

    Returns
    -------
    numpy.ndarray of shape (n_items,), float64

    Examples
    --------
    >>> from hilt.sampling import ratio_confidence
    >>> ratio_confidence([[0.5, 0.25, 0.25]])
    array([0.5])
    >>> ratio_confidence([[0.5, 0.25, 0.25], [1.0, 0.0, 0.0]], raw=True)
    array([ 2., inf])
    """
    return _score(probs, "ratio", raw)


def entropy_based(probs: object, raw: bool = False) -> np.ndarray:
    """Entropy-based uncertainty of each row (``0 * log 0 = 0``).

    Parameters
    ----------
    probs : array-like of shape (n_items, n_classes)
        Predicted class probabilities, each row summing to 1.
    raw : bool, default False
        ``False``: ``-sum(p log2 p) / log2(n)`` in [0, 1], 1 = most uncertain.
        ``True``: ``-sum(p log2 p)`` in bits.

    Returns
    -------
    numpy.ndarray of shape (n_items,), float64

    Examples
    --------
    >>> from hilt.sampling import entropy_based
    >>> entropy_based([[0.5, 0.5, 0.0, 0.0]])
    array([0.5])
    >>> entropy_based([[0.5, 0.5, 0.0, 0.0]], raw=True)
    array([1.])
    """
    return _score(probs, "entropy", raw)


_BY_NAME: dict[str, Callable[..., np.ndarray]] = {
    "least": least_confidence,
    "margin": margin_confidence,
    "ratio": ratio_confidence,
    "entropy": entropy_based,
}


def check_method(method: str) -> str:
    """Return ``method`` if it names an uncertainty score, else raise a clear error."""
    if method not in _BY_NAME:
        raise InputError(
            f"Expected method to be one of {', '.join(METHODS)}; got {method!r}."
        )
    return method


def score(probs: object, method: str, raw: bool = False) -> np.ndarray:
    """Uncertainty score of each row by the named method.

    Parameters
    ----------
    probs : array-like of shape (n_items, n_classes)
        Predicted class probabilities, each row summing to 1.
    method : {"least", "margin", "ratio", "entropy"}
    raw : bool, default False
        See the method's own function.

    Returns
    -------
    numpy.ndarray of shape (n_items,), float64

    Examples
    --------
    >>> from hilt.sampling import score
    >>> score([[0.9, 0.1], [0.6, 0.4]], "margin")
    array([0.2, 0.8])
    """
    return _score(probs, check_method(method), raw)

"""Boundary checks for probability matrices, in the style of scikit-learn's ``check_array``.

The fast paths validate inside their single pass and only call :func:`explain_invalid` when
something is wrong, so the careful (slower) search for the first offending row runs only on
the error path.
"""

from __future__ import annotations

import numpy as np

from hilt.errors import InputError

#: Rows must sum to 1 within ``SUM_TOLERANCE * n_classes``.
SUM_TOLERANCE = 1e-6


def as_probability_array(probs: object) -> np.ndarray:
    """Return ``probs`` as a C-contiguous float32/float64 2-D array, checking only the shape.

    Values are checked later, in the same pass that scores them.
    """
    array = probs if isinstance(probs, np.ndarray) else _from_array_like(probs)
    if array.ndim != 2:
        got = f"{array.ndim}D array" if array.ndim else "a scalar"
        hint = " (reshape a single row with probs[None, :])" if array.ndim == 1 else ""
        raise InputError(
            f"Expected 2D array of probabilities (n_items, n_classes), got {got} instead{hint}."
        )
    if array.shape[1] < 2:
        raise InputError(
            f"Expected at least 2 classes (columns), got {array.shape[1]} in an array of shape "
            f"{array.shape}."
        )
    if array.dtype not in (np.float32, np.float64):
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
            raise InputError(f"Expected numeric probabilities, got dtype {array.dtype}.")
        array = array.astype(np.float64)
    return np.ascontiguousarray(array)


def _from_array_like(probs: object) -> np.ndarray:
    try:
        return np.asarray(probs, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"Expected a 2D array-like of numbers (n_items, n_classes), got {type(probs).__name__} "
            f"that numpy cannot read as one: {exc}"
        ) from None


def row_tolerance(n_classes: int) -> float:
    """How far a row sum may stray from 1."""
    return SUM_TOLERANCE * n_classes


def explain_invalid(probs: np.ndarray) -> InputError | None:
    """Find the first bad row of a 2-D array and describe it; ``None`` if every row is fine."""
    n_classes = probs.shape[1]
    finite = np.isfinite(probs).all(axis=1)
    negative = (probs < 0).any(axis=1)
    with np.errstate(invalid="ignore", over="ignore"):
        sums = probs.sum(axis=1, dtype=np.float64)
    off = ~(np.abs(sums - 1.0) <= row_tolerance(n_classes))
    bad = ~finite | negative | off
    if not bad.any():
        return None
    row = int(np.argmax(bad))
    values = np.array2string(probs[row], precision=6, threshold=12)
    if not finite[row]:
        problem = "contains NaN or infinity"
    elif negative[row]:
        problem = "contains a negative probability"
    else:
        problem = (
            f"sums to {sums[row]:.9g}, expected 1 within {row_tolerance(n_classes):.1g} "
            "(pass logits through hilt.sampling.softmax first)"
        )
    n_bad = int(bad.sum())
    more = f" ({n_bad - 1} more bad rows after it)" if n_bad > 1 else ""
    return InputError(f"Invalid probabilities: row {row} {problem}: {values}{more}.")


def check_probabilities(probs: np.ndarray) -> None:
    """Raise the :func:`explain_invalid` error if any row is bad."""
    error = explain_invalid(probs)
    if error is not None:
        raise error

"""Turning scores or logits into probabilities."""

from __future__ import annotations

import numpy as np

from hilt.errors import InputError

__all__ = ["softmax"]


def softmax(logits: object, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax, stable for large logits (the row maximum is subtracted first).

    Parameters
    ----------
    logits : array-like of shape (n_items, n_classes) or (n_classes,)
        Finite real numbers.
    temperature : float, default 1.0
        Positive; higher flattens the distribution, lower sharpens it.

    Returns
    -------
    numpy.ndarray of the same shape, float64 (float32 stays float32), rows summing to 1.

    Examples
    --------
    >>> from hilt.sampling import softmax
    >>> softmax([[0.0, 0.0], [1000.0, 0.0]]).round(6)
    array([[0.5, 0.5],
           [1. , 0. ]])
    """
    if not np.isfinite(temperature) or temperature <= 0:
        raise InputError(f"Expected temperature > 0, got {temperature!r}.")
    values = np.asarray(logits)
    if values.dtype not in (np.float32, np.float64):
        try:
            values = values.astype(np.float64)
        except (TypeError, ValueError):
            raise InputError(f"Expected numeric logits, got dtype {values.dtype}.") from None
    if values.ndim not in (1, 2) or values.shape[-1] == 0:
        raise InputError(
            f"Expected 1D or 2D array of logits with at least one column, got shape {values.shape}."
        )
    if not np.isfinite(values).all():
        flat = ~np.isfinite(values.reshape(-1, values.shape[-1])).all(axis=1)
        raise InputError(f"Invalid logits: row {int(np.argmax(flat))} contains NaN or infinity.")
    shifted = (values - values.max(axis=-1, keepdims=True)) / temperature
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)

"""Figures of a multi-label model on the evaluation sample, each with a 95 % bootstrap interval.

Pure functions over indicator matrices ``(n_items, n_labels)`` of bool: the truth and the
prediction. The interval resamples evaluation *items* (their whole rows), with a fixed seed, so
the same answers always give the same interval. Every resample's figure comes from per-item
counts weighted by how often the resample drew each item: one matrix product, not a loop.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hilt.tasks.bootstrap import BOOTSTRAP_ROUNDS, bootstrap_weights, with_intervals

__all__ = ["BOOTSTRAP_ROUNDS", "METRICS", "multilabel_metrics"]

#: The figures, in the order they are reported; the first is the headline.
METRICS = ("micro_f1", "macro_f1", "subset_accuracy", "hamming_loss")


def _figures(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, exact: np.ndarray, wrong: np.ndarray,
             n: np.ndarray, n_labels: int) -> dict[str, np.ndarray]:
    """The four figures from (weighted) sums: ``tp``/``fp``/``fn`` per label ``(..., L)``,
    ``exact`` rows right, ``wrong`` cells wrong, ``n`` items (each ``(...)``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        T, P, N = tp.sum(-1), fp.sum(-1), fn.sum(-1)
        micro = np.where(2 * T + P + N > 0, 2 * T / (2 * T + P + N), 1.0)
        # Macro-F1 over the labels the truth or the prediction has in the sample: a label
        # neither uses says nothing about the model (scikit-learn's ``labels=`` those labels).
        used = (tp + fp + fn) > 0
        per_label = np.where(used, 2 * tp / np.where(used, 2 * tp + fp + fn, 1), 0.0)
        k = used.sum(-1)
        macro = np.where(k > 0, per_label.sum(-1) / np.maximum(k, 1), 1.0)
        return {"micro_f1": micro, "macro_f1": macro, "subset_accuracy": exact / n,
                "hamming_loss": wrong / (n * n_labels)}


def multilabel_metrics(truth: Any, predicted: Any, *, seed: int = 0,
                       rounds: int = BOOTSTRAP_ROUNDS) -> dict[str, dict[str, Any]]:
    """Micro-F1, macro-F1, subset accuracy and Hamming loss, each ``{"value", "ci"}``.

    Parameters
    ----------
    truth, predicted : array-like of bool, shape (n_items, n_labels)
    seed : int, default 0
        Seeds the bootstrap.
    rounds : int, default 1000

    Returns
    -------
    dict
        name -> ``{"value": float, "ci": [low, high]}`` in :data:`METRICS` order; empty for no items.

    Examples
    --------
    >>> import numpy as np
    >>> truth = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]], bool)
    >>> predicted = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 1, 1]], bool)
    >>> figures = multilabel_metrics(truth, predicted)
    >>> {name: round(f["value"], 4) for name, f in figures.items()}
    {'micro_f1': 0.8333, 'macro_f1': 0.8222, 'subset_accuracy': 0.5, 'hamming_loss': 0.1667}
    >>> low, high = figures["micro_f1"]["ci"]; low <= 0.8333 <= high
    True
    """
    truth = np.asarray(truth, dtype=bool)
    predicted = np.asarray(predicted, dtype=bool)
    if truth.shape != predicted.shape or truth.ndim != 2:
        raise ValueError(f"Expected truth and predicted of one 2-D shape; got {truth.shape} and {predicted.shape}.")
    n, n_labels = truth.shape
    if n == 0:
        return {}
    tp = (truth & predicted).astype(np.float64)
    fp = (~truth & predicted).astype(np.float64)
    fn = (truth & ~predicted).astype(np.float64)
    exact = (truth == predicted).all(axis=1).astype(np.float64)
    wrong = (truth != predicted).sum(axis=1).astype(np.float64)
    value = _figures(tp.sum(0), fp.sum(0), fn.sum(0), exact.sum(), wrong.sum(), np.float64(n), n_labels)
    weights = bootstrap_weights(n, rounds, seed)
    boot = _figures(weights @ tp, weights @ fp, weights @ fn, weights @ exact, weights @ wrong,
                    np.full(rounds, float(n)), n_labels)
    return with_intervals(value, boot, METRICS)

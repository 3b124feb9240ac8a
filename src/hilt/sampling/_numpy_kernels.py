"""Reference implementation in plain numpy: the fallback path and the oracle for the fast one.

Every function takes a validated C-contiguous 2-D float array and returns float64 scores.
"""

from __future__ import annotations

import numpy as np


def top_two(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Highest and second-highest probability of each row, as float64."""
    n_classes = probs.shape[1]
    if n_classes == 2:
        a = probs[:, 0].astype(np.float64)
        b = probs[:, 1].astype(np.float64)
        return np.maximum(a, b), np.minimum(a, b)
    part = np.partition(probs, n_classes - 2, axis=1)[:, -2:]
    return part[:, 1].astype(np.float64), part[:, 0].astype(np.float64)


def least_confidence(probs: np.ndarray, raw: bool) -> np.ndarray:
    p1 = probs.max(axis=1).astype(np.float64)
    if raw:
        return p1
    n = probs.shape[1]
    # A uniform row can round to 1 + 2e-16; the contract says [0, 1].
    return np.minimum((1.0 - p1) * (n / (n - 1)), 1.0)


def margin_confidence(probs: np.ndarray, raw: bool) -> np.ndarray:
    p1, p2 = top_two(probs)
    return p1 - p2 if raw else 1.0 - (p1 - p2)


def ratio_confidence(probs: np.ndarray, raw: bool) -> np.ndarray:
    p1, p2 = top_two(probs)
    with np.errstate(divide="ignore", over="ignore"):
        # p1 >= 1/n > 0 for a valid row, so only the raw form can divide by zero (-> inf).
        return p1 / p2 if raw else p2 / p1


def entropy_based(probs: np.ndarray, raw: bool) -> np.ndarray:
    p = probs.astype(np.float64, copy=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)
    entropy = -terms.sum(axis=1)
    # -0.0 for one-hot rows would print oddly; clamp tiny negatives from rounding to 0.
    entropy = np.maximum(entropy, 0.0)
    if raw:
        return entropy
    return np.minimum(entropy / np.log2(probs.shape[1]), 1.0)


KERNELS = {
    "least": least_confidence,
    "margin": margin_confidence,
    "ratio": ratio_confidence,
    "entropy": entropy_based,
}

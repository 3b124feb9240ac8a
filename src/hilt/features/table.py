"""The table featurizer: each numeric column scaled to mean 0 and standard deviation 1."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from hilt.features.base import Featurizer, Progress, as_float32

__all__ = ["ScaleFeatures"]


class ScaleFeatures(Featurizer):
    """Standard scaling of numeric table rows (scikit-learn's ``StandardScaler``).

    Examples
    --------
    >>> from hilt.features import ScaleFeatures
    >>> ScaleFeatures().fit_transform([[1.0, 10.0], [3.0, 30.0]]).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """

    name = "scale"
    kinds = ("table",)
    classifier_C = 1.0
    #: New rows are scaled by the fitted means and spreads until a retrain refits them.
    incremental = "kept"

    def __init__(self) -> None:
        self._scaler: Any = None

    def params(self) -> dict:
        return {"with_mean": True, "with_std": True}

    def _fit_blocks(self, items: Any, progress: Progress | None, cancelled: Callable[[], bool]) -> list[Any]:
        from sklearn.preprocessing import StandardScaler

        self._scaler = StandardScaler()
        return [as_float32(self._scaler.fit_transform(np.asarray(items, dtype=np.float64)))]

    def _transform_blocks(self, items: Any) -> list[Any]:
        return [as_float32(self._scaler.transform(np.asarray(items, dtype=np.float64)))]

    # A cluster's pass: each partition's count, mean and sum of squared deviations, merged
    # pairwise (Chan et al.), give the pool's mean and variance.
    distributable = True

    def partition_stats(self, items: Any) -> tuple[int, np.ndarray, np.ndarray]:
        X = np.asarray(items, dtype=np.float64)
        if X.shape[0] == 0:
            return 0, np.zeros(X.shape[1:] or (0,)), np.zeros(X.shape[1:] or (0,))
        mean = X.mean(axis=0)
        return X.shape[0], mean, ((X - mean) ** 2).sum(axis=0)

    def merge_stats(self, a: tuple, b: tuple) -> tuple[int, np.ndarray, np.ndarray]:
        (n_a, mean_a, m2_a), (n_b, mean_b, m2_b) = a, b
        if n_a == 0 or n_b == 0:
            return b if n_a == 0 else a
        n = n_a + n_b
        delta = mean_b - mean_a
        return n, mean_a + delta * (n_b / n), m2_a + m2_b + delta**2 * (n_a * n_b / n)

    def fit_stats(self, stats: tuple) -> "ScaleFeatures":
        from sklearn.preprocessing import StandardScaler

        n, mean, m2 = stats
        scaler = StandardScaler()
        var = m2 / max(n, 1)
        # StandardScaler's own rule for (near) constant columns: leave them unscaled.
        from sklearn.preprocessing._data import _handle_zeros_in_scale, _is_constant_feature

        scale = _handle_zeros_in_scale(np.sqrt(var), copy=False,
                                       constant_mask=_is_constant_feature(var, mean, n))
        scaler.mean_, scaler.var_, scaler.scale_ = mean, var, scale
        scaler.n_samples_seen_, scaler.n_features_in_ = int(n), int(len(mean))
        self._scaler = scaler
        return self

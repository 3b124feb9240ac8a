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

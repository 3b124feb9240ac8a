"""Uncertainty sampling (the four methods of :mod:`hilt.sampling`) and random sampling."""

from __future__ import annotations

import numpy as np

from hilt.sampling import top_k
from hilt.strategies.base import QueryContext

__all__ = ["RandomStrategy", "UncertaintyStrategy", "random_pick"]


def random_pick(context: QueryContext, k: int) -> np.ndarray:
    """``k`` candidates drawn at random (without repeats) from ``context.rng``."""
    k = min(k, context.candidates.size)
    return context.rng.choice(context.candidates, size=k, replace=False).astype(np.int64)


class RandomStrategy:
    """Items drawn at random: the baseline, and what explores best when nothing is known.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies import QueryContext, get_strategy
    >>> ctx = QueryContext(np.zeros((6, 1)), np.arange(6), np.empty(0), [], None, np.random.default_rng(0))
    >>> sorted(get_strategy("random").select(ctx, 6).tolist())
    [0, 1, 2, 3, 4, 5]
    """

    name = "random"
    cold_uses_features = False

    def select(self, context: QueryContext, k: int) -> np.ndarray:
        return random_pick(context, k)


class UncertaintyStrategy:
    """The ``k`` candidates the model is least sure about by ``method``, most uncertain first.

    ``method`` is one of :data:`hilt.sampling.METHODS`; for a multi-label model its mean over
    labels, and ``METHOD:max`` (multi-label only) its maximum over labels. Cold start (no
    model): random items.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.models import AlignedModel
    >>> from sklearn.linear_model import LogisticRegression
    >>> from hilt.strategies import QueryContext, get_strategy
    >>> X = np.array([[-3.0], [-0.1], [0.0], [2.0], [3.0]])
    >>> model = AlignedModel(LogisticRegression(), ["a", "b"]).fit(X[[0, 4]], ["a", "b"])
    >>> ctx = QueryContext(X, np.arange(1, 4), np.array([0, 4]), ["a", "b"], model, np.random.default_rng(0))
    >>> get_strategy("margin").select(ctx, 2).tolist()  # nearest the boundary at 0 first
    [2, 1]
    """

    cold_uses_features = False

    def __init__(self, method: str):
        self.method = method
        self.name = method
        #: ``METHOD:max`` combines over labels: it has a meaning for multi-label models only.
        self.multilabel_only = ":" in method

    def scores(self, context: QueryContext) -> np.ndarray:
        """One uncertainty score per candidate (1 = most uncertain)."""
        return context.scores(self.method)

    def select(self, context: QueryContext, k: int) -> np.ndarray:
        if context.is_cold:
            return random_pick(context, k)
        return context.candidates[top_k(self.scores(context), k)]

"""Label cardinality inconsistency (``cardinality``, multi-label only): items whose predicted
set is of an unusual size.

Li and Guo (2013) and small-text's ``LabelCardinalityInconsistency``: the labelled items carry
on average ``c`` labels; an item whose predicted set (labels with ``p >= 0.5``) has many more
or fewer labels than ``c`` is one where the model's per-label decisions do not add up, however
sure each of them is. Per-label uncertainty looks at one label at a time and misses this.

The inconsistency takes few distinct values (set sizes are whole numbers), so candidates equal
on it are ordered by their mean per-label ``margin`` uncertainty: the order is lexicographic
(inconsistency first, always), and the score a mix or ``+diverse`` reads is that order's rank,
scaled to (0, 1] (1 = the first to ask about).
"""

from __future__ import annotations

import numpy as np

from hilt.errors import InputError
from hilt.sampling import cardinality_inconsistency, multilabel_score, top_k
from hilt.strategies.base import QueryContext
from hilt.strategies.uncertainty import random_pick

__all__ = ["CardinalityStrategy", "lexicographic_scores"]


def lexicographic_scores(first: np.ndarray, then: np.ndarray) -> np.ndarray:
    """Scores in (0, 1] that order items by ``first`` (highest first), then by ``then``, then
    by position: the item ranked ``r`` (from 0) of ``n`` scores ``1 - r / n``.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies.cardinality import lexicographic_scores
    >>> lexicographic_scores(np.array([1.0, 2.0, 1.0, 1.0]), np.array([0.1, 0.0, 0.9, 0.1])).tolist()
    [0.5, 1.0, 0.75, 0.25]
    """
    n = first.size
    order = np.lexsort((np.arange(n), -then, -first))
    scores = np.empty(n, dtype=np.float64)
    scores[order] = 1.0 - np.arange(n, dtype=np.float64) / max(n, 1)
    return scores


class CardinalityStrategy:
    """Label cardinality inconsistency, ties broken by mean per-label margin uncertainty.

    Multi-label models only. Cold start (no model): random items.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from hilt.models import MultiLabelModel
    >>> from hilt.strategies import QueryContext, get_strategy
    >>> X = np.array([[4.0, 0.0], [0.0, 4.0], [0.0, 0.0], [4.0, 4.0], [5.0, 0.0], [5.0, 5.0]])
    >>> y = [["a"], ["b"], [], ["a", "b"]]   # one label per item on average
    >>> model = MultiLabelModel(LogisticRegression(C=10.0), ["a", "b"]).fit(X[:4], y)
    >>> model.predict(X[4:])
    [('a',), ('a', 'b')]
    >>> ctx = QueryContext(X, np.array([4, 5]), np.arange(4), y, model, np.random.default_rng(0))
    >>> get_strategy("cardinality").select(ctx, 2).tolist()  # the item with two labels first
    [5, 4]
    """

    name = "cardinality"
    cold_uses_features = False
    multilabel_only = True

    def scores(self, context: QueryContext) -> np.ndarray:
        """Per candidate: the rank by (inconsistency, mean margin), scaled to (0, 1]."""
        if "cardinality" not in context.memo:
            if not context.multilabel:
                raise InputError("Expected a multi-label model for the 'cardinality' strategy, "
                                 "got a model with one label per item.")
            sizes = [len(answer) for answer in context.y]
            usual = float(np.mean(sizes)) if sizes else 0.0

            def both(X):  # one prediction per chunk serves the inconsistency and the tie-break
                probs = context.model.predict_proba(X)
                return np.column_stack([cardinality_inconsistency(probs, usual), multilabel_score(probs, "margin")])

            values = both(context._probs) if context._probs is not None else context.predict(context.candidates, both)
            context.memo.setdefault("score:margin", values[:, 1])
            context.memo["cardinality"] = lexicographic_scores(values[:, 0], context.memo["score:margin"])
        return context.memo["cardinality"]

    def select(self, context: QueryContext, k: int) -> np.ndarray:
        if context.is_cold:
            return random_pick(context, k)
        return context.candidates[top_k(self.scores(context), k)]

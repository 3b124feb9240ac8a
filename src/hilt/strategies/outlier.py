"""Model-based outliers: items the model has little evidence for, whatever it predicts.

Munro's *Human-in-the-Loop Machine Learning* (chapter 4): take the model's activations for
each label on a validation sample of labelled items; an unlabelled item whose activations rank
low against those of the validation items, for every label, is something the model has not
learnt to recognise, which uncertainty sampling alone never asks about.

The activations of a linear model (a ``coef_``, as the default logistic regression has) are
its per-label scores ``X @ coef.T + intercept``; with two labels a linear model has one score,
whose positive and negative contributions ``Σ max(0, w·x)`` and ``Σ max(0, -w·x)`` are the
evidence for each label (an item with none of the words the model weighs has little of
either). Other models: the log-probabilities.

A multi-label model (one-vs-rest) has one linear score per label: each label's positive and
negative contributions are two activations, so an item is an outlier when it has little
evidence for or against any label. Multi-label models without ``coef_``: ``log p`` and
``log (1 - p)`` per label.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from hilt.sampling import top_k
from hilt.strategies.base import QueryContext
from hilt.strategies.cluster import cluster_representatives

__all__ = ["OutlierStrategy", "activations", "outlier_scores"]


def activations(model: Any, X: Any) -> np.ndarray:
    """Per-label activations of a fitted :class:`hilt.models.AlignedModel` for rows ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from hilt.models import AlignedModel
    >>> from hilt.strategies.outlier import activations
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> model = AlignedModel(LogisticRegression(), ["a", "b"]).fit(X, ["a", "b"])
    >>> activations(model, np.array([[0.0, 0.0], [2.0, 0.0]])).round(2).tolist()  # evidence for a, b
    [[0.0, 0.0], [0.8, 0.0]]
    """
    from hilt.features.blocks import FeatureBlocks

    if isinstance(X, FeatureBlocks):  # a chunk of the pool's rows: joined, the rows' values are needed
        X = X.tocsr()
    if getattr(model, "multilabel", False):
        return _multilabel_activations(model, X)
    estimator = model.estimator
    coef = getattr(estimator, "coef_", None)
    if coef is not None and np.ndim(coef) == 2 and coef.shape[0] == 1:
        w = np.asarray(coef, dtype=np.float64).ravel()
        if sp.issparse(X):
            contributions = sp.csr_matrix(X).multiply(w[None, :]).tocsr()
            positive = np.asarray(contributions.maximum(0).sum(axis=1)).ravel()
            negative = np.asarray((-contributions).maximum(0).sum(axis=1)).ravel()
        else:
            contributions = np.asarray(X, dtype=np.float64) * w[None, :]
            positive = np.maximum(contributions, 0).sum(axis=1)
            negative = np.maximum(-contributions, 0).sum(axis=1)
        return np.column_stack([negative, positive])  # classes_[0], classes_[1]
    if coef is not None and hasattr(estimator, "decision_function"):
        return np.asarray(estimator.decision_function(X), dtype=np.float64)
    probs = model.predict_proba(X)
    return np.log(np.clip(probs, 1e-12, None))


def _multilabel_activations(model: Any, X: Any) -> np.ndarray:
    """``(n, 2 m)``: the negative and positive evidence of each of the ``m`` labels a linear
    copy was fitted for; for other models ``log p`` and ``log (1 - p)`` of every label."""
    linear = [e for e in model.estimators_ if e is not None and np.ndim(getattr(e, "coef_", None)) == 2]
    if not linear or len(linear) != int(np.sum([e is not None for e in model.estimators_])):
        probs = np.clip(model.predict_proba(X), 1e-12, 1 - 1e-12)
        return np.column_stack([np.log(probs), np.log1p(-probs)])
    W = np.column_stack([np.asarray(e.coef_, dtype=np.float64).ravel() for e in linear])
    nonnegative = (X.data.min(initial=0.0) >= 0) if sp.issparse(X) else (np.min(X, initial=0.0) >= 0)
    if nonnegative:  # x >= 0: max(0, x w) = x max(0, w), so two products give every label's evidence
        positive = np.asarray(X @ np.maximum(W, 0.0), dtype=np.float64)
        negative = np.asarray(X @ np.maximum(-W, 0.0), dtype=np.float64)
    else:
        columns = []
        for j in range(W.shape[1]):
            if sp.issparse(X):
                contributions = sp.csr_matrix(X).multiply(W[None, :, j]).tocsr()
                columns.append((np.asarray((-contributions).maximum(0).sum(axis=1)).ravel(),
                                np.asarray(contributions.maximum(0).sum(axis=1)).ravel()))
            else:
                contributions = np.asarray(X, dtype=np.float64) * W[None, :, j]
                columns.append((np.maximum(-contributions, 0).sum(axis=1), np.maximum(contributions, 0).sum(axis=1)))
        negative = np.column_stack([c[0] for c in columns])
        positive = np.column_stack([c[1] for c in columns])
    return np.column_stack([negative, positive])


def outlier_scores(candidate_activations: np.ndarray, validation_activations: np.ndarray) -> np.ndarray:
    """``1 - mean rank``: for each label, the share of validation items whose activation is
    below the candidate's, averaged over labels; 1 = lower than every validation item on every
    label (the strongest outlier).

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies.outlier import outlier_scores
    >>> validation = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]])
    >>> outlier_scores(np.array([[0.0, 0.0], [5.0, 5.0], [2.5, 0.5]]), validation).tolist()
    [1.0, 0.0, 0.75]
    """
    validation = np.sort(np.asarray(validation_activations, dtype=np.float64), axis=0)
    ranks = np.empty_like(candidate_activations, dtype=np.float64)
    for column in range(validation.shape[1]):
        ranks[:, column] = np.searchsorted(validation[:, column], candidate_activations[:, column], side="left")
    return 1.0 - ranks.mean(axis=1) / validation.shape[0]


class OutlierStrategy:
    """Model-based outliers: the candidates whose activations rank lowest against a validation
    sample of labelled items (the evaluation sample in a project, else the training labels).

    Cold start (no model): cluster representatives.
    """

    name = "outlier"
    cold_uses_features = True

    def select(self, context: QueryContext, k: int) -> np.ndarray:
        if context.is_cold:
            return cluster_representatives(context, k)
        return context.candidates[top_k(self.scores(context), k)]

    def scores(self, context: QueryContext) -> np.ndarray:
        """Outlier score per candidate (1 = below every validation item on every label)."""
        if "outlier" not in context.memo:
            has_validation = context.validation is not None and len(context.validation)
            validation = context.validation if has_validation else context.labelled
            reference = activations(context.model, context.X[validation])
            found = context.predict(context.candidates, lambda X: activations(context.model, X))
            context.memo["outlier"] = outlier_scores(found, reference)
        return context.memo["outlier"]

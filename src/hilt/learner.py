"""An in-memory active-learning loop: a pool, the labels given so far, a model, a strategy."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from hilt import strategies
from hilt.errors import InputError
from hilt.models import AlignedModel, default_classifier, detect_kind, fresh_copy, make_featurizer
from hilt.strategies import STRATEGIES, check_strategy

__all__ = ["STRATEGIES", "ActiveLearner", "check_strategy"]


def as_indexable(items: Any) -> Any:
    """Items in a form that fancy indexing works on: a 1-D object array of texts, a 2-D
    float array, or a CSR matrix."""
    from hilt.features.blocks import FeatureBlocks

    if isinstance(items, FeatureBlocks):  # features kept as blocks: rows are joined when read
        return items
    if isinstance(items, (pd.DataFrame, pd.Series)):
        items = items.to_numpy()
    if hasattr(items, "tocsr"):
        return items.tocsr()
    if isinstance(items, np.ndarray):
        return items
    if isinstance(items, Sequence) and items and isinstance(items[0], str):
        return np.asarray(items, dtype=object)
    return np.asarray(items, dtype=np.float64)


class ActiveLearner:
    """Pool-based active learning with any strategy of :mod:`hilt.strategies`.

    Parameters
    ----------
    pool : sequence of str, 2-D array-like, sparse matrix or DataFrame
        The unlabelled items, addressed by their position ``0 .. len(pool) - 1``.
    labels : sequence
        Every label the task has; probabilities are aligned to this list.
    strategy : str, default "margin"
        How :meth:`query` picks items: a name from :data:`hilt.strategies.STRATEGIES` (``margin``,
        ``margin+diverse``, ``cluster``, ``committee``, …) or a mix such as
        ``margin+diverse:8/random:1/outlier:1``.
    model : scikit-learn classifier, optional
        Without ``features``: applied to the raw items (so a text model must include its
        vectorizer). With ``features``: fitted on the features. Default: logistic regression
        with the strength chosen for the features.
    features : str or scikit-learn transformer, optional
        How items become feature rows (:func:`hilt.features.get_featurizer`): ``tfidf``,
        ``embeddings``, ``tfidf+embeddings`` (text), ``scale`` (tables) or a transformer. It is
        fitted once on the whole pool and cached. Default, when ``model`` is not given either:
        :data:`hilt.features.DEFAULT_FEATURES` for the pool's kind.
    random_state : int, optional
        Seeds the cold-start and ``random`` choices.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from hilt.learner import ActiveLearner
    >>> X, y = load_iris(return_X_y=True)
    >>> learner = ActiveLearner(X, labels=[0, 1, 2], strategy="margin", random_state=0)
    >>> first = learner.query(5)           # cold start: random items
    >>> learner.teach(first, y[first])
    >>> while learner.is_cold:             # until two different labels exist
    ...     more = learner.query(5)
    ...     learner.teach(more, y[more])
    >>> nxt = learner.query(3)             # now the three most uncertain items
    >>> len(set(nxt) & set(learner.labelled_indices))
    0
    """

    def __init__(
        self,
        pool: Any,
        labels: Sequence[Any],
        *,
        strategy: str = "margin",
        model: Any = None,
        features: Any = None,
        random_state: int | None = None,
    ):
        self.strategy = check_strategy(strategy)
        self._strategy = strategies.get_strategy(self.strategy)
        raw = as_indexable(pool)
        n_items = raw.shape[0]
        if n_items == 0:
            raise InputError("Expected a pool with at least one item, got an empty pool.")
        if model is None or features is not None:
            self.kind = detect_kind(raw)
            self._featurizer = make_featurizer(self.kind, features)
            self._X = self._featurizer.fit_matrix(raw)
            estimator = (default_classifier(random_state, C=self._featurizer.classifier_C) if model is None
                         else fresh_copy(model))
        else:
            self.kind = None
            self._featurizer = None
            self._X = raw
            estimator = fresh_copy(model)
        # What the diversity strategies compare items on: the model's features, or (when a
        # user's pipeline takes the raw texts) the default featurizer's, made when first needed.
        self._raw = raw
        self._diversity_X: Any = None
        self.model = AlignedModel(estimator, labels)
        self.labels = self.model.labels
        self.n_items = n_items
        self._label_of: dict[int, Any] = {}
        self._labelled = np.zeros(n_items, dtype=bool)
        self._rng = np.random.default_rng(random_state)

    # -- state -------------------------------------------------------------------------
    @property
    def is_cold(self) -> bool:
        """True until a model has been fitted (that needs two different labels)."""
        return not self.model.is_fitted

    @property
    def labelled_indices(self) -> np.ndarray:
        """Pool positions labelled so far, in the order they were taught."""
        return np.fromiter(self._label_of.keys(), dtype=np.int64, count=len(self._label_of))

    @property
    def n_labelled(self) -> int:
        return len(self._label_of)

    def unlabelled_indices(self) -> np.ndarray:
        return np.flatnonzero(~self._labelled)

    # -- the loop ----------------------------------------------------------------------
    def query(self, k: int = 1) -> np.ndarray:
        """Pool positions of the next ``k`` items to label (fewer if fewer are left).

        Never an item already labelled, never one twice; the first to label first. The
        choice is :func:`hilt.strategies.select`'s, the same code a project serves people by.
        While the learner is cold the uncertainty strategies draw at random and the diversity
        strategies take cluster representatives.
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise InputError(f"Expected k to be a whole number >= 1, got {k!r}.")
        remaining = self.unlabelled_indices()
        k = min(int(k), remaining.size)
        if k == 0:
            return np.empty(0, dtype=np.int64)
        context = strategies.QueryContext(
            X=self._X, candidates=remaining, labelled=self.labelled_indices, y=list(self._label_of.values()),
            model=None if self.is_cold else self.model, rng=self._rng, batch=k, features=self._features,
        )
        return strategies.select(self._strategy, context, k)

    def _features(self) -> Any:
        if self._featurizer is not None or self._X.dtype != object:
            return self._X  # the model's own features serve
        if self._diversity_X is None:
            self._diversity_X = make_featurizer(detect_kind(self._raw)).fit_matrix(self._raw)
        return self._diversity_X

    def teach(self, indices: Any, labels: Sequence[Any], refit: bool = True) -> None:
        """Record ``labels`` for the pool positions ``indices``; refit unless ``refit=False``.

        Teaching an item again replaces its label.
        """
        idx = np.atleast_1d(np.asarray(indices))
        values = list(np.atleast_1d(np.asarray(labels, dtype=object)))
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise InputError(f"Expected a 1D sequence of integer pool positions, got {indices!r}.")
        if len(values) != idx.size:
            raise InputError(f"Expected one label per index: got {idx.size} indices and {len(values)} labels.")
        bad = idx[(idx < 0) | (idx >= self.n_items)]
        if bad.size:
            raise InputError(f"Expected pool positions in 0..{self.n_items - 1}, got {int(bad[0])}.")
        if np.unique(idx).size != idx.size:
            raise InputError("Expected each index at most once in one teach() call.")
        known = set(self.labels)
        for position, value in zip(idx.tolist(), values):
            if value not in known:
                raise InputError(
                    f"Expected a label from {self.labels!r}, got {value!r} for pool position {position}."
                )
        for position, value in zip(idx.tolist(), values):
            self._label_of[position] = value
        self._labelled[idx] = True
        if refit:
            self.refit()

    def refit(self) -> bool:
        """Fit the model on every label so far; returns False (and stays cold) with < 2 labels."""
        y = list(self._label_of.values())
        if len(set(y)) < 2:
            return False
        self.model.fit(self._X[self.labelled_indices], y)
        return True

    # -- predictions -------------------------------------------------------------------
    def transform(self, items: Any) -> Any:
        """Items as the model sees them (through the cached featurizer when there is one)."""
        raw = as_indexable(items)
        return raw if self._featurizer is None else self._featurizer.transform_matrix(raw)

    def predict_proba(self, items: Any = None) -> np.ndarray:
        """Probabilities aligned to ``labels``: for ``items``, or for the whole pool if ``None``."""
        X = self._X if items is None else self.transform(items)
        return self.model.predict_proba(X)

    def accuracy(self, items: Any, true_labels: Sequence[Any]) -> float:
        """Share of ``items`` whose most probable label equals ``true_labels``."""
        if self.is_cold:
            raise InputError("The learner is cold: teach it at least two different labels first.")
        predicted = self.model.predict(self.transform(items))
        return float(np.mean(predicted == np.asarray(true_labels, dtype=object)))

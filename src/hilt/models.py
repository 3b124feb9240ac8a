"""Default models and the glue that makes any scikit-learn classifier usable by hilt.

Two kinds of items, each featurized by :mod:`hilt.features` and classified by a logistic
regression whose strength suits the features:

* **text** (a string per item): TF-IDF beside static sentence embeddings by default;
* **table** rows (numeric columns): standard scaling.

Any scikit-learn classifier with ``predict_proba`` can replace the default; one with only
``decision_function`` is turned into probabilities through :func:`hilt.sampling.softmax`.
:class:`AlignedModel` always returns one column per label of the project's full label list,
in that order, with probability 0 for a label the model has not seen in training yet.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from hilt.errors import InputError
from hilt.features.blocks import CHUNK as BLOCK_CHUNK
from hilt.features.blocks import FeatureBlocks
from hilt.sampling import softmax

__all__ = [
    "KINDS",
    "AlignedModel",
    "default_classifier",
    "default_model",
    "detect_kind",
    "make_featurizer",
]

#: The kinds of items hilt knows how to featurize.
KINDS = ("text", "table")


def default_classifier(random_state: int | None = 0, C: float = 1.0) -> LogisticRegression:
    """The classifier every default pipeline ends in.

    ``C`` is the regularisation strength chosen for the features it is fitted on
    (:attr:`hilt.features.Featurizer.classifier_C`). ``warm_start`` lets repeated refits on a
    growing label set start from the last solution, which makes the retrain loop (and
    ``hilt simulate``) several times faster.
    """
    return LogisticRegression(max_iter=1000, C=C, warm_start=True, random_state=random_state)


def make_featurizer(kind: str, features: Any = None, model: Any = None):
    """The unsupervised first step for ``kind``: :func:`hilt.features.get_featurizer`.

    ``features`` names one (``tfidf``, ``embeddings``, ``tfidf+embeddings``, ``scale``) or is a
    scikit-learn transformer; default the best measured for ``kind`` (that ``model``, if given,
    accepts: TF-IDF for a text model that refuses negative input). It may be fitted on the
    whole pool (it never sees labels), so features are computed once and cached; only the
    classifier is refitted as labels come in.
    """
    from hilt.features import get_featurizer

    return get_featurizer(features, kind, model=model)


def default_model(kind: str, random_state: int | None = 0, features: Any = None) -> Pipeline:
    """The default pipeline for ``kind`` (``"text"`` or ``"table"``): features, then logistic
    regression with the strength chosen for those features.

    Examples
    --------
    >>> from hilt.models import default_model
    >>> model = default_model("text").fit(["good film", "bad film", "great", "awful"], [1, 0, 1, 0])
    >>> model.predict(["good"])
    array([1])
    """
    featurizer = make_featurizer(kind, features)
    return Pipeline([("features", featurizer),
                     ("classifier", default_classifier(random_state, C=featurizer.classifier_C))])


def detect_kind(items: Any) -> str:
    """``"text"`` for a sequence of strings, ``"table"`` for a numeric matrix or frame.

    Examples
    --------
    >>> from hilt.models import detect_kind
    >>> detect_kind(["a text", "another"]), detect_kind([[1.0, 2.0], [3.0, 4.0]])
    ('text', 'table')
    """
    if isinstance(items, pd.DataFrame):
        numeric = items.select_dtypes("number")
        if numeric.shape[1] == items.shape[1]:
            return "table"
        raise InputError(
            "Expected a frame of numeric columns (table rows) or a sequence of strings (texts); "
            f"got non-numeric columns {list(items.columns.difference(numeric.columns))}."
        )
    if isinstance(items, pd.Series):
        items = items.tolist()
    if isinstance(items, np.ndarray):
        if items.dtype.kind in "fiub":
            return "table"
        if items.dtype.kind in "OUS" and items.ndim == 1:
            return "text"
    if hasattr(items, "tocsr"):  # a scipy sparse matrix of features
        return "table"
    if isinstance(items, Sequence) and len(items) and all(isinstance(x, str) for x in items):
        return "text"
    try:
        array = np.asarray(items, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            "Expected items to be a sequence of strings (texts) or a 2D numeric array "
            f"(table rows); got {type(items).__name__} that is neither."
        ) from None
    if array.ndim != 2:
        raise InputError(f"Expected table rows as a 2D array, got {array.ndim}D array instead.")
    return "table"


class AlignedModel:
    """A classifier whose probabilities are aligned to a fixed label list.

    Parameters
    ----------
    estimator : scikit-learn classifier
        Anything with ``fit`` and ``predict_proba`` (or ``decision_function``).
    labels : sequence
        The project's full label list; ``predict_proba`` returns one column per label, in
        this order, even before the model has seen every label.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from hilt.models import AlignedModel
    >>> model = AlignedModel(LogisticRegression(), labels=["a", "b", "c"])
    >>> model.fit([[0.0], [1.0]], ["a", "c"]).predict_proba([[0.0]]).shape
    (1, 3)
    >>> float(model.predict_proba([[0.0]])[0, 1])  # "b" is not seen yet
    0.0
    """

    def __init__(self, estimator: Any, labels: Sequence[Any]):
        if not (hasattr(estimator, "predict_proba") or hasattr(estimator, "decision_function")):
            raise InputError(
                "Expected a scikit-learn classifier with predict_proba or decision_function, got "
                f"{type(estimator).__name__} that has neither."
            )
        labels = list(labels)
        if len(labels) < 2:
            raise InputError(f"Expected at least 2 labels, got {labels!r}.")
        if len(set(labels)) != len(labels):
            raise InputError(f"Expected distinct labels, got {labels!r}.")
        self.estimator = estimator
        self.labels = labels
        self._column_of = {label: i for i, label in enumerate(labels)}
        self.is_fitted = False

    def fit(self, X: Any, y: Sequence[Any]) -> "AlignedModel":
        """Fit on items ``X`` with labels ``y`` (each one of ``labels``); needs two distinct labels."""
        unknown = sorted({str(v) for v in y if v not in self._column_of})
        if unknown:
            raise InputError(f"Expected labels from {self.labels!r}, got unknown {unknown!r}.")
        if len(set(y)) < 2:
            raise InputError("Expected at least two different labels to fit a model.")
        classes = set(y)
        width = X.shape[1] if hasattr(X, "shape") and len(X.shape) == 2 else None
        if self.is_fitted and (classes != set(self.estimator.classes_)
                               or getattr(self.estimator, "n_features_in_", width) != width):
            # A warm start from a solution over other classes, or other feature columns (an
            # import added words to the vocabulary), would fail (coef_ has the wrong shape):
            # start afresh whenever a new label or a new feature column appears.
            self.estimator = clone(self.estimator)
        if isinstance(X, FeatureBlocks):
            X = X.tocsr()  # a fit sees the labelled rows: few, so joining them is cheap
        self.estimator.fit(X, np.asarray(y, dtype=object) if _is_object(y) else y)
        self._columns = np.array([self._column_of[c] for c in self.estimator.classes_])
        self.is_fitted = True
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of shape ``(n_items, len(labels))``, rows summing to 1."""
        # Task seam: one row per item, one column per label, rows summing to 1 (single label); a
        # multi-label task gives independent per-label probabilities, a span task per-token ones.
        if not self.is_fitted:
            raise InputError("The model is not fitted yet: teach it at least two labels first.")
        if isinstance(X, FeatureBlocks):
            if _is_plain_logistic(self.estimator):  # the blocks' own products: nothing joined
                seen = _logistic_probabilities(self.estimator, X)
                probs = np.zeros((seen.shape[0], len(self.labels)), dtype=np.float64)
                probs[:, self._columns] = seen
                return probs
            # Any other model reads one matrix: join a chunk of rows at a time, never the pool.
            parts = [self.predict_proba(X[lo:lo + BLOCK_CHUNK].tocsr()) for lo in range(0, X.shape[0], BLOCK_CHUNK)]
            return np.concatenate(parts) if parts else np.zeros((0, len(self.labels)))
        if hasattr(self.estimator, "predict_proba"):
            given = self.estimator.predict_proba(X)
            seen = np.asarray(given, dtype=np.float64)
            if getattr(given, "dtype", np.float64) != np.float64:
                # Float32 features give float32 probabilities (GaussianNB) whose rows sum to 1
                # only within float32 rounding: renormalise in float64.
                seen /= seen.sum(axis=1, keepdims=True)
        else:
            scores = np.asarray(self.estimator.decision_function(X), dtype=np.float64)
            if scores.ndim == 1:  # binary: the score is the logit of classes_[1]
                scores = np.column_stack([np.zeros_like(scores), scores])
            seen = softmax(scores)
        probs = np.zeros((seen.shape[0], len(self.labels)), dtype=np.float64)
        probs[:, self._columns] = seen
        return probs

    def predict(self, X: Any) -> np.ndarray:
        """The most probable label of each item (an object array of labels)."""
        probs = self.predict_proba(X)
        return np.asarray(self.labels, dtype=object)[probs.argmax(axis=1)]


def _is_plain_logistic(estimator: Any) -> bool:
    """A scikit-learn LogisticRegression whose probabilities are the logistic function of its
    linear scores (binary) or their softmax (several classes), as in scikit-learn >= 1.5 with
    the default multinomial loss: then they can be computed from ``X @ coef_`` directly."""
    if type(estimator) is not LogisticRegression or not hasattr(estimator, "coef_"):
        return False
    multi_class = getattr(estimator, "multi_class", "deprecated")
    return len(estimator.classes_) <= 2 or (multi_class in ("auto", "deprecated", "multinomial")
                                            and estimator.solver != "liblinear")


def _logistic_probabilities(estimator: LogisticRegression, X: Any) -> np.ndarray:
    """``estimator.predict_proba(X)`` computed from the scores ``X @ coef_.T + intercept_``."""
    from scipy.special import expit
    from scipy.special import softmax as scipy_softmax

    scores = np.asarray(X @ np.asarray(estimator.coef_, dtype=np.float64).T, dtype=np.float64)
    scores += estimator.intercept_
    if scores.shape[1] == 1:
        positive = expit(scores[:, 0])
        return np.column_stack([1.0 - positive, positive])
    return scipy_softmax(scores, axis=1)


def _is_object(y: Sequence[Any]) -> bool:
    return not isinstance(y, np.ndarray) and any(isinstance(v, str) for v in y)


def fresh_copy(estimator: Any) -> Any:
    """An unfitted copy of ``estimator`` (so a user's object is never fitted in place)."""
    return clone(estimator)

"""Default models and the glue that makes any scikit-learn classifier usable by hilt.

Two kinds of items, each featurized by :mod:`hilt.features` and classified by a logistic
regression whose strength suits the features:

* **text** (a string per item): TF-IDF beside static sentence embeddings by default;
* **table** rows (numeric columns): standard scaling.

Any scikit-learn classifier with ``predict_proba`` can replace the default; one with only
``decision_function`` is turned into probabilities through :func:`hilt.sampling.softmax`.
:class:`AlignedModel` always returns one column per label of the project's full label list,
in that order, with probability 0 for a label the model has not seen in training yet.
:class:`MultiLabelModel` is its multi-label counterpart: one independent probability per label
(an item may carry any set of labels, the empty set included). A spans project's
sequence model is :class:`hilt.tasks.span_model.SpanModel` (a CRF over tokens), beside its task.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import DataConversionWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from hilt.errors import InputError
from hilt.features.blocks import CHUNK as BLOCK_CHUNK
from hilt.features.blocks import FeatureBlocks
from hilt.sampling import softmax

__all__ = [
    "KINDS",
    "AlignedModel",
    "MultiLabelModel",
    "SpanModel",
    "default_classifier",
    "default_model",
    "detect_kind",
    "label_indicator",
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


def _checked(estimator: Any, labels: Sequence[Any]) -> list[Any]:
    """``labels`` as a list, once the estimator can give probabilities or scores and the labels
    are at least two and distinct (what both model wrappers need)."""
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
    return labels


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

    #: One label per item (rows of ``predict_proba`` sum to 1); see :class:`MultiLabelModel`.
    multilabel = False

    def __init__(self, estimator: Any, labels: Sequence[Any]):
        labels = _checked(estimator, labels)
        self.estimator = estimator
        self.labels = labels
        self._column_of = {label: i for i, label in enumerate(labels)}
        self.is_fitted = False

    @staticmethod
    def can_fit(y: Sequence[Any]) -> bool:
        """Whether :meth:`fit` can learn from labels ``y``: two different labels at least."""
        return len(set(y)) >= 2

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


def label_indicator(answers: Sequence[Any], labels: Sequence[Any]) -> np.ndarray:
    """The ``(n_items, n_labels)`` 0/1 matrix of ``answers`` (each a collection of labels).

    Column ``j`` is 1 where ``labels[j]`` is in the item's set; ``[]`` ("none of these") is a
    row of zeros. A string, ``None``, an unknown label or a label given twice is refused.

    Examples
    --------
    >>> from hilt.models import label_indicator
    >>> label_indicator([["a", "c"], [], ("b",)], ["a", "b", "c"]).tolist()
    [[1, 0, 1], [0, 0, 0], [0, 1, 0]]
    """
    column_of = {label: j for j, label in enumerate(labels)}
    matrix = np.zeros((len(answers), len(column_of)), dtype=np.uint8)
    for i, answer in enumerate(answers):
        if isinstance(answer, (str, bytes)) or not isinstance(answer, (Sequence, set, frozenset, np.ndarray)):
            raise InputError(
                f"Expected each answer to be a list of labels from {list(labels)!r} ([] for none of "
                f"these), got {answer!r} ({type(answer).__name__}) for item {i}."
            )
        given = list(answer.tolist() if isinstance(answer, np.ndarray) else answer)
        unknown = [label for label in given if label not in column_of]
        if unknown:
            raise InputError(f"Expected labels from {list(labels)!r}, got unknown {unknown!r} for item {i}.")
        if len(set(given)) != len(given):
            raise InputError(f"Expected each label at most once per answer, got {given!r} for item {i}.")
        matrix[i, [column_of[label] for label in given]] = 1
    return matrix


class MultiLabelModel:
    """Independent per-label probabilities: ``P(label in the item's set)`` for each label.

    With an estimator that learns one target at a time (the default logistic regression, any
    binary classifier) it is one-vs-rest: one copy of ``estimator`` per label, each refitted in
    place on the next :meth:`fit`, so ``warm_start`` carries over as in :class:`AlignedModel`.
    An estimator that supports multi-output targets itself (scikit-learn's tag
    ``target_tags.multi_output``: random forests, k nearest neighbours, ``MultiOutputClassifier``,
    ``ClassifierChain``) is fitted once on the 0/1 label matrix. A label that every training item
    has (or none has) is not learnt: its probability is that constant, 1 (or 0).

    Parameters
    ----------
    estimator : scikit-learn classifier
        Anything with ``fit`` and ``predict_proba`` (or ``decision_function``, whose score
        becomes a probability through the logistic function).
    labels : sequence
        The project's full label list; column ``j`` of :meth:`predict_proba` is ``labels[j]``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from hilt.models import MultiLabelModel
    >>> model = MultiLabelModel(LogisticRegression(), labels=["a", "b", "c"])
    >>> X = [[0.0], [1.0], [9.0], [10.0]]
    >>> model = model.fit(X, [["a"], ["a"], ["b"], ["b"]])
    >>> model.predict_proba([[0.0]]).shape  # rows do not sum to 1
    (1, 3)
    >>> float(model.predict_proba([[0.0]])[0, 2])  # "c" is never given: probability 0
    0.0
    >>> model.predict([[0.0], [10.0]])
    [('a',), ('b',)]
    """

    #: Several labels per item: ``predict_proba`` gives one independent probability per label.
    multilabel = True

    def __init__(self, estimator: Any, labels: Sequence[Any]):
        labels = _checked(estimator, labels)
        self.estimator = estimator
        self.labels = labels
        self.is_fitted = False
        self.native = _supports_multi_output(estimator)
        # Per label: a fitted binary copy (one-vs-rest), or a constant probability.
        self.estimators_: list[Any] = [None] * len(labels)
        self._constant = np.zeros(len(labels), dtype=np.float64)
        self._learnt = np.zeros(len(labels), dtype=bool)
        self._width: int | None = None
        self._native_fitted: Any = None

    @staticmethod
    def can_fit(answers: Sequence[Any]) -> bool:
        """Whether :meth:`fit` can learn from ``answers``: some label that some items have and
        others lack (otherwise every probability would be a constant).

        Examples
        --------
        >>> from hilt.models import MultiLabelModel
        >>> MultiLabelModel.can_fit([["a"], ["a"]]), MultiLabelModel.can_fit([["a"], []])
        (False, True)
        """
        sets = {frozenset(answer) for answer in answers if not isinstance(answer, (str, bytes))}
        return len(sets) >= 2

    def fit(self, X: Any, answers: Sequence[Any]) -> "MultiLabelModel":
        """Fit on items ``X`` whose answers are label collections (``[]`` = none of these)."""
        Y = label_indicator(answers, self.labels)
        if Y.shape[0] != _n_rows(X):
            raise InputError(f"Expected one answer per item: got {_n_rows(X)} items and {Y.shape[0]} answers.")
        positives = Y.sum(axis=0)
        learnt = (positives > 0) & (positives < Y.shape[0])
        if not learnt.any():
            raise InputError(
                "Expected at least one label that some items have and others lack, to fit a model; "
                "every label is on all of the items or on none."
            )
        width = X.shape[1] if hasattr(X, "shape") and len(X.shape) == 2 else None
        if isinstance(X, FeatureBlocks):
            X = X.tocsr()  # a fit sees the labelled rows: few, so joining them is cheap
        if self._width != width:
            # A warm start from coefficients over other feature columns (an import added words
            # to the vocabulary) would fail: start every copy afresh.
            self.estimators_ = [None] * len(self.labels)
            self._native_fitted = None
        self._constant = (positives == Y.shape[0]).astype(np.float64)
        if self.native:
            model = self._native_fitted if self._native_fitted is not None else clone(self.estimator)
            with warnings.catch_warnings():
                # One varying label is still a 2-D target (a multi-output wrapper needs one);
                # the single-output estimators that take it warn about the column vector.
                warnings.simplefilter("ignore", DataConversionWarning)
                self._native_fitted = model.fit(X, Y[:, learnt])
        else:
            for j in np.flatnonzero(learnt):
                model = self.estimators_[j] if self.estimators_[j] is not None else clone(self.estimator)
                self.estimators_[j] = model.fit(X, Y[:, j])
        for j in np.flatnonzero(~learnt):
            self.estimators_[j] = None  # constant now: a later fit where it varies starts afresh
        self._learnt = learnt
        self._width = width
        self.is_fitted = True
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of shape ``(n_items, len(labels))``, float64, each in [0, 1]; column
        ``j`` is the probability that ``labels[j]`` is in the item's set (rows need not sum to 1)."""
        if not self.is_fitted:
            raise InputError("The model is not fitted yet: teach it answers that differ first.")
        n = _n_rows(X)
        probs = np.repeat(self._constant[None, :], n, axis=0)
        learnt = np.flatnonzero(self._learnt)
        linear = None if self.native else _stacked_logistic([self.estimators_[j] for j in learnt])
        if linear is not None:  # one product for every label; FeatureBlocks are never joined
            from scipy.special import expit

            weights, intercepts = linear
            scores = np.asarray(X @ weights, dtype=np.float64).reshape(n, -1) + intercepts
            probs[:, learnt] = expit(scores)
            return probs
        if isinstance(X, FeatureBlocks):  # any other model reads one matrix: a chunk at a time
            parts = [self.predict_proba(X[lo:lo + BLOCK_CHUNK].tocsr()) for lo in range(0, n, BLOCK_CHUNK)]
            return np.concatenate(parts) if parts else probs
        if self.native:
            probs[:, learnt] = _positive_columns(self._native_fitted, X, learnt.size)
        else:
            for j in learnt:
                probs[:, j] = _positive_column(self.estimators_[j], X)
        return np.clip(probs, 0.0, 1.0)

    def predict(self, X: Any) -> list[tuple[Any, ...]]:
        """Each item's predicted set: the labels with probability >= 0.5, in label order."""
        chosen = self.predict_proba(X) >= 0.5
        return [tuple(label for label, on in zip(self.labels, row) if on) for row in chosen]


def _supports_multi_output(estimator: Any) -> bool:
    """Whether scikit-learn's tags say ``estimator`` fits a 2-D target (several outputs)."""
    try:
        return bool(estimator.__sklearn_tags__().target_tags.multi_output)
    except AttributeError:  # not a scikit-learn estimator (or an old one): one-vs-rest
        return False


def _n_rows(X: Any) -> int:
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _stacked_logistic(models: list[Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """``(weights (n_features, m), intercepts (m,))`` when every model is a fitted binary plain
    logistic regression (its probability is then ``expit(x @ w + b)``), else None."""
    if not models or not all(_is_plain_logistic(m) and len(m.classes_) == 2 for m in models):
        return None
    weights = np.column_stack([np.asarray(m.coef_[0], dtype=np.float64) for m in models])
    return weights, np.array([float(m.intercept_[0]) for m in models])


def _positive_column(model: Any, X: Any) -> np.ndarray:
    """P(class 1) of a binary classifier fitted on 0/1 targets."""
    if hasattr(model, "predict_proba"):
        probs = np.asarray(model.predict_proba(X), dtype=np.float64)
        return probs[:, list(model.classes_).index(1)]
    from scipy.special import expit

    return expit(np.asarray(model.decision_function(X), dtype=np.float64).ravel())


def _positive_columns(model: Any, X: Any, m: int) -> np.ndarray:
    """``(n, m)`` P(output j = 1) of a multi-output classifier, whatever shape it answers in:
    a list of ``(n, n_classes_j)`` arrays (forests, nearest neighbours, ``MultiOutputClassifier``)
    or one ``(n, m)`` array (``OneVsRestClassifier``, ``ClassifierChain``)."""
    if not hasattr(model, "predict_proba"):
        from scipy.special import expit

        return expit(np.asarray(model.decision_function(X), dtype=np.float64).reshape(-1, m))
    given = model.predict_proba(X)
    if isinstance(given, list):
        classes = getattr(model, "classes_", None)
        columns = []
        for j, part in enumerate(given):
            part = np.asarray(part, dtype=np.float64)
            seen = list(classes[j]) if isinstance(classes, list) else [0, 1][-part.shape[1]:]
            columns.append(part[:, seen.index(1)] if 1 in seen else np.zeros(part.shape[0]))
        return np.column_stack(columns)
    given = np.asarray(given, dtype=np.float64)
    if m == 1 and given.ndim == 2 and given.shape[1] == 2:  # one output answered as (n, 2)
        return given[:, 1:]
    return given.reshape(-1, m)


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


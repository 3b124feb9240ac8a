"""An in-memory active-learning loop: a pool, the labels given so far, a model, a strategy."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from hilt import strategies
from hilt.errors import InputError
from hilt.models import AlignedModel, MultiLabelModel, default_classifier, detect_kind, fresh_copy, make_featurizer
from hilt.strategies import STRATEGIES, check_strategy

__all__ = ["STRATEGIES", "TASKS", "ActiveLearner", "check_strategy"]

#: The tasks a learner runs: one label per item, a set of labels per item, or spans of each text.
TASKS = ("single", "multilabel", "spans")


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
        ``margin+diverse:8/random:1/outlier:1``; for ``task="multilabel"`` also the names of
        :data:`hilt.strategies.MULTILABEL_STRATEGIES` (``margin:max``, ``cardinality``, …).
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
    task : {"single", "multilabel", "spans"}, default "single"
        ``single``: one label per item. ``multilabel``: each answer is a collection of labels
        (``[]`` = none of these), the model a :class:`hilt.models.MultiLabelModel` (one
        probability per label) and :meth:`score` the micro-averaged F1. ``spans``: the pool
        holds texts and each answer is a list of ``{"start", "end", "label"}`` spans of its
        text (``[]`` = nothing to mark); the model is a :class:`hilt.tasks.span_model.SpanModel` (a CRF
        over tokens; ``model`` is not taken), ``features`` (default ``tfidf``) only place texts
        for the diversity strategies, and :meth:`score` is the entity-level F1.

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

    Several labels per item:

    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]] * 5)
    >>> sets = [[], ["x"], ["y"], ["x", "y"]] * 5
    >>> learner = ActiveLearner(X, labels=["x", "y"], task="multilabel", strategy="margin:max", random_state=0)
    >>> learner.teach([0, 1, 2, 3], [sets[i] for i in range(4)])
    >>> learner.query(2).size, learner.metric
    (2, 'micro-F1')

    Spans of each text:

    >>> texts = [f"{a} met {b} in town" for a, b in [("Ada", "Bob"), ("Cy", "Di"), ("Ed", "Flo")] * 4]
    >>> learner = ActiveLearner(texts, labels=["PER"], task="spans", strategy="margin", random_state=0)
    >>> learner.teach([0, 1], [[{"start": 0, "end": 3, "label": "PER"}], [{"start": 0, "end": 2, "label": "PER"}]])
    >>> learner.query(2).size, learner.metric
    (2, 'entity-F1')
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
        task: str = "single",
    ):
        if task not in TASKS:
            raise InputError(f"Expected task to be one of {', '.join(TASKS)}; got {task!r}.")
        self.task = task
        self.strategy = check_strategy(strategy, task=task)
        self._strategy = strategies.get_strategy(self.strategy)
        raw = as_indexable(pool)
        n_items = raw.shape[0]
        if n_items == 0:
            raise InputError("Expected a pool with at least one item, got an empty pool.")
        if task == "spans":
            self._init_spans(raw, labels, model, features, random_state)
            return
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
        self.model = (MultiLabelModel if task == "multilabel" else AlignedModel)(estimator, labels)
        self.labels = self.model.labels
        self.n_items = n_items
        self._label_of: dict[int, Any] = {}
        self._labelled = np.zeros(n_items, dtype=bool)
        self._rng = np.random.default_rng(random_state)

    def _init_spans(self, raw: Any, labels: Sequence[Any], model: Any, features: Any, random_state: int | None) -> None:
        """A spans learner: the sequence model reads the texts; ``features`` place them."""
        from hilt.tasks.span_model import SpanModel

        if model is not None:
            raise InputError("Expected no model for task 'spans': the learner trains its own sequence model "
                             "(hilt.tasks.span_model.SpanModel) on the texts.")
        if raw.ndim != 1 or detect_kind(raw) != "text":
            raise InputError(f"Expected a pool of texts for task 'spans'; got an array of shape {raw.shape}.")
        self.kind = "text"
        self._X = self._raw = np.asarray(raw, dtype=object)
        self._featurizer = None
        self._diversity_X = make_featurizer("text", "tfidf" if features is None else features).fit_matrix(raw)
        self.model = SpanModel([str(label) for label in labels])
        self.labels = self.model.labels
        self.n_items = len(raw)
        self._label_of = {}
        self._labelled = np.zeros(self.n_items, dtype=bool)
        self._rng = np.random.default_rng(random_state)

    # -- state -------------------------------------------------------------------------
    @property
    def is_cold(self) -> bool:
        """True until a model has been fitted (that needs two different labels, or for
        multi-label two different label sets)."""
        return not self.model.is_fitted

    @property
    def metric(self) -> str:
        """What :meth:`score` measures: ``accuracy`` (single), ``micro-F1`` (multilabel) or
        ``entity-F1`` (spans)."""
        return {"multilabel": "micro-F1", "spans": "entity-F1"}.get(self.task, "accuracy")

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

        For ``task="multilabel"`` each label is a collection of labels (``[]`` = none of them).
        Teaching an item again replaces its label.
        """
        idx = np.atleast_1d(np.asarray(indices))
        if self.task == "spans":
            values = self._span_lists(idx, labels)
        elif self.task == "multilabel":
            values = self._label_sets(labels)
        else:
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
            if self.task == "multilabel":
                unknown = [label for label in value if label not in known]
                if unknown or len(set(value)) != len(value):
                    problem = f"unknown {unknown!r}" if unknown else "a label twice"
                    raise InputError(
                        f"Expected a collection of distinct labels from {self.labels!r}, got {list(value)!r} "
                        f"({problem}) for pool position {position}."
                    )
            elif self.task != "spans" and value not in known:
                raise InputError(
                    f"Expected a label from {self.labels!r}, got {value!r} for pool position {position}."
                )
        for position, value in zip(idx.tolist(), values):
            self._label_of[position] = value
        self._labelled[idx] = True
        if refit:
            self.refit()

    def _span_lists(self, idx: np.ndarray, answers: Any) -> list[list[dict]]:
        """Each answer checked against its text (:meth:`hilt.tasks.spans.Spans.check_answer`)."""
        from hilt.tasks import get_task

        task = get_task("spans")
        answers = list(answers)
        if idx.ndim != 1 or idx.dtype.kind not in "iu" or len(answers) != idx.size:
            return answers  # teach() reports the shape
        checked = []
        for position, answer in zip(idx.tolist(), answers):
            if not 0 <= position < self.n_items:
                return answers
            if answer is None:
                raise InputError(f"Expected a list of spans ([] for nothing to mark) for pool position {position}; got None.")
            try:
                checked.append(task.check_answer(answer, self.labels, text=str(self._X[position])))
            except InputError as error:
                raise InputError(f"pool position {position}: {error}") from None
        return checked

    def _label_sets(self, labels: Any) -> list[tuple[Any, ...]]:
        """Each answer as a tuple of labels in label order (a string is not a collection)."""
        order = {label: i for i, label in enumerate(self.labels)}
        answers = list(labels) if not isinstance(labels, (str, bytes)) else [labels]
        sets = []
        for answer in answers:
            if isinstance(answer, (str, bytes)) or answer is None or not hasattr(answer, "__iter__"):
                raise InputError(
                    f"Expected each answer of a multilabel learner to be a list of labels from {self.labels!r} "
                    f"([] for none of them), got {answer!r}."
                )
            given = list(answer)
            sets.append(tuple(sorted(given, key=lambda label: order.get(label, len(order)))))
        return sets

    def refit(self) -> bool:
        """Fit the model on every label so far; returns False (and stays cold) with < 2 labels."""
        y = list(self._label_of.values())
        if not self.model.can_fit(y):
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
        """Share of ``items`` whose most probable label equals ``true_labels``; for
        ``task="multilabel"`` the share whose predicted set equals the true set exactly
        (subset accuracy; :meth:`score` gives the task's headline figure, micro-F1)."""
        if self.is_cold:
            raise InputError("The learner is cold: teach it at least two different labels first.")
        predicted = self.model.predict(self.transform(items))
        if self.task == "spans":  # the share of texts whose spans are all exactly right
            return float(np.mean([p == list(t) for p, t in zip(predicted, true_labels)]))
        if self.task == "multilabel":
            truth = self._label_sets(true_labels)
            return float(np.mean([set(p) == set(t) for p, t in zip(predicted, truth)]))
        return float(np.mean(predicted == np.asarray(true_labels, dtype=object)))

    def micro_f1(self, items: Any, true_labels: Sequence[Any]) -> float:
        """Micro-averaged F1 of the predicted label sets of ``items`` against ``true_labels``
        (collections of labels): ``2 TP / (2 TP + FP + FN)`` over every (item, label) pair;
        1.0 when neither holds a single label. For ``task="multilabel"`` only."""
        if self.task != "multilabel":
            raise InputError("Expected a multilabel learner for micro-F1; this one has task 'single' (see accuracy).")
        if self.is_cold:
            raise InputError("The learner is cold: teach it two different label sets first.")
        from sklearn.metrics import f1_score

        from hilt.models import label_indicator

        truth = label_indicator(self._label_sets(true_labels), self.labels)
        predicted = (self.model.predict_proba(self.transform(items)) >= 0.5).astype(np.uint8)
        return float(f1_score(truth, predicted, average="micro", zero_division=1.0))

    def entity_f1(self, items: Any, true_labels: Sequence[Any]) -> float:
        """Entity-level F1 of the predicted spans of the texts ``items`` against ``true_labels``
        (lists of spans): exact ``(start, end, label)`` matches, pooled over the texts (seqeval's
        strict convention; :func:`hilt.tasks.spans_metrics.span_metrics`). For ``task="spans"``
        only; 0.0 while the learner is cold (it marks nothing)."""
        if self.task != "spans":
            raise InputError(f"Expected a spans learner for entity F1; this one has task {self.task!r}.")
        from hilt.tasks.spans_metrics import entity_f1

        texts = as_indexable(list(items))
        predicted = self.model.predict(texts) if not self.is_cold else [[] for _ in range(len(texts))]
        return entity_f1(list(true_labels), predicted)

    def score(self, items: Any, true_labels: Sequence[Any]) -> float:
        """The task's headline figure on ``items`` (named by :attr:`metric`): accuracy for
        ``single``, micro-F1 for ``multilabel``, entity-level F1 (exact spans) for ``spans``."""
        if self.task == "spans":
            return self.entity_f1(items, true_labels)
        if self.task == "multilabel":
            return self.micro_f1(items, true_labels)
        return self.accuracy(items, true_labels)

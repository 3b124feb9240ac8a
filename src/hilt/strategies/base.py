"""What every query strategy is given (:class:`QueryContext`) and what it must do (:class:`Strategy`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

import numpy as np

__all__ = ["QueryContext", "Strategy", "PREDICT_CHUNK", "uncertainty_scorer"]

#: Rows per ``predict_proba`` call: bounds the memory of one chunk of probabilities.
PREDICT_CHUNK = 131_072


@dataclass
class QueryContext:
    """Everything a strategy may look at to choose the next items.

    Parameters
    ----------
    X : array or sparse matrix
        The feature matrix of the whole pool (what the model is fitted on), one row per item.
    candidates : array of int
        Pool positions that may be chosen: unlabelled and not in the evaluation sample.
    labelled : array of int
        Pool positions with a training label, in ``y``'s order.
    y : sequence
        The training labels of ``labelled``: one label each, or for a multi-label model one
        collection of labels each (``[]`` = none of these).
    model : hilt.models.AlignedModel, hilt.models.MultiLabelModel or None
        The model fitted on ``(X[labelled], y)``; ``None`` at cold start (no model yet). Its
        ``multilabel`` flag says how its probabilities read: rows summing to 1, or one
        independent probability per label.
    rng : numpy.random.Generator
        The only source of randomness a strategy may use (so a seed fixes the picks).
    batch : int, optional
        How many items are picked before the next retrain. A strategy that spreads a batch
        out (``cluster``, ``METHOD+diverse``) makes each run of ``batch`` consecutive picks a
        spread-out batch; default: the whole selection is one batch.
    validation : array of int, optional
        Pool positions of labelled items the model was *not* fitted on (a project's
        evaluation sample), for ``outlier``; ``labelled`` when there are none.
    cancelled : callable, optional
        Returns True when the caller gives up (checked between chunks).
    features : array, sparse matrix or a callable returning one, optional
        What the diversity strategies compare items on, one row per pool item; default ``X``
        (given separately when ``X`` holds raw items that a user's pipeline featurizes).
    """

    # Task seam: strategies read the labelled items' answers (y) and the model's probabilities;
    # ``model.multilabel`` says whether those are a distribution per item or one per label.

    X: Any
    candidates: np.ndarray
    labelled: np.ndarray
    y: Sequence[Any]
    model: Any
    rng: np.random.Generator
    batch: int | None = None
    validation: np.ndarray | None = None
    cancelled: Callable[[], bool] = lambda: False
    features: Any = None
    _probs: np.ndarray | None = field(default=None, init=False, repr=False)
    #: Per-candidate arrays a strategy computed (one row per candidate), kept so that the parts
    #: of a mix, and a strategy and its ``+diverse`` variant, compute each only once.
    memo: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.candidates = np.asarray(self.candidates, dtype=np.int64)
        self.labelled = np.asarray(self.labelled, dtype=np.int64)

    @property
    def is_cold(self) -> bool:
        """No model yet: strategies fall back to random items or to features alone."""
        return self.model is None or not getattr(self.model, "is_fitted", True)

    def probs(self) -> np.ndarray:
        """The model's probabilities for ``candidates`` (one row each), computed once, in chunks."""
        if self._probs is None:
            self._probs = self.predict(self.candidates)
        return self._probs

    def predict(self, positions: np.ndarray, predict: Callable[[Any], np.ndarray] | None = None) -> np.ndarray:
        """``predict`` (default: the model's ``predict_proba``) over ``X[positions]`` in chunks."""
        predict = predict or self.model.predict_proba
        parts = []
        for lo in range(0, len(positions), PREDICT_CHUNK):
            if self.cancelled():
                raise InterruptedError("query cancelled")
            parts.append(np.asarray(predict(self.X[positions[lo : lo + PREDICT_CHUNK]])))
        if not parts:
            return np.empty((0, _n_outputs(self.model)))
        return np.concatenate(parts)

    @property
    def multilabel(self) -> bool:
        """Whether the model gives one independent probability per label (a multi-label task)."""
        return bool(getattr(self.model, "multilabel", False))

    def scores(self, method: str) -> np.ndarray:
        """Uncertainty of each candidate by ``method`` (``least``, ``margin``, ``ratio``,
        ``entropy``; 1 = most uncertain), computed once per method.

        For a multi-label model (``model.multilabel``) the method is applied to each label's
        ``[p, 1 - p]`` and averaged over labels; ``METHOD:max`` takes the most uncertain label
        instead (:func:`hilt.sampling.multilabel_score`), and is refused for other models.
        """
        key = f"score:{method}"
        if key not in self.memo:
            scorer = uncertainty_scorer(method, self.multilabel, spans=bool(getattr(self.model, "spans", False)))
            if self._probs is not None:
                self.memo[key] = scorer(self._probs)
            else:  # chunk by chunk: the pool's probabilities are never all in memory at once
                self.memo[key] = self.predict(self.candidates, lambda X: scorer(self.model.predict_proba(X)))
        return self.memo[key]

    def view(self) -> np.ndarray:
        """The dense view every diversity strategy compares pool items in
        (:func:`hilt.strategies.geometry.dense_view`: clipped z-scores for table rows, a reduced,
        unit-length TF-IDF for texts), computed once per feature matrix."""
        from hilt.strategies.geometry import dense_view

        features = self.features() if callable(self.features) else self.features
        return dense_view(self.X if features is None else features)

    def batch_size(self, k: int) -> int:
        """The batch a spreading strategy spreads over when asked for ``k`` items."""
        return max(1, min(int(self.batch or k), k))

    def restricted(self, keep: np.ndarray) -> "QueryContext":
        """The same context with only ``candidates[keep]`` left (a boolean mask), sharing the
        probabilities and scores already computed (a mix's later parts reuse the earlier ones')."""
        sub = QueryContext(self.X, self.candidates[keep], self.labelled, self.y, self.model, self.rng,
                           self.batch, self.validation, self.cancelled, self.features)
        if self._probs is not None:
            sub._probs = self._probs[keep]
        sub.memo = {name: values[keep] for name, values in self.memo.items()}
        return sub


def _n_outputs(model: Any) -> int:
    """Columns of the model's ``predict_proba``: one per label, or a sequence model's one per method."""
    methods = getattr(model, "METHODS", None) if getattr(model, "spans", False) else None
    return len(methods) if methods is not None else len(model.labels)


def uncertainty_scorer(method: str, multilabel: bool, *, spans: bool = False) -> Callable[[Any], np.ndarray]:
    """``probs -> scores`` for ``method`` (``margin``, or ``margin:max`` for multi-label models).

    A sequence model (``spans=True``: a spans project's :class:`hilt.models.SpanModel`) computes
    every method's figure itself, over a text's labellings and tokens: its ``predict_proba`` has
    one column per name of :data:`hilt.tasks.spans.SPAN_METHODS`, and the scorer takes the
    column of ``method``.

    Examples
    --------
    >>> from hilt.strategies.base import uncertainty_scorer
    >>> uncertainty_scorer("margin", False)([[0.9, 0.1]]).round(3).tolist()
    [0.2]
    >>> uncertainty_scorer("margin:max", True)([[0.9, 0.5]]).round(3).tolist()
    [1.0]
    >>> uncertainty_scorer("entropy", False, spans=True)([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]]).tolist()
    [0.4]
    """
    from hilt.errors import InputError
    from hilt.sampling import multilabel_score, score

    if spans:
        from hilt.tasks.spans import SPAN_METHODS

        if method not in SPAN_METHODS:
            raise InputError(f"Expected a method of a sequence model ({', '.join(SPAN_METHODS)}); got {method!r}.")
        column = SPAN_METHODS.index(method)
        return lambda probs: np.asarray(probs, dtype=np.float64)[:, column]
    base, _, combine = method.partition(":")
    if multilabel:
        return lambda probs: multilabel_score(probs, base, combine or "mean")
    if combine:
        raise InputError(
            f"Expected a method for one label per item ({base} ...), got {method!r}: a ':{combine}' "
            "over labels is for multi-label models (task 'multilabel')."
        )
    return lambda probs: score(probs, base)


class Strategy(Protocol):
    """A query strategy: ``select(context, k)`` returns at most ``k`` distinct pool positions
    from ``context.candidates``, the one to label first first."""

    #: The name it is registered and written under (e.g. ``margin+diverse``).
    name: str

    def select(self, context: QueryContext, k: int) -> np.ndarray:
        ...

"""Query strategies: which items to ask about next. The ONLY place a query is decided.

Every face (a project's retrain and queue, :class:`hilt.learner.ActiveLearner`, ``hilt
simulate``, ``hilt demo --oracle``) calls :func:`select`, so what simulate measures is what
people are served. A strategy is given a :class:`QueryContext` (the model's probabilities for
the candidates, the pool's feature matrix, which items are labelled, a random generator) and
returns an ordered selection.

Families (Munro, *Human-in-the-Loop Machine Learning*):

* uncertainty: ``least``, ``margin``, ``ratio``, ``entropy`` (scores from :mod:`hilt.sampling`),
  and ``committee`` (query by committee);
* diversity: ``cluster``, ``representative``, ``outlier`` (model-based outliers);
* uncertainty then diversity: ``METHOD+diverse`` for each uncertainty method and committee;
* mixes: ``NAME:WEIGHT/NAME:WEIGHT/...``, e.g. ``margin+diverse:8/random:1/outlier:1``;
* ``random``, the baseline;
* multi-label models only: ``METHOD:max`` (the most uncertain label; plain ``METHOD`` is the
  mean over labels) and ``cardinality`` (label cardinality inconsistency), each also with
  ``+diverse`` and ``+dense``; in a mix the weight follows the last ``:`` (``margin:max:3/random:1``);
* sequence models (a spans project's, ``model.spans``): the same names read over a text's
  labellings (``least``, ``margin``, ``ratio``: of the best and second-best labelling) or its
  tokens (``entropy``: the mean; ``METHOD:max``: the most uncertain token); committee,
  cardinality and outlier are refused.

Examples
--------
>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> from hilt.models import AlignedModel
>>> from hilt import strategies
>>> X = np.linspace(-3, 3, 13)[:, None]
>>> model = AlignedModel(LogisticRegression(), ["a", "b"]).fit(X[[0, 12]], ["a", "b"])
>>> context = strategies.QueryContext(X, np.arange(1, 12), np.array([0, 12]), ["a", "b"], model,
...                                   np.random.default_rng(0))
>>> sorted(strategies.select("margin", context, 3).tolist())   # nearest the boundary at 0
[5, 6, 7]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hilt.errors import InputError
from hilt.strategies.base import QueryContext, Strategy, uncertainty_scorer
from hilt.strategies.registry import (
    DESCRIPTIONS,
    MULTILABEL_DESCRIPTIONS,
    MULTILABEL_STRATEGIES,
    SPANS_DESCRIPTIONS,
    STRATEGIES,
    check_strategy,
    display_method,
    get_strategy,
    strategy_names,
)

__all__ = [
    "DESCRIPTIONS",
    "MULTILABEL_DESCRIPTIONS",
    "MULTILABEL_STRATEGIES",
    "SPANS_DESCRIPTIONS",
    "STRATEGIES",
    "QueryContext",
    "Strategy",
    "check_strategy",
    "display_method",
    "get_strategy",
    "select",
    "strategy_names",
    "uncertainty_scorer",
]


def select(strategy: Any, context: QueryContext, k: int) -> np.ndarray:
    """Pool positions of the next ``k`` items (fewer if fewer candidates), first to label first.

    ``strategy`` is a name, a mix or a strategy object. Never a labelled item, never one twice,
    never outside ``context.candidates``.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise InputError(f"Expected k to be a whole number >= 0, got {k!r}.")
    chosen = get_strategy(strategy) if isinstance(strategy, str) else strategy
    k = min(int(k), context.candidates.size)
    if k == 0:
        return np.empty(0, np.int64)
    picks = np.asarray(chosen.select(context, k), dtype=np.int64)[:k]
    # A strategy's contract, checked where every query passes: distinct candidates.
    _, first = np.unique(picks, return_index=True)
    if first.size != picks.size:
        picks = picks[np.sort(first)]
    if picks.size and not np.isin(picks, context.candidates).all():
        raise RuntimeError(f"strategy {chosen.name!r} chose an item that is not a candidate")
    return picks

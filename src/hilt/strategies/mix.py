"""Mixed batches, written ``NAME:WEIGHT/NAME:WEIGHT/...``: each strategy fills its share.

The book's example, ``margin+diverse:8/random:1/outlier:1``, spends 80 % of every batch on
uncertain items, 10 % on random ones (which keep the evaluation of what the model misses
honest and explore) and 10 % on outliers. Each part chooses from the candidates the parts
before it left; the parts' picks are then interleaved so that every ``batch`` consecutive
items hold the shares.
"""

from __future__ import annotations

import numpy as np

from hilt.strategies._order import interleave, shares
from hilt.strategies.base import QueryContext

__all__ = ["MixStrategy"]


class MixStrategy:
    """A batch shared between strategies by weight.

    Parameters
    ----------
    parts : list of (strategy, weight)
        Weights are positive numbers; a part's share of each batch is its weight over their sum.
    name : str
        The mix as written (e.g. ``margin+diverse:8/random:1/outlier:1``).

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies import QueryContext, get_strategy
    >>> ctx = QueryContext(np.eye(20), np.arange(20), np.empty(0), [], None, np.random.default_rng(0))
    >>> picks = get_strategy("random:3/cluster:1").select(ctx, 8)
    >>> len(picks), len(set(picks.tolist()))
    (8, 8)
    """

    def __init__(self, parts: list, name: str):
        self.parts = parts
        self.name = name
        self.cold_uses_features = any(getattr(s, "cold_uses_features", False) for s, _ in parts)
        self.multilabel_only = any(getattr(s, "multilabel_only", False) for s, _ in parts)

    def select(self, context: QueryContext, k: int) -> np.ndarray:
        k = min(k, context.candidates.size)
        weights = [w for _, w in self.parts]
        batch = context.batch_size(k)
        batch_shares = shares(batch, weights)
        counts = shares(k, weights)
        lists: list[np.ndarray] = []
        used = np.zeros(context.candidates.size, dtype=bool)
        order = np.argsort(context.candidates, kind="stable")
        sorted_candidates = context.candidates[order]
        for (strategy, _), count, in_batch in zip(self.parts, counts, batch_shares):
            if count == 0:
                lists.append(np.empty(0, np.int64))
                continue
            _score_on(strategy, context)  # on the whole context, so later calls reuse it
            sub = context.restricted(~used)
            sub.batch = max(1, in_batch)
            chosen = np.asarray(strategy.select(sub, count), dtype=np.int64)
            lists.append(chosen)
            used[order[np.searchsorted(sorted_candidates, chosen)]] = True
        return interleave(lists, weights)[:k]


def _score_on(strategy, context: QueryContext) -> None:
    """Compute a scoring part's per-candidate scores on ``context`` itself (they are memoised
    there), so that its restricted copies, and a project's later batches, share them."""
    if context.is_cold:
        return
    scorer = strategy if hasattr(strategy, "scores") else getattr(strategy, "base", None)
    if scorer is not None and hasattr(scorer, "scores"):
        scorer.scores(context)

"""Uncertainty, then diversity (``METHOD+diverse``): the most uncertain item of each cluster
of the most uncertain candidates.

Uncertainty alone fills a batch with near-copies of one hard item. Here each batch is chosen
from the :data:`CANDIDATES_PER_PICK` × batch most uncertain candidates (by ``METHOD``): they
are clustered into ``batch`` clusters and the most uncertain member of each is taken, most
uncertain first (the shape of Cluster-Margin, Citovsky et al. 2021, which clusters only the
uncertain candidates so that the cost does not grow with the pool). When the candidates are
copies of fewer than ``batch`` items, the candidate set is widened until a batch spans
``batch`` different clusters. Batches of a longer selection follow one another, each from the
candidates not taken yet. Cold start (no model): cluster representatives.
"""

from __future__ import annotations

import numpy as np

from hilt.sampling import top_k
from hilt.strategies.base import QueryContext
from hilt.strategies.cluster import cluster_representatives
from hilt.strategies.geometry import copy_distance, kmeans, squared_distances

__all__ = ["DiverseStrategy", "CANDIDATES_PER_PICK"]

#: Uncertain candidates considered per item of a batch (Cluster-Margin takes ten).
CANDIDATES_PER_PICK = 10

#: How often a batch that found too few clusters widens its candidates (each time × 4).
WIDENINGS = 3


class DiverseStrategy:
    """``METHOD+diverse``: batches of the most uncertain items, one per cluster.

    Parameters
    ----------
    base : strategy with ``scores(context)``
        The uncertainty method (``margin``, …) or ``committee``.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.models import AlignedModel
    >>> from sklearn.linear_model import LogisticRegression
    >>> from hilt.strategies import QueryContext, get_strategy
    >>> rng = np.random.default_rng(0)
    >>> # ten near-copies of each of three items on the boundary x0 = 0, spread along x1
    >>> hard = np.repeat([[0.0, -4.0], [0.0, 0.0], [0.0, 4.0]], 10, axis=0) + rng.normal(0, 0.01, (30, 2))
    >>> X = np.vstack([hard, [[-3.0, 0.0], [3.0, 0.0]]])
    >>> model = AlignedModel(LogisticRegression(), ["a", "b"]).fit(X[30:], ["a", "b"])
    >>> ctx = QueryContext(X, np.arange(30), np.array([30, 31]), ["a", "b"], model, rng)
    >>> sorted({int(i) // 10 for i in get_strategy("margin+diverse").select(ctx, 3)})
    [0, 1, 2]
    """

    cold_uses_features = True

    def __init__(self, base, name: str | None = None):
        self.base = base
        self.name = name or f"{base.name}+diverse"
        self.multilabel_only = getattr(base, "multilabel_only", False)

    def select(self, context: QueryContext, k: int) -> np.ndarray:
        if context.is_cold:
            return cluster_representatives(context, k)
        k = min(k, context.candidates.size)
        if k == 0:
            return np.empty(0, np.int64)
        batch = context.batch_size(k)
        scores = self.base.scores(context)
        # The candidates any batch may need, most uncertain first, sorted once.
        widest = batch * CANDIDATES_PER_PICK * 4**WIDENINGS
        ranked = top_k(scores, min(scores.size, max(k * CANDIDATES_PER_PICK, widest)))
        view = context.view()
        separation = copy_distance(view)
        taken = np.zeros(ranked.size, dtype=bool)
        picks: list[np.ndarray] = []
        n_picked = 0
        while n_picked < k:
            if context.cancelled():
                raise InterruptedError("query cancelled")
            want = min(batch, k - n_picked)
            chosen = self._one_batch(ranked, taken, scores, view, context, want, separation)
            if chosen.size == 0:
                break
            taken[chosen] = True
            picks.append(ranked[chosen])
            n_picked += chosen.size
        picked = np.concatenate(picks) if picks else np.empty(0, np.int64)
        if picked.size < k:  # the presorted candidates ran out: the rest by uncertainty
            rest = np.setdiff1d(np.arange(scores.size), picked, assume_unique=True)
            picked = np.concatenate([picked, rest[top_k(scores[rest], k - picked.size)]])
        return context.candidates[picked]

    def _one_batch(self, ranked: np.ndarray, taken: np.ndarray, scores: np.ndarray, view: np.ndarray,
                   context: QueryContext, want: int, separation: float) -> np.ndarray:
        """Positions in ``ranked`` of one batch of ``want`` items from different clusters.

        The most uncertain ``want × CANDIDATES_PER_PICK`` free candidates are clustered and
        each cluster gives its most uncertain member. When they hold fewer than ``want``
        distinct items (copies), the batch keeps those picks and looks four times further down
        the ranking for the rest, leaving out copies of what it already took.
        """
        free = np.flatnonzero(~taken)
        if free.size <= want:
            return free
        picked = np.empty(0, np.int64)
        size = want * CANDIDATES_PER_PICK
        for _ in range(WIDENINGS + 1):
            window = free[:size]
            window = window[~np.isin(window, picked)]
            if picked.size:
                window = window[~_copies_of(view, context.candidates[ranked[window]],
                                            context.candidates[ranked[picked]], separation)]
            need = want - picked.size
            if window.size:
                _, assignment = kmeans(view[context.candidates[ranked[window]]], need, context.rng,
                                       min_separation=separation)
                # ``window`` is in uncertainty order: a cluster's first member is its most uncertain.
                _, first = np.unique(assignment, return_index=True)
                picked = np.concatenate([picked, window[np.sort(first)][:need]])
            if picked.size >= want or size >= free.size:
                break
            size *= 4
        return picked[np.argsort(-scores[ranked[picked]], kind="stable")]


def _copies_of(view: np.ndarray, rows: np.ndarray, of: np.ndarray, separation: float) -> np.ndarray:
    """Which of ``rows`` lie within ``separation`` of one of ``of`` (pool positions)."""
    return (squared_distances(view[rows], view[of]) <= separation**2).any(axis=1)

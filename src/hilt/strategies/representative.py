"""Representative sampling: items most like the unlabelled pool and least like what is labelled.

Munro's cluster-based representative sampling (chapter 4): cluster the unlabelled items and the
labelled ones separately; an item's score is how much nearer it lies to an unlabelled centroid
than to any labelled one (the book compares cosine similarities; the dense view's distances
rank text the same way, see :mod:`hilt.strategies.geometry`). It finds the parts of the pool that
the labels so far do not cover, and needs no model.
"""

from __future__ import annotations

import numpy as np

from hilt.sampling import top_k
from hilt.strategies._order import round_robin
from hilt.strategies.base import QueryContext
from hilt.strategies.cluster import cluster_representatives
from hilt.strategies.geometry import assign, distances_to, kmeans

__all__ = ["RepresentativeStrategy", "representative_scores"]

#: Clusters of the unlabelled items and of the labelled ones (the book's 20 of each).
CLUSTERS = 20


def representative_scores(pool: np.ndarray, labelled: np.ndarray, rng: np.random.Generator,
                          clusters: int = CLUSTERS) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, assignment)`` for the rows of ``pool`` (dense rows) against the ``labelled``
    rows: the distance to the nearest of ``clusters`` labelled centroids minus that to the
    nearest pool centroid, and each row's pool cluster.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies.representative import representative_scores
    >>> pool = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=np.float32)
    >>> scores, _ = representative_scores(pool, pool[:1], np.random.default_rng(0), clusters=2)
    >>> bool(scores[2] > scores[0])  # the uncovered direction first
    True
    """
    pool_centroids, assignment = kmeans(pool, clusters, rng)
    to_pool = distances_to(pool, pool_centroids, assignment)
    if len(labelled) == 0:
        return -to_pool, assignment
    labelled_centroids, _ = kmeans(labelled, clusters, rng)
    to_labelled = distances_to(pool, labelled_centroids, assign(pool, labelled_centroids))
    return to_labelled - to_pool, assignment


class RepresentativeStrategy:
    """Representative sampling: by pool cluster (best cluster first), the candidates most like
    the unlabelled items and least like the labelled ones."""

    name = "representative"
    cold_uses_features = True

    def select(self, context: QueryContext, k: int) -> np.ndarray:
        if context.labelled.size == 0:  # nothing labelled to be unlike: cover the pool
            return cluster_representatives(context, k)
        view = context.view()
        scores, assignment = representative_scores(view[context.candidates], view[context.labelled], context.rng)
        # Rounds over the pool's clusters, so that a batch does not come from one dense corner.
        order = top_k(scores, scores.size)
        in_order = assignment[order]
        _, first = np.unique(in_order, return_index=True)
        groups = [order[in_order == c][:k] for c in in_order[np.sort(first)]]
        return context.candidates[round_robin(groups)[:k]]

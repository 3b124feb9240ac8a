"""Cluster-based diversity sampling: items from every region of the pool, not one hard corner.

As in Munro's *Human-in-the-Loop Machine Learning* (chapter 4): cluster the unlabelled items'
features, then take from each cluster the item nearest its centroid (what the cluster is
about), its farthest member (an outlier of the cluster) and random members (what else is in
it). Needs no model, so it is also what every diversity strategy serves at cold start.
"""

from __future__ import annotations

import math

import numpy as np

from hilt.strategies._order import round_robin
from hilt.strategies.base import QueryContext
from hilt.strategies.geometry import copy_distance, distances_to, kmeans

__all__ = ["ClusterStrategy", "cluster_representatives"]

#: Members taken from each cluster per batch: centroid-nearest, farthest, one random.
PER_CLUSTER = 3


def cluster_representatives(context: QueryContext, k: int, per_cluster: int = 1) -> np.ndarray:
    """``k`` candidates spread over the pool: cluster the candidates into about
    ``batch / per_cluster`` clusters and take, cluster after cluster (largest first), the
    member nearest the centroid, then the farthest one, then random members.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies import QueryContext
    >>> from hilt.strategies.cluster import cluster_representatives
    >>> X = np.array([[0, 0], [0, 0.2], [0, 0.1], [9, 9], [9, 9.1]], dtype=float)
    >>> ctx = QueryContext(X, np.arange(5), np.empty(0), [], None, np.random.default_rng(0))
    >>> sorted(cluster_representatives(ctx, 2).tolist())  # one item of each group
    [2, 3]
    """
    n = context.candidates.size
    k = min(k, n)
    if k == 0:
        return np.empty(0, np.int64)
    batch = context.batch_size(k)
    n_clusters = max(1, math.ceil(batch / per_cluster))
    view = context.view()
    points = view[context.candidates]
    centroids, assignment = kmeans(points, n_clusters, context.rng, min_separation=copy_distance(view))
    distance = distances_to(points, centroids, assignment)
    groups = []
    sizes = np.bincount(assignment, minlength=len(centroids))
    for cluster in sorted(range(len(centroids)), key=lambda c: (-sizes[c], c)):
        members = np.flatnonzero(assignment == cluster)
        by_distance = members[np.lexsort((members, distance[members]))]
        nearest, rest = by_distance[:1], by_distance[1:]
        farthest, rest = rest[-1:], rest[:-1]
        groups.append(np.concatenate([nearest, farthest, context.rng.permutation(rest)]))
    # Rounds over the clusters: every centroid-nearest member, then every farthest one, then
    # random members; so any ``batch`` consecutive picks cover the clusters.
    return context.candidates[round_robin(groups)[:k]]


class ClusterStrategy:
    """Cluster-based sampling: per cluster of the pool, the centroid-nearest item, its farthest
    member and a random one; a batch of 10 spans four clusters.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies import QueryContext, get_strategy
    >>> X = np.repeat(np.eye(3) * 5, 4, axis=0) + np.random.default_rng(1).normal(0, 0.1, (12, 3))
    >>> ctx = QueryContext(X, np.arange(12), np.empty(0), [], None, np.random.default_rng(0), batch=9)
    >>> sorted({int(i) // 4 for i in get_strategy("cluster").select(ctx, 9)[:3]})  # one per group
    [0, 1, 2]
    """

    name = "cluster"
    cold_uses_features = True

    def select(self, context: QueryContext, k: int) -> np.ndarray:
        return cluster_representatives(context, k, PER_CLUSTER)

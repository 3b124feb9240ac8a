"""Where items lie: a small dense view of any feature matrix, and k-means that stays linear.

The diversity strategies compare items by Euclidean distance, which needs dense rows of modest
width: TF-IDF rows have 200,000 sparse columns, table rows a few dozen dense ones.
:func:`dense_view` gives every pool a float32 view of at most :data:`VIEW_DIMENSIONS` columns
(table rows as they are, centred; text rows reduced and scaled to unit length, so that distance
ranks like cosine similarity), computed once per feature matrix and remembered.
:func:`copy_distance` says how close two items must be to count as copies of one item.

:func:`kmeans` is plain Lloyd's algorithm with k-means++ seeding, written over numpy so that
clustering a hundred candidates costs microseconds rather than a scikit-learn estimator's fixed
overhead, and fitted on a sample of at most :data:`KMEANS_SAMPLE` rows so that clustering a
million-item pool stays linear in the pool (every row is assigned once, in chunks).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["VIEW_DIMENSIONS", "KMEANS_SAMPLE", "assign", "copy_distance", "dense_view", "kmeans", "known_view",
           "squared_distances", "unit_rows", "use_view"]

#: Columns of the dense view: enough to tell clusters of items apart, few enough that the
#: distance from a million rows to a hundred centroids is a fast matrix product.
VIEW_DIMENSIONS = 64

#: Rows k-means is fitted on; the rest of a larger pool is only assigned to the centroids.
KMEANS_SAMPLE = 20_000

#: Table columns in the view are z-scores clipped to ±3: a column that is almost always 0 (a
#: digit's corner pixel) has z-scores up to 40 on its rare other values, and without the clip
#: those few values would decide which items look alike. (digits, ratio+dense, 5 seeds: area
#: under the curve 0.939 without the clip, 0.942 with it.)
CLIP = 3.0

#: Rows per chunk when a large pool is projected or assigned (bounds temporary memory).
CHUNK = 65_536

#: Items closer than this share of the pool's typical distance between two items are copies
#: of one item (the same text with other punctuation, a row measured twice): clustering never
#: splits them into two clusters to fill a batch.
COPY_SHARE = 0.02

_views: dict[int, tuple[Any, np.ndarray]] = {}
_copy_distances: dict[int, tuple[Any, float]] = {}
_views_lock = threading.RLock()


def unit_rows(values: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (all-zero rows stay zero), as float32.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies.geometry import unit_rows
    >>> unit_rows(np.array([[3.0, 4.0], [0.0, 0.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
    """
    values = np.asarray(values, dtype=np.float32)
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    return values / np.where(norms > 0, norms, 1.0)


def dense_view(X: Any) -> np.ndarray:
    """A float32 array with one row per row of ``X`` and at most 64 columns.

    Dense features of 64 columns or fewer (table rows) become z-scores clipped to ±3, so that
    no column's rare extreme values decide which items look alike. Wider ones and sparse ones (TF-IDF) are reduced by a truncated
    SVD fitted on a sample of at most 20,000 rows (so the cost is linear in the pool), and their
    rows scaled to unit length. The result is remembered for as long as ``X`` lives, so every
    query round of a learner, and every strategy in a mix, pays for it once.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from hilt.strategies.geometry import dense_view
    >>> dense_view(np.array([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> float(dense_view(np.r_[np.zeros(99), 1.0][:, None]).max())  # z-score 9.9, clipped
    3.0
    >>> view = dense_view(sp.random(100, 500, density=0.05, format="csr", random_state=0))
    >>> view.shape, bool(np.allclose(np.linalg.norm(view, axis=1), 1.0, atol=1e-5))
    ((100, 64), True)
    """
    found = known_view(X)
    return found if found is not None else use_view(X, _compute_view(X))


def known_view(X: Any) -> np.ndarray | None:
    """The dense view remembered for ``X``, if any (none is computed)."""
    with _views_lock:
        found = _views.get(id(X))
    return found[1] if found is not None and found[0]() is X else None


def use_view(X: Any, view: np.ndarray) -> np.ndarray:
    """Remember ``view`` as the dense view of ``X`` (one computed earlier and kept on disk,
    as a project's feature cache does), so that :func:`dense_view` returns it.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies.geometry import dense_view, known_view, use_view
    >>> X = np.arange(6.0).reshape(3, 2)
    >>> known_view(X) is None
    True
    >>> saved = np.ones((3, 2), dtype=np.float32)
    >>> use_view(X, saved) is saved and dense_view(X) is saved
    True
    """
    key = id(X)
    try:
        ref = weakref.ref(X, lambda _ref, key=key: _forget(key))
    except TypeError:  # an object that takes no weak references: not remembered
        return view
    with _views_lock:
        _views[key] = (ref, view)
    return view


def _forget(key: int) -> None:
    with _views_lock:
        entry = _views.pop(key, None)
    # The view dies here, outside the lock: its own memo entries' callbacks take the lock.
    del entry


def copy_distance(view: np.ndarray) -> float:
    """The distance under which two rows of ``view`` are copies of one item: 2 % of the pool's
    spread (the root mean square distance of a row from the mean row, over at most 20,000
    sampled rows; remembered per view).

    The spread, not a typical distance between two rows: a pool that is mostly copies of a few
    items would make that tiny, and the copies distinct.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies.geometry import copy_distance
    >>> round(copy_distance(np.array([[0.0], [10.0]] * 50, dtype=np.float32)), 3)
    0.1
    """
    found = remembered(_copy_distances, view)
    if found is not None:
        return found
    spread = 0.0
    if view.shape[0]:
        n = view.shape[0]
        # A sample measures the spread as well as the whole pool does, at a fixed cost.
        rows = view if n <= KMEANS_SAMPLE else view[np.sort(np.random.default_rng(0).choice(n, KMEANS_SAMPLE, replace=False))]
        centred = rows - rows.mean(axis=0, dtype=np.float64)
        spread = float(np.einsum("ij,ij->", centred, centred) / rows.shape[0]) ** 0.5
    value = COPY_SHARE * spread
    remember(_copy_distances, view, value)
    return value


def remembered(memo: dict, view: np.ndarray) -> Any:
    """What :func:`remember` kept for this very ``view`` (not another one at the same address)."""
    with _views_lock:
        found = memo.get(id(view))
    return found[1] if found is not None and found[0]() is view else None


def remember(memo: dict, view: np.ndarray, value: Any) -> None:
    """Keep ``value`` for ``view`` for as long as the view lives (a weak reference)."""
    key = id(view)

    def forget(_ref: Any, key: int = key) -> None:
        with _views_lock:
            memo.pop(key, None)

    with _views_lock:
        memo[key] = (weakref.ref(view, forget), value)


def _compute_view(X: Any) -> np.ndarray:
    from hilt.features.blocks import FeatureBlocks

    n = X.shape[0]
    if not sp.issparse(X) and not isinstance(X, FeatureBlocks):  # blocks: read rows like a sparse matrix
        dense = np.asarray(X, dtype=np.float32)
        if dense.ndim != 2:
            dense = dense.reshape(n, -1)
        if dense.shape[1] <= VIEW_DIMENSIONS:
            # One copy, then in place: a million rows make 256 MB per temporary array.
            view = np.array(dense, dtype=np.float32, copy=True)
            view -= view.mean(axis=0, dtype=np.float64).astype(np.float32)
            spread = np.sqrt(np.einsum("ij,ij->j", view, view) / max(n, 1)).astype(np.float32)
            view /= np.where(spread > 0, spread, 1.0)
            return np.clip(view, -CLIP, CLIP, out=view)
    from sklearn.decomposition import TruncatedSVD

    width = X.shape[1]
    dims = min(VIEW_DIMENSIONS, width - 1, n - 1)
    if dims < 1:
        whole = X.tocsr() if isinstance(X, FeatureBlocks) else X
        return unit_rows(np.asarray(whole.toarray() if sp.issparse(whole) else whole, dtype=np.float32)[:, :VIEW_DIMENSIONS])
    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(n, size=min(n, KMEANS_SAMPLE), replace=False))
    svd = TruncatedSVD(n_components=dims, algorithm="randomized", n_iter=4, random_state=0)
    svd.fit(X[sample].tocsr() if isinstance(X, FeatureBlocks) else X[sample])
    components = svd.components_.T.astype(np.float32)
    out = np.empty((n, dims), dtype=np.float32)
    for lo in range(0, n, CHUNK):
        block = X[lo : lo + CHUNK]
        out[lo : lo + CHUNK] = np.asarray(block @ components, dtype=np.float32)
    return unit_rows(out)


def kmeans(points: np.ndarray, n_clusters: int, rng: np.random.Generator, *,
           iterations: int = 10, min_separation: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Cluster ``points`` (dense rows) into at most ``n_clusters`` groups.

    Returns ``(centroids, assignment)``: the centroids (one row per non-empty cluster) and each
    point's cluster index. Seeding is k-means++ from ``rng``; points within ``min_separation``
    of a seed never seed a cluster of their own (so copies of one item make one cluster, and
    fewer than ``n_clusters`` may come back). Fitted on at most 20,000 sampled points, then every point is assigned
    to its nearest centroid, so the cost is linear in the number of points.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies.geometry import kmeans
    >>> points = np.array([[0, 0], [0, 0.1], [5, 5], [5, 5.1]], dtype=np.float32)
    >>> centroids, assignment = kmeans(points, 2, np.random.default_rng(0))
    >>> len(centroids), bool(assignment[0] == assignment[1] != assignment[2] == assignment[3])
    (2, True)
    """
    points = np.asarray(points, dtype=np.float32)
    n = points.shape[0]
    if n == 0:
        return np.empty((0, points.shape[1]), np.float32), np.empty(0, np.int64)
    n_clusters = max(1, min(int(n_clusters), n))
    fit_on = points if n <= KMEANS_SAMPLE else points[np.sort(rng.choice(n, KMEANS_SAMPLE, replace=False))]
    centroids = _plus_plus(fit_on, n_clusters, rng, min_separation)
    for _ in range(iterations):
        labels = assign(fit_on, centroids)
        sums = np.zeros_like(centroids)
        np.add.at(sums, labels, fit_on)
        counts = np.bincount(labels, minlength=len(centroids)).astype(np.float32)
        keep = counts > 0
        moved = sums[keep] / counts[keep, None]
        if moved.shape == centroids.shape and np.allclose(moved, centroids, atol=1e-6):
            centroids = moved
            break
        centroids = moved
    labels = assign(points, centroids)
    used = np.unique(labels)  # drop centroids no point chose, renumbering 0..c-1
    remap = np.full(len(centroids), -1, np.int64)
    remap[used] = np.arange(used.size)
    return centroids[used], remap[labels]


def _plus_plus(points: np.ndarray, n_clusters: int, rng: np.random.Generator,
               min_separation: float = 0.0) -> np.ndarray:
    """Greedy k-means++ seeding (as scikit-learn's): each new seed is the best of a few
    candidates drawn in proportion to their squared distance from the seeds so far."""
    n = points.shape[0]
    trials = 2 + int(np.log(max(n_clusters, 1)))
    chosen = [int(rng.integers(n))]
    closest = squared_distances(points, points[chosen]).ravel()
    floor = max(min_separation, 0.0) ** 2
    for _ in range(1, n_clusters):
        closest = np.where(closest <= floor, 0.0, closest)  # copies of a seed seed nothing
        total = float(closest.sum())
        if total <= 1e-12:  # every point sits on (or is a copy of) a seed: fewer clusters
            break
        candidates = rng.choice(n, size=trials, p=closest / total)
        options = np.minimum(closest[None, :], squared_distances(points, points[candidates]).T)
        best = int(np.argmin(options.sum(axis=1)))
        chosen.append(int(candidates[best]))
        closest = options[best]
    return points[chosen].copy()


def squared_distances(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance from every point to every centroid, ``(n_points, n_centroids)``.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies.geometry import squared_distances
    >>> squared_distances(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0.0, 0.0]])).tolist()
    [[0.0], [25.0]]
    """
    d = (np.einsum("ij,ij->i", points, points)[:, None] - 2.0 * points @ centroids.T
         + np.einsum("ij,ij->i", centroids, centroids)[None, :])
    return np.maximum(d, 0.0)


def assign(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """The index of each point's nearest centroid (Euclidean), computed in chunks.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies.geometry import assign
    >>> assign(np.array([[0.0, 0.0], [9.0, 9.0]]), np.array([[10.0, 10.0], [1.0, 0.0]])).tolist()
    [1, 0]
    """
    points = np.asarray(points, dtype=np.float32)
    centroids = np.asarray(centroids, dtype=np.float32)
    out = np.empty(points.shape[0], dtype=np.int64)
    for lo in range(0, points.shape[0], CHUNK):
        out[lo : lo + CHUNK] = squared_distances(points[lo : lo + CHUNK], centroids).argmin(axis=1)
    return out


def distances_to(points: np.ndarray, centroids: np.ndarray, assignment: np.ndarray) -> np.ndarray:
    """Euclidean distance from each point to its own centroid."""
    diff = np.asarray(points, np.float32) - np.asarray(centroids, np.float32)[assignment]
    return np.sqrt(np.einsum("ij,ij->i", diff, diff))

"""Orderings the strategies share: round robin over groups, and interleaving of weighted lists."""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["round_robin", "interleave", "shares"]


def round_robin(groups: Sequence[np.ndarray]) -> np.ndarray:
    """The first of each group, then the second of each, and so on (groups in the given order).

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies._order import round_robin
    >>> round_robin([np.array([1, 2, 3]), np.array([7]), np.array([8, 9])]).tolist()
    [1, 7, 8, 2, 9, 3]
    """
    groups = [np.asarray(g, dtype=np.int64) for g in groups if len(g)]
    if not groups:
        return np.empty(0, np.int64)
    longest = max(len(g) for g in groups)
    grid = np.full((longest, len(groups)), -1, dtype=np.int64)
    for column, group in enumerate(groups):
        grid[: len(group), column] = group
    flat = grid.ravel()
    return flat[flat >= 0]


def shares(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into whole shares proportional to ``weights`` (largest remainder;
    ties to the earlier weight).

    Examples
    --------
    >>> from hilt.strategies._order import shares
    >>> shares(10, [8, 1, 1]), shares(7, [1, 1]), shares(2, [8, 1, 1])
    ([8, 1, 1], [4, 3], [2, 0, 0])
    """
    weights = np.asarray(weights, dtype=np.float64)
    exact = total * weights / weights.sum()
    counts = np.floor(exact + 1e-9).astype(int)
    rest = total - int(counts.sum())
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[:rest]:
        counts[i] += 1
    return counts.tolist()


def interleave(lists: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """Merge ordered lists so that every prefix holds them close to their weights' shares
    (smooth weighted round robin); each list keeps its own order.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies._order import interleave
    >>> interleave([np.arange(8), np.array([100]), np.array([200])], [8, 1, 1]).tolist()
    [0, 1, 2, 100, 3, 4, 5, 200, 6, 7]
    """
    lists = [list(np.asarray(x, dtype=np.int64)) for x in lists]
    weights = [float(w) for w in weights]
    position = [0] * len(lists)
    credit = [0.0] * len(lists)
    out: list[int] = []
    while True:
        live = [i for i in range(len(lists)) if position[i] < len(lists[i])]
        if not live:
            break
        total = sum(weights[i] for i in live)
        for i in live:
            credit[i] += weights[i]
        best = max(live, key=lambda i: (credit[i], -i))
        credit[best] -= total
        out.append(lists[best][position[best]])
        position[best] += 1
    return np.asarray(out, dtype=np.int64)

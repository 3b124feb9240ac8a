"""Information density (``METHOD+dense``): uncertainty weighted by how typical an item is.

The most uncertain items are often the least typical (a garbled text, a scanner smudge): what
the model learns from them transfers to few other items. Weighting each candidate's
uncertainty by its density, how close it lies to the centre of its region of the pool, asks
about uncertain items that stand for many others (Settles and Craven 2008; Munro's chapter 5
combines uncertainty and representative sampling the same way). Batches are then spread over
clusters exactly as ``METHOD+diverse`` spreads them.
"""

from __future__ import annotations

import numpy as np

from hilt.strategies.base import QueryContext
from hilt.strategies.geometry import distances_to, kmeans, remember, remembered

__all__ = ["DensityWeighted", "pool_density"]

#: Regions of the pool density is measured in.
REGIONS = 20

_densities: dict = {}


def pool_density(view: np.ndarray) -> np.ndarray:
    """Per row of ``view``: ``1 / (1 + d / mean d)``, with ``d`` the distance to the centroid of
    its region (k-means with 20 clusters, a fixed seed); 1 at a centre, smaller further out.
    A region of a few odd items (under a quarter of the average region's size: k-means++ likes
    to seed a lone outlier) counts in proportion to its size, so an outlier is not "typical" of
    itself. Linear in the pool, and remembered per view (which lives as long as its features).

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies.density import pool_density
    >>> rng = np.random.default_rng(0)
    >>> view = np.vstack([rng.normal(0, 1, (300, 2)), [[40.0, 40.0]]]).astype(np.float32)
    >>> density = pool_density(view)
    >>> bool(density[-1] < np.median(density)), density.shape  # the lone far item is atypical
    (True, (301,))
    """
    found = remembered(_densities, view)
    if found is not None:
        return found
    centroids, assignment = kmeans(view, REGIONS, np.random.default_rng(0))
    distance = distances_to(view, centroids, assignment).astype(np.float64)
    sizes = np.bincount(assignment, minlength=len(centroids)).astype(np.float64)
    scale = distance.mean()
    nearness = 1.0 / (1.0 + distance / scale) if scale > 0 else np.ones(view.shape[0])
    small = sizes / (view.shape[0] / (4.0 * len(centroids)))
    density = nearness * np.minimum(1.0, small)[assignment]
    remember(_densities, view, density)
    return density


class DensityWeighted:
    """Scores of ``base`` (an uncertainty strategy) times each candidate's pool density."""

    cold_uses_features = True

    def __init__(self, base):
        self.base = base
        self.name = f"{base.name}+dense"
        self.multilabel_only = getattr(base, "multilabel_only", False)

    def scores(self, context: QueryContext) -> np.ndarray:
        key = f"dense:{self.base.name}"
        if key not in context.memo:
            density = pool_density(context.view())[context.candidates]
            context.memo[key] = self.base.scores(context) * density
        return context.memo[key]

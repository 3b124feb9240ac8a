"""Honest intervals: how much a measured accuracy on a few evaluation items can be trusted.

"75 % on 4 items" is a point on a curve that says nothing about how little 4 items tell. The
Wilson score interval (Wilson 1927; Brown, Cai & DasGupta 2001 recommend it over the normal
approximation for small samples) stays inside [0, 1] and is wide when the sample is small.
"""

from __future__ import annotations

import math

__all__ = ["Z_95", "wilson_interval"]

#: The two-sided 95 % quantile of the standard normal distribution.
Z_95 = 1.959963984540054


def wilson_interval(successes: int, n: int, *, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (95 % by default); ``None`` when ``n == 0``.

    Parameters
    ----------
    successes : int
        Correct predictions (``0 <= successes <= n``).
    n : int
        Evaluation items.
    z : float
        The normal quantile of the confidence level.

    Returns
    -------
    (low, high) or None

    Examples
    --------
    >>> [round(x, 4) for x in wilson_interval(3, 4)]
    [0.3006, 0.9544]
    >>> [round(x, 4) for x in wilson_interval(300, 400)]
    [0.7053, 0.7899]
    >>> wilson_interval(0, 0) is None
    True
    """
    if isinstance(successes, bool) or isinstance(n, bool) or n < 0 or not 0 <= successes <= n:
        raise ValueError(f"Expected 0 <= successes <= n with n >= 0; got successes={successes!r}, n={n!r}.")
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # At p = 0 or 1 the bound is exactly 0 or 1; the formula leaves a rounding crumb (2.8e-17).
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high

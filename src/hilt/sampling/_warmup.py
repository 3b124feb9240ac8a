"""Compile and cache the numba kernels ahead of time.

``make`` runs this once after installing, so no user-facing call pays for compilation.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["warmup"]


def warmup(verbose: bool = False) -> float:
    """Compile every fused kernel for float32 and float64 input; return the seconds taken.

    Examples
    --------
    >>> from hilt.sampling import warmup
    >>> warmup() >= 0.0
    True
    """
    from hilt.sampling.uncertainty import METHODS, _fast_kernels, _score

    start = time.perf_counter()
    for dtype in (np.float64, np.float32):
        probs = np.full((4, 3), 1.0 / 3.0, dtype=dtype)
        for method in METHODS:
            for raw in (False, True):
                _score(probs, method, raw, engine="numba")
        kernels = _fast_kernels()
        if kernels is not None:  # the fused kernel behind rank(..., "entropy") on big pools
            kernels.entropy_pruned(probs, 1e-5, 1.0, 2.0, -1.0)
    elapsed = time.perf_counter() - start
    if verbose:
        print(f"hilt: sampling kernels ready in {elapsed:.2f} s")
    return elapsed


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
    from hilt.sampling.uncertainty import _fast_kernels

    start = time.perf_counter()
    kernels = _fast_kernels()  # None when numba is missing or disabled: nothing to compile
    threads = kernels.numba.get_num_threads() if kernels is not None else 1
    for dtype in (np.float64, np.float32):
        if kernels is None:
            break
        probs = np.full((4, 3), 1.0 / 3.0, dtype=dtype)
        # Both loops of every kernel: which one a call takes depends on its size and on how
        # busy the machine is at that moment, and neither should compile in front of a user.
        calls = [(kernel, (probs, raw, 1e-5)) for kernel in kernels.KERNELS.values() for raw in (False, True)]
        calls.append((kernels.entropy_pruned, (probs, 1e-5, 1.0, 2.0, -1.0)))
        calls.append((kernels.multilabel, (probs, 0, False)))  # one compile serves every method
        for kernel, args in calls:
            kernel.serial(*args)
            kernels._scheduling.run_parallel(kernel.parallel, args, threads, threads)
    elapsed = time.perf_counter() - start
    if verbose:
        print(f"hilt: sampling kernels ready in {elapsed:.2f} s")
    return elapsed


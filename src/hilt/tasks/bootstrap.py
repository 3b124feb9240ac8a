"""The 95 % bootstrap interval every task's metric reports: items resampled with replacement,
the figures computed from the resampled counts."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["BOOTSTRAP_ROUNDS", "bootstrap_weights", "with_intervals"]

#: Bootstrap resamples behind each interval.
BOOTSTRAP_ROUNDS = 1000


def bootstrap_weights(n: int, rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0) -> np.ndarray:
    """``(rounds, n)``: how often each of ``n`` items is drawn in each resample (rows sum to
    ``n``); ``weights @ per_item_counts`` gives each resample's counts at once.

    Examples
    --------
    >>> w = bootstrap_weights(4, rounds=3, seed=1)
    >>> w.shape, w.sum(axis=1).tolist()
    ((3, 4), [4.0, 4.0, 4.0])
    """
    return np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=rounds).astype(np.float64)


def with_intervals(value: Mapping[str, Any], boot: Mapping[str, np.ndarray],
                   names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """name -> ``{"value", "ci": [2.5 %, 97.5 %] of the resamples}``, in ``names`` order.

    Examples
    --------
    >>> figures = with_intervals({"f1": 0.5}, {"f1": np.linspace(0, 1, 41)}, ["f1"])
    >>> figures["f1"]["value"], [round(x, 3) for x in figures["f1"]["ci"]]
    (0.5, [0.025, 0.975])
    """
    return {name: {"value": float(value[name]),
                   "ci": [float(np.quantile(boot[name], 0.025)), float(np.quantile(boot[name], 0.975))]}
            for name in names}

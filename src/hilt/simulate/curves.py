"""A simulation's learning curves and the numbers that sum them up (no wording, no drawing).

:class:`LearningCurves` holds every curve of a simulation and sums each strategy up in a
:class:`StrategySummary`; :mod:`hilt.simulate.recommend` turns the summaries into a
recommendation, :mod:`hilt.simulate.plot` draws them, and :class:`hilt.simulate.SimulationResult`
(the curves with their table, JSON and plot) is what :func:`hilt.simulate.run` returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

__all__ = ["TARGETS", "Curve", "LearningCurves", "StrategySummary", "area_under_curve", "labels_to_reach",
           "median_labels"]

#: The shares of the full-data accuracy that "labels needed" is reported for.
TARGETS = (0.95, 0.99)


@dataclass
class Curve:
    """One run: test accuracy after each round of labels, for one strategy and one seed.

    ``picked`` lists the pool positions in the order they were labelled (the initial random
    items first), so a run can be checked and replayed.
    """

    strategy: str
    seed: int
    n_labels: list[int]
    accuracy: list[float]
    picked: list[int] = field(default_factory=list)


@dataclass
class StrategySummary:
    """One strategy over all seeds (numbers; :meth:`SimulationResult.table` formats them)."""

    strategy: str
    n_labels: list[int]          # the grid every seed has a point on
    mean: list[float]            # mean accuracy over seeds on that grid
    std: list[float]             # standard deviation over seeds (0 with one seed)
    to_reach: dict[float, int | None]            # median over seeds of each seed's figure
    to_reach_by_seed: dict[float, list[int | None]]  # first n where a seed's curve >= share * full
    aulc_mean: float
    aulc_std: float


def labels_to_reach(n_labels: Sequence[int], accuracy: Sequence[float], level: float) -> int | None:
    """The first label count whose accuracy is at least ``level``, or ``None`` if none is.

    Examples
    --------
    >>> from hilt.simulate import labels_to_reach
    >>> labels_to_reach([20, 30, 40], [0.7, 0.91, 0.95], 0.9)
    30
    >>> labels_to_reach([20, 30], [0.7, 0.8], 0.9) is None
    True
    """
    # A small tolerance so that 0.99 * full is reached by an accuracy equal to it in decimal.
    for n, acc in zip(n_labels, accuracy):
        if acc >= level - 1e-12:
            return int(n)
    return None


def median_labels(by_seed: Sequence[int | None]) -> int | None:
    """The median of the seeds' label counts, ``None`` (never reached) counting as the most.

    With an even number of seeds it is the higher of the two middle figures, so it is always
    one of the seeds' own figures, and at least half the seeds reached the target by then.

    Examples
    --------
    >>> from hilt.simulate.curves import median_labels
    >>> median_labels([20, 30, 50]), median_labels([20, 30]), median_labels([20, None, None])
    (30, 30, None)
    """
    if not by_seed:
        return None
    ordered = sorted(by_seed, key=lambda n: math.inf if n is None else n)
    return ordered[len(ordered) // 2]


def area_under_curve(n_labels: Sequence[int], accuracy: Sequence[float]) -> float:
    """Area under the learning curve divided by its width: the mean accuracy over the label range.

    Examples
    --------
    >>> from hilt.simulate import area_under_curve
    >>> area_under_curve([10, 20, 30], [0.5, 0.7, 0.9])
    0.7
    """
    n = np.asarray(n_labels, dtype=np.float64)
    acc = np.asarray(accuracy, dtype=np.float64)
    if n.size == 1:
        return float(acc[0])
    area = float(np.sum((acc[1:] + acc[:-1]) / 2.0 * np.diff(n)))
    return round(area / float(n[-1] - n[0]), 12)


@dataclass
class LearningCurves:
    """Every learning curve of a simulation, and the full-data accuracy they aim at.

    The numbers only; :class:`hilt.simulate.SimulationResult` adds the recommendation, the
    table, the plot and JSON.

    Examples
    --------
    >>> from hilt.simulate.curves import Curve, LearningCurves
    >>> curves = LearningCurves("toy", 0.9, {"budget": 30}, [
    ...     Curve("random", 0, [10, 20, 30], [0.5, 0.7, 0.8]),
    ...     Curve("margin", 0, [10, 20, 30], [0.5, 0.86, 0.9])])
    >>> curves.summary()["margin"].to_reach
    {0.95: 20, 0.99: 30}
    """

    dataset: str
    full_accuracy: float
    settings: dict[str, Any]
    curves: list[Curve]
    notes: list[str] = field(default_factory=list)
    #: Display names for strategies that stand for several methods (the two-label case).
    display_names: dict[str, str] = field(default_factory=dict)

    # -- numbers -------------------------------------------------------------------------
    @property
    def strategies(self) -> list[str]:
        """Strategy names in the order they were run."""
        return list(dict.fromkeys(c.strategy for c in self.curves))

    @property
    def seeds(self) -> list[int]:
        """The seeds run, in order."""
        return sorted({c.seed for c in self.curves})

    def curves_of(self, strategy: str) -> list[Curve]:
        """``strategy``'s curves, one per seed, in seed order."""
        return sorted((c for c in self.curves if c.strategy == strategy), key=lambda c: c.seed)

    def display_name(self, strategy: str) -> str:
        """The name tables and plots show for ``strategy``."""
        return self.display_names.get(strategy, strategy)

    def summary(self) -> dict[str, StrategySummary]:
        """Per strategy: the mean curve, its spread, labels needed and area under the curve."""
        out = {}
        for strategy in self.strategies:
            curves = self.curves_of(strategy)
            grid = sorted(set.intersection(*(set(c.n_labels) for c in curves)))
            matrix = np.array(
                [[dict(zip(c.n_labels, c.accuracy))[n] for n in grid] for c in curves], dtype=np.float64
            ).reshape(len(curves), len(grid))
            mean = matrix.mean(axis=0) if grid else np.empty(0)
            std = matrix.std(axis=0) if grid else np.empty(0)
            aulcs = [area_under_curve(c.n_labels, c.accuracy) for c in curves]
            by_seed = {
                t: [labels_to_reach(c.n_labels, c.accuracy, t * self.full_accuracy) for c in curves]
                for t in TARGETS
            }
            out[strategy] = StrategySummary(
                strategy=strategy,
                n_labels=grid,
                mean=mean.tolist(),
                std=std.tolist(),
                # One definition for the figure and its range: each seed's own count, summed
                # up by their median. The mean curve's count can lie outside the seeds' range
                # (seeds that reach the target at different rounds and dip after it).
                to_reach={t: median_labels(by_seed[t]) for t in TARGETS},
                to_reach_by_seed=by_seed,
                aulc_mean=float(np.mean(aulcs)),
                aulc_std=float(np.std(aulcs)),
            )
        return out

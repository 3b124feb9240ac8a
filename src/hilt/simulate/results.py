"""What a simulation produced, as people read it: the curves with their table, recommendation,
plot and JSON.

The numbers are :class:`~hilt.simulate.curves.LearningCurves`'s, the recommendation's rule is
:mod:`hilt.simulate.recommend`'s and the drawing :mod:`hilt.simulate.plot`'s; this module puts
them together as :class:`SimulationResult`, what :func:`hilt.simulate.run` returns.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from hilt.errors import InputError
from hilt.simulate import recommend
from hilt.simulate.curves import (TARGETS, Curve, LearningCurves, StrategySummary, area_under_curve, labels_to_reach,
                                  median_labels)
from hilt.simulate.plot import plot_result

__all__ = ["Curve", "SimulationResult", "StrategySummary", "labels_to_reach", "area_under_curve", "median_labels"]


@dataclass
class SimulationResult(LearningCurves):
    """Every learning curve of a simulation, and the full-data accuracy they aim at.

    Returned by :func:`hilt.simulate.run`; :meth:`table`, :attr:`recommendation`,
    :meth:`plot` and :meth:`to_json` present it.

    Examples
    --------
    >>> from hilt.simulate import Curve, SimulationResult
    >>> result = SimulationResult(
    ...     dataset="toy", full_accuracy=0.9, settings={"budget": 30, "at": [20, 30]},
    ...     curves=[Curve("random", 0, [10, 20, 30], [0.5, 0.7, 0.8]),
    ...             Curve("margin", 0, [10, 20, 30], [0.5, 0.86, 0.9])])
    >>> result.strategies
    ['random', 'margin']
    >>> result.table().loc["margin", "labels to 95 %"]
    '20'
    >>> result.recommendation
    'Recommended: margin. It reaches 99 % of the full-data accuracy (0.900) with 30 labels; random needs > 30 (at least 1 more, 3 %).'
    """

    # -- presentation --------------------------------------------------------------------
    def table(self, at: Sequence[int] | None = None) -> pd.DataFrame:
        """One row per strategy, as text: accuracy at label counts ``at`` (mean ± sd over seeds),
        labels needed to reach 95 % and 99 % of the full-data accuracy (the median over seeds
        of the first label count where a seed's curve reaches it, with the range over seeds),
        and the area under the learning curve (mean ± sd).

        ``at`` defaults to the label counts chosen when the simulation ran.
        """
        at = list(self.settings.get("at") or []) if at is None else [int(a) for a in at]
        budget = int(self.settings.get("budget", 0))
        summary = self.summary()
        rows = {}
        # "acc" for accuracy (single), the metric's own name otherwise (micro-F1 for multilabel).
        metric = self.settings.get("metric", "accuracy")
        short = "acc" if metric == "accuracy" else metric
        for strategy, s in summary.items():
            row: dict[str, str] = {}
            for n in at:
                if n in s.n_labels:
                    i = s.n_labels.index(n)
                    row[f"{short} @ {n}"] = _spread(s.mean[i], s.std[i])
                else:
                    row[f"{short} @ {n}"] = "–"
            for t in TARGETS:
                row[f"labels to {round(t * 100)} %"] = _labels(s.to_reach[t], s.to_reach_by_seed[t], budget)
            row["area under curve"] = _spread(s.aulc_mean, s.aulc_std)
            rows[self.display_name(strategy)] = row
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "strategy"
        return frame

    def to_markdown(self, at: Sequence[int] | None = None) -> str:
        """:meth:`table` as a Markdown table (for READMEs and reports)."""
        table = self.table(at)
        header = ["strategy", *table.columns]
        lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(["---"] + ["---:"] * len(table.columns)) + " |"]
        for name, row in table.iterrows():
            lines.append("| " + " | ".join([str(name), *(str(v) for v in row)]) + " |")
        return "\n".join(lines)

    @property
    def recommendation(self) -> str:
        """One line: the best strategy and how much it beats random by.

        Best means fewest labels to reach 99 % of the full-data accuracy (median over seeds),
        then fewest to reach 95 %, then the largest area under the curve. Strategies equal on
        all three (areas within the table's precision) are named together as a tie. When the
        full-data accuracy is hardly above always answering the most common label
        (``settings["majority_share"]``), no strategy is recommended: the model cannot learn
        the data as configured, and the line says what to check.
        """
        return recommend.recommendation(self)

    @property
    def recommended(self) -> list[str]:
        """The strategies :attr:`recommendation` names (several for a tie; ``random`` when no
        other beat it), in the order they were run; empty when none is recommended.

        Examples
        --------
        >>> from hilt.simulate import Curve, SimulationResult
        >>> SimulationResult("toy", 0.9, {"budget": 30}, [
        ...     Curve("random", 0, [10, 20, 30], [0.5, 0.7, 0.8]),
        ...     Curve("margin", 0, [10, 20, 30], [0.5, 0.86, 0.9])]).recommended
        ['margin']
        """
        return recommend.recommended(self)

    @property
    def caution(self) -> str | None:
        """One sentence when the test split is too small to tell the recommendation from its
        runner-up, else ``None``.

        The rule: every accuracy on the curves is measured on the ``settings["n_test"]`` test
        items, and one such figure is uncertain by the half-width of its 95 % Wilson interval
        (at the full-data accuracy). When the recommended strategy's lead over random (for a
        recommended random, the best other strategy's distance from it; without random, the
        runner-up's) in area under the curve, its mean accuracy over the label range, is smaller
        than that, the test split cannot tell them apart. 33 test items at 0.85 are uncertain by
        ±0.12, more than any lead a strategy usually has; 450 at 0.97 by ±0.016.

        Examples
        --------
        >>> from hilt.simulate import Curve, SimulationResult
        >>> curves = [Curve("random", 0, [10, 20, 30], [0.5, 0.7, 0.8]),
        ...           Curve("margin", 0, [10, 20, 30], [0.5, 0.76, 0.85])]
        >>> print(SimulationResult("toy", 0.85, {"budget": 30, "n_test": 33}, curves).caution)
        Caution: the test split holds only 33 items, so one accuracy on it is uncertain by ±0.121 (the 95 % Wilson interval at 0.850), more than the lead of margin over random (0.042 in area under the curve): label more items, or simulate on a larger labelled file (hilt simulate FILE --label-column COLUMN), before relying on this recommendation.
        >>> SimulationResult("toy", 0.85, {"budget": 30, "n_test": 2000}, curves).caution is None
        True
        """
        return recommend.caution(self)

    @property
    def majority_share(self) -> float | None:
        """The test split's share of its most common label (what always guessing it scores),
        if the simulation recorded it."""
        return recommend.majority_share(self)

    def cannot_learn(self) -> str | None:
        """Why no strategy is recommended, when the model trained on the whole pool is hardly
        better than always answering the most common label; else ``None``.

        Examples
        --------
        >>> from hilt.simulate import Curve, SimulationResult
        >>> result = SimulationResult("wine", 0.40, {"budget": 30, "majority_share": 0.40},
        ...                           [Curve("random", 0, [10, 20, 30], [0.3, 0.4, 0.4])])
        >>> result.cannot_learn().startswith("No recommendation: the model cannot learn this data")
        True
        """
        return recommend.cannot_learn(self)

    def plot(self, path: str | Path) -> Path:
        """Write the learning curves as a PNG to ``path`` and return the path."""
        return plot_result(self, Path(path))

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-ready: settings, full-data accuracy, notes, summary and every curve."""
        summary = self.summary()
        return {
            "dataset": self.dataset,
            "full_accuracy": self.full_accuracy,
            "settings": self.settings,
            "notes": self.notes,
            "display_names": self.display_names,
            "recommendation": self.recommendation,
            "recommended": self.recommended,
            "caution": self.caution,
            "summary": [
                {
                    "strategy": s.strategy,
                    "n_labels": s.n_labels,
                    "mean": s.mean,
                    "std": s.std,
                    "labels_to_95": s.to_reach[0.95],
                    "labels_to_99": s.to_reach[0.99],
                    "labels_to_95_by_seed": s.to_reach_by_seed[0.95],
                    "labels_to_99_by_seed": s.to_reach_by_seed[0.99],
                    "aulc_mean": s.aulc_mean,
                    "aulc_std": s.aulc_std,
                }
                for s in summary.values()
            ],
            "curves": [asdict(c) for c in self.curves],
        }

    def to_json(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` to ``path`` as JSON and return the path."""
        path = Path(path)
        try:
            path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        except OSError as error:
            raise InputError(f"Could not write {path}: {error.strerror}.") from None
        return path

    @classmethod
    def from_json(cls, path: str | Path) -> "SimulationResult":
        """Read back what :meth:`to_json` wrote."""
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            dataset=raw["dataset"],
            full_accuracy=raw["full_accuracy"],
            settings=raw["settings"],
            curves=[Curve(**c) for c in raw["curves"]],
            notes=raw.get("notes", []),
            display_names=raw.get("display_names", {}),
        )


def _spread(mean: float, std: float) -> str:
    return f"{mean:.3f} ± {std:.3f}"


def _labels(on_mean: int | None, by_seed: list[int | None], budget: int) -> str:
    never = f"> {budget}"
    text = never if on_mean is None else str(on_mean)
    if len(by_seed) > 1:
        reached = [n for n in by_seed if n is not None]
        if not reached:
            return text
        low = str(min(reached)) if reached else never
        high = never if len(reached) < len(by_seed) else str(max(reached))
        text += f" ({low}–{high})" if low != high else f" ({low})"
    return text

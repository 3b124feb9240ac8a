"""What a simulation produced: every learning curve, their summary, table, JSON and plot."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from hilt.errors import InputError

__all__ = ["Curve", "SimulationResult", "StrategySummary", "labels_to_reach", "area_under_curve"]

#: The shares of the full-data accuracy that "labels needed" is reported for.
TARGETS = (0.95, 0.99)
#: The full-data accuracy must close at least this share of the gap between always answering
#: the most common label and a perfect score for the data to count as learnable: below it, no
#: strategy is recommended, since there is nothing for the labels to teach the model.
LEARNABLE_GAIN = 0.1
#: Area-under-curve figures closer than this count as equal: the table shows three decimals,
#: and a recommendation must not rest on a difference the table cannot show.
SAME_AREA = 0.0005


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
    >>> from hilt.simulate.results import median_labels
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
class SimulationResult:
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
        return sorted({c.seed for c in self.curves})

    def curves_of(self, strategy: str) -> list[Curve]:
        return sorted((c for c in self.curves if c.strategy == strategy), key=lambda c: c.seed)

    def display_name(self, strategy: str) -> str:
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
        for strategy, s in summary.items():
            row: dict[str, str] = {}
            for n in at:
                if n in s.n_labels:
                    i = s.n_labels.index(n)
                    row[f"acc @ {n}"] = _spread(s.mean[i], s.std[i])
                else:
                    row[f"acc @ {n}"] = "–"
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
        unlearnable = self.cannot_learn()
        if unlearnable is not None:
            return unlearnable
        summary = self.summary()
        budget = int(self.settings.get("budget", 0))
        best, tied = self._choice(summary)
        random = summary.get("random")
        if random is None:
            return (
                f"Recommended: {self.display_name(best.strategy)}. It {self._reach(best)} "
                "(random was not run, so there is no baseline)."
            )
        if best.strategy == "random" or _key(best) == _key(random):
            others = [v for k, v in summary.items() if k != "random"]
            if not others:
                return f"Only random was run: it {self._reach(random)}."
            rival = min(others, key=_key)
            level = self._level(random) or self._level(rival)
            line = (
                f"Recommended: random. No other strategy beat random sampling here: random "
                f"{self._reach(random, level)}; the best other strategy, "
                f"{self.display_name(rival.strategy)}, {self._reach(rival, level, short=True)}"
            )
            tied = level is not None and rival.to_reach[level] == random.to_reach[level]
            if rival.aulc_mean - random.aulc_mean >= SAME_AREA:
                line += (
                    f", though it is ahead earlier on (area under the curve {rival.aulc_mean:.3f} vs "
                    f"{random.aulc_mean:.3f})"
                )
            elif tied:
                # Equal label counts: say what decided, or that nothing did.
                line += (
                    f" too, and random's area under the curve is larger ({random.aulc_mean:.3f} vs "
                    f"{rival.aulc_mean:.3f})" if random.aulc_mean - rival.aulc_mean >= SAME_AREA else
                    " too, with the same area under the curve: no difference between them"
                )
            return line + "."
        level = self._level(best)
        name = self.display_name(best.strategy)
        if tied:
            order = self.strategies
            group = sorted([best, *tied], key=lambda s: order.index(s.strategy))  # in the order run
            names = [self.display_name(s.strategy) for s in group]
            name = ", ".join(names[:-1]) + " or " + names[-1] + (
                f" (a tie: the same labels needed and area under the curve {best.aulc_mean:.3f}; "
                "either serves equally)")
        if level is None:
            return (
                f"Recommended: {name}. It {self._reach(best)}; random's is {random.aulc_mean:.3f} "
                f"({best.aulc_mean - random.aulc_mean:+.3f})."
            )
        mine, theirs = best.to_reach[level], random.to_reach[level]
        if theirs is None:
            saved = budget + 1 - mine
            gap = f"random needs > {budget} (at least {saved} more, {100 * saved / (budget + 1):.0f} %)"
        else:
            gap = f"random needs {theirs} ({theirs - mine} more, {100 * (theirs - mine) / theirs:.0f} %)"
        return f"Recommended: {name}. It {self._reach(best, level)}; {gap}."

    def _choice(self, summary: dict[str, StrategySummary]) -> tuple[StrategySummary, list[StrategySummary]]:
        """The best strategy by :attr:`recommendation`'s rule and those tied with it."""
        best = min(summary.values(), key=_key)
        tied = [s for s in summary.values() if s is not best and _ties(s, best)]
        random = summary.get("random")
        if random is not None and random is not best and _ties(random, best):
            best = random  # a tie with random is no gain over it
        return best, tied

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
        if self.cannot_learn() is not None:
            return []
        summary = self.summary()
        random = summary.get("random")
        best, tied = self._choice(summary)
        if random is not None and (best is random or _key(best) == _key(random)):
            return ["random"]
        names = {best.strategy, *(s.strategy for s in tied)}
        return [name for name in self.strategies if name in names]

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
        n_test = self.settings.get("n_test")
        if not n_test or self.cannot_learn() is not None:
            return None
        summary = self.summary()
        if len(summary) < 2:
            return None
        from hilt.quality.intervals import wilson_interval

        n_test = int(n_test)
        p = min(max(self.full_accuracy, 0.0), 1.0)
        low, high = wilson_interval(round(p * n_test), n_test)
        half = (high - low) / 2
        best, _ = self._choice(summary)
        random = summary.get("random")
        if random is not None and (best is random or _key(best) == _key(random)):
            rival = min((s for name, s in summary.items() if name != "random"), key=_key)
            what = f"the gap between random and {self.display_name(rival.strategy)}"
            gap = abs(random.aulc_mean - rival.aulc_mean)
        else:
            other = random if random is not None else min(
                (s for s in summary.values() if s is not best), key=_key)
            what = f"the lead of {self.display_name(best.strategy)} over {self.display_name(other.strategy)}"
            gap = best.aulc_mean - other.aulc_mean
        if gap >= half:
            return None
        return (
            f"Caution: the test split holds only {n_test} items, so one accuracy on it is uncertain by "
            f"±{half:.3f} (the 95 % Wilson interval at {p:.3f}), more than {what} ({gap:.3f} in area under "
            "the curve): label more items, or simulate on a larger labelled file (hilt simulate FILE "
            "--label-column COLUMN), before relying on this recommendation."
        )

    @property
    def majority_share(self) -> float | None:
        """The test split's share of its most common label (what always guessing it scores),
        if the simulation recorded it."""
        share = self.settings.get("majority_share")
        return None if share is None else float(share)

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
        majority = self.majority_share
        if majority is None or self.full_accuracy >= majority + LEARNABLE_GAIN * (1.0 - majority):
            return None
        kind = self.settings.get("kind")
        text = self.settings.get("text_column")
        if kind == "text":
            what = (f"the text column{f' ({text!r})' if text else ''} holds the items' text and not "
                    "an id or a code (pass --text-column, and --id-column for a column of ids)")
        else:
            what = "the numeric columns are the items' features (an id or row number among them teaches nothing)"
        return (
            f"No recommendation: the model cannot learn this data as configured. Trained on the whole pool, "
            f"it scores {self.full_accuracy:.3f} on the test split, hardly better than always answering the "
            f"most common label ({majority:.3f}), so no strategy can do better than that either. Check that "
            f"{what}; that the features suit the data (--features); and that --label-column names the true labels."
        )

    @staticmethod
    def _level(s: StrategySummary) -> float | None:
        """The highest target share the mean curve reaches, if any."""
        return next((t for t in reversed(TARGETS) if s.to_reach[t] is not None), None)

    def _reach(self, s: StrategySummary, level: float | None = None, short: bool = False) -> str:
        level = self._level(s) if level is None else level
        if level is None:
            return f"has an area under the learning curve of {s.aulc_mean:.3f}"
        n = s.to_reach[level]
        budget = self.settings.get("budget", "the budget")
        if short:
            return f"needs {n if n is not None else f'> {budget}'}"
        what = f"{round(level * 100)} % of the full-data accuracy ({self.full_accuracy:.3f})"
        if n is None:
            return f"does not reach {what} within {budget} labels"
        return f"reaches {what} with {n} labels"

    def plot(self, path: str | Path) -> Path:
        """Write the learning curves as a PNG to ``path`` and return the path."""
        from hilt.simulate.plot import plot_result

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


def _key(s: StrategySummary) -> tuple:
    """What decides the recommendation: labels to 99 %, then to 95 %, then the larger area."""
    return tuple(s.to_reach[t] or math.inf for t in reversed(TARGETS)) + (-s.aulc_mean,)


def _ties(a: StrategySummary, b: StrategySummary) -> bool:
    return _key(a)[:-1] == _key(b)[:-1] and abs(a.aulc_mean - b.aulc_mean) < SAME_AREA


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

"""Which strategy to recommend from a simulation's learning curves, and the words that say so.

The rule: fewest labels to reach 99 % of the full-data accuracy (median over seeds), then
fewest to reach 95 %, then the largest area under the curve; strategies equal on all three
are a tie, and a tie with random is no gain over it. No strategy is recommended when the data
is not learnable as configured, and a caution is added when the test split is too small to tell
the winner from its runner-up. Functions over :class:`~hilt.simulate.curves.LearningCurves`;
:class:`hilt.simulate.SimulationResult` presents them as properties.

Examples
--------
>>> from hilt.simulate import recommend
>>> from hilt.simulate.curves import Curve, LearningCurves
>>> curves = LearningCurves("toy", 0.9, {"budget": 30}, [
...     Curve("random", 0, [10, 20, 30], [0.5, 0.7, 0.8]),
...     Curve("margin", 0, [10, 20, 30], [0.5, 0.86, 0.9])])
>>> recommend.recommended(curves)
['margin']
>>> best, tied = recommend.choice(curves.summary())
>>> best.strategy, tied
('margin', [])
"""

from __future__ import annotations

import math

from hilt.simulate.curves import TARGETS, LearningCurves, StrategySummary

__all__ = ["LEARNABLE_GAIN", "SAME_AREA", "cannot_learn", "caution", "choice", "majority_share", "rank_key",
           "recommendation", "recommended", "ties"]

#: The full-data accuracy must close at least this share of the gap between always answering
#: the most common label and a perfect score for the data to count as learnable: below it, no
#: strategy is recommended, since there is nothing for the labels to teach the model.
LEARNABLE_GAIN = 0.1
#: Area-under-curve figures closer than this count as equal: the table shows three decimals,
#: and a recommendation must not rest on a difference the table cannot show.
SAME_AREA = 0.0005


def recommendation(result: LearningCurves) -> str:
    """The one-line recommendation (:attr:`hilt.simulate.SimulationResult.recommendation` says the rule)."""
    unlearnable = cannot_learn(result)
    if unlearnable is not None:
        return unlearnable
    summary = result.summary()
    budget = int(result.settings.get("budget", 0))
    best, tied = choice(summary)
    random = summary.get("random")
    if random is None:
        return (
            f"Recommended: {result.display_name(best.strategy)}. It {_reach(result, best)} "
            "(random was not run, so there is no baseline)."
        )
    if best.strategy == "random" or rank_key(best) == rank_key(random):
        others = [v for k, v in summary.items() if k != "random"]
        if not others:
            return f"Only random was run: it {_reach(result, random)}."
        rival = min(others, key=rank_key)
        level = _level(random) or _level(rival)
        line = (
            f"Recommended: random. No other strategy beat random sampling here: random "
            f"{_reach(result, random, level)}; the best other strategy, "
            f"{result.display_name(rival.strategy)}, {_reach(result, rival, level, short=True)}"
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
    level = _level(best)
    name = result.display_name(best.strategy)
    if tied:
        order = result.strategies
        group = sorted([best, *tied], key=lambda s: order.index(s.strategy))  # in the order run
        names = [result.display_name(s.strategy) for s in group]
        name = ", ".join(names[:-1]) + " or " + names[-1] + (
            f" (a tie: the same labels needed and area under the curve {best.aulc_mean:.3f}; "
            "either serves equally)")
    if level is None:
        return (
            f"Recommended: {name}. It {_reach(result, best)}; random's is {random.aulc_mean:.3f} "
            f"({best.aulc_mean - random.aulc_mean:+.3f})."
        )
    mine, theirs = best.to_reach[level], random.to_reach[level]
    if theirs is None:
        saved = budget + 1 - mine
        gap = f"random needs > {budget} (at least {saved} more, {100 * saved / (budget + 1):.0f} %)"
    else:
        gap = f"random needs {theirs} ({theirs - mine} more, {100 * (theirs - mine) / theirs:.0f} %)"
    return f"Recommended: {name}. It {_reach(result, best, level)}; {gap}."


def recommended(result: LearningCurves) -> list[str]:
    """The strategies :func:`recommendation` names (:attr:`hilt.simulate.SimulationResult.recommended`)."""
    if cannot_learn(result) is not None:
        return []
    summary = result.summary()
    random = summary.get("random")
    best, tied = choice(summary)
    if random is not None and (best is random or rank_key(best) == rank_key(random)):
        return ["random"]
    names = {best.strategy, *(s.strategy for s in tied)}
    return [name for name in result.strategies if name in names]


def choice(summary: dict[str, StrategySummary]) -> tuple[StrategySummary, list[StrategySummary]]:
    """The best strategy by the recommendation's rule, and those tied with it."""
    best = min(summary.values(), key=rank_key)
    tied = [s for s in summary.values() if s is not best and ties(s, best)]
    random = summary.get("random")
    if random is not None and random is not best and ties(random, best):
        best = random  # a tie with random is no gain over it
    return best, tied


def caution(result: LearningCurves) -> str | None:
    """A sentence when the test split cannot tell the recommendation from its runner-up
    (:attr:`hilt.simulate.SimulationResult.caution` says the rule), else ``None``."""
    n_test = result.settings.get("n_test")
    if not n_test or cannot_learn(result) is not None:
        return None
    summary = result.summary()
    if len(summary) < 2:
        return None
    from hilt.quality.intervals import wilson_interval

    n_test = int(n_test)
    p = min(max(result.full_accuracy, 0.0), 1.0)
    low, high = wilson_interval(round(p * n_test), n_test)
    half = (high - low) / 2
    best, _ = choice(summary)
    random = summary.get("random")
    if random is not None and (best is random or rank_key(best) == rank_key(random)):
        rival = min((s for name, s in summary.items() if name != "random"), key=rank_key)
        what = f"the gap between random and {result.display_name(rival.strategy)}"
        gap = abs(random.aulc_mean - rival.aulc_mean)
    else:
        other = random if random is not None else min(
            (s for s in summary.values() if s is not best), key=rank_key)
        what = f"the lead of {result.display_name(best.strategy)} over {result.display_name(other.strategy)}"
        gap = best.aulc_mean - other.aulc_mean
    if gap >= half:
        return None
    return (
        f"Caution: the test split holds only {n_test} items, so one {_metric(result)} on it is uncertain by "
        f"±{half:.3f} (the 95 % Wilson interval at {p:.3f}), more than {what} ({gap:.3f} in area under "
        "the curve): label more items, or simulate on a larger labelled file (hilt simulate FILE "
        "--label-column COLUMN), before relying on this recommendation."
    )


def _metric(result: LearningCurves) -> str:
    """The curves' figure: ``accuracy`` (single) or ``micro-F1`` (multilabel)."""
    return str(result.settings.get("metric", "accuracy"))


def majority_share(result: LearningCurves) -> float | None:
    """The test split's share of its most common label, if the simulation recorded it."""
    share = result.settings.get("majority_share")
    return None if share is None else float(share)


def cannot_learn(result: LearningCurves) -> str | None:
    """Why no strategy is recommended, when the data is not learnable as configured
    (:meth:`hilt.simulate.SimulationResult.cannot_learn`); else ``None``."""
    majority = majority_share(result)
    if majority is None or result.full_accuracy >= majority + LEARNABLE_GAIN * (1.0 - majority):
        return None
    kind = result.settings.get("kind")
    text = result.settings.get("text_column")
    if kind == "text":
        what = (f"the text column{f' ({text!r})' if text else ''} holds the items' text and not "
                "an id or a code (pass --text-column, and --id-column for a column of ids)")
    else:
        what = "the numeric columns are the items' features (an id or row number among them teaches nothing)"
    return (
        f"No recommendation: the model cannot learn this data as configured. Trained on the whole pool, "
        f"it scores {result.full_accuracy:.3f} on the test split, hardly better than always answering the "
        f"most common {'label set' if _metric(result) != 'accuracy' else 'label'} ({majority:.3f}), so no strategy "
        "can do better than that either. Check that "
        f"{what}; that the features suit the data (--features); and that --label-column names the true labels."
    )


def _level(s: StrategySummary) -> float | None:
    """The highest target share the mean curve reaches, if any."""
    return next((t for t in reversed(TARGETS) if s.to_reach[t] is not None), None)


def _reach(result: LearningCurves, s: StrategySummary, level: float | None = None, short: bool = False) -> str:
    """How far ``s`` gets: the labels it needs to reach ``level`` (its highest by default)."""
    level = _level(s) if level is None else level
    if level is None:
        return f"has an area under the learning curve of {s.aulc_mean:.3f}"
    n = s.to_reach[level]
    budget = result.settings.get("budget", "the budget")
    if short:
        return f"needs {n if n is not None else f'> {budget}'}"
    what = f"{round(level * 100)} % of the full-data {_metric(result)} ({result.full_accuracy:.3f})"
    if n is None:
        return f"does not reach {what} within {budget} labels"
    return f"reaches {what} with {n} labels"


def rank_key(s: StrategySummary) -> tuple:
    """What decides the recommendation: labels to 99 %, then to 95 %, then the larger area."""
    return tuple(s.to_reach[t] or math.inf for t in reversed(TARGETS)) + (-s.aulc_mean,)


def ties(a: StrategySummary, b: StrategySummary) -> bool:
    """Whether ``a`` and ``b`` need the same labels and their areas are within :data:`SAME_AREA`."""
    return rank_key(a)[:-1] == rank_key(b)[:-1] and abs(a.aulc_mean - b.aulc_mean) < SAME_AREA

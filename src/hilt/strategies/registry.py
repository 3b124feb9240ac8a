"""The names of the query strategies, and how a name (or a mix) becomes a strategy object.

To add a strategy: write its module (a class with ``name``, ``cold_uses_features`` and
``select(context, k)``) and add one line to :data:`_FACTORIES` (and its one-line description
to :data:`DESCRIPTIONS`).
"""

from __future__ import annotations

import importlib
import math
from typing import Any, Callable

from hilt.errors import InputError

__all__ = [
    "DESCRIPTIONS",
    "MULTILABEL_DESCRIPTIONS",
    "SPANS_DESCRIPTIONS",
    "MULTILABEL_STRATEGIES",
    "STRATEGIES",
    "check_strategy",
    "display_method",
    "get_strategy",
    "strategy_names",
]

#: The uncertainty methods of :mod:`hilt.sampling` (its ``METHODS``; a test keeps them equal).
#: Written out so that naming a strategy (every CLI command's --help) imports no model code.
METHODS = ("least", "margin", "ratio", "entropy")


def _make(module: str, cls: str, *args: Any) -> Any:
    # Imported when first used: the strategies need scikit-learn, a name check does not.
    return getattr(importlib.import_module(f"hilt.strategies.{module}"), cls)(*args)


def _uncertainty(method: str) -> Any:
    return _make("uncertainty", "UncertaintyStrategy", method)


_FACTORIES: dict[str, Callable[[], Any]] = {
    "random": lambda: _make("uncertainty", "RandomStrategy"),
    **{method: (lambda m=method: _uncertainty(m)) for method in METHODS},
    "outlier": lambda: _make("outlier", "OutlierStrategy"),
    "cluster": lambda: _make("cluster", "ClusterStrategy"),
    "representative": lambda: _make("representative", "RepresentativeStrategy"),
    "committee": lambda: _make("committee", "CommitteeStrategy"),
    **{f"{method}+diverse": (lambda m=method: _make("diverse", "DiverseStrategy", _uncertainty(m)))
       for method in METHODS},
    "committee+diverse": lambda: _make("diverse", "DiverseStrategy", _make("committee", "CommitteeStrategy")),
    **{f"{method}+dense": (lambda m=method: _make("diverse", "DiverseStrategy",
                                                  _make("density", "DensityWeighted", _uncertainty(m)), f"{m}+dense"))
       for method in METHODS},
}

#: The per-label methods combined by their maximum over labels (multi-label models only).
MAX_METHODS = tuple(f"{method}:max" for method in METHODS)

_MULTILABEL_FACTORIES: dict[str, Callable[[], Any]] = {
    **{method: (lambda m=method: _uncertainty(m)) for method in MAX_METHODS},
    "cardinality": lambda: _make("cardinality", "CardinalityStrategy"),
    **{f"{method}+diverse": (lambda m=method: _make("diverse", "DiverseStrategy", _uncertainty(m)))
       for method in MAX_METHODS},
    "cardinality+diverse": lambda: _make("diverse", "DiverseStrategy", _make("cardinality", "CardinalityStrategy")),
    **{f"{method}+dense": (lambda m=method: _make("diverse", "DiverseStrategy",
                                                  _make("density", "DensityWeighted", _uncertainty(m)), f"{m}+dense"))
       for method in MAX_METHODS},
}

#: One line per strategy, for ``--help`` and the docs.
DESCRIPTIONS: dict[str, str] = {
    "random": "items at random (the baseline; explores, never biased)",
    "least": "least confidence: the lowest top probability",
    "margin": "margin: the smallest gap between the two top probabilities",
    "ratio": "ratio: the second probability closest to the first",
    "entropy": "entropy: probabilities spread over all labels",
    "outlier": "model-based outliers: activations low against labelled items",
    "cluster": "per cluster of the pool: centroid-nearest, farthest, random",
    "representative": "most like the unlabelled pool, least like the labelled items",
    "committee": "vote entropy of 5 bootstrap copies of the model",
    **{f"{m}+diverse": f"{m}, then the most uncertain of each cluster of them" for m in METHODS},
    "committee+diverse": "committee, then the most disputed of each cluster",
    **{f"{m}+dense": f"{m} x how typical of the pool, spread like +diverse" for m in METHODS},
}

#: One line per multi-label-only strategy (a multi-label project also takes every name of
#: :data:`DESCRIPTIONS`, its uncertainty methods averaged over labels).
MULTILABEL_DESCRIPTIONS: dict[str, str] = {
    **{f"{m}:max": f"{m} of the most uncertain label" for m in METHODS},
    "cardinality": "predicted set size far from the usual size",
    **{f"{m}:max+diverse": f"{m}:max, then one per cluster of them" for m in METHODS},
    "cardinality+diverse": "cardinality, then one per cluster of them",
    **{f"{m}:max+dense": f"{m}:max x how typical of the pool" for m in METHODS},
}

#: Every strategy name that every task takes; mixes combine them as ``NAME:WEIGHT/NAME:WEIGHT``.
#: For a multi-label model the uncertainty methods are averaged over labels.
STRATEGIES: tuple[str, ...] = tuple(_FACTORIES)

#: The names only multi-label projects take (task ``multilabel``): ``METHOD:max`` (the most
#: uncertain label) and ``cardinality`` (label cardinality inconsistency), with their
#: ``+diverse`` and ``+dense`` forms.
MULTILABEL_STRATEGIES: tuple[str, ...] = tuple(_MULTILABEL_FACTORIES)

_ALL_FACTORIES = {**_FACTORIES, **_MULTILABEL_FACTORIES}


#: What a spans project (task ``spans``) cannot take, and why: each reads what only a
#: classifier of whole items gives (its class probabilities per copy, a label set, activations).
_NOT_FOR_SPANS = {
    "committee": "ranks by the votes of bootstrap copies of a classifier of whole items",
    "cardinality": "ranks predicted label sets of a multi-label project",
    "outlier": "reads a classifier's activations, which a sequence model does not have",
}

#: One line per spans-only reading of a name (a spans project takes the ``METHOD:max`` names
#: too, over tokens instead of labels).
SPANS_DESCRIPTIONS: dict[str, str] = {
    "least": "least confidence: 1 - probability of the best labelling of the text",
    "margin": "margin between the two best labellings of the text (the default)",
    "ratio": "second-best labelling's probability over the best's",
    "entropy": "token entropy, the mean over the text's tokens",
    **{f"{m}:max": f"{m} of the most uncertain token" for m in METHODS},
}


def _spans_refusal(name: str) -> str | None:
    """Why a spans project refuses the strategy ``name`` (one part, no weight), or ``None``."""
    for prefix, why in _NOT_FOR_SPANS.items():
        if name == prefix or name.startswith(f"{prefix}+"):
            return why
    return None


def strategy_names(task: str = "single") -> tuple[str, ...]:
    """The strategy names a project of ``task`` takes (mixes of them aside).

    A spans project (task ``spans``) reads the uncertainty methods over a text's labellings
    (``least``, ``margin``, ``ratio``) or its tokens (``entropy``, ``METHOD:max``) and takes
    no strategy that needs a classifier of whole items (committee, cardinality, outlier).

    Examples
    --------
    >>> from hilt.strategies import strategy_names
    >>> "margin:max" in strategy_names("multilabel"), "margin:max" in strategy_names("single")
    (True, False)
    >>> "margin:max+diverse" in strategy_names("spans"), "committee" in strategy_names("spans")
    (True, False)
    """
    if task == "multilabel":
        return STRATEGIES + MULTILABEL_STRATEGIES
    if task == "spans":
        return tuple(n for n in STRATEGIES + MULTILABEL_STRATEGIES if _spans_refusal(n) is None)
    return STRATEGIES

_MIX_EXAMPLE = "margin+diverse:8/random:1/outlier:1"


_MULTILABEL_NOTE = "multi-label projects also take least:max, margin:max, ratio:max, entropy:max, cardinality (each also +diverse, +dense)"


def _unknown(name: str, where: str = "") -> InputError:
    return InputError(
        f"Expected strategy to be one of {', '.join(STRATEGIES)}, or a mix like {_MIX_EXAMPLE} "
        f"({_MULTILABEL_NOTE}); got {name!r}{where}."
    )


def _malformed(message: str) -> InputError:
    return InputError(f"{message} A mix reads like {_MIX_EXAMPLE}, with strategies from {', '.join(STRATEGIES)} "
                      f"({_MULTILABEL_NOTE}; their weight follows the last ':', as in margin:max:3/random:1).")


def get_strategy(spec: Any) -> Any:
    """The strategy object for a name or a mix (``NAME:WEIGHT/NAME:WEIGHT/...``).

    Raises :class:`hilt.errors.InputError`, listing the valid names, for an unknown name or a
    malformed mix (a weight that is not a number > 0, nothing after ``:``, an empty part).

    Examples
    --------
    >>> from hilt.strategies import get_strategy
    >>> get_strategy("margin+diverse").name
    'margin+diverse'
    >>> [(part.name, weight) for part, weight in get_strategy("margin:8/random:2").parts]
    [('margin', 8.0), ('random', 2.0)]
    >>> [(part.name, weight) for part, weight in get_strategy("margin:max:3/random:1").parts]
    [('margin:max', 3.0), ('random', 1.0)]
    >>> get_strategy("magin")
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected strategy to be one of random, least, margin, ratio, entropy, outlier, cluster, representative, committee, least+diverse, margin+diverse, ratio+diverse, entropy+diverse, committee+diverse, least+dense, margin+dense, ratio+dense, entropy+dense, or a mix like margin+diverse:8/random:1/outlier:1 (multi-label projects also take least:max, margin:max, ratio:max, entropy:max, cardinality (each also +diverse, +dense)); got 'magin'.
    """
    if not isinstance(spec, str):
        raise _unknown(spec)
    text = spec.strip()
    if text in _ALL_FACTORIES:  # a name, which may hold ':' itself (margin:max)
        return _ALL_FACTORIES[text]()
    if ":" not in text and "/" not in text:
        raise _unknown(spec)
    parts = []
    for number, part in enumerate(text.split("/"), start=1):
        where = f" (part {number} of the mix {text!r})"
        # The weight follows the last ':', so a name with a ':' of its own reads margin:max:3.
        name, colon, weight_text = (s.strip() for s in part.rpartition(":"))
        if part.strip() in _ALL_FACTORIES:
            raise _malformed(f"Expected NAME:WEIGHT in each part of a mix; got {part.strip()!r}{where}, "
                             f"a strategy without a weight (write {part.strip()}:1).")
        if not colon:
            name, weight_text = weight_text, ""
        if not name:
            raise _unknown(part, where)
        if name not in _ALL_FACTORIES:
            raise _unknown(name, where)
        if not colon or not weight_text:
            detail = ": nothing after ':'" if colon else ""
            raise _malformed(f"Expected NAME:WEIGHT in each part of a mix; got {part.strip()!r}{where}{detail}.")
        try:
            weight = float(weight_text)
        except ValueError:
            weight = math.nan
        if not math.isfinite(weight) or weight <= 0:
            raise _malformed(f"Expected a weight > 0 in {part.strip()!r}{where}; got {weight_text!r}.")
        parts.append((_ALL_FACTORIES[name](), weight))
    names = [p.name for p, _ in parts]
    if len(set(names)) != len(names):
        repeated = next(n for n in names if names.count(n) > 1)
        raise _malformed(f"Expected each strategy once in a mix; {repeated!r} is in {text!r} twice.")
    return _make("mix", "MixStrategy", parts, "/".join(f"{p.name}:{w:g}" for p, w in parts))


def check_strategy(spec: Any, task: str = "single") -> str:
    """The strategy's canonical name (a mix written as ``name:weight/...``), or an
    :class:`hilt.errors.InputError` that lists the valid names.

    ``task`` is the project's task: a multi-label-only name (:data:`MULTILABEL_STRATEGIES`,
    alone or in a mix) is refused for any task but ``multilabel``.

    Examples
    --------
    >>> from hilt.strategies import check_strategy
    >>> check_strategy(" margin+diverse : 8 / random:1 ")
    'margin+diverse:8/random:1'
    >>> check_strategy("margin:max:3/random:1", task="multilabel")
    'margin:max:3/random:1'
    >>> check_strategy("entropy:max+diverse", task="spans")
    'entropy:max+diverse'
    >>> check_strategy("margin:max")
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected a strategy for task 'single' (one label per item); got 'margin:max', which combines per-label scores of a multi-label project (task 'multilabel'). For task 'single' use random, least, margin, ratio, entropy, outlier, cluster, representative, committee, least+diverse, margin+diverse, ratio+diverse, entropy+diverse, committee+diverse, least+dense, margin+dense, ratio+dense, entropy+dense or a mix of them.
    """
    strategy = get_strategy(spec)
    if task == "spans":
        names = [p.name for p, _ in getattr(strategy, "parts", [(strategy, 1)])]
        for name in names:
            if (why := _spans_refusal(name)) is not None:
                raise InputError(
                    f"Expected a strategy for task 'spans' (labelled stretches of text); got {name!r}, which "
                    f"{why}. For task 'spans' use {', '.join(strategy_names('spans'))} or a mix of them."
                )
        return strategy.name
    if task != "multilabel" and getattr(strategy, "multilabel_only", False):
        parts = [p for p, _ in getattr(strategy, "parts", [(strategy, 1)])]
        offending = next(p.name for p in parts if getattr(p, "multilabel_only", False))
        what = "ranks predicted label sets" if offending.startswith("cardinality") else "combines per-label scores"
        raise InputError(
            f"Expected a strategy for task {task!r} (one label per item); got {offending!r}, which {what} "
            f"of a multi-label project (task 'multilabel'). For task {task!r} use {', '.join(STRATEGIES)} "
            "or a mix of them."
        )
    return strategy.name


def display_method(spec: str) -> str:
    """The uncertainty method whose score is shown beside a served item: the strategy's own
    (``margin`` for ``margin`` and ``margin+diverse``; a mix's first part's), else ``margin``;
    for the multi-label ``METHOD:max`` strategies, ``METHOD:max``
    (:func:`hilt.strategies.base.uncertainty_scorer` reads both forms).

    Examples
    --------
    >>> from hilt.strategies import display_method
    >>> display_method("entropy+diverse"), display_method("ratio:3/random:1"), display_method("cluster")
    ('entropy', 'ratio', 'margin')
    >>> display_method("margin:max+diverse"), display_method("ratio:max:3/random:1")
    ('margin:max', 'ratio:max')
    """
    part = spec.split("/")[0].strip()
    for method in MAX_METHODS:
        if part == method or part.startswith((f"{method}+", f"{method}:")):
            return method
    first = part.split(":")[0].strip().removesuffix("+diverse")
    return first if first in METHODS else "margin"

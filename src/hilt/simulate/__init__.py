"""``hilt simulate``: which sampling strategy suits my data, and how many labels will I need?

The active learner runs with an oracle (the true labels) in place of a person, for each
strategy and seed, and the test accuracy after every round of labels forms a learning curve
(``task="multilabel"``: sets of labels per item, curves of micro-F1).

Examples
--------
>>> from hilt import simulate
>>> result = simulate.run("wine", strategies="random,margin", init=10, batch=10, budget=40, seeds=1)
>>> result.table().columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
['acc @ 20', 'acc @ 40', 'labels to 95 %', 'labels to 99 %', 'area under curve']
"""

from hilt.simulate.data import MULTILABEL_DATASETS, NAMED_DATASETS, LabelledData, load_data
from hilt.simulate.estimators import MODELS, make_classifier
from hilt.simulate.results import Curve, SimulationResult, StrategySummary, area_under_curve, labels_to_reach
from hilt.simulate.runner import (
    DEFAULT_MULTILABEL_STRATEGIES,
    DEFAULT_SPANS_STRATEGIES,
    DEFAULT_STRATEGIES,
    TWO_LABEL_NAME,
    initial_positions,
    run,
)

__all__ = [
    "DEFAULT_MULTILABEL_STRATEGIES",
    "DEFAULT_SPANS_STRATEGIES",
    "DEFAULT_STRATEGIES",
    "MODELS",
    "MULTILABEL_DATASETS",
    "NAMED_DATASETS",
    "TWO_LABEL_NAME",
    "Curve",
    "LabelledData",
    "SimulationResult",
    "StrategySummary",
    "area_under_curve",
    "initial_positions",
    "labels_to_reach",
    "load_data",
    "make_classifier",
    "run",
]

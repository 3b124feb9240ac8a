"""Uncertainty sampling: probabilities in, scores and ranked indices out.

Pure functions over numpy arrays, no state. The four methods of the seed, each in its raw form
(``raw=True``) and its normalized form (default: 1 = most uncertain); for multi-label
probabilities (one independent probability per label) the same methods per label, combined by
mean or max (:func:`multilabel_score`).

Examples
--------
>>> import numpy as np
>>> from hilt import sampling
>>> probs = np.array([[0.9, 0.05, 0.05], [0.4, 0.35, 0.25], [0.6, 0.3, 0.1]])
>>> sampling.rank(probs, 2, "margin")
array([1, 2])
"""

from hilt.sampling.softmax import softmax
from hilt.sampling.topk import rank, top_k
from hilt.sampling.uncertainty import (
    METHODS,
    entropy_based,
    least_confidence,
    margin_confidence,
    ratio_confidence,
    score,
)
from hilt.sampling._warmup import warmup
from hilt.sampling.multilabel import (
    COMBINES,
    cardinality_inconsistency,
    check_label_probabilities,
    multilabel_rank,
    multilabel_score,
    per_label_scores,
)

__all__ = [
    "COMBINES",
    "METHODS",
    "cardinality_inconsistency",
    "check_label_probabilities",
    "entropy_based",
    "least_confidence",
    "margin_confidence",
    "multilabel_rank",
    "multilabel_score",
    "per_label_scores",
    "rank",
    "ratio_confidence",
    "score",
    "softmax",
    "top_k",
    "warmup",
]

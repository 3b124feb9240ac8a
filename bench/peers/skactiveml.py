"""scikit-activeml (https://github.com/scikit-activeml/scikit-activeml, BSD-3-Clause licence).

Measured through its real public functions, as ``skactiveml.pool.UncertaintySampling.query``
runs them after ``predict_proba``: ``skactiveml.pool.uncertainty_scores(probas, method=...)``
then ``skactiveml.utils.simple_batch(utilities, random_state, batch_size=k)``. (``query``
itself also refits or validates a classifier and the training data, which is not scoring, so
it is left out: the figure is a lower bound for the library's query.)

scikit-activeml has no ratio score. The ratio row copies the ``margin_sampling`` branch of
``uncertainty_scores`` (``skactiveml/pool/_uncertainty_sampling.py``, scikit-activeml 1.0),
including its input checks, and returns ``p2 / p1`` instead of ``1 - (p1 - p2)``.
"""

from __future__ import annotations

import numpy as np

NAME = "scikit-activeml"

HOW = {
    "least": "real: uncertainty_scores(P, method='least_confident') + simple_batch(batch_size=k)",
    "margin": "real: uncertainty_scores(P, method='margin_sampling') + simple_batch(batch_size=k)",
    "ratio": "derived: its margin_sampling branch with p2/p1 + simple_batch (no ratio in skactiveml)",
    "entropy": "real: uncertainty_scores(P, method='entropy') + simple_batch(batch_size=k)",
}

_METHOD = {"least": "least_confident", "margin": "margin_sampling", "entropy": "entropy"}

_sk = {}


def load() -> str:
    from sklearn.utils import check_array
    from skactiveml.pool import uncertainty_scores
    from skactiveml.utils import simple_batch
    import skactiveml

    _sk.update(check_array=check_array, scores=uncertainty_scores, batch=simple_batch)
    return getattr(skactiveml, "__version__", "?")


def _ratio_scores(probas):
    # skactiveml/pool/_uncertainty_sampling.py, uncertainty_scores (BSD-3-Clause,
    # scikit-activeml developers): the margin_sampling branch, ratio instead of margin.
    probas = _sk["check_array"](probas)
    if not np.allclose(np.sum(probas, axis=1), 1, rtol=0, atol=1.0e-3):
        raise ValueError("'probas' are invalid. The sum over axis 1 must be one.")
    probas = -(np.partition(-probas, 1, axis=1)[:, :2])
    return probas[:, 1] / probas[:, 0]


def make(method: str, probs: np.ndarray, k: int):
    scores, batch = _sk["scores"], _sk["batch"]
    if method == "ratio":
        score = _ratio_scores
    elif method in _METHOD:
        name = _METHOD[method]

        def score(p):
            with np.errstate(divide="ignore"):  # as UncertaintySampling.query does
                return scores(probas=p, method=name)
    else:
        return None

    def run():
        utilities = score(probs)
        return batch(utilities, np.random.RandomState(0), batch_size=k)

    return run

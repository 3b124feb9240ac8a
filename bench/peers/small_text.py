"""small-text (https://github.com/webis-de/small-text, MIT licence).

Measured through its real query strategies, ``LeastConfidence``, ``BreakingTies`` (margin) and
``PredictionEntropy`` from ``small_text.query_strategies.strategies``: ``strategy.query(clf,
dataset, indices_unlabeled, indices_labeled, y, n=k)`` scores with ``get_confidence`` (which
calls ``clf.predict_proba(dataset)``; the stub classifier returns the precomputed matrix) and
selects with ``np.argpartition``. The unlabeled index array is built once, outside the timing.

small-text has no ratio score. The ratio row is a ``ConfidenceBasedQueryStrategy`` subclass
whose ``get_confidence`` copies ``BreakingTies`` (small-text 1.4) and divides instead of
subtracting.
"""

from __future__ import annotations

import numpy as np

NAME = "small-text"

HOW = {
    "least": "real: LeastConfidence().query(clf, P, unlabeled, labeled, y, n=k) (stub clf returns P)",
    "margin": "real: BreakingTies().query(...) (np.apply_along_axis + argsort per row)",
    "ratio": "derived: BreakingTies with p2/p1 (small-text has no ratio)",
    "entropy": "real: PredictionEntropy().query(...) (np.apply_along_axis + scipy entropy per row)",
}

_st = {}


def load() -> str:
    from small_text.query_strategies import strategies
    import small_text

    _st["strategies"] = strategies
    return getattr(small_text, "__version__", "?")


class _Proba:
    def __init__(self, probs):
        self.probs = probs

    def predict_proba(self, dataset):
        return self.probs


def _ratio_strategy():
    base = _st["strategies"].ConfidenceBasedQueryStrategy

    class BreakingTiesRatio(base):
        # small_text/query_strategies/strategies.py, BreakingTies (MIT, small-text authors),
        # with the best-minus-second-best difference replaced by second-best / best.
        def __init__(self):
            super().__init__(lower_is_better=False)

        def get_confidence(self, clf, dataset, _indices_unlabeled, _indices_labeled, _y):
            proba = clf.predict_proba(dataset)
            return np.apply_along_axis(lambda x: self._second_over_best(x), 1, proba)

        @staticmethod
        def _second_over_best(proba):
            ind = np.argsort(proba)
            return proba[ind[-2]] / proba[ind[-1]]

    return BreakingTiesRatio()


def make(method: str, probs: np.ndarray, k: int):
    s = _st["strategies"]
    if method == "least":
        strategy = s.LeastConfidence()
    elif method == "margin":
        strategy = s.BreakingTies()
    elif method == "entropy":
        strategy = s.PredictionEntropy()
    elif method == "ratio":
        strategy = _ratio_strategy()
    else:
        return None
    clf = _Proba(probs)
    unlabeled = np.arange(probs.shape[0])
    labeled = np.empty(0, dtype=np.int64)
    y = np.empty(0, dtype=np.int64)
    return lambda: strategy.query(clf, probs, unlabeled, labeled, y, n=k)

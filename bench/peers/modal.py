"""modAL (https://github.com/modAL-python/modAL, MIT licence).

Measured through modAL's real public query functions, ``uncertainty_sampling``,
``margin_sampling`` and ``entropy_sampling`` (``n_instances=k``, default
``random_tie_break=False``, so they select with ``modAL.utils.selection.multi_argmax`` /
``multi_argmin``). modAL calls ``classifier.predict_proba(X)`` itself; the stub classifier below
returns the precomputed probabilities, so the time is modAL's scoring plus its selection.

modAL has no ratio score. The ratio row reuses modAL's margin formulation (``_proba_margin``:
``np.partition(-proba, 1, axis=1)``) and divides instead of subtracting, then selects with
``multi_argmax``: the lines are copied from ``modAL/uncertainty.py`` (modAL 0.4.2) and changed
only in that one operator.
"""

from __future__ import annotations

import numpy as np

NAME = "modAL"

HOW = {
    "least": "real: modAL.uncertainty.uncertainty_sampling(clf, P, n_instances=k) (stub clf returns P)",
    "margin": "real: modAL.uncertainty.margin_sampling(clf, P, n_instances=k) (stub clf returns P)",
    "ratio": "derived: modAL's _proba_margin partition with p2/p1, then multi_argmax (modAL has no ratio)",
    "entropy": "real: modAL.uncertainty.entropy_sampling(clf, P, n_instances=k) (stub clf returns P)",
}

_modal = None


def load() -> str:
    global _modal
    import modAL.uncertainty
    import modAL.utils.selection

    _modal = modAL
    try:
        from importlib.metadata import version

        return version("modAL-python")
    except Exception:
        return "?"


class _Proba:
    """A fitted-looking classifier whose ``predict_proba`` returns the precomputed matrix."""

    def __init__(self, probs):
        self.probs = probs

    def predict_proba(self, X, **kwargs):
        return self.probs


def _ratio_sampling(probs, n_instances):
    # modAL/uncertainty.py, _proba_margin (MIT, modAL authors), with "-" changed to a ratio.
    part = np.partition(-probs, 1, axis=1)
    ratio = part[:, 1] / part[:, 0]  # (-p2) / (-p1) = p2 / p1
    return _modal.utils.selection.multi_argmax(ratio, n_instances=n_instances)


def make(method: str, probs: np.ndarray, k: int):
    unc = _modal.uncertainty
    clf = _Proba(probs)
    if method == "least":
        return lambda: unc.uncertainty_sampling(clf, probs, n_instances=k)
    if method == "margin":
        return lambda: unc.margin_sampling(clf, probs, n_instances=k)
    if method == "entropy":
        return lambda: unc.entropy_sampling(clf, probs, n_instances=k)
    if method == "ratio":
        return lambda: _ratio_sampling(probs, k)
    return None

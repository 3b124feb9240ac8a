"""Query by committee: where copies of the model, each fitted on a bootstrap sample, disagree.

A small bagged committee (:data:`MEMBERS` copies of the project's own classifier, each fitted
on a bootstrap resample of the labels) votes on every candidate; the score is the vote
entropy, normalised to [0, 1]. Votes of five members take few distinct values, so ties are
broken by the entropy of the members' mean probabilities (the consensus), which never
outweighs a difference in votes.

For a multi-label model each member votes on every label (in the item's set or not): the vote
entropy of each label's two-way vote, averaged over labels, with the mean per-label entropy of
the consensus as the tie-break.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from hilt.models import AlignedModel, MultiLabelModel
from hilt.sampling import entropy_based, multilabel_score, top_k
from hilt.strategies.base import QueryContext
from hilt.strategies.uncertainty import random_pick

__all__ = ["CommitteeStrategy", "vote_entropy"]

#: Committee size: enough votes to disagree in several ways, few enough fits to stay cheap.
MEMBERS = 5

#: Weight of the consensus entropy: below the smallest step of the vote entropy.
_TIE_BREAK = 1e-3


def vote_entropy(votes: np.ndarray, n_labels: int) -> np.ndarray:
    """Entropy of the members' votes per item (``votes``: ``(n_items, n_members)`` label
    indices), divided by its largest possible value, so 1 = votes spread as evenly as possible.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.strategies.committee import vote_entropy
    >>> vote_entropy(np.array([[0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]]), 2).round(3).tolist()
    [0.0, 1.0, 0.811]
    """
    n_items, n_members = votes.shape
    counts = np.zeros((n_items, n_labels))
    for member in range(n_members):
        np.add.at(counts, (np.arange(n_items), votes[:, member]), 1.0)
    share = counts / n_members
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(share > 0, -share * np.log2(share), 0.0)
    most = np.log2(min(n_members, n_labels))
    return terms.sum(axis=1) / most if most > 0 else terms.sum(axis=1)


class CommitteeStrategy:
    """Query by committee: vote entropy over five bootstrap copies of the model.

    Cold start (no model): random items.
    """

    name = "committee"
    cold_uses_features = False

    def scores(self, context: QueryContext) -> np.ndarray:
        """Vote entropy per candidate (plus a tie-break below its smallest step)."""
        if "committee" in context.memo:
            return context.memo["committee"]
        if context.multilabel:
            context.memo["committee"] = self._multilabel_scores(context)
            return context.memo["committee"]
        labels = context.model.labels
        X_train = context.X[context.labelled]
        y = np.asarray(list(context.y), dtype=object)
        votes = np.empty((context.candidates.size, MEMBERS), dtype=np.int64)
        mean = np.zeros((context.candidates.size, len(labels)))
        for member in range(MEMBERS):
            model = AlignedModel(clone(context.model.estimator), labels)
            model.fit(X_train[(rows := _bootstrap(y, context.rng))], list(y[rows]))
            probs = context.predict(context.candidates, model.predict_proba)
            votes[:, member] = probs.argmax(axis=1)
            mean += probs / MEMBERS
        values = vote_entropy(votes, len(labels)) + _TIE_BREAK * entropy_based(_renormalised(mean))
        context.memo["committee"] = values
        return values

    def _multilabel_scores(self, context: QueryContext) -> np.ndarray:
        """Per label, the two-way vote entropy of the members; averaged over labels."""
        labels = context.model.labels
        X_train = context.X[context.labelled]
        answers = [list(answer) for answer in context.y]
        ids: dict = {}
        sets = np.array([ids.setdefault(frozenset(answer), len(ids)) for answer in answers])  # one id per set
        yes = np.zeros((context.candidates.size, len(labels)))  # how many members vote "in the set"
        mean = np.zeros((context.candidates.size, len(labels)))
        for member in range(MEMBERS):
            model = MultiLabelModel(clone(context.model.estimator), labels)
            rows = _bootstrap(sets, context.rng)
            model.fit(X_train[rows], [answers[i] for i in rows])
            probs = context.predict(context.candidates, model.predict_proba)
            yes += probs >= 0.5
            mean += probs / MEMBERS
        share = yes / MEMBERS
        # Each label's vote is two-way: its entropy is the binary entropy of the "yes" share
        # (normalized by log2 2 = 1), which is what vote_entropy gives for two labels.
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(share > 0, -share * np.log2(share), 0.0) + np.where(
                share < 1, -(1 - share) * np.log2(1 - share), 0.0)
        return terms.mean(axis=1) + _TIE_BREAK * multilabel_score(np.clip(mean, 0.0, 1.0), "entropy")

    def select(self, context: QueryContext, k: int) -> np.ndarray:
        if context.is_cold:
            return random_pick(context, k)
        return context.candidates[top_k(self.scores(context), k)]


def _bootstrap(y: np.ndarray, rng: np.random.Generator, tries: int = 20) -> np.ndarray:
    """Row numbers of a bootstrap resample that holds at least two labels (else all rows)."""
    n = y.shape[0]
    for _ in range(tries):
        rows = rng.integers(0, n, size=n)
        if len(set(y[rows].tolist())) >= 2:
            return rows
    return np.arange(n)


def _renormalised(probs: np.ndarray) -> np.ndarray:
    return probs / probs.sum(axis=1, keepdims=True)

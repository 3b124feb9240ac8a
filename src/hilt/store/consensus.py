"""The final label of an item when several people answered it: the rule, as one pure function.

An item's final label is the latest review decision, else the majority of its annotators'
current answers (each annotator counted once, by their latest answer), else its single
answer. A tie goes to the label whose first vote came earliest, so that an item does not
change label when a second person merely disagrees with the first: a review settles it.

Training, ``status()``, ``label_issues`` and the default export all read labels through
:func:`final_labels`, so there is one answer to "what is this item's label".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Iterable

__all__ = ["ANNOTATE", "REVIEW", "Decision", "final_labels"]

#: The role of an ordinary answer.
ANNOTATE = "annotate"
#: The role of a reviewer's decision.
REVIEW = "review"


@dataclass(frozen=True)
class Decision:
    """How an item's final label came about.

    ``label``: the final label; ``order``: the position (answer id) of the answer that decided
    it (the review, else the earliest vote for the label); ``reviewed``: a review decided it;
    ``votes``: label -> number of annotators whose latest answer is that label.
    """

    label: str
    order: int
    reviewed: bool
    votes: dict[str, int]

    @property
    def disagreement(self) -> bool:
        """Annotators gave more than one label (whether or not a review settled it)."""
        return len(self.votes) > 1


def final_labels(answers: Iterable[tuple[Hashable, int, str, str, str]]) -> dict[Hashable, Decision]:
    """Final label per item from current (not retracted), non-skip answers.

    Parameters
    ----------
    answers : iterable of ``(item, order, annotator, label, role)``
        ``order`` increases with time (the answer's row id); ``role`` is ``"annotate"`` or
        ``"review"``. Any order of rows is accepted.

    Returns
    -------
    dict
        item -> :class:`Decision`.

    Examples
    --------
    >>> rows = [(1, 1, "ada", "pos", "annotate"), (1, 2, "bob", "neg", "annotate"),
    ...         (2, 3, "ada", "pos", "annotate"), (2, 4, "bob", "neg", "annotate"),
    ...         (2, 5, "cy", "neg", "annotate"), (1, 6, "rev", "neg", "review"),
    ...         (3, 7, "ada", "pos", "annotate"), (3, 8, "ada", "neg", "annotate")]
    >>> {item: d.label for item, d in sorted(final_labels(rows).items())}
    {1: 'neg', 2: 'neg', 3: 'neg'}
    >>> final_labels(rows)[1].reviewed, final_labels(rows)[3].votes
    (True, {'neg': 1})
    >>> final_labels([(9, 1, "ada", "pos", "annotate"), (9, 2, "bob", "neg", "annotate")])[9].label
    'pos'
    """
    # Task seam: the final-answer rule of single-label items (a reviewer's decision, else the
    # majority, ties to the earliest); a task layer (multi-label, spans) brings its own rule.
    latest_vote: dict[Hashable, dict[str, tuple[int, str]]] = {}
    review: dict[Hashable, tuple[int, str]] = {}
    for item, order, annotator, label, role in answers:
        if role == REVIEW:
            if item not in review or order > review[item][0]:
                review[item] = (order, label)
            continue
        votes = latest_vote.setdefault(item, {})
        if annotator not in votes or order > votes[annotator][0]:
            votes[annotator] = (order, label)
    decided: dict[Hashable, Decision] = {}
    for item in latest_vote.keys() | review.keys():
        counts: dict[str, int] = {}
        first: dict[str, int] = {}
        for order, label in latest_vote.get(item, {}).values():
            counts[label] = counts.get(label, 0) + 1
            first[label] = min(first.get(label, order), order)
        if item in review:
            order, label = review[item]
            decided[item] = Decision(label, order, True, counts)
            continue
        label = min(counts, key=lambda name: (-counts[name], first[name]))
        decided[item] = Decision(label, first[label], False, counts)
    return decided

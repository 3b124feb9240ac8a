"""The ``single`` task: one label per item (hilt's original task, unchanged).

An answer is one of the project's labels (``None``: a skip), stored as that label's string.
The final answer is a reviewer's decision, else the majority of the annotators' latest answers
(each annotator counted once), ties to the label whose first vote came earliest, so that an
item does not change label when a second person merely disagrees with the first: a review
settles it. The model is :class:`hilt.models.AlignedModel` (rows of probabilities summing to
1), measured by accuracy.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Iterable, Sequence

import numpy as np

from hilt.errors import InputError
from hilt.tasks.base import REVIEW, AnswerRow, Decision, Evaluation

__all__ = ["SingleLabel", "final_labels"]


def final_labels(answers: Iterable[AnswerRow]) -> dict[Hashable, Decision]:
    """Final label per item from current (not retracted), non-skip answers.

    Parameters
    ----------
    answers : iterable of ``(item, order, annotator, label, role)``
        ``order`` increases with time (the answer's row id); ``role`` is ``"annotate"`` or
        ``"review"``. Any order of rows is accepted.

    Returns
    -------
    dict
        item -> :class:`~hilt.tasks.base.Decision`.

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
    latest_vote, review = latest_votes(answers)
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


def latest_votes(answers: Iterable[AnswerRow]) -> tuple[dict[Hashable, dict[str, tuple[int, str]]],
                                                        dict[Hashable, tuple[int, str]]]:
    """``(votes, review)``: per item, each annotator's latest ``(order, answer)``, and the latest
    review decision ``(order, answer)`` of the items a reviewer decided (every task's rule starts here)."""
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
    return latest_vote, review


def ordered_votes(latest: dict[str, tuple[int, str]]) -> tuple[list[tuple[int, str]], dict[str, int]]:
    """One item's latest ``(order, answer)`` per annotator, earliest first, and how many
    annotators gave each answer (``Decision.votes``): where the set and span rules start.

    Examples
    --------
    >>> ordered_votes({"bob": (5, "b"), "ada": (2, "a"), "cy": (7, "a")})
    ([(2, 'a'), (5, 'b'), (7, 'a')], {'a': 2, 'b': 1})
    """
    votes = sorted(latest.values())
    counts: dict[str, int] = {}
    for _, stored in votes:
        counts[stored] = counts.get(stored, 0) + 1
    return votes, counts


def decide_each(answers: Iterable[AnswerRow], canonical: Callable[[str], str],
                contested: Callable[[list[tuple[int, str]]], tuple[str, int]]) -> dict[Hashable, Decision]:
    """The frame of the set and span rules: per item, the latest review wins (its stored answer
    put in canonical form by ``canonical``); an answer every annotator gave is the answer; else
    ``contested(votes)`` (each annotator's latest ``(order, answer)``, earliest first) gives the
    encoded final answer and the order of the answer that decided it.

    Examples
    --------
    >>> rows = [(1, 1, "ada", "x", "annotate"), (1, 2, "bob", "y", "annotate"),
    ...         (2, 3, "ada", "x", "annotate"), (3, 4, "ada", "x", "annotate"), (3, 5, "rev", "Y", "review")]
    >>> decided = decide_each(rows, str.lower, lambda votes: ("+".join(v for _, v in votes), votes[-1][0]))
    >>> [(item, d.label, d.order, d.reviewed) for item, d in sorted(decided.items())]
    [(1, 'x+y', 2, False), (2, 'x', 3, False), (3, 'y', 5, True)]
    """
    latest_vote, review = latest_votes(answers)
    decided: dict[Hashable, Decision] = {}
    for item in latest_vote.keys() | review.keys():
        votes, counts = ordered_votes(latest_vote.get(item, {}))
        if item in review:
            order, stored = review[item]
            decided[item] = Decision(canonical(stored), order, True, counts)
        elif len(counts) == 1:  # everyone gave the same answer (most items: one answer): it is the answer
            decided[item] = Decision(votes[0][1], votes[0][0], False, counts)
        else:
            decided[item] = Decision(*contested(votes), False, counts)
    return decided


class SingleLabel:
    """One label per item: the :class:`~hilt.tasks.base.Task` of today's projects.

    Examples
    --------
    >>> from hilt.tasks import get_task
    >>> task = get_task("single")
    >>> task.check_answer("pos", ["pos", "neg"]), task.encode("pos", ["pos", "neg"]), task.widget
    ('pos', 'pos', 'choice')
    >>> task.check_answer("meh", ["pos", "neg"])
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected a label from pos, neg (or None to skip); got 'meh'.
    """

    name = "single"
    widget = "choice"
    multilabel = False
    metric = "accuracy"
    needs_text = False

    def check_answer(self, answer: Any, labels: Sequence[str], text: str | None = None) -> str | None:
        if answer is not None and answer not in labels:
            raise InputError(f"Expected a label from {', '.join(labels)} (or None to skip); got {answer!r}.")
        return answer

    def encode(self, answer: Any, labels: Sequence[str]) -> str | None:
        return answer

    def decode(self, stored: str | None, labels: Sequence[str]) -> str | None:
        return stored

    def final_answers(self, rows: Iterable[AnswerRow], labels: Sequence[str]) -> dict[Hashable, Decision]:
        return final_labels(rows)

    def counted_labels(self, stored: str, labels: Sequence[str]) -> list[str]:
        return [stored]

    def make_model(self, estimator: Any, labels: Sequence[str]) -> Any:
        from hilt.models import AlignedModel

        return AlignedModel(estimator, list(labels))

    def uncertainty(self, probs: Any, method: str) -> Any:
        from hilt.sampling import score

        return score(probs, method)

    def guesses(self, model: Any, probs: Any, labels: Sequence[str], rows: Any = None) -> list[str | None]:
        return [labels[b] for b in np.asarray(probs).argmax(axis=1)] if len(probs) else []

    def evaluate(self, truth: Sequence[Any], predicted: Sequence[Any], labels: Sequence[str], *,
                 seed: int = 0) -> Evaluation:
        if not len(truth):
            return Evaluation(self.metric, None, 0, None, {})
        hits = np.asarray(predicted, dtype=object) == np.asarray(truth, dtype=object)
        return Evaluation(self.metric, float(np.mean(hits)), len(truth), None, {})

    def import_value(self, value: Any, labels: Sequence[str], *, separator: str | None, where: str) -> str | None:
        text = None if value is None or value != value else str(value).strip()  # NaN: an empty cell
        if not text:
            return None
        return self.check_answer(text, labels)

    def export_value(self, answer: Any, *, format: str, separator: str) -> Any:
        return answer

    def rename(self, stored: str, old: str, new: str, labels: Sequence[str]) -> str:
        return new if stored == old else stored

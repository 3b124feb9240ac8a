"""The ``multilabel`` task: an answer is a set of the project's labels.

* Shape: a list, tuple or set of labels (no unknown label, no repeats, any order); ``[]`` is
  "none of these", an answer (the item counts as labelled); ``None`` is a skip.
* Stored: a JSON array in the project's label order, e.g. ``["a","c"]`` (no schema change:
  ``answers.label`` holds it as it holds a single label).
* Final answer: per label, the majority of the annotators' latest answers (each person once);
  a tie on a label goes to what the earliest of the voters said; a reviewer's set wins.
* Model: :class:`hilt.models.MultiLabelModel` (one probability per label); the guess is the
  set of labels with ``p >= 0.5``.
* Evaluation: micro-F1 (the headline), macro-F1, subset accuracy and Hamming loss, each with a
  95 % bootstrap interval (:mod:`hilt.tasks.multilabel_metrics`).
* Import: a JSON array (a JSONL list, or its text in any cell) or labels joined by a separator
  (``;`` by default); export: a list in JSONL/Parquet, joined in CSV (``[]`` for none of these).
"""

from __future__ import annotations

import json
from typing import Any, Hashable, Iterable, Sequence

import numpy as np

from hilt.errors import InputError
from hilt.tasks.base import AnswerRow, Decision, Evaluation
from hilt.tasks.multilabel_metrics import multilabel_metrics
from hilt.tasks.single import decide_each

__all__ = ["DEFAULT_SEPARATOR", "MultiLabel", "final_sets", "label_list"]

#: What joins the labels of a CSV/TSV cell (``--label-separator``).
DEFAULT_SEPARATOR = ";"


def _encode(chosen: Iterable[str], labels: Sequence[str]) -> str:
    wanted = set(chosen)
    return json.dumps([label for label in labels if label in wanted], ensure_ascii=False, separators=(",", ":"))


def _decode(stored: str) -> list[str]:
    return list(json.loads(stored))


def final_sets(answers: Iterable[AnswerRow], labels: Sequence[str]) -> dict[Hashable, Decision]:
    """Final answer per item from current non-skip answers (stored JSON arrays).

    Per label, the majority of the annotators' latest answers (each annotator once); a tie on a
    label goes to what the earliest of the voters said (as ``single``'s ties to the earliest
    vote); the latest review decision wins. ``Decision.label`` is the encoded set;
    ``Decision.order`` the earliest vote equal to it (else the earliest vote).

    Examples
    --------
    >>> rows = [(1, 1, "ada", '["a","b"]', "annotate"), (1, 2, "bob", '["a"]', "annotate"),
    ...         (1, 3, "cy", '["a","c"]', "annotate"),
    ...         (2, 4, "ada", '["b"]', "annotate"), (2, 5, "bob", '["c"]', "annotate"),
    ...         (3, 6, "ada", '[]', "annotate"), (3, 7, "rev", '["c"]', "review")]
    >>> {item: d.label for item, d in sorted(final_sets(rows, ["a", "b", "c"]).items())}
    {1: '["a"]', 2: '["b"]', 3: '["c"]'}
    >>> final_sets(rows, ["a", "b", "c"])[2].order, final_sets(rows, ["a", "b", "c"])[3].reviewed
    (4, True)
    """
    def contested(votes: list[tuple[int, str]]) -> tuple[str, int]:
        sets = [set(_decode(stored)) for _, stored in votes]
        named = set().union(*sets)  # a label nobody gave has no votes: it stays out
        chosen = []
        for label in labels:
            if label not in named:
                continue
            yes = sum(label in s for s in sets)
            no = len(sets) - yes
            if yes > no or (yes == no and label in sets[0]):
                chosen.append(label)
        order = next((o for (o, stored), s in zip(votes, sets) if s == set(chosen)), votes[0][0])
        return _encode(chosen, labels), order

    return decide_each(answers, lambda stored: _encode(_decode(stored), labels), contested)


def label_list(value: Any, separator: str) -> Any:
    """A multi-label cell read as a list of labels: a text is a JSON array when it starts with
    ``[``, else labels joined by ``separator`` (an empty text is ``[]``); an array (a Parquet
    list column) becomes a list; ``None`` and NaN stay ``None`` (unlabelled). Anything else
    comes back as it is, for the caller to refuse in its own words; a malformed JSON array
    raises ``ValueError``. The import (:meth:`MultiLabel.import_value`) and ``hilt simulate``
    (:func:`hilt.simulate.data.parse_label_sets`) read cells through it.

    Examples
    --------
    >>> label_list("a; c", ";"), label_list('["c"]', ";"), label_list("", ";"), label_list(float("nan"), ";")
    (['a', 'c'], ['c'], [], None)
    """
    if isinstance(value, np.ndarray):
        return value.tolist()
    if value is None or (isinstance(value, float) and value != value):
        return None
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [part.strip() for part in text.split(separator) if part.strip()]


class MultiLabel:
    """A set of labels per item (``[]``: none of these): the :class:`~hilt.tasks.base.Task`
    of ``task="multilabel"``.

    Examples
    --------
    >>> from hilt.tasks import get_task
    >>> task = get_task("multilabel")
    >>> labels = ["a", "b", "c"]
    >>> task.encode(task.check_answer({"c", "a"}, labels), labels), task.decode('["a","c"]', labels)
    ('["a","c"]', ['a', 'c'])
    >>> task.check_answer(["a", "a"], labels)
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected each label at most once in an answer; got 'a' twice in ['a', 'a'].
    """

    name = "multilabel"
    widget = "toggles"
    multilabel = True
    metric = "micro_f1"
    needs_text = False

    def check_answer(self, answer: Any, labels: Sequence[str], text: str | None = None) -> tuple[str, ...] | None:
        if answer is None:
            return None
        if isinstance(answer, (str, bytes)) or not isinstance(answer, (list, tuple, set, frozenset)):
            raise InputError(
                f"Expected a list of labels from {', '.join(labels)} (e.g. [{labels[0]!r}]; [] for none of "
                f"these; None to skip); got {answer!r}."
            )
        given = list(answer)
        unknown = [label for label in given if not isinstance(label, str) or label not in labels]
        if unknown:
            raise InputError(
                f"Expected every label of an answer to be one of {', '.join(labels)}; got {unknown[0]!r} in {given!r}."
            )
        repeated = next((label for label in given if given.count(label) > 1), None)
        if repeated is not None:
            raise InputError(f"Expected each label at most once in an answer; got {repeated!r} twice in {given!r}.")
        return tuple(label for label in labels if label in given)

    def encode(self, answer: Any, labels: Sequence[str]) -> str | None:
        return None if answer is None else _encode(answer, labels)

    def decode(self, stored: str | None, labels: Sequence[str]) -> list[str] | None:
        return None if stored is None else _decode(stored)

    def final_answers(self, rows: Iterable[AnswerRow], labels: Sequence[str]) -> dict[Hashable, Decision]:
        return final_sets(rows, labels)

    def counted_labels(self, stored: str, labels: Sequence[str]) -> list[str]:
        return _decode(stored)

    def make_model(self, estimator: Any, labels: Sequence[str]) -> Any:
        from hilt.models import MultiLabelModel

        return MultiLabelModel(estimator, list(labels))

    def uncertainty(self, probs: Any, method: str) -> Any:
        """``method`` applied to each label's ``[p, 1 - p]``, the mean over labels (``margin``) or
        the maximum (``margin:max``), as the strategies score the pool
        (:func:`hilt.sampling.multilabel_score`)."""
        from hilt.sampling import multilabel_score

        p = np.asarray(probs, dtype=np.float64)
        if not p.size:
            return np.empty(p.shape[0])
        base, _, combine = method.partition(":")
        return multilabel_score(p, base, combine or "mean")

    def guesses(self, model: Any, probs: Any, labels: Sequence[str], rows: Any = None) -> list[str | None]:
        chosen = np.asarray(probs) >= 0.5
        return [_encode([labels[j] for j in np.flatnonzero(row)], labels) for row in chosen]

    def indicator(self, answers: Sequence[Iterable[str]], labels: Sequence[str]) -> np.ndarray:
        """``(n, L)`` bool: which labels each answer holds."""
        column = {label: j for j, label in enumerate(labels)}
        out = np.zeros((len(answers), len(labels)), dtype=bool)
        for i, answer in enumerate(answers):
            for label in answer:
                out[i, column[label]] = True
        return out

    def evaluate(self, truth: Sequence[Any], predicted: Sequence[Any], labels: Sequence[str], *,
                 seed: int = 0) -> Evaluation:
        if not len(truth):
            return Evaluation(self.metric, None, 0, None, {})
        figures = multilabel_metrics(self.indicator(truth, labels), self.indicator(predicted, labels), seed=seed)
        head = figures[self.metric]
        return Evaluation(self.metric, head["value"], len(truth), head["ci"], figures)

    def import_value(self, value: Any, labels: Sequence[str], *, separator: str | None, where: str) -> str | None:
        if isinstance(value, str) and not value.strip():  # an empty cell: no label yet
            return None
        try:
            value = label_list(value, separator or DEFAULT_SEPARATOR)
        except ValueError:
            raise InputError(f"{where}: expected a JSON array of labels like [\"a\",\"b\"]; got {value.strip()!r}.") from None
        if value is None:
            return None
        if not isinstance(value, list):
            raise InputError(f"{where}: expected a list of labels, or labels joined by "
                             f"{separator or DEFAULT_SEPARATOR!r}; got {value!r}.")
        try:
            return _encode(self.check_answer([str(v).strip() for v in value], labels), labels)
        except InputError as error:
            raise InputError(f"{where}: {error} Fix the value, leave it empty, or add the label to the "
                             "project's labels.") from None

    def export_value(self, answer: Any, *, format: str, separator: str) -> Any:
        if answer is None or format != "csv":
            return answer
        return separator.join(answer) if answer else "[]"

    def rename(self, stored: str, old: str, new: str, labels: Sequence[str]) -> str:
        return _encode([new if label == old else label for label in _decode(stored)], labels)

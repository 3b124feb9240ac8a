"""Likely label errors in marked spans: where a model that did not see an item's answer marks
it differently (the ``spans`` task's label issues).

:func:`span_issues` compares an item's final spans with the spans a model predicted for it (an
out-of-fold model, which never saw that item's answer) and names each difference (``span``
the final span, ``predicted`` the model's):

* ``missed``: a final span that no predicted span overlaps (``predicted`` is ``None``);
* ``extra``: a predicted span that overlaps no final span (``span`` is ``None``);
* ``wrong_label``: a predicted span with the final span's boundaries and another label;
* ``wrong_boundary``: a predicted span that overlaps the final span with other boundaries,
  whatever its label (both spans are in the issue, so a label that differs too is plain to see).

A final span overlapped by two predictions has one issue for each; spans equal in start, end
and label are no issue. So there are no issues exactly when the two lists hold the same spans.

:func:`span_issue_rows` does it for many items and ranks them, those the model agrees with
least first; :func:`out_of_fold_spans` gives the predictions to compare with, each item's from
a model fitted without it.

Examples
--------
>>> from hilt.quality.span_issues import span_issues
>>> final = [{"start": 0, "end": 3, "label": "PER"}, {"start": 8, "end": 20, "label": "PER"}]
>>> predicted = [{"start": 0, "end": 3, "label": "LOC"}, {"start": 8, "end": 13, "label": "PER"}]
>>> [issue["type"] for issue in span_issues(final, predicted)]
['wrong_label', 'wrong_boundary']
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Mapping, Sequence

import numpy as np

from hilt.errors import InputError

__all__ = ["ISSUE_TYPES", "out_of_fold_spans", "span_issue_rows", "span_issues"]

#: The kinds of difference :func:`span_issues` names.
ISSUE_TYPES = ("missed", "extra", "wrong_label", "wrong_boundary")

SpanList = Sequence[Mapping[str, Any]]


def _plain(span: Mapping[str, Any], where: str, number: int) -> dict:
    try:
        start, end, label = int(span["start"]), int(span["end"]), str(span["label"])
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{where} span {number} {span!r}: expected an object with start, end and label.") from None
    return {"start": start, "end": end, "label": label}


def span_issues(final: SpanList, predicted: SpanList) -> list[dict]:
    """How ``predicted`` differs from ``final`` on one item: a list of
    ``{"type", "span", "predicted"}`` (see the module's table), in the order of the text.

    Parameters
    ----------
    final : list of span dicts
        The item's final answer (``[]``: nothing to mark).
    predicted : list of span dicts
        A model's spans for the item.

    Returns
    -------
    list of dict
        ``type`` one of :data:`ISSUE_TYPES`; ``span`` the final span concerned (``None`` for
        ``extra``), ``predicted`` the predicted span (``None`` for ``missed``), each as
        ``{"start", "end", "label"}``. Ordered by the position of the issue's first span
        (the final one where there is one), then the predicted span's.

    Examples
    --------
    >>> per = {"start": 0, "end": 3, "label": "PER"}
    >>> span_issues([per], [per]), span_issues([per], [])
    ([], [{'type': 'missed', 'span': {'start': 0, 'end': 3, 'label': 'PER'}, 'predicted': None}])
    >>> span_issues([], [{"start": 4, "end": 9, "label": "LOC"}])
    [{'type': 'extra', 'span': None, 'predicted': {'start': 4, 'end': 9, 'label': 'LOC'}}]
    """
    finals = sorted((_plain(s, "final", n) for n, s in enumerate(final, start=1)),
                    key=lambda s: (s["start"], s["end"], s["label"]))
    guesses = sorted((_plain(s, "predicted", n) for n, s in enumerate(predicted, start=1)),
                     key=lambda s: (s["start"], s["end"], s["label"]))
    issues: list[dict] = []
    touched = [False] * len(guesses)
    for mine in finals:
        overlapping = [j for j, guess in enumerate(guesses)
                       if guess["start"] < mine["end"] and mine["start"] < guess["end"]]
        for j in overlapping:
            touched[j] = True
        if not overlapping:
            issues.append({"type": "missed", "span": mine, "predicted": None})
            continue
        if any(guesses[j] == mine for j in overlapping):
            continue  # the model marked the same span: whatever else overlaps it is judged from its side
        for j in overlapping:
            guess = guesses[j]
            same = guess["start"] == mine["start"] and guess["end"] == mine["end"]
            issues.append({"type": "wrong_label" if same else "wrong_boundary", "span": mine, "predicted": guess})
    for guess, seen in zip(guesses, touched):
        if not seen:
            issues.append({"type": "extra", "span": None, "predicted": guess})

    def position(issue: dict) -> tuple:
        first = issue["span"] or issue["predicted"]
        other = issue["predicted"] or first
        return first["start"], first["end"], other["start"], other["end"]

    issues.sort(key=position)
    return issues


def span_issue_rows(finals: Mapping[Hashable, SpanList], predicted: Mapping[Hashable, SpanList]) -> list[dict]:
    """The items whose final spans a model's differ from, those it agrees with least first: one row
    ``{"item", "issues", "score"}`` per item with at least one issue.

    ``score`` is ``1 - F1`` between the final and the predicted spans (exact matches), in
    (0, 1]: 1 when the model agrees with none of the item's spans. Rows are ranked by score,
    then by the number of issues, then in the order of ``finals``. Items without a prediction
    are left out.

    Examples
    --------
    >>> per, loc = {"start": 0, "end": 3, "label": "PER"}, {"start": 8, "end": 13, "label": "LOC"}
    >>> rows = span_issue_rows({"a": [per, loc], "b": [per], "c": []}, {"a": [per], "b": [per], "c": [loc]})
    >>> [(row["item"], round(row["score"], 3), [issue["type"] for issue in row["issues"]]) for row in rows]
    [('c', 1.0, ['extra']), ('a', 0.333, ['missed'])]
    """
    rows = []
    for order, (item, spans) in enumerate(finals.items()):
        if item not in predicted:
            continue
        issues = span_issues(spans, predicted[item])
        if not issues:
            continue
        mine = {(s["start"], s["end"], s["label"]) for s in (_plain(s, "final", n) for n, s in enumerate(spans, 1))}
        theirs = {(s["start"], s["end"], s["label"])
                  for s in (_plain(s, "predicted", n) for n, s in enumerate(predicted[item], 1))}
        f1 = 2 * len(mine & theirs) / (len(mine) + len(theirs))  # not 0/0: an issue means a span somewhere
        rows.append((-(1.0 - f1), -len(issues), order, {"item": item, "issues": issues, "score": 1.0 - f1}))
    rows.sort(key=lambda row: row[:3])
    return [row[3] for row in rows]


def out_of_fold_spans(make_model: Callable[[], Any], texts: Sequence[str], answers: Sequence[SpanList], *,
                      folds: int = 5, random_state: int | None = 0) -> list[list[dict]]:
    """Each text's spans as predicted by a model that did not see its answer: the items are
    split into ``folds`` parts, and a fresh model fitted on the others predicts each part.

    Parameters
    ----------
    make_model : callable
        Returns an unfitted sequence model with ``fit(texts, answers)`` and ``predict(texts)``
        (a list of span lists), the texts a 1-D object array (:class:`hilt.tasks.span_model.SpanModel`'s
        protocol). If it has ``can_fit(answers)`` and that says no (no span to learn from in
        the other parts), the part is predicted to have no spans.
    texts : sequence of str
    answers : sequence of span lists
        The final answer of each text (``[]``: nothing to mark).
    folds : int, default 5
        At most one part per item.
    random_state : int or None, default 0
        Seed of the split.

    Returns
    -------
    list of list of dict
        One predicted span list per text, in order.

    Examples
    --------
    A model that marks the words it saw marked (a gazetteer), and a slip in the third item:

    >>> class Words:
    ...     def fit(self, texts, answers):
    ...         self.seen = {t[s["start"]:s["end"]]: s["label"] for t, a in zip(texts, answers) for s in a}
    ...     def predict(self, texts):
    ...         return [[{"start": t.index(w), "end": t.index(w) + len(w), "label": label}
    ...                  for w, label in self.seen.items() if w in t] for t in texts]
    >>> texts = ["Paris is big", "Paris again", "Paris, ha", "to Paris"]
    >>> final = [[{"start": 0, "end": 5, "label": "LOC"}], [{"start": 0, "end": 5, "label": "LOC"}],
    ...          [{"start": 0, "end": 5, "label": "PER"}], [{"start": 3, "end": 8, "label": "LOC"}]]
    >>> predicted = out_of_fold_spans(Words, texts, final, folds=4)
    >>> span_issues(final[2], predicted[2])[0]["type"]
    'wrong_label'
    """
    n = len(texts)
    if len(answers) != n:
        raise InputError(f"Expected one answer per text ({n} texts); got {len(answers)} answers.")
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise InputError(f"Expected folds to be a whole number >= 2; got {folds!r}.")
    if n < 2:
        raise InputError(f"Expected at least two texts to predict each from the others; got {n}.")
    from sklearn.model_selection import KFold

    rows = np.empty(n, dtype=object)  # a 1-D array of texts (np.asarray could make it 2-D or str)
    rows[:] = list(texts)
    predicted: list[list[dict]] = [[] for _ in range(n)]
    for train, test in KFold(min(int(folds), n), shuffle=True, random_state=random_state).split(rows):
        learned = [answers[i] for i in train]
        model = make_model()
        if hasattr(model, "can_fit") and not model.can_fit(learned):
            continue  # nothing marked in the other parts: the model would mark nothing
        model.fit(rows[train], learned)
        for i, spans in zip(test.tolist(), model.predict(rows[test])):
            predicted[i] = [dict(s) for s in spans]
    return predicted

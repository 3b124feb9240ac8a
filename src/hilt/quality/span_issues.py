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
least first.

Examples
--------
>>> from hilt.quality.span_issues import span_issues
>>> final = [{"start": 0, "end": 3, "label": "PER"}, {"start": 8, "end": 20, "label": "PER"}]
>>> predicted = [{"start": 0, "end": 3, "label": "LOC"}, {"start": 8, "end": 13, "label": "PER"}]
>>> [issue["type"] for issue in span_issues(final, predicted)]
['wrong_label', 'wrong_boundary']
"""

from __future__ import annotations

from typing import Any, Hashable, Mapping, Sequence

from hilt.errors import InputError

__all__ = ["ISSUE_TYPES", "span_issue_rows", "span_issues"]

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

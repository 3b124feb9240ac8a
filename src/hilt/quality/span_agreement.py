"""Agreement between annotators who marked spans (the ``spans`` task).

Two figures, as named-entity annotation is usually reported:

* entity-level F1 between two annotators: a span counts as agreed when the other marked the
  exact same ``(start, end, label)`` (seqeval's strict match); F1 is symmetric, so neither
  annotator needs to be the reference;
* Krippendorff's alpha (nominal) over tokens: each token of each item is a unit, and the value
  an annotator gives it is its IOB2 tag (``B-PER``, ``I-PER``, ``O``) from their spans over the
  tokens of :func:`hilt.tasks.spans_text.tokenize`. Chance agreement on the many ``O`` tokens is
  discounted, which F1 (which never counts them) cannot do; a boundary off by a token costs a
  little alpha but a whole entity in F1.

Alpha is computed with :func:`hilt.quality.agreement.krippendorff_alpha_nominal` (the figure
of the ``krippendorff`` package, which the tests check it against; that package is only a test
dependency).

Examples
--------
>>> from hilt.quality.span_agreement import span_agreement
>>> per, loc = {"start": 0, "end": 3, "label": "PER"}, {"start": 8, "end": 13, "label": "LOC"}
>>> report = span_agreement({1: {"ann": [per, loc], "bob": [per]}}, {1: "Ada met Paris"})
>>> report["items"], report["f1"], round(report["alpha"], 3)
(1, 0.6666666666666666, 0.545)
"""

from __future__ import annotations

from itertools import combinations
from numbers import Integral
from typing import Any, Hashable, Mapping, Sequence

from hilt.errors import InputError
from hilt.quality.agreement import krippendorff_alpha_nominal
from hilt.tasks.spans_text import spans_to_tags, tokenize

__all__ = ["entity_f1", "span_agreement", "token_tags"]

SpanList = Sequence[Mapping[str, Any]]


def _keys(spans: SpanList) -> set[tuple[int, int, str]]:
    return {(int(s["start"]), int(s["end"]), str(s["label"])) for s in spans}


def entity_f1(a: Sequence[SpanList], b: Sequence[SpanList]) -> float:
    """Entity-level F1 between two annotators over the same items, pooled over items (micro):
    ``2 * agreed / (spans of a + spans of b)``, exact ``(start, end, label)`` matches.

    An item both left empty (``[]``) adds nothing to either count; when both marked nothing on
    every item the F1 is 1.0 (they agree that there is nothing to mark), not undefined.

    Examples
    --------
    >>> per, loc = {"start": 0, "end": 3, "label": "PER"}, {"start": 8, "end": 13, "label": "LOC"}
    >>> entity_f1([[per, loc], []], [[per], []]), entity_f1([[], []], [[], []])
    (0.6666666666666666, 1.0)
    """
    if len(a) != len(b):
        raise InputError(f"Expected the two annotators' answers on the same items; got {len(a)} and {len(b)} answers.")
    agreed = marked = 0
    for left, right in zip(a, b):
        left_keys, right_keys = _keys(left), _keys(right)
        agreed += len(left_keys & right_keys)
        marked += len(left_keys) + len(right_keys)
    return 1.0 if marked == 0 else 2 * agreed / marked


def token_tags(text: str, spans: SpanList) -> list[str]:
    """The IOB2 tag of each token of ``text`` under ``spans`` (snapped to the tokens they
    overlap, as :func:`hilt.tasks.spans_text.snap_spans` does): the values alpha compares.

    Examples
    --------
    >>> token_tags("Ada met Grace Hopper", [{"start": 9, "end": 20, "label": "PER"}])
    ['O', 'O', 'B-PER', 'I-PER']
    """
    return spans_to_tags(tokenize(text), spans)


def span_agreement(answers_by_item: Mapping[Hashable, Mapping[str, SpanList]], texts: Mapping[Hashable, str], *,
                   min_pair_items: int = 1) -> dict[str, Any]:
    """Agreement figures over the items that two or more annotators marked.

    Parameters
    ----------
    answers_by_item : mapping of item to (mapping of annotator to list of spans)
        Each annotator's current answer per item (decoded span lists, ``[]`` for "nothing to
        mark"); skips are not answers and must not be passed. Items with one annotator are
        ignored.
    texts : mapping of item to str
        The text of every item with two or more annotators (for its tokens).
    min_pair_items : int, default 1
        A pair of annotators is reported (and counted in the mean) only when they marked at
        least this many items in common.

    Returns
    -------
    dict
        - ``"items"``: items with answers from two or more annotators;
        - ``"alpha"``: Krippendorff's alpha (nominal) over the tokens of those items, each
          (item, token) a unit, the annotators' IOB2 tags its values; ``None`` when undefined
          (no such item, or a single tag everywhere: nobody marked anything, or everyone
          marked every token the same way);
        - ``"f1"``: the mean of the reported pairs' F1, ``None`` without a reported pair;
        - ``"pairs"``: ``{"ann|bob": {"items": n, "f1": f}}`` (names sorted, joined by ``"|"``),
          ``f`` the entity F1 of the two over the ``n`` items both marked (:func:`entity_f1`:
          pooled over the items; items both left empty count for nothing, and a pair who left
          every shared item empty has F1 1.0);
        - ``"by_annotator"``: ``{name: {"items": n, "f1": f}}``, ``n`` the annotator's answers
          on items someone else also marked, ``f`` the entity F1 of those answers against each
          of the other answers on the same items, pooled (1.0 likewise when nobody marked
          anything there).

    Raises
    ------
    InputError
        An item with two or more annotators and no text, or ``min_pair_items`` below 1.

    Examples
    --------
    >>> per = {"start": 0, "end": 3, "label": "PER"}
    >>> answers = {"q1": {"ann": [per], "bob": [per], "cy": []}, "q2": {"ann": [], "bob": []}, "q3": {"cy": [per]}}
    >>> report = span_agreement(answers, {"q1": "Ada sings", "q2": "it rains", "q3": "Ada"})
    >>> report["items"], report["pairs"]["ann|bob"], report["pairs"]["ann|cy"]
    (2, {'items': 2, 'f1': 1.0}, {'items': 1, 'f1': 0.0})
    >>> report["by_annotator"]["cy"], round(report["f1"], 4), round(report["alpha"], 4)
    ({'items': 1, 'f1': 0.0}, 0.3333, 0.4375)
    """
    counts = isinstance(min_pair_items, Integral) and not isinstance(min_pair_items, bool)
    if not counts or min_pair_items < 1:
        raise InputError(f"Expected min_pair_items to be an integer >= 1, got {min_pair_items!r}.")
    shared = {item: dict(by_annotator) for item, by_annotator in answers_by_item.items() if len(by_annotator) >= 2}
    report: dict[str, Any] = {"items": len(shared), "alpha": None, "f1": None, "pairs": {}, "by_annotator": {}}
    if not shared:
        return report

    units: list[tuple[int, int]] = []
    values: list[str] = []
    # (a, b) names sorted -> [items, agreed, marked]; name -> [answers, agreed, marked]
    pairs: dict[tuple[str, str], list[int]] = {}
    people: dict[str, list[int]] = {}
    for number, (item, by_annotator) in enumerate(shared.items()):
        text = texts.get(item) if hasattr(texts, "get") else texts[item]
        if not isinstance(text, str):
            raise InputError(f"Expected the text of item {item!r} (it has answers from {len(by_annotator)} "
                             f"annotators); got {text!r}.")
        tokens = tokenize(text)
        keys = {name: _keys(spans) for name, spans in by_annotator.items()}
        for name, spans in by_annotator.items():
            for t, tag in enumerate(spans_to_tags(tokens, spans)):
                units.append((number, t))
                values.append(tag)
        for a, b in combinations(sorted(keys), 2):
            agreed, marked = len(keys[a] & keys[b]), len(keys[a]) + len(keys[b])
            tally = pairs.setdefault((a, b), [0, 0, 0])
            tally[0] += 1
            tally[1] += agreed
            tally[2] += marked
            for name in (a, b):
                mine = people.setdefault(name, [0, 0, 0])
                mine[1] += agreed
                mine[2] += marked
        for name in keys:
            people[name][0] += 1

    report["alpha"] = krippendorff_alpha_nominal(units, values)
    report["pairs"] = {f"{a}|{b}": {"items": n, "f1": _f1(agreed, marked)}
                       for (a, b), (n, agreed, marked) in sorted(pairs.items()) if n >= min_pair_items}
    report["by_annotator"] = {name: {"items": n, "f1": _f1(agreed, marked)}
                              for name, (n, agreed, marked) in sorted(people.items())}
    if report["pairs"]:
        report["f1"] = sum(pair["f1"] for pair in report["pairs"].values()) / len(report["pairs"])
    return report


def _f1(agreed: int, marked: int) -> float:
    return 1.0 if marked == 0 else 2 * agreed / marked

"""The ``spans`` task: labelled stretches of an item's text (named entities).

* Shape: a list of ``{"start": int, "end": int, "label": str}``, offsets in Python string
  indices (code points) into the item's text, ``0 <= start < end <= len(text)``, no two spans
  overlapping, each label one of the project's; ``[]`` is "nothing to mark", an answer (the item
  counts as labelled); ``None`` is a skip. A person's exact marks are kept (never snapped to
  tokens on the way in); the model snaps them to tokens when it learns.
* Stored: compact JSON of the list sorted by ``(start, end)``, keys in the order start, end,
  label, e.g. ``[{"start":0,"end":3,"label":"PER"}]``: equal answers are equal strings.
* Final answer: a span is in it when a strict majority of the annotators' latest answers hold
  that exact span; a tie goes to what the earliest voter marked; a review wins; spans that would
  overlap are resolved in favour of the one with more votes, then the one voted for first.
* Model: :class:`hilt.models.SpanModel` (a CRF over the tokens of
  :func:`hilt.tasks.spans_text.tokenize`); its ``predict_proba`` gives one column per uncertainty
  method of :data:`SPAN_METHODS`, and its guess is its best labelling.
* Evaluation: entity F1 (the headline), precision and recall, exact match, each with a 95 %
  bootstrap interval (:mod:`hilt.tasks.spans_metrics`).
* Import: a JSON list (a JSONL or Parquet list, or its text in a CSV cell), checked against the
  item's text; export: a list in JSONL/Parquet, JSON text in CSV.

Not in the task registry yet (``hilt.tasks.TASKS``): a project cannot be made with
``task="spans"`` until the sequence model (``hilt.models.SpanModel``), the project's features
of texts, the served item's tokens and the page's and terminal's span widgets exist. This
module is the answer's shape, final-answer rule and metric they will build on.

Examples
--------
>>> from hilt.tasks.spans import Spans
>>> task = Spans()
>>> answer = task.check_answer([{"label": "PER", "start": 8, "end": 20}, {"start": 0, "end": 3, "label": "PER"}],
...                            ["PER", "LOC"], text="Ada met Grace Hopper")
>>> task.encode(answer, ["PER", "LOC"])
'[{"start":0,"end":3,"label":"PER"},{"start":8,"end":20,"label":"PER"}]'
"""

from __future__ import annotations

import json
import numbers
from typing import Any, Hashable, Iterable, Mapping, Sequence

import numpy as np

from hilt.errors import InputError
from hilt.tasks.base import AnswerRow, Decision, Evaluation
from hilt.tasks.single import decide_each
from hilt.tasks.spans_metrics import span_metrics

__all__ = ["SPAN_METHODS", "Spans", "check_spans", "decode_spans", "encode_spans", "final_spans", "span_list"]

#: The columns of :meth:`hilt.models.SpanModel.predict_proba`, in order: the uncertainty of
#: the best labelling as a whole, then the maximum over tokens of the token-level figure.
SPAN_METHODS = ("least", "margin", "ratio", "entropy", "least:max", "margin:max", "ratio:max", "entropy:max")

_KEYS = ("start", "end", "label")


def encode_spans(spans: Iterable[Mapping[str, Any]]) -> str:
    """Compact JSON of ``spans`` sorted by ``(start, end)``, keys start, end, label (what the store keeps).

    Examples
    --------
    >>> encode_spans([{"label": "PER", "end": 3, "start": 0}])
    '[{"start":0,"end":3,"label":"PER"}]'
    """
    ordered = sorted(({"start": int(s["start"]), "end": int(s["end"]), "label": str(s["label"])} for s in spans),
                     key=lambda s: (s["start"], s["end"], s["label"]))
    return json.dumps(ordered, separators=(",", ":"), ensure_ascii=False)


def decode_spans(stored: str) -> list[dict]:
    """A stored answer back as a list of span dicts."""
    return [dict(span) for span in json.loads(stored)]


def _describe(span: Any) -> str:
    return json.dumps(span, ensure_ascii=False) if isinstance(span, dict) else repr(span)


def check_spans(answer: Any, labels: Sequence[str], text: str | None = None) -> list[dict]:
    """``answer`` as a canonical list of spans (sorted, three keys each), or an
    :class:`~hilt.errors.InputError` naming the span at fault (``span 2 {...}``, counted from 1
    in the order given).

    Keys other than start, end and label (a ``text`` some tools add) are dropped. With ``text``,
    each span must also end within it.

    Examples
    --------
    >>> check_spans([{"start": 4, "end": 9, "label": "LOC"}], ["PER", "LOC"], text="in Paris")
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: span 1 {"start": 4, "end": 9, "label": "LOC"}: expected end <= 8 (the length of the item's text); got 9.
    """
    if isinstance(answer, (str, bytes, dict)) or not isinstance(answer, (list, tuple)):
        raise InputError(f"Expected a list of spans like [{{\"start\": 0, \"end\": 3, \"label\": {labels[0]!r}}}] "
                         f"([] for nothing to mark; None to skip); got {answer!r}.")
    spans: list[tuple[int, int, str, int]] = []
    for number, span in enumerate(answer, start=1):
        where = f"span {number} {_describe(span)}"
        if not isinstance(span, Mapping):
            raise InputError(f"{where}: expected an object with start, end and label.")
        missing = [key for key in _KEYS if key not in span]
        if missing:
            raise InputError(f"{where}: expected the keys start, end and label; {', '.join(missing)} missing.")
        start, end, label = span["start"], span["end"], span["label"]
        for name, value in (("start", start), ("end", end)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise InputError(f"{where}: expected {name} to be a whole number (a character offset); got {value!r}.")
        start, end = int(start), int(end)
        if not 0 <= start < end:
            raise InputError(f"{where}: expected 0 <= start < end; got start {start}, end {end}.")
        if text is not None and end > len(text):
            raise InputError(f"{where}: expected end <= {len(text)} (the length of the item's text); got {end}.")
        if not isinstance(label, str) or label not in labels:
            raise InputError(f"{where}: expected label to be one of {', '.join(labels)}; got {label!r}.")
        spans.append((start, end, label, number))
    spans.sort()
    for (s1, e1, _, n1), (s2, e2, _, n2) in zip(spans, spans[1:]):
        if s2 < e1:
            first, second = sorted((n1, n2))
            raise InputError(f"span {second} {_describe(answer[second - 1])}: expected spans that do not overlap; "
                             f"it overlaps span {first} {_describe(answer[first - 1])}.")
    return [{"start": s, "end": e, "label": label} for s, e, label, _ in spans]


def span_list(value: Any) -> Any:
    """A spans cell read as a Python list: a JSON text is parsed, an array (a Parquet list
    column) becomes a list of dicts, ``None``, NaN and an empty text stay ``None`` (unlabelled).
    Anything else comes back as it is, for the caller to refuse; malformed JSON raises
    ``ValueError``.

    Examples
    --------
    >>> span_list('[{"start": 0, "end": 3, "label": "PER"}]'), span_list(""), span_list(float("nan"))
    ([{'start': 0, 'end': 3, 'label': 'PER'}], None, None)
    """
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        if not value.strip():
            return None
        return json.loads(value)
    if isinstance(value, list):
        return [dict(v) if isinstance(v, Mapping) else v for v in value]
    return value


def _resolve_overlaps(candidates: list[tuple[int, int, int, int, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping spans from ``(votes, first vote order, start, end, label)`` candidates:
    more votes first, then the one voted for first (a greedy pick, as each kept span bars those
    it overlaps)."""
    kept: list[tuple[int, int, str]] = []
    for _, _, start, end, label in sorted(candidates, key=lambda c: (-c[0], c[1], c[2], c[3])):
        if all(end <= s or start >= e for s, e, _ in kept):
            kept.append((start, end, label))
    return sorted(kept)


def final_spans(answers: Iterable[AnswerRow]) -> dict[Hashable, Decision]:
    """Final answer per item from current non-skip answers (stored span lists).

    A span ``(start, end, label)`` is in the final answer when a strict majority of the
    annotators' latest answers hold it (each annotator once); a tie goes to what the earliest of
    the voters marked; the latest review decision wins. Spans that would overlap keep the one
    with more votes, then the one voted for first. ``Decision.label`` is the encoded list,
    ``Decision.order`` the earliest vote equal to it (else the earliest vote).

    Examples
    --------
    >>> per = '{"start":0,"end":3,"label":"PER"}'
    >>> loc = '{"start":8,"end":13,"label":"LOC"}'
    >>> rows = [(1, 1, "ada", f"[{per},{loc}]", "annotate"), (1, 2, "bob", f"[{per}]", "annotate"),
    ...         (1, 3, "cy", "[]", "annotate"),
    ...         (2, 4, "ada", "[]", "annotate"), (2, 5, "bob", f"[{loc}]", "annotate"),
    ...         (3, 6, "ada", f"[{per}]", "annotate"), (3, 7, "rev", "[]", "review")]
    >>> {item: d.label for item, d in sorted(final_spans(rows).items())}
    {1: '[{"start":0,"end":3,"label":"PER"}]', 2: '[]', 3: '[]'}
    >>> final_spans(rows)[1].order, final_spans(rows)[3].reviewed
    (2, True)
    """
    def contested(votes: list[tuple[int, str]]) -> tuple[str, int]:
        marked = [{(s["start"], s["end"], s["label"]) for s in decode_spans(stored)} for _, stored in votes]
        tally: dict[tuple[int, int, str], list[int]] = {}  # span -> [votes, order of its first vote]
        for (order, _), spans in zip(votes, marked):
            for span in spans:
                entry = tally.setdefault(span, [0, order])
                entry[0] += 1
        n = len(votes)
        chosen = [(yes, first, *span) for span, (yes, first) in tally.items()
                  if 2 * yes > n or (2 * yes == n and span in marked[0])]
        final = _resolve_overlaps(chosen)
        order = next((o for (o, _), spans in zip(votes, marked) if spans == set(final)), votes[0][0])
        return encode_spans({"start": s, "end": e, "label": label} for s, e, label in final), order

    return decide_each(answers, lambda stored: encode_spans(decode_spans(stored)), contested)


class Spans:
    """Labelled stretches of an item's text (``[]``: nothing to mark): the
    :class:`~hilt.tasks.base.Task` of ``task="spans"``.

    Examples
    --------
    >>> from hilt.tasks.spans import Spans
    >>> task = Spans()
    >>> task.widget, task.metric, task.needs_text
    ('spans', 'entity_f1', True)
    >>> task.check_answer([{"start": 0, "end": 5, "label": "PER"}, {"start": 3, "end": 8, "label": "PER"}], ["PER"])
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: span 2 {"start": 3, "end": 8, "label": "PER"}: expected spans that do not overlap; it overlaps span 1 {"start": 0, "end": 5, "label": "PER"}.
    """

    name = "spans"
    widget = "spans"
    multilabel = False
    metric = "entity_f1"
    needs_text = True

    def check_answer(self, answer: Any, labels: Sequence[str], text: str | None = None) -> list[dict] | None:
        return None if answer is None else check_spans(answer, labels, text)

    def encode(self, answer: Any, labels: Sequence[str]) -> str | None:
        return None if answer is None else encode_spans(answer)

    def decode(self, stored: str | None, labels: Sequence[str]) -> list[dict] | None:
        return None if stored is None else decode_spans(stored)

    def final_answers(self, rows: Iterable[AnswerRow], labels: Sequence[str]) -> dict[Hashable, Decision]:
        return final_spans(rows)

    def counted_labels(self, stored: str, labels: Sequence[str]) -> list[str]:
        """Each distinct label among the spans, in the order they first occur in the text."""
        return list(dict.fromkeys(span["label"] for span in decode_spans(stored)))

    def make_model(self, estimator: Any, labels: Sequence[str]) -> Any:
        """:class:`hilt.models.SpanModel` over ``labels`` (a spans project trains its own
        sequence model: ``estimator`` is not used)."""
        from hilt.models import SpanModel

        return SpanModel(list(labels))

    def uncertainty(self, probs: Any, method: str) -> Any:
        """The column of the model's ``probs`` named ``method`` (:data:`SPAN_METHODS`; a
        strategy's suffix such as ``+diverse`` is ignored)."""
        p = np.asarray(probs, dtype=np.float64)
        base = method.split("+")[0].strip()
        if base not in SPAN_METHODS:
            raise ValueError(f"Expected an uncertainty method of a spans model ({', '.join(SPAN_METHODS)}); got {method!r}.")
        if not p.size:
            return np.empty(p.shape[0] if p.ndim else 0)
        return p[:, SPAN_METHODS.index(base)].copy()

    def guesses(self, model: Any, probs: Any, labels: Sequence[str], rows: Any = None) -> list[str | None]:
        """The model's best labelling of each of ``rows`` (the texts ``probs`` came from), encoded."""
        if rows is None:
            raise ValueError("A spans model guesses from the texts: pass rows= (the rows probs came from).")
        if not len(rows):
            return []
        return [encode_spans(spans) for spans in model.predict(rows)]

    def evaluate(self, truth: Sequence[Any], predicted: Sequence[Any], labels: Sequence[str], *,
                 seed: int = 0) -> Evaluation:
        if not len(truth):
            return Evaluation(self.metric, None, 0, None, {})
        figures = span_metrics(truth, predicted, seed=seed)
        head = figures[self.metric]
        return Evaluation(self.metric, head["value"], len(truth), head["ci"], figures)

    def import_value(self, value: Any, labels: Sequence[str], *, separator: str | None, where: str,
                     text: str | None = None) -> str | None:
        """A spans cell (a JSON list, or its text) as the store keeps it (``None``: no answer),
        checked against the item's ``text``; ``separator`` is not used."""
        try:
            spans = span_list(value)
        except ValueError:
            raise InputError(f"{where}: expected a JSON list of spans like "
                             f"[{{\"start\": 0, \"end\": 3, \"label\": {labels[0]!r}}}]; got {str(value).strip()!r}.") from None
        if spans is None:
            return None
        try:
            return encode_spans(check_spans(spans, labels, text))
        except InputError as error:
            raise InputError(f"{where}: {error} Fix the value, leave it empty, or add the label to the "
                             "project's labels.") from None

    def export_value(self, answer: Any, *, format: str, separator: str) -> Any:
        if answer is None or format != "csv":
            return answer
        return json.dumps(answer, separators=(",", ":"), ensure_ascii=False)

    def rename(self, stored: str, old: str, new: str, labels: Sequence[str]) -> str:
        return encode_spans({**span, "label": new if span["label"] == old else span["label"]}
                            for span in decode_spans(stored))

"""A spans answer's shape: checked (:func:`check_spans`), stored as compact JSON
(:func:`encode_spans`, :func:`decode_spans`) and read from a cell (:func:`span_list`).

What the task (:mod:`hilt.tasks.spans`) and its sequence model (:mod:`hilt.tasks.span_model`)
both need, in a module of its own so that neither imports the other to get it.
"""

from __future__ import annotations

import json
import numbers
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from hilt.errors import InputError

__all__ = ["check_spans", "decode_spans", "encode_spans", "span_list"]

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

"""A spans cell of an imported file (CSV, JSON lines, Parquet) read as a checked answer.

A spans cell holds a list of ``{"start", "end", "label"}`` objects: a JSON text in CSV, a list in
JSON lines and Parquet. Spans as Prodigy writes them carry more keys (``token_start``,
``token_end``, ``text``): start, end and label are kept, and a ``text`` is checked against the
characters the offsets point at, which catches offsets counted in another unit (UTF-16 code
units or bytes, as JavaScript and some tools count) before they mark the wrong characters.

Examples
--------
>>> from hilt.importing.span_cells import read_spans_cell
>>> read_spans_cell('[{"start": 8, "end": 13, "label": "PER", "token_start": 2, "text": "Grace"}]',
...                 ["PER", "LOC"], text="Ada met Grace", where="people.csv, line 2")
[{'start': 8, 'end': 13, 'label': 'PER'}]
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

from hilt.errors import InputError
from hilt.tasks.spans import check_spans, span_list

__all__ = ["read_spans_cell"]


def read_spans_cell(value: Any, labels: Sequence[str], *, text: str | None = None,
                    where: str | None = None) -> list[dict] | None:
    """A spans cell as a checked list of spans (``[]``: nothing to mark), or ``None`` for an
    empty cell (no answer).

    Parameters
    ----------
    value : str, list, numpy.ndarray or None
        A JSON text (CSV), a list of dicts (JSON lines), an array of dicts (Parquet); ``None``,
        NaN and an empty text are an empty cell.
    labels : sequence of str
        The project's labels: every span's label must be one of them.
    text : str, optional
        The item's text: every span must end within it, and a span's ``text`` key, if it has
        one, must equal ``text[start:end]``.
    where : str, optional
        Where the cell is (``"items.jsonl, line 7"``), put in front of every message.

    Returns
    -------
    list of dict or None
        Sorted by ``(start, end)``, keys start, end, label only (as
        :meth:`hilt.tasks.spans.Spans.check_answer` gives them).

    Raises
    ------
    InputError
        Malformed JSON, something other than a list, or a span at fault, named by its place in
        the list as given (``line 7: span 2 {...}: ...``): missing keys, offsets that are not
        whole numbers or out of range, an unknown label, overlapping spans, or a ``text`` that is
        not the characters its offsets point at.

    Examples
    --------
    >>> read_spans_cell([], ["PER"]), read_spans_cell("", ["PER"]), read_spans_cell(None, ["PER"])
    ([], None, None)
    >>> read_spans_cell([{"start": 0, "end": 3, "label": "PER", "text": "Ada"},
    ...                  {"start": 9, "end": 14, "label": "PER", "text": "Grace"}],
    ...                 ["PER"], text="Ada met 👩 Grace", where="line 7")
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: line 7: span 2 {"start": 9, "end": 14, "label": "PER", "text": "Grace"}: expected its text 'Grace' at characters 9 to 14 of the item's text (offsets count Unicode code points); they hold ' Grac'.
    """
    prefix = f"{where}: " if where else ""
    try:
        spans = span_list(value)
    except ValueError:
        raise InputError(f"{prefix}expected a JSON list of spans like "
                         f"[{{\"start\": 0, \"end\": 3, \"label\": {labels[0]!r}}}] (or an empty cell); "
                         f"got {_shorten(str(value).strip())!r}.") from None
    if spans is None:
        return None
    try:
        checked = check_spans(spans, labels, text)
    except InputError as error:
        raise InputError(f"{prefix}{error}") from None
    if text is not None:
        for number, span in enumerate(spans, start=1):
            # check_spans has passed every span: each is a mapping with whole-number offsets in range.
            if isinstance(span, Mapping) and "text" in span:
                start, end = int(span["start"]), int(span["end"])
                if span["text"] != text[start:end]:
                    raise InputError(
                        f"{prefix}span {number} {json.dumps(span, ensure_ascii=False)}: expected its text "
                        f"{span['text']!r} at characters {start} to {end} of the item's text (offsets count "
                        f"Unicode code points); they hold {text[start:end]!r}.")
    return checked


def _shorten(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[:limit - 1] + "…"

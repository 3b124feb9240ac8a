"""Writing a spans project's answers out: the JSON lines record, the CSV cell and the CoNLL file.

* JSON lines: :func:`spans_record`, ``{"id", "text", "spans": [...]}`` with the spans as a list
  (the shape :func:`hilt.importing.span_cells.read_spans_cell` and most NER tools read);
* CSV: :func:`spans_cell`, the spans as compact JSON text (what the store keeps), which a CSV
  import reads back;
* CoNLL: :func:`write_conll_export`, IOB2 over hilt's tokens, one ``token<TAB>tag`` per line
  (:func:`hilt.importing.conll.write_conll`), written whole or not at all;
  :func:`conll_texts_and_spans` picks the texts and answers out of export rows.

Examples
--------
>>> from hilt.project.export_spans import spans_cell, spans_record
>>> spans = [{"label": "PER", "start": 0, "end": 3}]
>>> spans_record("7", "Ada sings", spans)
{'id': '7', 'text': 'Ada sings', 'spans': [{'start': 0, 'end': 3, 'label': 'PER'}]}
>>> spans_cell(spans)
'[{"start":0,"end":3,"label":"PER"}]'
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import IO, Any, Hashable, Iterable, Mapping, Sequence

from hilt.errors import InputError
from hilt.importing.conll import CONLL_SUFFIXES, write_conll
from hilt.tasks.spans import decode_spans, encode_spans

__all__ = ["conll_texts_and_spans", "spans_cell", "spans_record", "write_conll_export"]


def spans_record(item_id: Hashable, text: str, spans: Iterable[Mapping[str, Any]] | None) -> dict[str, Any]:
    """One JSON lines record of a spans answer: ``{"id", "text", "spans"}``, the spans sorted
    with the keys start, end, label (``None`` stays ``None``: a skip)."""
    return {"id": item_id, "text": text, "spans": None if spans is None else decode_spans(encode_spans(spans))}


def spans_cell(spans: Iterable[Mapping[str, Any]] | None) -> str | None:
    """Spans as a CSV cell: compact JSON text, sorted, keys start, end, label (``None``: an
    empty cell, a skip)."""
    return None if spans is None else encode_spans(spans)


def conll_texts_and_spans(rows: Iterable[Mapping[str, Any]], *, text_column: str = "text",
                          label_column: str = "label") -> tuple[list[str], list[list[dict]]]:
    """The texts and span lists of export rows (:meth:`hilt.Project.export_rows`), for
    :func:`write_conll_export`; rows whose answer is ``None`` (skips) are left out.

    Examples
    --------
    >>> rows = [{"item_id": "1", "label": [{"start": 0, "end": 3, "label": "PER"}], "text": "Ada sings"},
    ...         {"item_id": "2", "label": None, "text": "skipped"}]
    >>> conll_texts_and_spans(rows)
    (['Ada sings'], [[{'start': 0, 'end': 3, 'label': 'PER'}]])
    """
    texts, spans = [], []
    for number, row in enumerate(rows, start=1):
        answer = row.get(label_column)
        if answer is None:
            continue
        text = row.get(text_column)
        if not isinstance(text, str):
            raise InputError(f"Expected the text of export row {number} in column {text_column!r}; got {text!r}.")
        texts.append(text)
        spans.append(list(answer))
    return texts, spans


def write_conll_export(path: str | Path | IO[str], texts: Sequence[str], spans: Sequence[Sequence[Mapping[str, Any]]],
                       *, overwrite: bool = True) -> int:
    """Write texts and their spans as a CoNLL IOB2 file (:func:`hilt.importing.conll.write_conll`:
    hilt's tokens, spans snapped to them, texts without tokens left out); return the number of
    sentences written.

    ``path`` ends in one of :data:`hilt.importing.conll.CONLL_SUFFIXES` or is an open text
    stream (``sys.stdout``). The file is written under a temporary name beside ``path`` and moved
    into place when complete, as every export is. With ``overwrite=False`` an existing file is
    refused.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "labels.conll"
    >>> write_conll_export(path, ["Ada sings"], [[{"start": 0, "end": 3, "label": "PER"}]])
    1
    >>> path.read_text().splitlines()
    ['Ada\\tB-PER', 'sings\\tO', '']
    """
    if hasattr(path, "write"):
        return write_conll(texts, spans, path)
    path = Path(path)
    if path.suffix.lower() not in CONLL_SUFFIXES:
        raise InputError(f"Expected a CoNLL export file ending in {' or '.join(CONLL_SUFFIXES)}; got {path.name!r}.")
    if path.is_file() and not overwrite:
        raise InputError(
            f"Expected a new file for the export, but {path} exists. Choose another name, or replace "
            "it with --force (Python: overwrite=True)."
        )
    if not path.parent.is_dir():
        raise InputError(f"Expected an existing folder for the export at {path.parent}, but there is none.")
    if path.is_dir():
        raise InputError(f"Expected a file name for the export, like {path / 'labels.conll'}; {path} is a folder.")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as out:
            count = write_conll(texts, spans, out)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # a text or answer refused halfway leaves no file behind
    return count

"""Writing a spans project's answers out: the JSON lines record, the CSV cell and the CoNLL file.

* JSON lines: :func:`spans_record`, ``{"id", "text", "spans": [...]}`` with the spans as a list
  (the shape :func:`hilt.tasks.spans_cells.read_spans_cell` and most NER tools read);
* CSV: :func:`spans_cell`, the spans as compact JSON text (what the store keeps), which a CSV
  import reads back;
* CoNLL: :func:`write_conll`, IOB2 over the tokens of :func:`hilt.tasks.spans_text.tokenize`
  (what the page and the model see), one ``token<TAB>tag`` per line, which
  :func:`hilt.importing.conll.read_conll` reads back; :func:`write_conll_export` writes such a
  file whole or not at all, and :func:`conll_texts_and_spans` picks the texts and answers out of
  export rows.

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

import io
from pathlib import Path
from typing import IO, Any, Hashable, Iterable, Mapping, Sequence

from hilt.errors import InputError
from hilt.importing.conll import CONLL_SUFFIXES
from hilt.project.export_file import checked_target, write_whole
from hilt.tasks.spans import decode_spans, encode_spans
from hilt.tasks.spans_text import spans_to_tags, tokenize

__all__ = ["conll_texts_and_spans", "spans_cell", "spans_record", "write_conll", "write_conll_export"]


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
    """Write texts and their spans as a CoNLL IOB2 file (:func:`write_conll`:
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
    checked_target(path, overwrite=overwrite, suffix=".conll")

    def write(tmp: Path) -> int:
        with open(tmp, "w", encoding="utf-8", newline="") as out:
            return write_conll(texts, spans, out)

    return write_whole(path, write)  # a text or answer refused halfway leaves no file behind


def write_conll(texts: Sequence[str], spans: Sequence[Sequence[Mapping[str, Any]]], file: Any) -> int:
    """Write ``texts`` and their ``spans`` as IOB2: each token of
    :func:`~hilt.tasks.spans_text.tokenize` on a line with its tag (``token<TAB>tag``), a blank
    line after each text; returns the number of sentences written.

    Spans that do not fall on token boundaries are snapped to the tokens they overlap (as
    :func:`~hilt.tasks.spans_text.snap_spans` does: ``rac`` in ``Grace`` tags the whole token), so
    reading the file back gives spans over whole tokens; a span that overlaps a token another
    span already took leaves no tag. A text without tokens (empty, or only spaces) cannot be
    written as a CoNLL sentence and is left out, so count the sentences, not the texts, when
    reading back. The texts read back are the tokens joined by one space: a text whose tokens
    were already separated by single spaces comes back as it was.

    Parameters
    ----------
    texts : sequence of str
    spans : sequence of lists of span dicts
        One list per text (``[]``: nothing marked), offsets into that text.
    file : str, pathlib.Path or text stream
        Where to write (a path is written as UTF-8, replaced if it exists; see
        :func:`write_conll_export` for a file written whole or not at all).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> write_conll(["Ada met Grace Hopper.", "  "], [[{"start": 9, "end": 20, "label": "PER"}], []], out)
    1
    >>> out.getvalue().splitlines()
    ['Ada\\tO', 'met\\tO', 'Grace\\tB-PER', 'Hopper\\tI-PER', '.\\tO', '']
    """
    if len(texts) != len(spans):
        raise InputError(f"Expected one list of spans per text ({len(texts)} texts); got {len(spans)} lists.")
    if isinstance(file, (str, Path)):
        with open(file, "w", encoding="utf-8", newline="") as out:
            return _write_conll(texts, spans, out)
    return _write_conll(texts, spans, file)


def _write_conll(texts: Sequence[str], spans: Sequence[Sequence[Mapping[str, Any]]], out: IO[str]) -> int:
    written = 0
    for number, (text, marked) in enumerate(zip(texts, spans), start=1):
        if not isinstance(text, str):
            raise InputError(f"Expected text {number} to be a string; got {type(text).__name__}.")
        if marked is None or isinstance(marked, (str, Mapping)):
            raise InputError(f"Expected text {number}'s spans as a list of span dicts ([] for nothing marked); "
                             f"got {marked!r}.")
        tokens = tokenize(text)
        if not tokens:
            continue
        # A token never holds whitespace (tokenize), so every line reads back as token and tag;
        # spans_to_tags tags each token a span overlaps, which is snapping the span to tokens.
        sentence = io.StringIO()
        for (start, end), tag in zip(tokens, spans_to_tags(tokens, marked)):
            sentence.write(f"{text[start:end]}\t{tag}\n")
        sentence.write("\n")
        out.write(sentence.getvalue())
        written += 1
    return written

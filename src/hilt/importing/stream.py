"""An input read and checked chunk by chunk: :class:`ItemStream`, and :func:`read_items` on top.

Every input goes through this one path: a file is read in chunks of ``chunk_rows`` rows, a
DataFrame is one chunk, and each chunk gets the same checks with the same messages
(:func:`hilt.importing.checks.check_chunk`). The memory an import takes is that of one chunk
plus 16-40 bytes an item for what must be known across chunks (which ids came before, how many
texts repeat), whatever the size of the file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from hilt.errors import InputError
from hilt.importing.checks import CheckedChunk, Decided, ImportedItems, _names, _plain, check_chunk
from hilt.importing.ids import UniqueIds
from hilt.importing.readers import DEFAULT_CHUNK_BYTES, DEFAULT_CHUNK_ROWS, raw_chunks

__all__ = ["ItemChunk", "ItemStream", "read_items"]

#: The encoder of the values that are not plain strings (numbers, lists, ``None``): the same
#: one the store used for whole records, so an item's JSON is what it always was.
_JSON = json.JSONEncoder(ensure_ascii=False)


@dataclass
class ItemChunk:
    """One checked chunk of an :class:`ItemStream`, ready to store.

    Attributes
    ----------
    ids : list of str
        The items' ids (repeated ids already dropped, when asked).
    frame : pandas.DataFrame
        The items' data as read (without id and label columns), JSON-able.
    labels : list of (str or None) or None
        The known label of each item, or ``None`` without a label column.
    rows_done : int
        Data rows of the input read up to and including this chunk (for progress).
    names : dict
        Column of ``frame`` -> key in the stored item data (the text is always ``"text"``).
    suggestions : list of (str or None, float or None), or None
        Each item's suggestion from a suggestion column (the answer as stored, its score), or
        ``None`` without one.
    """

    ids: list[str]
    frame: pd.DataFrame
    labels: list[str | None] | None
    rows_done: int
    names: dict[str, str]
    suggestions: list[tuple[str | None, float | None]] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def payloads(self) -> list[str]:
        """Each item's data as a JSON document, keys renamed as stored (see :attr:`names`).

        Built column by column, not through a dict per row: this is most of an import's Python
        time otherwise. The text is the same ``json.JSONEncoder(ensure_ascii=False)`` gives for
        the row's dict.

        Examples
        --------
        >>> import pandas as pd
        >>> chunk = ItemChunk(["0"], pd.DataFrame({"review": ["so \\"good\\""], "stars": [5]}), None, 1,
        ...                   {"review": "text", "stars": "stars"})
        >>> chunk.payloads()
        ['{"text": "so \\\\"good\\\\"", "stars": 5}']
        """
        columns = list(self.frame.columns)
        # The text first, as the store always wrote it.
        order = sorted(columns, key=lambda c: self.names.get(c) != "text")
        rows: list[str] | None = None
        for i, column in enumerate(order):
            prefix = ("{" if i == 0 else ", ") + encode_basestring(self.names.get(column, column)) + ": "
            values = _fragments(self.frame[column])
            rows = [prefix + v for v in values] if rows is None else [r + prefix + v for r, v in zip(rows, values)]
        if rows is None:
            return ["{}"] * len(self)
        return [r + "}" for r in rows]

    def records(self) -> list[dict[str, Any]]:
        """Each item's data as a dict of plain Python values, keys renamed as stored."""
        columns = [self.names.get(str(c), str(c)) for c in self.frame.columns]
        return [{name: _plain(value) for name, value in zip(columns, row)}
                for row in self.frame.itertuples(index=False, name=None)]


def _fragments(column: pd.Series) -> list[str]:
    """The JSON text of each value of a column of a JSON-able frame."""
    kind = column.dtype.kind
    if kind in "iu":
        return [str(v) for v in column.tolist()]
    if kind == "f":
        return [_JSON.encode(v) for v in column.tolist()]  # repr, and Infinity as the encoder writes it
    if kind == "b":
        return ["true" if v else "false" for v in column.tolist()]
    encode = _JSON.encode
    return [encode_basestring(v) if type(v) is str else encode(_plain(v)) for v in column.tolist()]


class ItemStream:
    """Read and check an input chunk by chunk, for an import whose memory does not grow with it.

    Opening the stream reads and checks the first chunk, which decides, for the whole input:

    * the kind of items (``"text"`` or ``"table"``) and the text column or the feature columns;
    * which columns hold only label names (:attr:`label_like`: hidden from annotators);
    * the columns a CSV file has (its header).

    Every later chunk is checked against that: a text column that holds a number or is empty
    further down, or a feature column with a word in it, is an :class:`hilt.errors.InputError`
    naming the line, as in the first chunk. A column that first appears in a later chunk (a key
    of a later JSON line) is kept in the items' data and listed in :attr:`names`, but it is
    never taken for the text or a feature, nor checked for label names. Ids repeated anywhere in
    the input (across chunks too) are refused unless ``drop_duplicate_ids``.

    Parameters
    ----------
    data, text_column, id_column, label_column, labels, encoding, feature_columns, \
exclude_columns, drop_duplicate_ids
        As for :func:`read_items`.
    chunk_rows : int, default 100000
        Rows a chunk holds at most (a text file's chunk also ends after about 32 MB of text).
    kept_columns, own_features
        Columns that are data with a role of their own (the items' vectors, an image's path:
        column -> how the user named it, for messages), never the text nor a feature; and
        whether the features come from such a column or a file (see
        :func:`hilt.importing.checks.check_chunk`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from hilt.importing import ItemStream
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "reviews.csv"
    >>> _ = path.write_text("id,review\\nr1,good\\nr2,bad\\nr3,fine\\n")
    >>> stream = ItemStream(path, id_column="id", chunk_rows=2)
    >>> stream.kind, stream.text_column
    ('text', 'review')
    >>> [(chunk.ids, chunk.payloads()) for chunk in stream.chunks()]
    [(['r1', 'r2'], ['{"text": "good"}', '{"text": "bad"}']), (['r3'], ['{"text": "fine"}'])]
    >>> stream.rows, stream.identical_texts
    (3, 0)
    """

    def __init__(
        self,
        data: Any,
        *,
        text_column: str | None = None,
        id_column: str | None = None,
        label_column: str | None = None,
        labels: Sequence[str] | None = None,
        encoding: str = "utf-8",
        feature_columns: Sequence[str] | None = None,
        exclude_columns: Sequence[str] | None = None,
        drop_duplicate_ids: bool = False,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        parse_label: Callable[[Any, str, str | None], str | None] | None = None,
        kept_columns: Mapping[str, str] | None = None,
        own_features: bool = False,
        suggestion_column: str | None = None,
        suggestion_score_column: str | None = None,
    ) -> None:
        if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
            raise InputError(f"Expected chunk_rows to be a whole number >= 1; got {chunk_rows!r}.")
        if feature_columns is not None and text_column is not None:
            raise InputError("Expected either text_column (text items) or feature_columns (table rows), not both.")
        if label_column is None and _is_conll(data):  # a CoNLL file is its spans
            label_column = "spans"
        self._options = dict(text_column=text_column, id_column=id_column, label_column=label_column,
                             labels=labels, feature_columns=_names(feature_columns, "feature_columns"),
                             exclude_columns=_names(exclude_columns, "exclude_columns") or [],
                             parse_label=parse_label, kept_columns=dict(kept_columns or {}),
                             own_features=bool(own_features), suggestion_column=suggestion_column,
                             suggestion_score_column=suggestion_score_column)
        self._unique = UniqueIds(id_column, drop=bool(drop_duplicate_ids))
        self._raw = raw_chunks(data, encoding=encoding,
                               text_columns=[c for c in (text_column, id_column, label_column, suggestion_column) if c],
                               chunk_rows=chunk_rows, chunk_bytes=chunk_bytes)
        self._texts: list[np.ndarray] = []
        self._started = False
        self.rows = 0
        try:
            raw = next(self._raw)
            self.source = raw.source
            checked, self.decided = check_chunk(raw, unique=self._unique, **self._options)
        except BaseException:
            self.close()
            raise
        self.names = _stored_names(list(checked.frame.columns), self.decided)
        self._first: CheckedChunk | None = checked

    # What the first chunk decided.
    @property
    def kind(self) -> str:
        return self.decided.kind

    @property
    def text_column(self) -> str | None:
        return self.decided.text_column

    @property
    def feature_columns(self) -> list[str]:
        return self.decided.feature_columns

    @property
    def label_like(self) -> list[str]:
        return self.decided.label_like

    @property
    def first_frame(self) -> pd.DataFrame:
        """The first chunk's item data (to try a featurizer on before anything is stored)."""
        if self._first is None:
            raise RuntimeError("the first chunk was handed out already")
        return self._first.frame

    @property
    def first_ids(self) -> list[str]:
        """The first chunk's item ids (beside :attr:`first_frame`)."""
        if self._first is None:
            raise RuntimeError("the first chunk was handed out already")
        return list(self._first.ids)

    # What the whole input held (final once chunks() is exhausted).
    @property
    def duplicates(self) -> int:
        """Rows skipped because their id came earlier in the input (``drop_duplicate_ids``)."""
        return self._unique.duplicates

    @property
    def repeated_ids(self) -> list[tuple[str, str]]:
        return list(self._unique.repeated_ids)

    @property
    def identical_texts(self) -> int:
        """Rows whose text is the same as an earlier row's (text items; they are kept)."""
        if not self._texts:
            return 0
        hashes = np.sort(np.concatenate(self._texts))  # sorted: equal texts are neighbours
        self._texts = [hashes]
        return int(np.count_nonzero(hashes[1:] == hashes[:-1]))

    def chunks(self) -> Iterator[ItemChunk]:
        """The checked chunks, the first one included; a stream is read once."""
        if self._started:
            raise RuntimeError("an ItemStream is read once")
        self._started = True
        try:
            checked = self._first
            while checked is not None:
                self.rows += checked.rows
                self._first = None
                for column in checked.frame.columns:  # columns first seen in a later chunk
                    if column not in self.names:
                        self.names[column] = _free_name("other_text", list(self.names.values())) \
                            if column == "text" else column
                if self.kind == "text":
                    # One 64-bit hash a text: counting repeats needs no set of ten million strings.
                    texts = checked.frame[self.text_column].to_numpy(dtype=object)
                    self._texts.append(pd.util.hash_array(texts, categorize=False))
                yield ItemChunk(checked.ids, checked.frame, checked.labels, self.rows, dict(self.names),
                                checked.suggestions)
                raw = next(self._raw, None)
                if raw is None:
                    break
                checked, _ = check_chunk(raw, unique=self._unique, decided=self.decided, **self._options)
        finally:
            self.close()

    def close(self) -> None:
        """Close the file (also done when :meth:`chunks` ends or fails)."""
        self._raw.close()

    def __enter__(self) -> "ItemStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _stored_names(columns: list[str], decided: Decided) -> dict[str, str]:
    """Column name in the data -> key in the stored item data. Faces show ``data["text"]`` and the
    feature cache reads it: the text goes there whatever its column's name. A different column
    that is itself called "text" is kept as context under another name (``other_text``), so it can
    neither hide the text nor be lost."""
    name = decided.text_column
    if decided.kind != "text" or name in (None, "text"):
        return {c: c for c in columns}
    moved = _free_name("other_text", columns)
    return {c: "text" if c == name else (moved if c == "text" else c) for c in columns}


def _free_name(name: str, taken: list[str]) -> str:
    while name in taken:
        name = "_" + name
    return name


def read_items(
    data: Any,
    *,
    text_column: str | None = None,
    id_column: str | None = None,
    label_column: str | None = None,
    labels: Sequence[str] | None = None,
    encoding: str = "utf-8",
    feature_columns: Sequence[str] | None = None,
    exclude_columns: Sequence[str] | None = None,
    drop_duplicate_ids: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Callable[[int], Any] | None = None,
    kept_columns: Mapping[str, str] | None = None,
    own_features: bool = False,
) -> ImportedItems:
    """Read and check the items of a file or DataFrame, all of them in memory.

    Projects import through :class:`ItemStream` instead, chunk by chunk; this reads the same
    chunks with the same checks and puts them together (for simulations and small inputs).

    Parameters
    ----------
    data : str, pathlib.Path or pandas.DataFrame
        A ``.csv``, ``.tsv``, ``.jsonl`` / ``.ndjson`` / ``.json`` (JSON lines) or ``.parquet``
        file (the text formats also gzip-compressed: ``.csv.gz``, ``.jsonl.gz``, ...), or a
        DataFrame.
    text_column : str, optional
        The column holding the text. Default: the only string column, or the column named
        ``"text"`` when there are several; with no string column the items are table rows
        whose numeric columns are the features.
    id_column : str, optional
        A column of unique item ids (kept as text). Default: the 0-based data row number. An id
        that repeats an earlier row's is an error unless ``drop_duplicate_ids``.
    label_column : str, optional
        A column of labels already known (empty cells: not labelled).
    labels : sequence of str, optional
        The allowed labels; a label-column value outside them is an error.
    encoding : str, default "utf-8"
        The text encoding of CSV and JSON files (a UTF-8 byte-order mark is ignored).
    feature_columns : sequence of str, optional
        Read table items with exactly these feature columns (e.g. a project's, for a later
        import): each must be present and hold numbers; a cell that is not a number is an
        error naming its line. Excludes ``text_column``. Default: every numeric column except
        ``exclude_columns`` and the columns whose values (as text) are all label names, which may
        be the answers.
    exclude_columns : sequence of str, optional
        Columns the model never sees (neither the text nor a feature); they stay in the item's
        data. An unknown name is an error.
    drop_duplicate_ids : bool, default False
        Keep the first row of each id and skip later rows with the same id (counted in
        ``duplicates``, the first few named in ``repeated_ids``), instead of refusing the input.
    chunk_rows : int, default 100000
        Rows read and checked at a time (see :class:`ItemStream`: the first chunk decides the
        kind of items and the columns of label names).
    progress : callable, optional
        Called with the number of data rows read so far after each chunk.
    kept_columns, own_features
        As for :class:`ItemStream`: columns that are neither the text nor a feature (the items'
        own vectors, an image's path), and whether the features come from such a column.

    Returns
    -------
    ImportedItems

    Raises
    ------
    hilt.errors.InputError
        For a missing or unreadable file, an unknown suffix, a missing column, no rows, a
        malformed line, bytes that are not in ``encoding``, an empty text, a missing or
        infinite feature value, an empty id, a repeated id (unless ``drop_duplicate_ids``), or a
        label outside ``labels``. The message names the file and the line (or row) and column.

    Examples
    --------
    >>> import pandas as pd
    >>> from hilt.importing import read_items
    >>> frame = pd.DataFrame({"id": ["a", "b", "a"], "text": ["good", "bad", "again"],
    ...                       "label": ["pos", None, "neg"]})
    >>> items = read_items(frame, id_column="id", label_column="label", labels=["pos", "neg"],
    ...                    drop_duplicate_ids=True)
    >>> items.kind, items.text_column, items.ids, items.labels, items.duplicates
    ('text', 'text', ['a', 'b'], ['pos', None], 1)
    >>> list(items.frame.columns)
    ['text']
    >>> read_items(pd.DataFrame({"h": [1.0, 2.0], "w": [3, 4]})).feature_columns
    ['h', 'w']

    A numeric column whose values are all label names is not a feature (it may be the answer):

    >>> digits = pd.DataFrame({"digit": [3, 7], "px0": [0.0, 14.0], "px1": [12.0, 2.5]})
    >>> items = read_items(digits, labels=[str(d) for d in range(10)])
    >>> items.feature_columns, items.label_like
    (['px0', 'px1'], ['digit'])
    """
    stream = ItemStream(data, text_column=text_column, id_column=id_column, label_column=label_column,
                        labels=labels, encoding=encoding, feature_columns=feature_columns,
                        exclude_columns=exclude_columns, drop_duplicate_ids=drop_duplicate_ids,
                        chunk_rows=chunk_rows, kept_columns=kept_columns, own_features=own_features)
    frames, ids, row_labels = [], [], []
    for chunk in stream.chunks():
        frames.append(chunk.frame)
        ids += chunk.ids
        if chunk.labels is not None:
            row_labels += chunk.labels
        if progress is not None:
            progress(chunk.rows_done)
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    if len(frames) > 1:
        frame = frame.astype({c: object for c in frame.columns if frame[c].dtype == object or frame[c].isna().any()})
        frame = frame.where(frame.notna(), None) if frame.isna().any().any() else frame
    return ImportedItems(
        frame=frame, ids=ids, kind=stream.kind, text_column=stream.text_column,
        feature_columns=list(stream.feature_columns), labels=row_labels if label_column else None,
        duplicates=stream.duplicates, source=stream.source, label_like=list(stream.label_like),
        repeated_ids=stream.repeated_ids, identical_texts=stream.identical_texts,
    )


def _is_conll(data: Any) -> bool:
    """``data`` is a CoNLL / IOB file (read as texts with a ``spans`` column)."""
    from hilt.importing.conll import CONLL_SUFFIXES

    return isinstance(data, (str, Path)) and Path(data).suffix.lower() in CONLL_SUFFIXES

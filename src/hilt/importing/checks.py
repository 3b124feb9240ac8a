"""The checks every chunk of items goes through, and the result of reading them whole.

:func:`check_chunk` takes one chunk as read (a :class:`RawChunk`: a DataFrame and the file
line each row started on) and returns it checked (:class:`CheckedChunk`), or raises an
:class:`hilt.errors.InputError` that says what was expected, what came and where. The first
chunk of an input also decides what kind of items it holds (:class:`Decided`); every later
chunk is checked against that decision (see :class:`hilt.importing.ItemStream`).

Where a message points into the input it uses:

* ``line N`` for CSV/TSV and JSON lines: the 1-based line of the file, as an editor shows it.
  The CSV header is line 1, so the first data row is line 2 (a quoted field that spans lines
  moves the following rows down accordingly).
* ``row N (counting from 0)`` for Parquet and DataFrames: the 0-based position, as
  ``frame.iloc[N]`` addresses it.

Items without an id column get their 0-based data row number as id (``"0"``, ``"1"``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from hilt.errors import InputError
from hilt.importing.chunk import RawChunk
from hilt.importing.kinds import _holds_labels, _is_number, _is_numeric_column, _is_string_column, _kind
from hilt.importing.values import _as_text, _is_missing, _plain

__all__ = ["CheckedChunk", "Decided", "ImportedItems", "RawChunk", "check_chunk", "score_cell", "shorten_columns"]

#: How many skipped repeated ids :class:`ImportedItems` names (with their lines) for messages.
REPORTED_REPEATS = 5


@dataclass
class ImportedItems:
    """Items read by :func:`read_items`, checked and ready to store.

    Attributes
    ----------
    frame : pandas.DataFrame
        The item data, one row per item (duplicates removed), without the id and label
        columns. Text items: the text column plus any other columns (kept as context).
        Table items: the numeric feature columns (plus any non-numeric extras). Index 0..n-1.
        Datetimes are ISO strings and missing values in non-feature columns are ``None``, so
        ``frame.to_dict("records")`` is JSON-able; :meth:`records` guarantees plain Python values.
    ids : list of str
        One id per row: the id column as text, else the 0-based data row number.
    kind : {"text", "table"}
    text_column : str or None
        The column that holds the text (``kind == "text"``).
    feature_columns : list of str
        The numeric columns a table model uses (``kind == "table"``); empty for text.
    labels : list of (str or None) or None
        The label of each row from the label column (``None`` where the cell is empty), or
        ``None`` when no label column was given.
    duplicates : int
        Rows skipped because their id already appeared earlier in the same input (the first
        one is kept).
    source : str
        Where the items came from (a file name, or ``"DataFrame"``), for messages.
    label_like : list of str
        Columns of ``frame`` besides the text whose values are all label names (``labels``
        given): they may hold the answers, so a project does not show them to annotators
        unless asked.
    repeated_ids : list of (str, str)
        The first few skipped repeated ids and where each was (``"line 7"`` / ``"row 5"``).
    identical_texts : int
        Rows whose text is the same as an earlier row's (text items; they are kept).
    """

    frame: pd.DataFrame
    ids: list[str]
    kind: str
    text_column: str | None
    feature_columns: list[str] = field(default_factory=list)
    labels: list[str | None] | None = None
    duplicates: int = 0
    source: str = "DataFrame"
    label_like: list[str] = field(default_factory=list)
    repeated_ids: list[tuple[str, str]] = field(default_factory=list)
    identical_texts: int = 0

    def __len__(self) -> int:
        return len(self.ids)

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts of plain, JSON-able Python values (NaN becomes ``None``).

        Examples
        --------
        >>> import pandas as pd
        >>> from hilt.importing import read_items
        >>> items = read_items(pd.DataFrame({"x": [1, 2], "y": [0.5, 1.5]}))
        >>> items.records()
        [{'x': 1, 'y': 0.5}, {'x': 2, 'y': 1.5}]
        """
        columns = [str(c) for c in self.frame.columns]
        return [
            {name: _plain(value) for name, value in zip(columns, row)}
            for row in self.frame.itertuples(index=False, name=None)
        ]


def _names(columns: Sequence[str] | None, option: str) -> list[str] | None:
    """A list of column names (``None`` stays ``None``); a lone string is a mistake, not one name per letter."""
    if columns is None:
        return None
    if isinstance(columns, str) or not all(isinstance(c, (str, int)) for c in columns):
        raise InputError(f"Expected {option} as a list of column names like ['age', 'height']; got {columns!r}.")
    names = [str(c) for c in columns]
    if option == "feature_columns" and not names:
        raise InputError("Expected at least one name in feature_columns (--feature-columns); got none.")
    return names


def shorten_columns(names: Sequence[str], limit: int = 8) -> str:
    """Column names for a message: all of them when few, else the first, the last and the count.

    Examples
    --------
    >>> from hilt.importing import shorten_columns
    >>> shorten_columns(["age", "height"])
    'age, height'
    >>> shorten_columns([f"px{i}" for i in range(784)])
    'px0, px1, ... px783 (784 columns)'
    """
    names = [str(n) for n in names]
    if len(names) <= limit:
        return ", ".join(names)
    return f"{names[0]}, {names[1]}, ... {names[-1]} ({len(names):,} columns)"


def _column_names(columns: Any, source: str) -> list[str]:
    names = [str(c) for c in columns]
    duplicated = sorted({c for c in names if names.count(c) > 1})
    if duplicated:
        raise InputError(f"{source}: expected distinct column names, got {duplicated} more than once.")
    return names


# --- checking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decided:
    """What the first chunk of an input decided, and every later chunk is held to.

    Attributes
    ----------
    kind : {"text", "table"}
    text_column : str or None
    feature_columns : list of str
    label_like : list of str
        Columns of the first chunk whose values are all label names (hidden from annotators).
    """

    kind: str
    text_column: str | None
    feature_columns: list[str]
    label_like: list[str]


@dataclass
class CheckedChunk:
    """One chunk, checked: the rows to store (repeated ids dropped when asked) and their ids."""

    frame: pd.DataFrame
    ids: list[str]
    labels: list[str | None] | None
    #: Data rows of the input this chunk consumed (repeats included).
    rows: int
    #: Each row's suggestion ``(stored answer or None, score or None)``, or ``None`` without a suggestion column.
    suggestions: list[tuple[str | None, float | None]] | None = None


def check_chunk(
    raw: RawChunk,
    *,
    text_column: str | None,
    id_column: str | None,
    label_column: str | None,
    labels: Sequence[str] | None,
    feature_columns: list[str] | None = None,
    exclude_columns: Sequence[str] = (),
    unique: Any = None,
    decided: Decided | None = None,
    parse_label: Callable[[Any, str, str | None], str | None] | None = None,
    kept_columns: Mapping[str, str] | None = None,
    own_features: bool = False,
    suggestion_column: str | None = None,
    suggestion_score_column: str | None = None,
) -> tuple[CheckedChunk, Decided]:
    """Check one chunk; the first (``decided=None``) also decides the kind, text and features.

    ``unique`` (a :class:`hilt.importing.ids.UniqueIds`) tells which ids came earlier in the
    same input and refuses them (or drops them, as it was asked). A later chunk is read as the
    first decided: its text column must hold text, its feature columns numbers, and a column the
    first chunk had that a later one lacks (a JSON line without the key) counts as empty cells.
    ``parse_label(cell, where, text)``, when given, reads each label cell instead of the one-label
    check (a project's task gives it: a multi-label cell holds a list, a spans cell offsets into
    ``text``, the row's text or ``None`` for table rows); it returns the stored answer.

    ``kept_columns`` maps columns that are data with a role of their own (the items' vectors,
    an image's path) to how the user named them, for the message when one is missing: they are
    never the text nor a table feature. ``own_features``: the features come from such a column
    or from a file, so a table with no numeric column is still items.
    ``suggestion_column`` (another model's answer, read like a label cell) and
    ``suggestion_score_column`` (its confidence, 0 to 1) are left out of the data like the label
    column: never a feature, never shown.
    """
    kept = dict(kept_columns or {})
    frame = raw.frame.reset_index(drop=True)
    if len(frame) == 0:
        raise InputError(f"Expected items in {raw.source}, but it has no rows.")
    if decided is None:
        _check_columns(frame, raw, text_column=text_column, id_column=id_column, label_column=label_column,
                       feature_columns=feature_columns, exclude_columns=exclude_columns,
                       suggestion_columns=(suggestion_column, suggestion_score_column))
        for column, role in kept.items():
            if column not in frame.columns:
                raise InputError(f"Expected {role} named {column!r} in {raw.source}; the columns are: "
                                 f"{', '.join(map(str, frame.columns))}.")
    else:
        wanted = [c for c in (decided.text_column, id_column, label_column, suggestion_column,
                              suggestion_score_column, *decided.feature_columns, *kept) if c]
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            frame = frame.assign(**{c: None for c in missing})
    columns = list(frame.columns)

    ids = _ids(frame, id_column, raw)
    keep = unique.keep(ids, raw) if unique is not None else list(range(len(ids)))
    ids = ids if len(keep) == len(ids) else [ids[p] for p in keep]

    data = frame.drop(columns=[c for c in (id_column, label_column, suggestion_column, suggestion_score_column) if c])
    if len(keep) != len(frame):
        data = data.iloc[keep].reset_index(drop=True)
    if data.shape[1] == 0:
        raise InputError(
            f"Expected item columns in {raw.source} besides the id and label columns; "
            f"the columns are: {', '.join(columns)}."
        )

    if decided is not None:
        kind, text, features = decided.kind, decided.text_column, decided.feature_columns
        if kind == "table":
            data = _as_numbers(data, features, raw, keep)
    elif feature_columns is not None:
        kind, text, features = "table", None, feature_columns
        data = _as_numbers(data, features, raw, keep)
    else:
        # With the labels' column named, the answer is known: a number column of values 0-9 beside
        # it is data (pixels of a digit), not a second copy of the answer.
        kind, text, features = _kind(data, text_column, raw, keep, labels, [*exclude_columns, *kept],
                                     numeric_answers=label_column is None, own_features=own_features)
    if kind == "text":
        _check_texts(data[text], text, raw, keep)
    else:
        _check_features(data, features, raw, keep)
    # Read once the texts are known: a spans cell's offsets are checked against its row's text.
    texts = data[text].tolist() if kind == "text" else [None] * len(keep)
    row_labels = (None if not label_column else _labels(frame, label_column, labels, raw, keep) if parse_label is None
                  else [parse_label(frame[label_column].iloc[p], f"{raw.where(p)}, column {label_column!r}", t)
                        for p, t in zip(keep, texts)])
    suggested = None if not suggestion_column else _suggestions(
        frame, suggestion_column, suggestion_score_column, labels, raw, keep, texts, parse_label)
    if decided is None:
        # Hidden from people even when asked for as a feature: showing is asked for separately.
        label_like = [] if labels is None else [
            c for c in data.columns if c != text and c not in kept
            and (label_column is None or _is_string_column(data[c]))
            and _holds_answers(data[c], labels, parse_label)]
        decided = Decided(kind, text, list(features), label_like)
    checked = CheckedChunk(frame=_jsonable_frame(data, features), ids=ids, labels=row_labels, rows=len(frame),
                           suggestions=suggested)
    return checked, decided


def _holds_answers(column: pd.Series, labels: Sequence[str],
                   parse_label: Callable[[Any, str, str | None], str | None] | None) -> bool:
    """Every present value of a column is an answer the project's task would take: a label name
    (:func:`~hilt.importing.kinds._holds_labels`), or, where the task reads its own cells
    (``parse_label``: a multi-label set such as ``"sport;finance"`` or a JSON list), a value
    that parses. Such a column may hold the answers, so it is hidden like a column of labels.

    Examples
    --------
    >>> import pandas as pd
    >>> from hilt.tasks import get_task
    >>> task = get_task("multilabel")
    >>> parse = lambda value, where, text: task.import_value(value, ["a", "b"], separator=";", where=where)
    >>> _holds_answers(pd.Series(["a;b", None, "b", ""]), ["a", "b"], parse)
    True
    >>> _holds_answers(pd.Series(["a;b", "a good film"]), ["a", "b"], parse)
    False
    """
    if parse_label is None:
        return _holds_labels(column, labels)
    present = False
    for value in column.dropna():
        try:
            answer = parse_label(value, "", None)
        except InputError:
            return False
        present = present or answer is not None
    return present


def _check_columns(frame: pd.DataFrame, raw: RawChunk, *, text_column: str | None, id_column: str | None,
                   label_column: str | None, feature_columns: list[str] | None,
                   exclude_columns: Sequence[str],
                   suggestion_columns: tuple[str | None, str | None] = (None, None)) -> None:
    """The named columns exist (the first chunk: a CSV's header, a JSON file's first lines)."""
    columns = list(frame.columns)
    named = (("a text", text_column), ("an id", id_column), ("a label", label_column),
             ("a suggestion", suggestion_columns[0]), ("a suggestion score", suggestion_columns[1]))
    for option, column in named:
        if column is not None and column not in columns:
            raise InputError(
                f"Expected {option} column named {column!r} in {raw.source}; the columns are: "
                f"{', '.join(columns)}."
            )
    unknown = [c for c in exclude_columns if c not in columns]  # (unknown feature columns: _as_numbers)
    if unknown:
        raise InputError(
            f"Expected --exclude-columns (exclude_columns=) to name columns of {raw.source}; "
            f"{', '.join(map(repr, unknown))} {'is' if len(unknown) == 1 else 'are'} not among them. "
            f"The columns are: {', '.join(columns)}."
        )
    given = [c for _, c in named[1:] if c]
    if len(set(given)) != len(given):
        raise InputError(f"Expected the id, label, suggestion and suggestion score columns to differ; got "
                         f"{', '.join(map(repr, given))}.")
    if feature_columns is not None:
        clash = [c for c in feature_columns if c in exclude_columns or c in (id_column, label_column, *suggestion_columns)]
        if clash:
            raise InputError(
                f"Expected the feature columns to leave out the excluded, id and label columns; "
                f"{', '.join(map(repr, clash))} {'is' if len(clash) == 1 else 'are'} both."
            )


def _ids(frame: pd.DataFrame, id_column: str | None, raw: RawChunk) -> list[str]:
    if id_column is None:
        return [str(i) for i in range(raw.offset, raw.offset + len(frame))]
    ids = []
    for position, value in enumerate(frame[id_column].tolist()):
        text = _as_text(value)
        if text is None or not text.strip():
            raise InputError(
                f"{raw.where(position)}: expected an id in column {id_column!r}, but it is empty."
            )
        ids.append(text)
    return ids


def _labels(
    frame: pd.DataFrame, label_column: str, labels: Sequence[str] | None, raw: RawChunk, keep: list[int]
) -> list[str | None]:
    allowed = None if labels is None else {str(label) for label in labels}
    values = frame[label_column].tolist()
    result: list[str | None] = []
    for position in keep:
        text = _as_text(values[position])
        text = text.strip() if text is not None and text.strip() else None
        if text is not None and allowed is not None and text not in allowed:
            raise InputError(
                f"{raw.where(position)}: expected a label from {', '.join(map(str, labels or []))} "
                f"in column {label_column!r}, got {text!r}. Fix the value, leave it empty, or add "
                "the label to the project's labels."
            )
        result.append(text)
    return result


def _suggestions(frame: pd.DataFrame, column: str, score_column: str | None, labels: Sequence[str] | None,
                 raw: RawChunk, keep: list[int], texts: list[Any],
                 parse_label: Callable[[Any, str, str | None], str | None] | None,
                 ) -> list[tuple[str | None, float | None]]:
    """Each kept row's ``(suggested answer as stored, score)``: the answer read as a label cell of
    the project's task (empty: no suggestion), the score a number from 0 to 1 (empty: none)."""
    answers = (_labels(frame, column, labels, raw, keep) if parse_label is None
               else [parse_label(frame[column].iloc[p], f"{raw.where(p)}, column {column!r}", t)
                     for p, t in zip(keep, texts)])
    scores: list[float | None] = [None] * len(keep)
    if score_column is not None:
        values = frame[score_column].tolist()
        for n, position in enumerate(keep):
            scores[n] = score_cell(values[position], raw.where(position), score_column)
    return list(zip(answers, scores))


def score_cell(value: Any, where: str, column: str) -> float | None:
    """A score cell of ``column`` (at ``where``) as a model's confidence from 0 to 1; ``None`` when empty.

    Examples
    --------
    >>> from hilt.importing.checks import score_cell
    >>> score_cell("0.25", "line 2", "p"), score_cell("", "line 3", "p")
    (0.25, None)
    """
    text = _as_text(value)
    if text is None or not text.strip():
        return None
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not 0 <= number <= 1:  # NaN fails too
        raise InputError(f"{where}: expected a score from 0 to 1 (the model's confidence) in column {column!r}, "
                         f"got {text!r}. Fix the value or leave it empty.")
    return number


def _as_numbers(data: pd.DataFrame, features: list[str], raw: RawChunk, keep: list[int]) -> pd.DataFrame:
    """``data`` with the given feature columns as numbers; a missing column or a word is an error."""
    missing = [c for c in features if c not in data.columns]
    if missing:
        raise InputError(
            f"Expected the feature columns {', '.join(features)} in {raw.source}; missing: "
            f"{', '.join(missing)} (the columns are: {', '.join(map(str, data.columns))})."
        )
    data = data.copy()
    for column in features:
        if _is_numeric_column(data[column]):
            continue
        values = data[column].tolist()
        for position, value in enumerate(values):
            if not (_is_missing(value) or isinstance(value, (int, float)) and not isinstance(value, bool)
                    or isinstance(value, str) and _is_number(value)):
                raise InputError(
                    f"{raw.where(keep[position])}: expected a number in feature column {column!r}, "
                    f"got {value!r}. Fix or remove the value."
                )
        data[column] = pd.to_numeric(data[column].astype(object).where(data[column].notna(), np.nan))
    return data


def _check_texts(texts: pd.Series, name: str, raw: RawChunk, keep: list[int]) -> None:
    for position, value in zip(keep, texts.tolist()):
        if isinstance(value, str):
            if value.strip():
                continue
            problem = "it is empty"
        elif _is_missing(value):
            problem = "it is empty"
        else:
            problem = f"got {type(value).__name__} {value!r}"
        raise InputError(
            f"{raw.where(position)}: expected text in column {name!r}, but {problem}. "
            "Fill it in or remove the row."
        )


def _check_features(data: pd.DataFrame, features: list[str], raw: RawChunk, keep: list[int]) -> None:
    values = data[features].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        what = "missing (NaN)" if np.isnan(values[row, col]) else f"{values[row, col]}"
        raise InputError(
            f"{raw.where(keep[row])}: expected a number in feature column {features[col]!r}, "
            f"got {what}. Fill in or drop rows with missing values first."
        )


def _jsonable_frame(data: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    frame = data.copy()
    for name in frame.columns:
        column = frame[name]
        if name in features:
            continue
        if pd.api.types.is_datetime64_any_dtype(column):
            frame[name] = [None if pd.isna(v) else v.isoformat() for v in column]
        elif pd.api.types.is_string_dtype(column) and not isinstance(column.dtype, pd.CategoricalDtype) \
                and not column.isna().any() and _is_string_column(column):
            frame[name] = column.astype(object)  # plain str already: no per-value conversion (the common text column)
        elif not pd.api.types.is_numeric_dtype(column) or column.isna().any():
            frame[name] = [_plain(v) for v in column.astype(object)]
    return frame

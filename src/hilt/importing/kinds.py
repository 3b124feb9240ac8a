"""What kind of items a chunk holds: which column is the text, which are features, which hold
only label names (the answers, perhaps) or look like ids. Decided on an input's first chunk
(:func:`hilt.importing.checks.check_chunk`)."""

from __future__ import annotations

import math
from typing import Sequence

import pandas as pd

from hilt.errors import InputError
from hilt.importing.chunk import RawChunk
from hilt.image_columns import pixel_names
from hilt.importing.values import _as_text, _plain

__all__: list[str] = []


def _kind(
    data: pd.DataFrame, text_column: str | None, raw: RawChunk, keep: list[int], labels: Sequence[str] | None = None,
    exclude: Sequence[str] = (), *, numeric_answers: bool = True, own_features: bool = False,
) -> tuple[str, str | None, list[str]]:
    if text_column is not None:
        return "text", text_column, []
    strings = [c for c in data.columns if c not in exclude and _is_string_column(data[c])]
    # A number column with a stray word in it ("unknown", "1,5") is read as strings. It is not
    # the text: taking it for the text would make a project that labels numbers.
    broken = [c for c in strings if _mostly_numbers(data[c])]
    strings = [c for c in strings if c not in broken]
    if not strings and broken:
        column = broken[0]
        position = next(i for i, v in enumerate(data[column].tolist()) if isinstance(v, str) and not _is_number(v))
        raise InputError(
            f"{raw.where(keep[position])}: expected a number in column {column!r} like the other rows, "
            f"got {data[column][position]!r}. Fix or remove the value; if the column is text, say so: "
            f"--text-column {column} (Python: text_column={column!r})."
        )
    # The text is never guessed to be a column of label names: that is the answers (a label
    # column passed without --label-column), and every item would display its own label. Nor
    # is it a column of unique short words: those are ids (w001, 5f2c...), and a table with a
    # string id column would otherwise become a project that labels ids.
    answers = [c for c in strings if labels is not None and _holds_labels(data[c], labels)]
    ids = [c for c in strings if c not in answers and c != "text" and _looks_like_ids(data[c])]
    candidates = [c for c in strings if c not in answers and c not in ids]
    if not candidates and own_features:
        # The items' own vectors are the features: string columns of ids or label names are
        # data beside them (a file name, say), and the items are rows, not texts.
        answers = ids = []
    if not candidates and answers:
        column = answers[0]
        found = ", ".join(sorted({str(v).strip() for v in data[column].dropna()})[:5])
        raise InputError(
            f"Expected a text column in {raw.source}, but column {column!r} holds only label names "
            f"({found}): it looks like a label column, and its values would show annotators the "
            f"answer. To import them as known labels: --label-column {column} (Python: "
            f"label_column={column!r}). If it really is the text to label, say so: --text-column "
            f"{column}."
        )
    if not candidates and ids:
        column = ids[0]
        example = data[column].iloc[0]
        raise InputError(
            f"Expected a text column in {raw.source}, but the only string column, {column!r}, holds "
            f"unique short values like {example!r}: it looks like an id, not text. Say which it is: "
            f"--id-column {column} (Python: id_column={column!r}; the numeric columns are then the "
            f"features) or, if it is the text to label, --text-column {column}."
        )
    if len(candidates) == 1:
        return "text", candidates[0], []
    if len(candidates) > 1:
        if "text" in candidates:
            return "text", "text", []
        raise InputError(
            f"Expected one text column in {raw.source}, got several string columns: "
            f"{', '.join(candidates)}. Say which holds the text: --text-column NAME "
            "(Python: text_column='NAME')."
        )
    numeric = [c for c in data.columns if c not in exclude and _is_numeric_column(data[c])]
    # A number column of label names (a digit 0-9 beside pixels, with labels 0..9) is the answer
    # written as numbers: as a feature it would hand the model the answer. A pixel of the image
    # the column names make is data even when its values stay in 0-9 (a digit's blank border).
    pixels = pixel_names(list(data.columns)) if numeric_answers and labels is not None else set()
    answers = [c for c in numeric if numeric_answers and labels is not None and str(c) not in pixels
               and _holds_labels(data[c], labels)]
    features = [c for c in numeric if c not in answers]
    if not features and own_features:  # the items' own vectors (a column or a file) are the features
        return "table", None, []
    if not features:
        held = (f" Column{'s' if len(answers) > 1 else ''} {', '.join(map(repr, answers))} "
                f"hold{'s' if len(answers) == 1 else ''} only label names, so {'they are' if len(answers) > 1 else 'it is'} "
                f"not used as features (import labels with --label-column {answers[0]}; to use "
                f"{'them' if len(answers) > 1 else 'it'} anyway: --feature-columns {','.join(answers)})."
                if answers else "")
        raise InputError(
            f"Expected a text column or numeric feature columns in {raw.source}; got neither "
            f"(columns: {', '.join(map(str, data.columns))}).{held}"
        )
    return "table", None, features


def _holds_labels(column: pd.Series, labels: Sequence[str]) -> bool:
    """Every present value of a column, written as text, is one of ``labels``, whatever its dtype.

    Numbers are compared the way a label column reads them (``3`` and ``3.0`` are ``"3"``).

    Examples
    --------
    >>> import pandas as pd
    >>> from hilt.importing.kinds import _holds_labels
    >>> _holds_labels(pd.Series(["benign", None, "malignant "]), ["malignant", "benign"])
    True
    >>> _holds_labels(pd.Series([0, 1, 1.0]), ["0", "1"])  # the answers written as numbers
    True
    >>> _holds_labels(pd.Series([0.5, 1]), ["0", "1"])
    False
    """
    allowed = {str(label) for label in labels}
    try:
        distinct = pd.unique(column.dropna())
    except TypeError:  # lists or dicts from JSON: not label names
        return False
    if len(distinct) == 0:
        return False
    present = set()
    for value in distinct:
        text = _as_text(value)
        if not isinstance(text, str) or isinstance(_plain(value), (list, dict)):
            return False
        if text.strip():
            present.add(text.strip())
        if len(present) > len(allowed):  # more distinct values than labels: stop early
            return False
    return bool(present) and present <= allowed


#: Longest value an id-like column holds; texts worth labelling are longer or hold spaces.
_ID_LENGTH = 64


def _looks_like_ids(column: pd.Series) -> bool:
    """Unique single words of at most 64 characters, most with a digit: ``r01``, ``a3f9-...``.

    Examples
    --------
    >>> import pandas as pd
    >>> from hilt.importing.kinds import _looks_like_ids
    >>> _looks_like_ids(pd.Series(["w001", "w002", "w003"])), _looks_like_ids(pd.Series(["good film", "bad"]))
    (True, False)
    """
    values = column.tolist()
    if len(values) < 2 or any(not isinstance(v, str) for v in values):
        return False
    if len(set(values)) != len(values):
        return False
    if any(not v or len(v) > _ID_LENGTH or any(ch.isspace() for ch in v) for v in values):
        return False
    return sum(any(ch.isdigit() for ch in v) for v in values) * 2 >= len(values)


def _is_string_column(column: pd.Series) -> bool:
    if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)
            or isinstance(column.dtype, pd.CategoricalDtype)):
        return False
    if isinstance(column.dtype, pd.StringDtype):  # only strings by construction (pandas 3's default)
        return bool(column.notna().any())
    present = column.dropna()
    return len(present) > 0 and all(isinstance(v, str) for v in present)


def _is_number(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _mostly_numbers(column: pd.Series) -> bool:
    """At least half of the values are numbers written as text, but not all of them."""
    present = [v for v in column.tolist() if isinstance(v, str) and v.strip()]
    numbers = sum(_is_number(v) for v in present)
    return 0 < len(present) - numbers <= numbers


def _is_numeric_column(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_complex_dtype(column)

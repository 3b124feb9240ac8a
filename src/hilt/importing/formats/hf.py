"""Hugging Face ``datasets``: a folder written by ``Dataset.save_to_disk`` (or a ``DatasetDict``'s,
one split per subfolder) or a Parquet file, read without the Hub.

The answer columns hilt reads (one per row: a dataset holds one answer per item):

* ``label``: a ``ClassLabel`` (single label; ``-1`` is no label);
* ``labels``: a ``Sequence(ClassLabel)`` (a set of labels; ``[]`` is "none of these");
* ``spans``: a list of ``{"start", "end", "label"}`` (code-point offsets into ``text``; ``label``
  a ``ClassLabel`` or a string) -- what hilt writes;
* ``tokens`` + ``ner_tags``: a ``Sequence(ClassLabel)`` of IOB tags, as CoNLL-2003 and WNUT are
  published (the text is the tokens joined by one space, as a CoNLL import makes it).

``id`` is the item id (else the row number); ``annotator`` who labelled the row (else
``import``); every other column is the item's data. A ``ClassLabel``'s names are the labels,
whether or not a row uses them. ``datasets`` is imported only here (``pip install 'hilt[hf]'``).
"""

from __future__ import annotations

import contextlib
import json
import numbers
from pathlib import Path
from typing import Any, Iterator

from hilt.errors import InputError
from hilt.importing.conll import read_conll
from hilt.importing.formats._common import check_label, check_offset_span, item_key
from hilt.importing.formats.result import Annotation, FormatItem, Interchange

__all__ = ["ANSWER_COLUMNS", "load_datasets", "quiet", "read_hf"]

#: Columns that hold answers (or who gave them), never item data.
ANSWER_COLUMNS = ("label", "labels", "spans", "ner_tags", "annotator", "id")


def load_datasets() -> Any:
    """The ``datasets`` module, or an :class:`InputError` saying how to install it."""
    try:
        import datasets
    except ImportError:
        raise InputError("Expected the Hugging Face datasets library for --format hf; it is not installed. "
                         "Install it with: pip install 'hilt[hf]'") from None
    return datasets


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No ``datasets`` progress bars meanwhile (hilt says what it did in its own words)."""
    import datasets.utils as bars

    was_off = bars.are_progress_bars_disabled()
    bars.disable_progress_bars()
    try:
        yield
    finally:
        if not was_off:
            bars.enable_progress_bars()


def _load(path: Path) -> Any:
    datasets = load_datasets()
    if not path.exists():
        raise InputError(f"Expected a Hugging Face dataset at {path} (a save_to_disk folder or a .parquet file), "
                         "but there is no such file or folder.")
    if path.is_dir():
        try:
            found = datasets.load_from_disk(str(path))
        except (FileNotFoundError, ValueError, json.JSONDecodeError) as error:
            raise InputError(f"Expected a folder written by Dataset.save_to_disk at {path}; it cannot be read as "
                             f"one: {error}") from None
        if isinstance(found, datasets.DatasetDict):
            if not found:
                raise InputError(f"Expected rows in the dataset at {path}; it has no split.")
            return datasets.concatenate_datasets([found[name] for name in found])
        return found
    if path.suffix.lower() not in (".parquet", ".pq"):
        raise InputError(f"Expected a save_to_disk folder or a .parquet file for --format hf; got {path.name!r}.")
    try:
        return datasets.Dataset.from_parquet(str(path), keep_in_memory=True)
    except Exception as error:  # pyarrow's errors have no common base that says "not Parquet"
        raise InputError(f"Expected a Parquet file at {path}; it cannot be read as one: {error}") from None


def _names(feature: Any) -> list[str] | None:
    """The names of a ClassLabel, or of the ClassLabel inside a list / Sequence feature."""
    datasets = load_datasets()
    if isinstance(feature, datasets.ClassLabel):
        return list(feature.names)
    inner = getattr(feature, "feature", None)
    if inner is None and isinstance(feature, list) and feature:
        inner = feature[0]
    if isinstance(inner, dict):
        return None
    return _names(inner) if inner is not None else None


def _class(value: Any, names: list[str] | None, where: str) -> str:
    if names is None:
        return check_label(value, where)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value < len(names):
        raise InputError(f"{where}: expected a class index from 0 to {len(names) - 1} ({', '.join(names)}); "
                         f"got {value!r}.")
    return names[value]


def read_hf(data: Any) -> Interchange:
    """The rows of a Hugging Face dataset (folder or Parquet file) as items and their answers."""
    if not isinstance(data, (str, Path)):
        raise InputError(f"Expected a Hugging Face dataset as a path; got {type(data).__name__}.")
    path = Path(data)
    load_datasets()
    with quiet():
        dataset = _load(path)
    features = dataset.features
    columns = list(features)
    answer = next((c for c in ("spans", "ner_tags", "labels", "label") if c in columns), None)
    if answer == "ner_tags" and "tokens" not in columns:
        raise InputError(f"{path.name}: expected a tokens column beside ner_tags; the columns are {', '.join(columns)}.")
    if "text" not in columns and answer != "ner_tags":
        raise InputError(f"{path.name}: expected a text column; the columns are {', '.join(columns)}.")
    names = None
    if answer == "spans":
        inner = features["spans"]
        inner = getattr(inner, "feature", inner[0] if isinstance(inner, list) and inner else inner)
        names = _names(inner.get("label")) if isinstance(inner, dict) else None
    elif answer is not None:
        names = _names(features[answer])
    data_columns = [c for c in columns if c not in ANSWER_COLUMNS and not ("ner_tags" in columns and c == "tokens")]
    items, annotations = [], []
    seen: dict[str, int] = {}
    for number, row in enumerate(dataset, start=1):
        where = f"{path.name}, row {number}"
        key = item_key(row["id"], where) if "id" in columns else str(number - 1)
        if key in seen:
            raise InputError(f"{where}: expected each id once; {key!r} repeats row {seen[key]}.")
        seen[key] = number
        payload = {c: row[c] for c in data_columns}
        if answer == "ner_tags":
            tokens, tags = row["tokens"], row["ner_tags"]
            if len(tokens) != len(tags):
                raise InputError(f"{where}: expected one tag per token; got {len(tokens)} tokens, {len(tags)} tags.")
            if not tokens:
                raise InputError(f"{where}: expected tokens; the row has none.")
            lines = [f"{token}\t{_class(tag, names, where)}" for token, tag in zip(tokens, tags)]
            texts, spans = read_conll(lines, source=where)
            payload = {"text": texts[0], **payload}
        items.append(FormatItem(key, payload))
        who = str(row["annotator"]) if "annotator" in columns and row["annotator"] not in (None, "") else "import"
        if answer == "label":
            if row["label"] is None or row["label"] == -1:
                continue
            annotations.append(Annotation(key, who, choices=(_class(row["label"], names, where),), where=where))
        elif answer == "labels":
            if row["labels"] is None:
                continue
            annotations.append(Annotation(key, who, choices=tuple(_class(v, names, where) for v in row["labels"]),
                                          where=where))
        elif answer == "spans":
            if row["spans"] is None:
                continue
            text = payload.get("text")
            marked = tuple(check_offset_span(s, _class(s.get("label"), names, f"{where}, span {n}") if isinstance(s, dict)
                                             else None, text, f"{where}, span {n}")
                           for n, s in enumerate(row["spans"], start=1))
            annotations.append(Annotation(key, who, spans=marked, where=where))
        elif answer == "ner_tags":
            annotations.append(Annotation(key, who, spans=tuple(spans[0]), where=where))
    if not items:
        raise InputError(f"Expected rows in the dataset at {path}; it has none.")
    if answer == "ner_tags" and names is not None:
        names = list(dict.fromkeys(n.partition("-")[2] for n in names if n != "O"))
    return Interchange("hf", items, annotations, [], names)

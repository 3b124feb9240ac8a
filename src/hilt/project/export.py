"""Writing answers out: the :class:`Export` service, the row shape of an export, and the JSON
lines / CSV / Parquet writers."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Sequence

import numpy as np

from hilt.errors import InputError
from hilt.project.export_file import checked_target, write_whole
from hilt.tasks.multilabel import DEFAULT_SEPARATOR

if TYPE_CHECKING:
    import pandas as pd

    from hilt.project.configuration import Configuration
    from hilt.project.training import Training
    from hilt.store import Store

__all__ = ["EXPORT_FORMATS", "EXPORT_SUFFIXES", "Export", "export_columns", "export_row", "json_text", "json_value",
           "write_rows"]

EXPORT_SUFFIXES = (".jsonl", ".csv", ".parquet")
#: Export format names (``format=``), each the suffix without its dot.
EXPORT_FORMATS = tuple(suffix[1:] for suffix in EXPORT_SUFFIXES)
_FIXED = ("item_id", "label", "annotator", "answered_at", "answer_id", "retracted", "role", "seconds", "batch",
          "kept_suggestion")
#: Columns only an export of every answer has (``include_retracted``): how it stands, and how it
#: was given (seconds spent, the bulk labelling it was part of, whether it kept a suggestion;
#: empty when not recorded).
_ALL_ONLY = ("retracted", "role", "seconds", "batch", "kept_suggestion")


class Export:
    """The labels (and the model's predictions) of the project in ``store``, as rows and files."""

    def __init__(self, store: "Store", config: "Configuration", training: "Training"):
        self._store = store
        self._config = config
        self._training = training

    def export_rows(self, include_retracted: bool = False) -> list[dict]:
        """One flat dict per current label (or per answer of any kind with ``include_retracted``):
        ``item_id, label, annotator, answered_at, answer_id[, retracted]`` and the item's data.
        ``label`` is the decoded answer: a list in label order for a multi-label project."""
        task, labels = self._store.task, self._config.settings.labels
        rows = []
        for a in self._store.answer_rows(include_retracted=include_retracted):
            a["label"] = task.decode(a["label"], labels)
            rows.append(export_row(a, include_retracted=include_retracted))
        return rows

    def export(self, path: Any, *, include_retracted: bool = False, format: str | None = None,
               overwrite: bool = True, label_separator: str = DEFAULT_SEPARATOR, one_hot: bool = False) -> int:
        """Write :meth:`export_rows` to ``path``; returns the row count.

        ``path`` ends in ``.jsonl``, ``.csv`` or ``.parquet`` (or ``format`` says which), or is an
        open text stream such as ``sys.stdout`` (``jsonl`` unless ``format="csv"``). The header
        always has the item's data columns, also when nothing is labelled yet. With
        ``overwrite=False`` an existing file is refused (:class:`hilt.errors.InputError`).

        A multi-label project's ``label`` is a list in JSON lines and Parquet, and its labels
        joined by ``label_separator`` (default ``;``) in CSV, ``[]`` for "none of these";
        ``one_hot=True`` adds a 0/1 column ``label_<name>`` per label after ``label``.

        Examples
        --------
        >>> import io, tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["good", "bad"], "stars": [5, 1]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"]) as project:
        ...     out = io.StringIO()
        ...     project.export(out, format="csv")
        ...     print(out.getvalue().strip())
        0
        item_id,label,annotator,answered_at,answer_id,text,stars
        """
        from hilt.importing.formats import FORMATS

        if format in FORMATS:  # another tool's format (Label Studio, Prodigy, Hugging Face)
            return self._export_format(path, format, include_retracted=include_retracted, overwrite=overwrite)
        if _is_conll(path, format):
            return self._export_conll(path, include_retracted=include_retracted, overwrite=overwrite)
        rows = self.export_rows(include_retracted=include_retracted)
        columns = export_columns(self._config.data_columns or self._first_item_columns(),
                                 include_retracted=include_retracted)
        task, labels = self._store.task, list(self._config.settings.labels)
        if one_hot and not task.multilabel:
            raise InputError("Expected one_hot only for a multi-label project (one-hot columns of its label sets); "
                             f"this project's task is {task.name!r}.")
        if not isinstance(label_separator, str) or not label_separator:
            raise InputError(f"Expected label_separator to be a non-empty string; got {label_separator!r}.")
        if task.multilabel:
            rows, columns = self._multilabel_rows(rows, columns, export_format(path, format), label_separator,
                                                  one_hot, labels)
        for row in rows:
            columns += [c for c in row if c not in columns]
        return write_rows(path, rows, columns, format=format, overwrite=overwrite,
                          list_columns=("label",) if task.multilabel else ())

    def _export_format(self, path: Any, format: str, *, include_retracted: bool, overwrite: bool) -> int:
        """The final answers (and suggestions) in another tool's format (:mod:`hilt.project.export_formats`)."""
        from hilt.project.export_formats import write_format
        from hilt.project.suggestions import Suggestions

        if include_retracted:
            raise InputError(f"Expected a {format} export of the final answers only (one annotation per item); "
                             "export every answer with --all to .jsonl, .csv or .parquet.")
        suggestions = Suggestions(self._store, self._config).rows() if format == "label-studio" else []
        return write_format(self._store, self._config, suggestions, path, format, overwrite=overwrite)

    def _export_conll(self, path: Any, *, include_retracted: bool, overwrite: bool) -> int:
        """A spans project's current answers as CoNLL IOB2 (:mod:`hilt.project.export_spans`)."""
        from hilt.project.export_spans import conll_texts_and_spans, write_conll_export

        task = self._store.task
        if task.widget != "spans":
            raise InputError(f"Expected a spans project for a CoNLL export (tokens tagged B-/I-/O); this project's "
                             f"task is {task.name!r}. Export .jsonl, .csv or .parquet.")
        if include_retracted:
            raise InputError("Expected a CoNLL export of the current answers only (one sentence per item); "
                             "export every answer with --all to .jsonl, .csv or .parquet.")
        texts, spans = conll_texts_and_spans(self.export_rows())
        return write_conll_export(path, texts, spans, overwrite=overwrite)

    def _multilabel_rows(self, rows: list[dict], columns: list[str], format: str, separator: str, one_hot: bool,
                         labels: list[str]) -> tuple[list[dict], list[str]]:
        """Rows whose sets are written as ``format`` holds them, with one-hot columns if asked."""
        task = self._store.task
        hot = [f"label_{name}" for name in labels] if one_hot else []
        if hot:
            at = columns.index("label") + 1
            columns = columns[:at] + hot + columns[at:]
        out = []
        for row in rows:
            chosen = row["label"]
            fixed: dict[str, Any] = {}
            for key, value in row.items():
                if key != "label":
                    fixed[key] = value
                    continue
                fixed["label"] = task.export_value(chosen, format=format, separator=separator)
                for name in labels if hot else ():  # right after the set; a skip has none
                    fixed[f"label_{name}"] = None if chosen is None else int(name in chosen)
            out.append(fixed)
        return out, columns

    def _first_item_columns(self) -> list[str]:
        """The data columns of a project made before they were recorded: the first item's."""
        batches = self._store.iter_item_data(batch=1)
        try:
            _, datas = next(batches, ([], []))
        finally:
            batches.close()
        return list(datas[0]) if datas else []

    def export_predictions(self, path: Any, *, format: str | None = None, overwrite: bool = True,
                           label_separator: str = DEFAULT_SEPARATOR) -> int:
        """Write :meth:`hilt.Project.predictions` to ``path`` (as :meth:`export` writes); returns the
        row count. One probability column ``prob_<label>`` per label; a multi-label project's
        ``label`` and ``predicted`` sets are written as :meth:`export` writes ``label``."""
        frame = self._training.predictions()
        rows = [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
                for row in frame.to_dict("records")]
        task = self._store.task
        if task.multilabel:
            written = export_format(path, format)
            rows = [{**row, **{k: task.export_value(row[k], format=written, separator=label_separator)
                               for k in ("label", "predicted")}} for row in rows]
        return write_rows(path, rows, list(frame.columns), format=format, overwrite=overwrite,
                          list_columns=("label", "predicted") if task.multilabel else ())

    def labelled_items(self) -> "pd.DataFrame":
        """Items with a current label: their data columns plus ``label``, indexed by item id."""
        import pandas as pd

        task, labels = self._store.task, self._config.settings.labels
        rows = self._store.labelled_rows()
        frame = pd.DataFrame([{**data, "label": task.decode(label, labels)} for _, data, label in rows])
        frame.index = pd.Index([key for key, _, _ in rows], name="item_id")
        return frame


def _is_conll(path: Any, format: str | None) -> bool:
    """An export to CoNLL IOB2: ``format="conll"``, or a path ending in ``.conll`` / ``.iob``."""
    from hilt.importing.conll import CONLL_SUFFIXES

    if format is not None:
        return format == "conll"
    return isinstance(path, (str, Path)) and Path(path).suffix.lower() in CONLL_SUFFIXES


def export_row(answer: dict[str, Any], *, include_retracted: bool) -> dict[str, Any]:
    """One flat export row: the answer's fields, then the item's data fields.

    A data field whose name clashes with an answer field is written as ``data_<name>``.

    Examples
    --------
    >>> from hilt.project.export import export_row
    >>> export_row({"item_id": "1", "label": "pos", "annotator": "ada", "answered_at": "t",
    ...             "answer_id": "u", "retracted": False, "role": "annotate", "batch": None, "data": {"text": "hi", "label": 3}},
    ...            include_retracted=False)
    {'item_id': '1', 'label': 'pos', 'annotator': 'ada', 'answered_at': 't', 'answer_id': 'u', 'text': 'hi', 'data_label': 3}
    """
    # ``label`` comes decoded by the project's task (Export writes a set as its format holds it).
    fixed = [k for k in _FIXED if include_retracted or k not in _ALL_ONLY]
    row = {k: answer.get(k) for k in fixed}
    for name, value in answer["data"].items():
        row[f"data_{name}" if name in fixed else name] = value
    return row


def export_columns(data_columns: Sequence[str], *, include_retracted: bool) -> list[str]:
    """The columns of an export: the answer's fields, then the data columns (renamed as in
    :func:`export_row`), so that even an export without rows has the full header.

    Examples
    --------
    >>> from hilt.project.export import export_columns
    >>> export_columns(["text", "label"], include_retracted=False)
    ['item_id', 'label', 'annotator', 'answered_at', 'answer_id', 'text', 'data_label']
    """
    columns = [k for k in _FIXED if include_retracted or k not in _ALL_ONLY]
    return columns + [f"data_{name}" if name in columns else name for name in data_columns]


def json_value(value: Any) -> Any:
    """``value`` as strict JSON can hold it: a missing value (``NaN``, ``pd.NA``, ``NaT``) or an
    infinite number becomes ``None`` (``null``), numpy scalars become Python ones, lists and dicts
    are converted all the way down.

    ``json.dumps`` would write ``NaN`` and ``Infinity``, which JSON does not have: most parsers
    (JavaScript's ``JSON.parse``, ``jq``, Go, Java) refuse such a line. A missing value in a
    pandas column of strings is ``NaN``, so every unlabelled item of a predictions export was one.
    The import reads an infinite number as missing too, so this keeps what the project holds.

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.project.export import json_value
    >>> json_value({"label": float("nan"), "p": np.float32(0.5), "tags": [float("inf"), "a"]})
    {'label': None, 'p': 0.5, 'tags': [None, 'a']}
    """
    if isinstance(value, dict):
        return {key: json_value(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_value(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    pandas = sys.modules.get("pandas")  # pd.NA and pd.NaT exist only once pandas is loaded
    if pandas is not None and (value is pandas.NA or value is pandas.NaT):
        return None
    return value


def json_text(value: Any, *, indent: int | None = None, default: Any = None) -> str:
    """``value`` as strict JSON text (:func:`json_value` first): what every ``--json`` output and
    JSON lines export writes. Light to import (no pandas), for ``hilt status --json``.
    ``default`` turns what JSON cannot hold into something it can, as for ``json.dumps``.

    Examples
    --------
    >>> from hilt.project.export import json_text
    >>> json_text({"kappa": float("nan"), "n": 3})
    '{"kappa": null, "n": 3}'
    """
    # allow_nan=False: should a non-finite number ever get past json_value, this fails (a bug)
    # instead of writing text that is not JSON.
    return json.dumps(json_value(value), indent=indent, ensure_ascii=False, allow_nan=False, default=default)


def export_format(path: Any, format: str | None) -> str:
    """The format an export to ``path`` is written in: ``format``, else the suffix's, else
    ``jsonl`` (a stream, or a name :func:`write_rows` refuses anyway).

    Examples
    --------
    >>> export_format("labels.CSV", None), export_format("x.jsonl", "parquet"), export_format(None, None)
    ('csv', 'parquet', 'jsonl')
    """
    if format is not None:
        return format
    suffix = Path(path).suffix.lower() if isinstance(path, (str, Path)) else ""
    return suffix[1:] if suffix in EXPORT_SUFFIXES else "jsonl"


def write_rows(path: str | Path | IO[str], rows: Sequence[dict[str, Any]], columns: Sequence[str], *,
               format: str | None = None, overwrite: bool = True, list_columns: Sequence[str] = ()) -> int:
    """Write ``rows`` to ``path`` as JSON lines, CSV or Parquet (by its suffix); return the row count.

    The file is written beside ``path`` under a temporary name and moved into place when
    complete, so a failed export never leaves a half-written file where the last good one was.
    JSON lines are strict JSON: a missing or infinite number is ``null`` (:func:`json_value`),
    never ``NaN``; in CSV it is an empty cell.
    In CSV, list and dict values (from JSON lines items) are written as JSON, so they read back;
    in Parquet such columns (and columns mixing types) are written as JSON text.

    ``path`` may also be an open text stream (e.g. ``sys.stdout``), written in ``format``
    (``jsonl`` or ``csv``; default ``jsonl``). ``format`` overrides the suffix of a path.
    With ``overwrite=False`` an existing file is refused (:class:`InputError`). ``list_columns``
    hold lists of strings that Parquet keeps as list columns (a multi-label project's sets).

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> from hilt.project.export import write_rows
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "labels.csv"
    >>> write_rows(path, [{"item_id": "1", "label": "pos", "tags": ["a", "b"]}], ["item_id", "label", "tags"])
    1
    >>> print(path.read_text().strip())
    item_id,label,tags
    1,pos,"[""a"", ""b""]"
    """
    if format is not None and format not in EXPORT_FORMATS:
        raise InputError(f"Expected an export format from {', '.join(EXPORT_FORMATS)}; got {format!r}.")
    if hasattr(path, "write"):
        if format == "parquet":
            raise InputError("Expected a file name for a Parquet export (it is binary); standard output "
                             "takes jsonl or csv.")
        _write_text(path, rows, columns, format or "jsonl")  # type: ignore[arg-type]
        return len(rows)
    path = Path(path)
    suffix = f".{format}" if format else path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise InputError(f"Expected an export file ending in .jsonl, .csv or .parquet; got {path.name!r}.")
    checked_target(path, overwrite=overwrite, suffix=suffix)

    def write(tmp: Path) -> None:
        if suffix == ".parquet":
            _parquet_frame(rows, columns, list_columns).to_parquet(tmp, index=False)
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as out:
                _write_text(out, rows, columns, suffix[1:])

    write_whole(path, write)
    return len(rows)


def _write_text(out: IO[str], rows: Sequence[dict[str, Any]], columns: Sequence[str], format: str) -> None:
    if format == "jsonl":
        for row in rows:
            out.write(json_text(row) + "\n")
        return
    import pandas as pd

    frame = pd.DataFrame([{k: _csv_value(v) for k, v in row.items()} for row in rows], columns=list(columns))
    frame.to_csv(out, index=False, lineterminator="\n")


def _parquet_frame(rows: Sequence[dict[str, Any]], columns: Sequence[str],
                   list_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Rows as a frame Parquet can store: a column of nested or mixed values becomes JSON text
    (but ``list_columns``, lists of strings, stay lists)."""
    import pandas as pd

    frame = pd.DataFrame(list(rows), columns=list(columns))
    for name in frame.columns:
        if name in list_columns:
            continue
        values = [v for v in frame[name].tolist() if v is not None and not (isinstance(v, float) and v != v)]
        kinds = {type(v) for v in values}
        if kinds & {list, dict} or len(kinds - {int, float}) > 1 or (kinds - {int, float} and kinds & {int, float}):
            frame[name] = [None if json_value(v) is None else v if isinstance(v, str) else json_text(v)
                           for v in frame[name].astype(object).tolist()]
        elif not values:
            frame[name] = frame[name].astype(object)
    return frame


def _csv_value(value: Any) -> Any:
    return json_text(value) if isinstance(value, (list, dict)) else value

"""Writing answers out: the row shape of an export, and the JSON lines / CSV writers."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from hilt.errors import InputError

__all__ = ["EXPORT_SUFFIXES", "export_row", "write_rows"]

EXPORT_SUFFIXES = (".jsonl", ".csv")
_FIXED = ("item_id", "label", "annotator", "answered_at", "answer_id", "retracted")


def export_row(answer: dict[str, Any], *, include_retracted: bool) -> dict[str, Any]:
    """One flat export row: the answer's fields, then the item's data fields.

    A data field whose name clashes with an answer field is written as ``data_<name>``.

    Examples
    --------
    >>> from hilt.project.export import export_row
    >>> export_row({"item_id": "1", "label": "pos", "annotator": "ada", "answered_at": "t",
    ...             "answer_id": "u", "retracted": False, "data": {"text": "hi", "label": 3}},
    ...            include_retracted=False)
    {'item_id': '1', 'label': 'pos', 'annotator': 'ada', 'answered_at': 't', 'answer_id': 'u', 'text': 'hi', 'data_label': 3}
    """
    row = {k: answer[k] for k in _FIXED if include_retracted or k != "retracted"}
    for name, value in answer["data"].items():
        row[f"data_{name}" if name in _FIXED else name] = value
    return row


def write_rows(path: str | Path, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> int:
    """Write ``rows`` to ``path`` as JSON lines or CSV (by its suffix); return the row count.

    The file is written beside ``path`` under a temporary name and moved into place when
    complete, so a failed export never leaves a half-written file where the last good one was.
    In CSV, list and dict values (from JSON lines items) are written as JSON, so they read back.

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
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise InputError(f"Expected an export file ending in .jsonl or .csv; got {path.name!r}.")
    if not path.parent.is_dir():
        raise InputError(f"Expected an existing folder for the export at {path.parent}, but there is none.")
    if path.is_dir():
        raise InputError(f"Expected a file name for the export, like {path / ('labels' + suffix)}; {path} is a folder.")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        if suffix == ".jsonl":
            with open(tmp, "w", encoding="utf-8") as out:
                for row in rows:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            frame = pd.DataFrame([{k: _csv_value(v) for k, v in row.items()} for row in rows], columns=list(columns))
            frame.to_csv(tmp, index=False)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return len(rows)


def _csv_value(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value

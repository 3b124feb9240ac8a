"""Writing answers out: the row shape of an export, and the JSON lines / CSV writers."""

from __future__ import annotations

import json
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
    """Write ``rows`` to ``path`` as JSON lines or CSV (by its suffix); return the row count."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise InputError(f"Expected an export file ending in .jsonl or .csv; got {path.name!r}.")
    if not path.parent.is_dir():
        raise InputError(f"Expected an existing folder for the export at {path.parent}, but there is none.")
    if suffix == ".jsonl":
        with open(path, "w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        pd.DataFrame(list(rows), columns=list(columns)).to_csv(path, index=False)
    return len(rows)

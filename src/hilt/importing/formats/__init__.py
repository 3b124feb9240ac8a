"""Read the files other labelling tools write: Label Studio (JSON and JSON_MIN), Prodigy (JSON
lines) and Hugging Face ``datasets`` (a ``save_to_disk`` folder or Parquet).

Each reader returns an :class:`Interchange`: the items (id and data), the annotations people
made (who, the labels chosen or the spans marked, accepted or not) and the predictions a model
made (label or spans, score, model version), in a shape no task knows yet: the project turns them
into answers and suggestions of its task (:mod:`hilt.project.format_import`); the writers are
:mod:`hilt.project.export_formats`. Every reader is strict: a malformed file is an
:class:`~hilt.errors.InputError` naming the task, line or row, and what was expected.

Examples
--------
>>> read_format("tasks.json", "labelstudio")
Traceback (most recent call last):
...
hilt.errors.InputError: Expected a format from label-studio, label-studio-min, prodigy, hf; got 'labelstudio'.
"""

from __future__ import annotations

from typing import Any

from hilt.errors import InputError
from hilt.importing.formats.result import VERDICTS, Annotation, FormatItem, Interchange, Prediction

__all__ = ["FORMATS", "VERDICTS", "Annotation", "FormatItem", "Interchange", "Prediction", "check_format",
           "read_format"]

#: The interchange formats hilt reads and writes (``--format``).
FORMATS = ("label-studio", "label-studio-min", "prodigy", "hf")


def check_format(format: Any) -> str:
    """``format`` if it is one of :data:`FORMATS`, else an :class:`InputError` listing them."""
    if format not in FORMATS:
        raise InputError(f"Expected a format from {', '.join(FORMATS)}; got {format!r}.")
    return format


def read_format(data: Any, format: str, *, label_key: str | None = None) -> Interchange:
    """Read ``data`` (a path) written in ``format`` (:data:`FORMATS`).

    ``label_key``: for ``label-studio-min``, the key holding the answers (the labelling config's
    ``from_name``; default ``label``, else the one key holding spans).
    """
    check_format(format)
    if format == "label-studio":
        from hilt.importing.formats.label_studio import read_label_studio

        return read_label_studio(data)
    if format == "label-studio-min":
        from hilt.importing.formats.label_studio import read_label_studio_min

        return read_label_studio_min(data, label_key=label_key)
    if format == "prodigy":
        from hilt.importing.formats.prodigy import read_prodigy

        return read_prodigy(data)
    from hilt.importing.formats.hf import read_hf

    return read_hf(data)

"""Label Studio's JSON export (a list of tasks) and its JSON_MIN export (flat rows).

JSON: each task is ``{"id", "data": {...}, "annotations": [...], "predictions": [...]}``; an
annotation is ``{"completed_by", "result": [...], "was_cancelled"}``, a prediction
``{"model_version", "score", "result": [...]}``. A result item of ``type`` ``choices`` holds
``value.choices`` (the labels chosen), one of ``labels`` holds a span ``value.start``,
``value.end``, ``value.text`` and ``value.labels`` (one label). Offsets count code points, as
Label Studio has since 2021 (and as hilt does). ``completions`` (Label Studio before 1.0) is read
as ``annotations``.

JSON_MIN: one flat object per annotation, the task's data fields plus the labelling config's
``from_name`` key holding a choice, a list of choices, or a list of
``{start, end, text, labels}``, and ``id``, ``annotator``, ``annotation_id``, ``created_at``,
``updated_at``, ``lead_time``.

Examples
--------
>>> import json, pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "export.json"
>>> _ = path.write_text(json.dumps([{"id": 7, "data": {"text": "great"}, "annotations": [
...     {"completed_by": 1, "result": [{"from_name": "sentiment", "to_name": "text", "type": "choices",
...      "value": {"choices": ["Positive"]}}]}]}]))
>>> found = read_label_studio(path)
>>> found.items[0], found.annotations[0].choices, found.annotations[0].annotator
(FormatItem(id='7', data={'text': 'great'}), ('Positive',), '1')
"""

from __future__ import annotations

import numbers
from pathlib import Path
from typing import Any, Mapping

from hilt.errors import InputError
from hilt.importing.formats._common import check_label, check_offset_span, item_key, json_document, the_path
from hilt.importing.formats.result import Annotation, FormatItem, Interchange, Prediction

__all__ = ["MIN_KEYS", "read_label_studio", "read_label_studio_min"]

#: JSON_MIN keys that describe the annotation, not the task's data.
MIN_KEYS = ("id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time")

_RESULT_TYPES = ("choices", "labels")


def _tasks(path: Path, what: str) -> list:
    tasks = json_document(path)
    if not isinstance(tasks, list):
        raise InputError(f"{path.name}: expected a {what} export, a JSON array of tasks ([{{...}}, ...]); got a "
                         f"JSON {type(tasks).__name__.replace('dict', 'object')}.")
    for number, task in enumerate(tasks, start=1):
        if not isinstance(task, dict):
            raise InputError(f"{path.name}, task {number}: expected a JSON object; got {task!r}.")
    return tasks


def annotator_name(value: Any, where: str) -> str:
    """``completed_by`` / ``annotator`` as a name: a user id (a number), an email or name, or an
    object with ``email``, ``username`` or ``id``."""
    if isinstance(value, Mapping):
        for key in ("email", "username", "id"):
            if value.get(key) not in (None, ""):
                return annotator_name(value[key], where)
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Integral)) or value == "":
        raise InputError(f"{where}: expected the annotator (completed_by: a user id, an email or an object with "
                         f"email or id); got {value!r}.")
    return str(value)


def _results(results: Any, text: Any, where: str) -> tuple[tuple[str, ...] | None, tuple[dict, ...] | None]:
    """The choices and spans of a ``result`` list."""
    if not isinstance(results, list):
        raise InputError(f"{where}: expected result to be a list of result objects; got {results!r}.")
    choices: list[str] | None = None
    spans: list[dict] | None = None
    for number, result in enumerate(results, start=1):
        at = f"{where}, result {number}"
        if not isinstance(result, Mapping):
            raise InputError(f"{at}: expected an object with type and value; got {result!r}.")
        kind, value = result.get("type"), result.get("value")
        if kind not in _RESULT_TYPES:
            raise InputError(f"{at}: expected a result of type {' or '.join(_RESULT_TYPES)} (text classification or "
                             f"named entities); got type {kind!r}. hilt reads choices and labels results only.")
        if not isinstance(value, Mapping):
            raise InputError(f"{at}: expected value to be an object; got {value!r}.")
        if kind == "choices":
            chosen = value.get("choices")
            if not isinstance(chosen, list) or not chosen:
                raise InputError(f"{at}: expected value.choices to be a non-empty list of labels; got {chosen!r}.")
            choices = (choices or []) + [check_label(label, at) for label in chosen]
        else:
            named = value.get("labels")
            if not isinstance(named, list) or len(named) != 1:
                raise InputError(f"{at}: expected value.labels to hold one label (hilt gives a span one label); "
                                 f"got {named!r}.")
            spans = (spans or []) + [check_offset_span(value, named[0], text, at)]
    return (None if choices is None else tuple(choices)), (None if spans is None else tuple(spans))


def _score(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{where}: expected score to be a number; got {value!r}.")
    return float(value)


def read_label_studio(data: Any) -> Interchange:
    """The tasks of a Label Studio JSON export: items, annotations and predictions.

    A cancelled annotation (``was_cancelled``) is a skip; an annotation whose ``result`` is
    empty chose nothing (``[]``: no spans, no labels). Raises :class:`InputError` naming the task
    (counted from 1), the annotation and the result at fault.
    """
    path = the_path(data, "a Label Studio JSON export")
    items, annotations, predictions = [], [], []
    seen: dict[str, int] = {}
    for number, task in enumerate(_tasks(path, "Label Studio JSON"), start=1):
        where = f"{path.name}, task {number}"
        if "id" not in task:
            raise InputError(f"{where}: expected an id (Label Studio's task id); the task has none.")
        key = item_key(task["id"], where)
        if key in seen:
            raise InputError(f"{where}: expected each task id once; id {key!r} repeats task {seen[key]}.")
        seen[key] = number
        payload = task.get("data")
        if not isinstance(payload, dict) or not payload:
            raise InputError(f"{where}: expected data to be an object of the task's fields (e.g. {{\"text\": ...}}); "
                             f"got {payload!r}.")
        items.append(FormatItem(key, dict(payload)))
        text = payload.get("text")
        given = task.get("annotations", task.get("completions", []))
        if not isinstance(given, list):
            raise InputError(f"{where}: expected annotations to be a list; got {given!r}.")
        for n, annotation in enumerate(given, start=1):
            at = f"{where}, annotation {n}"
            if not isinstance(annotation, Mapping):
                raise InputError(f"{at}: expected an object with completed_by and result; got {annotation!r}.")
            who = annotator_name(annotation.get("completed_by"), at)
            if annotation.get("was_cancelled"):
                annotations.append(Annotation(key, who, verdict="ignore", where=at))
                continue
            choices, spans = _results(annotation.get("result", []), text, at)
            if choices is None and spans is None:
                choices, spans = (), ()  # submitted with nothing chosen or marked
            annotations.append(Annotation(key, who, choices=choices, spans=spans, where=at))
        made = task.get("predictions", [])
        if not isinstance(made, list):
            raise InputError(f"{where}: expected predictions to be a list; got {made!r}.")
        for n, prediction in enumerate(made, start=1):
            at = f"{where}, prediction {n}"
            if not isinstance(prediction, Mapping):
                raise InputError(f"{at}: expected an object with result, score and model_version; got {prediction!r}.")
            choices, spans = _results(prediction.get("result", []), text, at)
            version = prediction.get("model_version")
            predictions.append(Prediction(key, choices, spans if spans is not None or choices is not None else (),
                                          _score(prediction.get("score"), at),
                                          None if version in (None, "") else str(version), at))
    return Interchange("label-studio", items, annotations, predictions)


def _min_value(value: Any, text: Any, where: str) -> tuple[tuple[str, ...] | None, tuple[dict, ...] | None]:
    if isinstance(value, str):
        return (check_label(value, where),), None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(check_label(v, where) for v in value), (() if not value else None)
    if isinstance(value, list):
        spans = []
        for number, span in enumerate(value, start=1):
            at = f"{where}, span {number}"
            named = span.get("labels") if isinstance(span, Mapping) else None
            if not isinstance(named, list) or len(named) != 1:
                raise InputError(f"{at}: expected a span {{start, end, text, labels: [one label]}}; got {span!r}.")
            spans.append(check_offset_span(span, named[0], text, at))
        return None, tuple(spans)
    raise InputError(f"{where}: expected a choice, a list of choices, or a list of spans {{start, end, text, "
                     f"labels}}; got {value!r}.")


def read_label_studio_min(data: Any, *, label_key: str | None = None) -> Interchange:
    """The rows of a Label Studio JSON_MIN export: one per annotation.

    ``label_key`` is the labelling config's ``from_name`` (the key holding the answers); by
    default ``label`` when the rows have it, else the one key whose values are lists of spans.
    Rows with the same ``id`` are one task annotated by several people (``annotator``).
    """
    path = the_path(data, "a Label Studio JSON_MIN export")
    rows = _tasks(path, "Label Studio JSON_MIN")
    if label_key is None:
        label_key = _guess_label_key(rows, path.name)
    items: dict[str, FormatItem] = {}
    annotations = []
    for number, row in enumerate(rows, start=1):
        where = f"{path.name}, task {number}"
        key = item_key(row["id"], where) if "id" in row else str(number - 1)
        payload = {k: v for k, v in row.items() if k not in MIN_KEYS and k != label_key}
        if not payload:
            raise InputError(f"{where}: expected the task's data fields (e.g. text) besides {label_key!r}; got none.")
        if key in items and items[key].data != payload:
            raise InputError(f"{where}: expected the same data as the earlier row with id {key!r} (one task); "
                             "the fields differ.")
        items.setdefault(key, FormatItem(key, payload))
        if label_key not in row:
            continue
        who = annotator_name(row.get("annotator", "import"), where)
        choices, spans = _min_value(row[label_key], payload.get("text"), f"{where}, {label_key}")
        annotations.append(Annotation(key, who, choices=choices, spans=spans, where=where))
    return Interchange("label-studio-min", list(items.values()), annotations, [])


def _guess_label_key(rows: list, name: str) -> str:
    if any("label" in row for row in rows):
        return "label"
    span_keys = {k for row in rows for k, v in row.items()
                 if isinstance(v, list) and v and all(isinstance(s, Mapping) and "labels" in s for s in v)}
    if len(span_keys) == 1:
        return span_keys.pop()
    raise InputError(f"{name}: expected to be told which key holds the answers (the from_name of the labelling "
                     "config, e.g. sentiment): give --label-column (Python: label_column=). No key 'label' was found"
                     + (f", and several keys hold spans: {', '.join(sorted(span_keys))}." if span_keys else "."))

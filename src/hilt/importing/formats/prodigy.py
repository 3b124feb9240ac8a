"""Prodigy's JSON lines (``prodigy db-out``): one annotated example per line.

* Binary classification: ``{"text", "label": "SPORTS", "answer": "accept"|"reject"|"ignore"}``;
* choice (single or multiple): ``{"text", "options": [{"id", "text"}], "accept": [ids], "answer"}``;
* named entities: ``{"text", "spans": [{"start", "end", "label", "token_start"?, "token_end"?}], "answer"}``
  (character offsets, code points as Python counts them).

Every line may carry ``_input_hash``, ``_task_hash``, ``_annotator_id``, ``_session_id``,
``_view_id``, ``_timestamp`` and ``meta``. An item is the input: lines with the same ``id`` (a key
hilt writes), else the same ``_input_hash``, else the same text are one item, annotated by each
``_annotator_id`` (else ``_session_id``, else ``prodigy``). ``_input_hash``, ``_task_hash``,
``meta`` and any key Prodigy does not reserve are kept as the item's data, so an export gives them
back; the answer keys, ``tokens`` and ``options`` are not data.

Examples
--------
>>> import json, pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "news.jsonl"
>>> _ = path.write_text(json.dumps({"text": "Goal!", "label": "SPORTS", "answer": "accept",
...                                 "_input_hash": 11, "_task_hash": 12, "_annotator_id": "news-ada"}) + "\\n")
>>> found = read_prodigy(path)
>>> found.items[0], found.annotations[0].label, found.annotations[0].verdict
(FormatItem(id='11', data={'text': 'Goal!', '_input_hash': 11, '_task_hash': 12}), 'SPORTS', 'accept')
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

from hilt.errors import InputError
from hilt.importing.formats._common import check_label, check_offset_span, item_key, json_lines, the_path
from hilt.importing.formats.result import VERDICTS, Annotation, FormatItem, Interchange

__all__ = ["ANSWER_KEYS", "read_prodigy", "text_key"]

#: Keys of a Prodigy example that are its answer or Prodigy's bookkeeping, not the item's data.
ANSWER_KEYS = ("label", "answer", "accept", "options", "spans", "tokens", "_annotator_id", "_session_id",
               "_view_id", "_timestamp", "config", "_is_binary", "id")


def text_key(text: str) -> str:
    """The id of an example with neither ``id`` nor ``_input_hash``: a digest of its text."""
    return "t" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:15]


def read_prodigy(data: Any) -> Interchange:
    """The examples of a Prodigy JSON lines file: items, and each line's annotation.

    Raises :class:`InputError` naming the line for a line that is not a JSON object, no text, an
    ``answer`` other than accept/reject/ignore, an ``accept`` id not among ``options``, or a
    span whose offsets do not fit the text.
    """
    path = the_path(data, "a Prodigy JSON lines file")
    items: dict[str, FormatItem] = {}
    annotations = []
    declared: dict[str, None] = {}
    for number, line in json_lines(path):
        where = f"{path.name}, line {number}"
        if not isinstance(line, dict):
            raise InputError(f"{where}: expected a JSON object (a Prodigy example); got {line!r}.")
        text = line.get("text")
        if not isinstance(text, str):
            raise InputError(f"{where}: expected a text (the example's \"text\" key); got {text!r}.")
        if "id" in line:
            key = item_key(line["id"], where)
        elif "_input_hash" in line:
            key = item_key(line["_input_hash"], f"{where}, _input_hash")
        else:
            key = text_key(text)
        payload = {k: v for k, v in line.items() if k not in ANSWER_KEYS}
        if key not in items:
            items[key] = FormatItem(key, payload)
        elif items[key].data.get("text") != text:
            raise InputError(f"{where}: expected the text of the earlier example with id {key!r}; the texts differ.")
        verdict = line.get("answer", "accept")
        if verdict not in VERDICTS:
            raise InputError(f"{where}: expected answer to be accept, reject or ignore; got {verdict!r}.")
        who = line.get("_annotator_id") or line.get("_session_id") or "prodigy"
        if not isinstance(who, str):
            raise InputError(f"{where}: expected _annotator_id to be a string; got {who!r}.")
        options = _options(line.get("options"), where)
        declared.update(dict.fromkeys(options or []))
        choices = None
        if "accept" in line:
            accepted = line["accept"]
            if not isinstance(accepted, list):
                raise InputError(f"{where}: expected accept to be a list of option ids; got {accepted!r}.")
            if options is not None:
                unknown = [a for a in accepted if str(a) not in options]
                if unknown:
                    raise InputError(f"{where}: expected accept to name ids of the options ({', '.join(options)}); "
                                     f"got {unknown[0]!r}.")
            choices = tuple(check_label(str(a), where) for a in accepted)
        spans = None
        if "spans" in line:
            given = line["spans"]
            if not isinstance(given, list):
                raise InputError(f"{where}: expected spans to be a list of {{start, end, label}}; got {given!r}.")
            spans = tuple(check_offset_span(span, span.get("label") if isinstance(span, Mapping) else None, text,
                                            f"{where}, span {n}") for n, span in enumerate(given, start=1))
        label = line.get("label")
        if label is not None:
            label = check_label(label, f"{where}, label")
            if choices is None and spans is None:
                declared.setdefault(label)
        if choices is None and spans is None and label is None and verdict != "ignore":
            raise InputError(f"{where}: expected an answer: label (binary), accept with options (choice) or spans "
                             "(named entities); the example has none.")
        annotations.append(Annotation(key, who, choices=choices, spans=spans, verdict=verdict,
                                      label=label if choices is None and spans is None else None, where=where))
    if not items:
        raise InputError(f"Expected Prodigy examples in {path.name} (one JSON object per line), but it holds none.")
    return Interchange("prodigy", list(items.values()), annotations, [], list(declared) or None)


def _options(options: Any, where: str) -> list[str] | None:
    if options is None:
        return None
    if not isinstance(options, list) or not all(isinstance(o, Mapping) and "id" in o for o in options):
        raise InputError(f"{where}: expected options to be a list of {{\"id\", \"text\"}}; got {options!r}.")
    return [check_label(str(o["id"]), f"{where}, options") for o in options]

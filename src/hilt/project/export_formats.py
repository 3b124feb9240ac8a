"""Writing a project out for another tool: Label Studio JSON and JSON_MIN, Prodigy JSON lines and
a Hugging Face dataset (``save_to_disk`` folder or Parquet), for every task.

What each carries (:mod:`hilt.importing.formats` reads each back):

* ``label-studio``: every item as a task (``id``, ``data``), its final answer as one annotation by
  the person whose answer decided it (``completed_by``), and the project's suggestions as
  ``predictions`` (``model_version``: the suggestion's source, ``score``);
* ``label-studio-min``: one flat row per item with a final answer: the data fields, ``label``
  (from_name ``label``), ``annotator``, ``annotation_id``, ``created_at``; no predictions;
* ``prodigy``: one example per item with a final answer (``accept``/``options`` for labels,
  ``spans`` with ``token_start``/``token_end`` and ``tokens`` for spans), ``answer: accept``,
  ``_annotator_id``, the item's ``_input_hash``/``_task_hash``/``meta`` if it has them (else
  hashes hilt makes from the text); no predictions;
* ``hf``: one row per item with a final answer: ``id``, the data columns, ``label`` (a
  ``ClassLabel``), ``labels`` (a ``Sequence(ClassLabel)``) or ``spans`` (``{start, end, label}``,
  the label a ``ClassLabel``) with ``tokens`` and ``ner_tags`` (IOB2 over hilt's tokens, a
  ``Sequence(ClassLabel)``), and ``annotator``; no predictions.

Every file is written whole or not at all (:func:`hilt.project.export_file.write_whole`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterator

from hilt.errors import InputError
from hilt.importing.formats import check_format
from hilt.project.export_file import checked_target, write_whole
from hilt.tasks.spans_text import spans_to_tags, tokenize

if TYPE_CHECKING:
    from hilt.project.configuration import Configuration
    from hilt.store import Store
    from hilt.tasks import Task

__all__ = ["FORMAT_SUFFIXES", "input_hash", "write_format"]

#: The file name endings of each format (``hf``: a folder, or a Parquet file).
FORMAT_SUFFIXES = {"label-studio": (".json",), "label-studio-min": (".json",), "prodigy": (".jsonl",),
                   "hf": ("", ".parquet", ".pq")}
#: The ``from_name`` and ``to_name`` of the results hilt writes (Label Studio's default templates' names).
FROM_NAME, TO_NAME = "label", "text"


def input_hash(*parts: str) -> int:
    """A signed 32-bit hash of ``parts``, the shape of Prodigy's ``_input_hash`` / ``_task_hash``
    (not Prodigy's own values: those an item came with are kept and written back).

    Examples
    --------
    >>> input_hash("Ada sings") == input_hash("Ada sings"), -2**31 <= input_hash("x") < 2**31
    (True, True)
    """
    digest = hashlib.sha1("\0".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def _task_id(key: str) -> Any:
    return int(key) if key.isdigit() and not (len(key) > 1 and key.startswith("0")) else key


def _who(name: str) -> Any:
    return int(name) if name.isdigit() else name


def _final(store: "Store", task: "Task", labels: list[str]) -> dict[str, dict]:
    """Item id -> ``{"answer", "annotator", "answered_at"}`` of each item with a final answer."""
    return {row["item_id"]: {"answer": task.decode(row["label"], labels), "annotator": row["annotator"],
                             "answered_at": row["answered_at"], "data": row["data"]}
            for row in store.answer_rows()}


def _results(answer: Any, task: "Task", text: str) -> list[dict]:
    if task.widget == "spans":
        return [{"id": f"s{n}", "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
                 "value": {"start": s["start"], "end": s["end"], "text": text[s["start"]:s["end"]],
                           "labels": [s["label"]]}} for n, s in enumerate(answer, start=1)]
    chosen = list(answer) if task.multilabel else [answer]
    if not chosen:
        return []
    return [{"id": "c1", "from_name": FROM_NAME, "to_name": TO_NAME, "type": "choices", "value": {"choices": chosen}}]


def _items(store: "Store") -> Iterator[tuple[str, dict]]:
    keys = store.item_keys()
    for rowids, datas in store.iter_item_data():
        for rowid, data in zip(rowids, datas):
            yield keys[rowid], data


def label_studio_tasks(store: "Store", task: "Task", labels: list[str], suggestions: list[dict]) -> list[dict]:
    final = _final(store, task, labels)
    predicted: dict[str, list[dict]] = {}
    for row in suggestions:
        predicted.setdefault(row["item_id"], []).append(row)
    tasks = []
    for key, data in _items(store):
        text = str(data.get("text", ""))
        entry: dict[str, Any] = {"id": _task_id(key), "data": data, "annotations": [], "predictions": []}
        if key in final:
            done = final[key]
            entry["annotations"].append({"id": len(tasks) + 1, "completed_by": _who(done["annotator"]),
                                         "result": _results(done["answer"], task, text), "was_cancelled": False,
                                         "created_at": done["answered_at"]})
        for row in predicted.get(key, []):
            prediction = {"model_version": row["source"], "result": _results(row["label"], task, text)}
            if row["score"] is not None:
                prediction["score"] = row["score"]
            entry["predictions"].append(prediction)
        tasks.append(entry)
    return tasks


def label_studio_min_rows(store: "Store", task: "Task", labels: list[str]) -> list[dict]:
    rows = []
    for n, (key, done) in enumerate(_final(store, task, labels).items(), start=1):
        data, answer = done["data"], done["answer"]
        if FROM_NAME in data or "annotator" in data:
            raise InputError(f"Expected no item field named {FROM_NAME!r} or 'annotator' for a JSON_MIN export (they "
                             f"hold the answer and who gave it); item {key!r} has one. Export label-studio instead.")
        if task.widget == "spans":
            text = str(data.get("text", ""))
            value: Any = [{"start": s["start"], "end": s["end"], "text": text[s["start"]:s["end"]],
                           "labels": [s["label"]]} for s in answer]
        else:
            value = list(answer) if task.multilabel else answer
        rows.append({"id": _task_id(key), **data, FROM_NAME: value, "annotator": _who(done["annotator"]),
                     "annotation_id": n, "created_at": done["answered_at"]})
    return rows


def prodigy_lines(store: "Store", task: "Task", labels: list[str]) -> list[dict]:
    lines = []
    for key, done in _final(store, task, labels).items():
        data, answer = dict(done["data"]), done["answer"]
        text = str(data.pop("text", ""))
        line: dict[str, Any] = {"text": text, "id": key, **data}
        line.setdefault("_input_hash", input_hash(text))
        line.setdefault("_task_hash", input_hash(text, task.name, *labels))
        if task.widget == "spans":
            tokens = tokenize(text)
            starts = {start: i for i, (start, _) in enumerate(tokens)}
            ends = {end: i for i, (_, end) in enumerate(tokens)}
            line["tokens"] = [{"text": text[s:e], "start": s, "end": e, "id": i,
                               "ws": i + 1 < len(tokens) and tokens[i + 1][0] > e or i + 1 == len(tokens) and e < len(text)}
                              for i, (s, e) in enumerate(tokens)]
            spans = []
            for span in answer:
                entry = {"start": span["start"], "end": span["end"], "label": span["label"]}
                if span["start"] in starts and span["end"] in ends:  # on hilt's tokens: say which
                    entry.update(token_start=starts[span["start"]], token_end=ends[span["end"]])
                spans.append(entry)
            line.update(spans=spans, _view_id="ner_manual")
        else:
            line.update(options=[{"id": label, "text": label} for label in labels],
                        accept=list(answer) if task.multilabel else [answer],
                        config={"choice_style": "multiple" if task.multilabel else "single"}, _view_id="choice")
        line.update(answer="accept", _annotator_id=done["annotator"], _session_id=done["annotator"])
        lines.append(line)
    return lines


def hf_dataset(store: "Store", task: "Task", labels: list[str]) -> Any:
    from hilt.importing.formats.hf import load_datasets

    datasets = load_datasets()
    final = _final(store, task, labels)
    data_columns: list[str] = list(dict.fromkeys(k for done in final.values() for k in done["data"]))
    reserved = {"id", "label", "labels", "spans", "tokens", "ner_tags", "annotator"}
    clash = [c for c in data_columns if c in reserved]
    if clash:
        raise InputError(f"Expected no item field named {clash[0]!r} for a Hugging Face export (hilt writes its "
                         "answers and ids in such columns); rename the field, or export label-studio.")
    columns: dict[str, list] = {"id": list(final)}
    for name in data_columns:
        values = [done["data"].get(name) for done in final.values()]
        kinds = {type(v) for v in values if v is not None}
        if len(kinds) > 1 or kinds & {dict, list}:  # Arrow wants one type a column: nested or mixed as JSON text
            values = [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
        columns[name] = values
    features = datasets.Features({"id": datasets.Value("string"),
                                  **datasets.Dataset.from_dict({k: v for k, v in columns.items() if k != "id"}).features}
                                 if data_columns else {"id": datasets.Value("string")})
    answers = [done["answer"] for done in final.values()]
    if task.widget == "spans":
        tags = ["O"] + [f"{p}-{label}" for label in labels for p in ("B", "I")]
        features["spans"] = [{"start": datasets.Value("int64"), "end": datasets.Value("int64"),
                              "label": datasets.ClassLabel(names=labels)}]  # a list of spans
        columns["spans"] = [[{"start": s["start"], "end": s["end"], "label": labels.index(s["label"])} for s in a]
                            for a in answers]
        texts = [str(done["data"].get("text", "")) for done in final.values()]
        tokens = [tokenize(t) for t in texts]
        columns["tokens"] = [[t[s:e] for s, e in tok] for t, tok in zip(texts, tokens)]
        columns["ner_tags"] = [[tags.index(tag) for tag in spans_to_tags(tok, a)] for tok, a in zip(tokens, answers)]
        features["tokens"] = datasets.Sequence(datasets.Value("string"))
        features["ner_tags"] = datasets.Sequence(datasets.ClassLabel(names=tags))
    elif task.multilabel:
        columns["labels"] = [[labels.index(label) for label in a] for a in answers]
        features["labels"] = datasets.Sequence(datasets.ClassLabel(names=labels))
    else:
        columns["label"] = [labels.index(a) for a in answers]
        features["label"] = datasets.ClassLabel(names=labels)
    columns["annotator"] = [done["annotator"] for done in final.values()]
    features["annotator"] = datasets.Value("string")
    return datasets.Dataset.from_dict(columns, features=features)


def write_format(store: "Store", config: "Configuration", suggestions: list[dict], path: str | Path | IO[str],
                 format: str, *, overwrite: bool = True) -> int:
    """Write the project in ``store`` as ``format`` to ``path``; returns the tasks, examples or rows
    written. ``path``: a ``.json`` file (Label Studio), a ``.jsonl`` file (Prodigy), a folder or a
    ``.parquet`` file (``hf``); Label Studio and Prodigy also an open text stream."""
    check_format(format)
    task, labels = store.task, list(config.settings.labels)
    if format == "hf":
        from hilt.importing.formats.hf import quiet

        with quiet():
            return _write_hf(hf_dataset(store, task, labels), path, overwrite=overwrite)
    if format == "label-studio":
        records = label_studio_tasks(store, task, labels, suggestions)
    elif format == "label-studio-min":
        records = label_studio_min_rows(store, task, labels)
    else:
        records = prodigy_lines(store, task, labels)

    def dump(out: IO[str]) -> None:
        if format == "prodigy":
            for line in records:
                out.write(json.dumps(line, ensure_ascii=False, allow_nan=False) + "\n")
        else:
            json.dump(records, out, ensure_ascii=False, allow_nan=False, indent=1)
            out.write("\n")

    if hasattr(path, "write"):
        dump(path)  # type: ignore[arg-type]
        return len(records)
    path = Path(path)  # type: ignore[arg-type]
    suffix = FORMAT_SUFFIXES[format][0]
    if path.suffix.lower() != suffix:
        raise InputError(f"Expected a {format} export file ending in {suffix}; got {path.name!r}.")
    checked_target(path, overwrite=overwrite, suffix=suffix)

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as out:
            dump(out)

    write_whole(path, write)
    return len(records)


def _write_hf(dataset: Any, path: Any, *, overwrite: bool) -> int:
    if hasattr(path, "write"):
        raise InputError("Expected a folder or a .parquet file for a Hugging Face export (it is binary); standard "
                         "output takes label-studio, label-studio-min or prodigy.")
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        checked_target(path, overwrite=overwrite, suffix=".parquet")
        write_whole(path, lambda tmp: dataset.to_parquet(str(tmp)))
        return len(dataset)
    if path.suffix:
        raise InputError(f"Expected a folder name (Dataset.save_to_disk) or a .parquet file for a Hugging Face "
                         f"export; got {path.name!r}.")
    if not path.parent.is_dir():
        raise InputError(f"Expected an existing folder for the export at {path.parent}, but there is none.")
    if path.is_file():
        raise InputError(f"Expected a folder for a Hugging Face export (Dataset.save_to_disk); {path} is a file.")
    if path.exists() and not overwrite:
        raise InputError(f"Expected a new folder for the export, but {path} exists. Choose another name, or replace "
                         "it with --force (Python: overwrite=True).")
    tmp = path.with_name(f".{path.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        dataset.save_to_disk(str(tmp))
        if path.exists():
            shutil.rmtree(path)
        tmp.rename(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return len(dataset)

"""Projects made from, and items added from, another tool's files: Label Studio, Prodigy and
Hugging Face datasets (read by :mod:`hilt.importing.formats`).

The file's items become the project's items (its ids kept); each annotation becomes an answer of
the project's task by the person who made it (Label Studio's ``completed_by``, Prodigy's
``_annotator_id``, a dataset's ``annotator`` column, else ``import``, as a label column's
answers); each prediction becomes a suggestion (:meth:`hilt.Project.import_suggestions`) whose
source is its ``model_version``. Everything is checked before anything is written: a label the
project does not have, or a span outside its text, is an :class:`~hilt.errors.InputError` naming
the task or line, and the project is left as it was.

How a tool's verdict becomes an answer: ``accept`` is the answer; ``ignore`` and Label Studio's
cancelled annotations are skips; a Prodigy ``reject`` of a binary question (``label`` +
``answer``) in a single-label project with two labels is the other label, and any other reject a
skip (hilt keeps answers, not "not this label").
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Callable, Sequence

from hilt.errors import InputError, NotFoundError
from hilt.importing.formats import Annotation, Interchange, Prediction, check_format, read_format
from hilt.project.results import FormatImport
from hilt.store.existing import drop_project
from hilt.tasks import get_task

if TYPE_CHECKING:
    import pandas as pd

    from hilt.project.configuration import Configuration
    from hilt.project.item_import import ItemImport
    from hilt.project.suggestions import Suggestions
    from hilt.project.training import Training
    from hilt.store import Store
    from hilt.tasks import Task

__all__ = ["Converted", "FormatImporter", "answer_id", "create_from_format", "infer_task"]

#: Columns of Prodigy's that identify an example and mean nothing to the person labelling.
_HIDDEN = ("_input_hash", "_task_hash")


def infer_task(found: Interchange) -> str:
    """The task a file's answers fit: ``spans`` when any span is marked, ``multilabel`` when an
    annotation chose several labels, else ``single``."""
    if found.has_spans:
        return "spans"
    return "multilabel" if found.most_choices > 1 else "single"


def _answer(annotation: Annotation, task: "Task", labels: Sequence[str]) -> tuple[Any, str | None]:
    """The answer an annotation gives (``None``: a skip) and how it came (``skip``, ``rejected``)."""
    where = annotation.where
    if annotation.verdict == "ignore":
        return None, "skip"
    if annotation.verdict == "reject":
        if annotation.label is not None and task.name == "single" and len(labels) == 2 and annotation.label in labels:
            return next(label for label in labels if label != annotation.label), "rejected"
        return None, "skip"
    if task.widget == "spans":
        if annotation.spans is None:
            raise InputError(f"{where}: expected spans marked in the text (a spans project); the annotation chose "
                             f"labels {list(annotation.choices or [annotation.label])}.")
        return list(annotation.spans), None
    chosen = annotation.choices if annotation.choices is not None else (
        (annotation.label,) if annotation.label is not None else None)
    if chosen is None:
        raise InputError(f"{where}: expected labels chosen (a {task.name} project); the annotation marks spans. "
                         "Create the project with --task spans (Python: task='spans').")
    return _choices(chosen, task, where)


def _choices(chosen: Sequence[str], task: "Task", where: str) -> tuple[Any, str | None]:
    if task.multilabel:
        return list(chosen), None
    if not chosen:
        return None, "skip"
    if len(chosen) > 1:
        raise InputError(f"{where}: expected one label (a single-label project); got {list(chosen)}. Create the "
                         "project with --task multilabel (Python: task='multilabel') for sets of labels.")
    return chosen[0], None


def _suggested(prediction: Prediction, task: "Task") -> Any:
    """A prediction as a suggested answer, or ``None`` when it predicts nothing hilt can suggest."""
    if task.widget == "spans":
        if prediction.spans is None:
            raise InputError(f"{prediction.where}: expected spans (a spans project); the prediction chose labels.")
        return list(prediction.spans)
    if prediction.choices is None:
        if not prediction.spans:
            return None
        raise InputError(f"{prediction.where}: expected labels chosen (a {task.name} project); the prediction marks "
                         "spans.")
    return _choices(prediction.choices, task, prediction.where)[0]


def answer_id(item_id: str, annotator: str, stored: str | None) -> str:
    """The answer id of an imported answer: the same answer of the same file imported again
    stores nothing new."""
    digest = hashlib.sha1(f"{item_id}\0{annotator}\0{stored}".encode("utf-8")).hexdigest()
    return f"import-{digest[:24]}"


class Converted:
    """A file's annotations and predictions as the project's task holds them, all checked."""

    def __init__(self, found: Interchange, task: "Task", labels: Sequence[str],
                 text_of: Callable[[str], str | None]):
        self.answers: list[tuple[str, str | None, str, str]] = []
        self.skips = self.rejected = 0
        for annotation in found.annotations:
            answer, how = _answer(annotation, task, labels)
            stored = _checked(task, answer, labels, annotation.item_id, annotation.where, text_of)
            self.skips += how == "skip"
            self.rejected += how == "rejected"
            self.answers.append((annotation.item_id, stored, annotation.annotator,
                                 answer_id(annotation.item_id, annotation.annotator, stored)))
        self.suggestions: dict[str, list[tuple[str, Any, float | None]]] = {}
        for prediction in found.predictions:
            answer = _suggested(prediction, task)
            if answer is None:
                continue
            _checked(task, answer, labels, prediction.item_id, prediction.where, text_of)
            source = prediction.model_version or found.format
            self.suggestions.setdefault(source, []).append((prediction.item_id, answer, prediction.score))


def _checked(task: "Task", answer: Any, labels: Sequence[str], item_id: str, where: str,
             text_of: Callable[[str], str | None]) -> str | None:
    if answer is None:
        return None
    try:
        canonical = task.check_answer(answer, labels, text=text_of(item_id) if task.needs_text else None)
    except InputError as error:
        raise InputError(f"{where}: {error} Give the project the label (--labels) or fix the file.") from None
    return task.encode(canonical, labels)


def _frame(found: Interchange, id_column: str, text_column: str | None) -> "pd.DataFrame":
    import pandas as pd

    rows = []
    for item in found.items:
        data = dict(item.data)
        if text_column is not None and text_column not in data and "text" in data:
            data[text_column] = data.pop("text")  # the project's text column, as its first file named it
        rows.append({id_column: item.id, **data})
    frame = pd.DataFrame(rows)
    return frame.astype(object).where(frame.notna(), None)


def _id_column(found: Interchange) -> str:
    """A column name for the ids that no item's data uses."""
    used = {key for item in found.items for key in item.data}
    return next(name for name in ("id", "item_id", "hilt_id", "_hilt_id") if name not in used)


def _labels(found: Interchange, labels: Sequence[str] | None, task: str) -> tuple[list[str], bool]:
    if labels is not None:
        return list(labels), False
    named = found.labels()
    least = 1 if task == "spans" else 2
    if len(named) < least:
        raise InputError(f"Expected the file to name at least {'one label' if least == 1 else 'two labels'} for a "
                         f"{task} project (in its annotations or predictions); it names "
                         f"{', '.join(named) if named else 'none'}. Give the labels: --labels pos,neg (Python: labels=).")
    return named, True


def _report(found: Interchange, converted: Converted, written: dict, *, task: str, labels: list[str],
            labels_from_file: bool, task_from_file: bool, added: int, existing: int, suggestions: int) -> FormatImport:
    return FormatImport(found.format, task, labels, labels_from_file, task_from_file, added, existing,
                        written["stored"], written["repeated"], converted.skips, converted.rejected, suggestions,
                        sorted(converted.suggestions))


def create_from_format(cls: Any, path: Any, data: Any, format: str, labels: Sequence[str] | None = None, *,
                       task: str | None = None, label_key: str | None = None, **options: Any) -> Any:
    """Create a project from another tool's file: what :meth:`hilt.Project.create_from_format` does.

    ``labels``: default, the labels the file names (declared, then used, in the order first seen);
    ``task``: default, :func:`infer_task`. ``options`` go to :meth:`hilt.Project.create` (not
    ``id_column`` nor ``label_column``: the file's ids and answers are used). Prodigy's
    ``_input_hash`` and ``_task_hash`` are hidden from annotators unless ``show_columns`` or
    ``hide_columns`` say otherwise. Nothing is left behind when the file or an answer is refused.
    """
    check_format(format)
    for name in ("id_column", "label_column"):
        if options.get(name) is not None:
            raise InputError(f"Expected no {name} with format={format!r}: the file's ids and annotations are used.")
        options.pop(name, None)
    found = read_format(data, format, label_key=label_key)
    chosen_task = task if task is not None else infer_task(found)
    chosen_labels, from_file = _labels(found, labels, chosen_task)
    id_column = _id_column(found)
    if options.get("show_columns") is None and options.get("hide_columns") is None:
        hidden = [c for c in _HIDDEN if any(c in item.data for item in found.items)]
        options["hide_columns"] = hidden or None
    frame = _frame(found, id_column, None)
    project = cls.create(path, frame, chosen_labels, id_column=id_column, task=chosen_task, **options)
    try:
        texts = frame.set_index(id_column)[project.text_column].to_dict() if project.kind == "text" else {}
        converted = Converted(found, project._formats.task, chosen_labels, texts.get)
        written, n_suggestions = project._formats.store(converted)
    except BaseException:
        location = project.location
        project.close()
        drop_project(location)
        raise
    project.created_import = {**project.created_import, "format": _report(
        found, converted, written, task=chosen_task, labels=chosen_labels, labels_from_file=from_file,
        task_from_file=task is None, added=project.created_import["added"], existing=0, suggestions=n_suggestions)}
    return project


class FormatImporter:
    """Adds another tool's file to the project in ``store`` (:meth:`hilt.Project.import_format`),
    and stores a file's converted answers and suggestions (also for :func:`create_from_format`)."""

    def __init__(self, store: "Store", config: "Configuration", training: "Training", items: "ItemImport",
                 suggestions: "Suggestions"):
        self._store = store
        self._config = config
        self._training = training
        self._items = items
        self._suggestions = suggestions

    @property
    def task(self) -> "Task":
        return self._store.task

    def store(self, converted: Converted) -> tuple[dict, int]:
        """Write the answers (one transaction) and then the suggestions of each source; returns
        what :meth:`hilt.store.Store.import_answers` said and the number of suggestions stored."""
        written = self._store.import_answers(converted.answers)
        self._training.count_import({"labelled": written["training"], "relabelled": 0, "added": 0})
        n_suggestions = sum(self._suggestions.import_suggestions(rows, source=source)
                            for source, rows in converted.suggestions.items())
        return written, n_suggestions

    def import_format(self, data: Any, format: str, *, label_key: str | None = None) -> FormatImport:
        """Add the file's items (ids already in the project are left as they are), its annotations as
        answers by their annotators and its predictions as suggestions; returns a
        :class:`~hilt.project.results.FormatImport`.

        Everything is checked first (labels, spans against the texts, an item's text that differs
        from the project's), so a refused file changes nothing.
        """
        check_format(format)
        found = read_format(data, format, label_key=label_key)
        settings = self._config.settings
        id_column, text_column = settings.id_column, settings.text_column
        if id_column is None:
            raise InputError(f"Expected a project whose items have ids (made with an id column, or from a {format} "
                             f"file) to import a {format} file into: its annotations name items by id. Make a new "
                             "project from the file instead (hilt init --format).")
        frame = _frame(found, id_column, text_column)
        task, labels = self._store.task, list(settings.labels)
        texts = frame.set_index(id_column)[text_column].to_dict() if text_column in frame.columns else {}
        if task.needs_text:
            for item in found.items:  # an item already there keeps its text: the spans must fit it
                try:
                    stored = self._store.item(item.id).data.get("text")
                except NotFoundError:
                    continue
                if stored != texts.get(item.id):
                    raise InputError(f"Expected item {item.id!r} of the {format} file to have the text the project "
                                     f"holds for it; they differ ({_short(stored)!r} in the project). Its spans would "
                                     "not fit.")
        converted = Converted(found, task, labels, texts.get)
        result = self._items.import_items(frame)
        written, n_suggestions = self.store(converted)
        return _report(found, converted, written, task=task.name, labels=labels, labels_from_file=False,
                       task_from_file=False, added=result["added"], existing=result["existing"],
                       suggestions=n_suggestions)


def _short(text: Any, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"

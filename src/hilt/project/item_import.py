"""Adding items: the :class:`ItemImport` service, and the checks a new project's first items get.

Files and frames are read in chunks by :class:`hilt.importing.ItemStream` and written by the
store in one transaction (:mod:`hilt.store.item_import`); this service reads later files the way
the project's first one was read, records columns first seen in them, and counts the labels
they bring toward the next retrain.
"""

from __future__ import annotations

import pickle
from typing import TYPE_CHECKING, Any, Callable, Iterator

import pandas as pd

from hilt.errors import InputError
from hilt.features import Featurizer
from hilt.importing import DEFAULT_CHUNK_ROWS, ItemStream
from hilt.importing.stream import ItemChunk
from hilt.models import AlignedModel, fresh_copy
from hilt.project.configuration import Configuration
from hilt.project.suggestion_writes import check_source, store_suggestions
from hilt.store import ItemBatch, Store

if TYPE_CHECKING:
    from hilt.project.training import Training

__all__ = ["ItemImport", "TRANSFORMER_CHECK_ITEMS", "VectorCheck", "batches", "check_features", "kept_columns"]

#: Items a user's transformer is tried on when a project is created (a quick, early check).
TRANSFORMER_CHECK_ITEMS = 200


class ItemImport:
    """Imports into the project in ``store`` after its creation."""

    def __init__(self, store: Store, config: Configuration, training: "Training"):
        self._store = store
        self._config = config
        self._training = training

    def import_items(self, data: Any, *, label_column: str | None = None, encoding: str = "utf-8",
                     drop_duplicate_ids: bool = False, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                     progress: Callable[[int], Any] | None = None, label_separator: str | None = None,
                     suggestion_column: str | None = None, suggestion_score_column: str | None = None,
                     suggestion_source: str | None = None) -> dict:
        """Add items from a file or DataFrame read the way the project's first file was.

        All or nothing: a bad file raises and leaves the project exactly as it was, wherever in
        the file the problem is. The file is read, checked and written ``chunk_rows`` rows at a
        time in one transaction (see :meth:`hilt.Project.create`), so its size does not bound the
        memory, and no annotator is served an item of the import before all of it is in;
        ``progress`` is called with the number of data rows imported so far after each chunk.
        Items whose id is already in the project are not added again, but a label the file gives
        them (in ``label_column``) is stored by the ``import`` annotator when the item has no
        current label; a label someone already gave is kept. Without an id column, new items are
        numbered on from the items already there. An id that repeats an earlier row of the same
        file is an :class:`hilt.errors.InputError` unless ``drop_duplicate_ids=True`` (the first
        row is kept).

        Returns a dict: ``added`` (new items), ``labelled`` (new items with a label),
        ``existing`` (ids already in the project), ``relabelled`` (of those, labels added from
        the file), ``label_kept`` (of those, a different current label kept), ``repeated``
        (rows skipped because their id came earlier in the same file) and ``repeated_ids``
        (the first few of them with their lines), ``identical_texts`` (rows whose text equals
        an earlier row's; kept), and ``duplicates`` (``existing + repeated``).

        A multi-label project reads a ``label_column`` cell as a JSON array or as labels joined
        by ``label_separator`` (default ``;``), as :meth:`hilt.Project.create` does.

        ``suggestion_column`` holds another model's answers (read like ``label_column``), stored
        as suggestions from ``suggestion_source`` (default: the column's name), with their
        confidence from ``suggestion_score_column`` (0 to 1); neither column is stored with the
        items, shown or used as a feature (:meth:`hilt.Project.import_suggestions`). The result
        then also has ``suggestions`` (how many were stored). A project without an id column
        cannot take them on a later import (its new items are numbered by the store): import the
        suggestions with :meth:`hilt.Project.import_suggestions` instead.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> first = pd.DataFrame({"id": ["a", "b"], "text": ["good", "bad"]})
        >>> more = pd.DataFrame({"id": ["a", "c"], "text": ["good", "fine"], "topic": ["pos", None]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", first, ["pos", "neg"],
        ...                     id_column="id") as project:
        ...     result = project.import_items(more, label_column="topic")
        >>> result["added"], result["existing"], result["relabelled"]
        (1, 1, 1)
        """
        settings = self._config.settings
        source = check_suggestion_columns(suggestion_column, suggestion_score_column, suggestion_source)
        if suggestion_column is not None and settings.id_column is None:
            raise InputError(
                f"Expected a project with an id column to import suggestions with its items; this one numbers its "
                f"items, so the rows of column {suggestion_column!r} cannot be matched to them. Import them with "
                "Project.import_suggestions (hilt suggestions import) by item id instead.")
        # Read the way the project's items are: its text column, or exactly its feature columns.
        table = settings.kind == "table"
        featurizer = self._training.featurizer
        meta = self._store.meta()
        items = ItemStream(data, text_column=settings.text_column, id_column=settings.id_column,
                           label_column=label_column, labels=list(settings.labels), encoding=encoding,
                           feature_columns=list(settings.feature_columns) if table else None,
                           drop_duplicate_ids=drop_duplicate_ids, chunk_rows=chunk_rows,
                           parse_label=label_parser(settings.task, list(settings.labels), label_separator),
                           kept_columns=kept_columns(featurizer, meta.get("image_column")),
                           suggestion_column=suggestion_column, suggestion_score_column=suggestion_score_column)
        # Row numbers are per file: without an id column the store numbers the new items on
        # from the project's, inside the import transaction (two imports at once never collide).
        numbered = settings.id_column is None
        # (Numbered items get their ids inside the store: a file of vectors is then checked when
        # the features are built.)
        check = VectorCheck.of(featurizer, meta.get("vector_dim"), ids_known=not numbered)
        suggested: list[tuple[str, str, float | None]] | None = [] if suggestion_column else None
        chunks = batches(items, numbered=numbered, progress=progress, prepare=check, suggestions=suggested)
        try:
            result = self._store.import_batches(chunks, eval_share=settings.eval_share, label_existing=True,
                                                seed=import_seed(settings.seed, self._store.n_items()),
                                                **settings.overlap_arguments())
        finally:
            items.close()
        result = {**result, "existing": result["duplicates"], "repeated": items.duplicates,
                  "repeated_ids": items.repeated_ids, "identical_texts": items.identical_texts,
                  "duplicates": result["duplicates"] + items.duplicates}
        self._config.add_columns(items.names, items.label_like)
        self._training.count_import(result)
        if suggested is not None:
            result["suggestions"] = store_suggestions(self._store, settings.strategy, source, suggested)
        return result


def label_parser(task: str, labels: list[str], separator: str | None,
                 ) -> Callable[[Any, str, str | None], str | None] | None:
    """How a label-column cell becomes a stored answer for ``task``, given where it is and its
    row's text: ``None`` for ``single``, whose cells the import checks as it always has (one
    label name each). A spans cell (a JSON list of ``{start, end, label}``) is checked against
    the row's text."""
    from hilt.tasks import get_task

    chosen = get_task(task)
    if separator is not None and (not isinstance(separator, str) or not separator):
        raise InputError(f"Expected label_separator to be a non-empty string; got {separator!r}.")
    if chosen.needs_text:
        if separator is not None:
            raise InputError(f"Expected no label_separator for a {chosen.name!r} project (a cell holds a JSON list "
                             f"of spans); got {separator!r}.")
        from hilt.tasks.spans import encode_spans
        from hilt.tasks.spans_cells import read_spans_cell

        def parse_spans(value: Any, where: str, text: str | None) -> str | None:
            # Prodigy's span keys (token_start, text, ...) are read too; a span's text is checked.
            spans = read_spans_cell(value, labels, text=text, where=where or None)
            return None if spans is None else encode_spans(spans)

        return parse_spans
    if not chosen.multilabel:
        if separator is not None:
            raise InputError(
                f"Expected no label_separator for a {chosen.name!r} project (one label per item); got {separator!r}. "
                "Create the project with task='multilabel' (hilt init --task multilabel) for sets of labels.")
        return None
    return lambda value, where, text: chosen.import_value(value, labels, separator=separator, where=where)


def check_suggestion_columns(column: str | None, score_column: str | None, source: str | None) -> str:
    """The source name suggestions from a column are stored under (default: the column's name);
    a score column or a source without a suggestion column is an :class:`InputError`."""
    if column is None:
        if score_column is not None or source is not None:
            raise InputError("Expected suggestion_column (hilt --suggestion-column) with a suggestion score column "
                             f"or source; got score column {score_column!r}, source {source!r} without one.")
        return ""
    return check_source(column if source is None else source)


def import_seed(seed: int | None, n_items: int) -> list[int] | None:
    """The seed of a later import's random draws (evaluation sample, overlap): the project's
    seed and how many items it held before, so a seeded project draws the same sample from the
    same imports in the same order, and each import draws afresh rather than repeating the first.

    Examples
    --------
    >>> import_seed(7, 100), import_seed(None, 100)
    ([7, 100], None)
    """
    return None if seed is None else [int(seed), int(n_items)]


def batches(items: ItemStream, *, numbered: bool, progress: Callable[[int], Any] | None,
            prepare: Callable[[ItemChunk], None] | None = None,
            suggestions: list[tuple[str, str, float | None]] | None = None) -> Iterator[ItemBatch]:
    """The stream's chunks as the store's batches (``numbered``: keys left for the store to give);
    ``progress`` is told the rows done once the store asks for the next batch, i.e. once the
    previous one is written. ``prepare`` checks (and may rewrite) each chunk first.
    ``suggestions`` collects the rows' ``(id, stored answer, score)`` from a suggestion column,
    to store once the items are in."""
    for chunk in items.chunks():
        if prepare is not None:
            prepare(chunk)
        if suggestions is not None and chunk.suggestions is not None:
            suggestions.extend((key, answer, score) for key, (answer, score) in zip(chunk.ids, chunk.suggestions)
                               if answer is not None)
        yield ItemBatch(None if numbered else chunk.ids, chunk.payloads(), chunk.labels)
        if progress is not None:
            progress(chunk.rows_done)


def kept_columns(featurizer: Featurizer, image_column: str | None) -> dict[str, str]:
    """The columns of a project's items that are data with a role of their own, never the text
    nor a table feature: the vectors column of ``vectors:COLUMN`` features and the image column,
    each with how the user named it (for the message when a file lacks it)."""
    kept: dict[str, str] = {}
    column = getattr(featurizer, "vector_column", None)
    if column is not None:
        kept[column] = f"the vectors column of features {featurizer.name!r}"
    if image_column is not None:
        kept[image_column] = "the image column (image_column=, hilt init --image-column)"
    return kept


class VectorCheck:
    """The check of the items' own vectors as they are imported (a chunk at a time): a column's
    cells become plain lists of finite floats (JSON text in a CSV cell parsed), all of one length
    (:attr:`dim`, kept in the project's meta ``vector_dim``); a file must hold a vector for every
    item id. Errors name the item id and the column or file, before anything is stored."""

    def __init__(self, featurizer: Any, dim: int | None, ids_known: bool):
        self.featurizer, self.dim, self.ids_known = featurizer, dim, ids_known
        self.column: str | None = featurizer.vector_column

    @classmethod
    def of(cls, featurizer: Featurizer, dim: int | None, *, ids_known: bool = True) -> "VectorCheck | None":
        """The check for ``featurizer``, or ``None`` when it does not read the items' own vectors
        (or reads them from a file by ids the store has not given yet)."""
        if not hasattr(featurizer, "check_import"):
            return None
        if getattr(featurizer, "vector_column", None) is None and not ids_known:
            return None
        return cls(featurizer, None if dim is None else int(dim), ids_known)

    def __call__(self, chunk: ItemChunk) -> None:
        cells = chunk.frame[self.column].tolist() if self.column is not None else None
        checked, self.dim = self.featurizer.check_import(chunk.ids, cells, self.dim)
        if self.column is not None:
            frame = chunk.frame.copy()
            frame[self.column] = pd.Series(checked, index=frame.index, dtype=object)
            chunk.frame = frame


def check_features(featurizer: Featurizer, model: Any, items: ItemStream, labels: list[str]) -> None:
    """Try the featurizer (a user's transformer) and the model (a user's classifier) on the first
    items: one that cannot fit them, or returns the wrong number of rows, is an
    :class:`InputError` now, before anything is created, not a failed retrain later."""
    frame = items.first_frame.head(TRANSFORMER_CHECK_ITEMS)
    if hasattr(featurizer, "check_import"):  # the items' own vectors (and the text beside them)
        back = {stored: column for column, stored in items.names.items()}
        fields = featurizer.item_fields(items.kind, items.feature_columns)
        rows = list(zip(*[frame[back.get(f, f)].tolist() for f in fields])) if fields else [()] * len(frame)
        sample: Any = featurizer.items_from_rows(rows, items.kind, items.feature_columns,
                                                 items.first_ids[:len(frame)])
    elif items.kind == "text":
        sample = ["" if v is None else str(v) for v in frame[items.text_column].tolist()]
    else:
        sample = frame[items.feature_columns].to_numpy(dtype="float64")
    try:
        copy = pickle.loads(pickle.dumps(featurizer))
    except Exception as error:  # it is kept pickled in the project file and sent to the retrain process
        raise InputError(f"Expected a transformer that can be pickled; {featurizer.name[7:]} cannot: {error}") from None
    X = copy.fit_matrix(sample)
    if model is None or X.shape[0] < 2:
        return
    y = [labels[i % 2] for i in range(X.shape[0])]  # any two labels: only whether it fits is asked
    try:
        AlignedModel(fresh_copy(model), labels).fit(X, y)
    except Exception as error:
        raise InputError(
            f"Expected the model {type(model).__name__} to fit the {featurizer.name} features; it raised "
            f"{type(error).__name__}: {error} Choose other features (features='tfidf' has no negative "
            "values) or another model."
        ) from None

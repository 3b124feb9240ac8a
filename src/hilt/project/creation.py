"""Making and opening a project: what :meth:`hilt.Project.create` and :meth:`hilt.Project.open` do.

Creating checks every setting once (:meth:`hilt.project.configuration.ProjectSettings.checked`),
connects the Dask scheduler (if any) and reads the first chunk of the data before anything is
written, then writes the project's meta and imports the items; whatever fails on the way leaves
nothing behind (:meth:`hilt.store.location.ProjectLocation.drop`).
"""

from __future__ import annotations

import base64
import pickle
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

from hilt._version import __version__
from hilt.errors import ConflictError, InputError
from hilt.features import TransformerFeatures, get_featurizer
from hilt.importing import ItemStream
from hilt.models import fresh_copy
from hilt.project.configuration import ProjectSettings, check_model
from hilt.project.display import Display
from hilt.project.image_view import not_pixels
from hilt.project.media import check_image_folder
from hilt.project.item_import import (VectorCheck, batches, check_features, check_suggestion_columns,
                                      kept_columns, label_parser)
from hilt.project.suggestion_writes import store_suggestions
from hilt.project.training import connect, disconnect
from hilt.store import Store, utc_now
from hilt.store.existing import drop_project, has_project
from hilt.store.location import ProjectLocation

__all__ = ["create_project", "open_project"]

#: The project class asked to create or open (:class:`hilt.Project`, or a subclass of it); not
#: imported here, since :mod:`hilt.project.core` builds on this module.
P = TypeVar("P")


def create_project(cls: type[P], path: ProjectLocation | str | Path, data: Any, labels: Sequence[str], *,
                   text_column: str | None, id_column: str | None, label_column: str | None, strategy: str,
                   model: Any, features: Any, retrain_every: int, eval_share: float, lease_seconds: float,
                   exist_ok: bool, encoding: str, queue_size: int, seed: int | None,
                   show_columns: Sequence[str] | None, hide_columns: Sequence[str] | None,
                   feature_columns: Sequence[str] | None, exclude_columns: Sequence[str] | None,
                   drop_duplicate_ids: bool, overlap: float, annotators_per_item: int, scheduler: Any,
                   chunk_rows: int, progress: Callable[[int], Any] | None, task: str = "single",
                   label_separator: str | None = None, image_column: str | None = None,
                   image_folder: str | Path | None = None, suggestion_column: str | None = None,
                   suggestion_score_column: str | None = None, suggestion_source: str | None = None) -> P:
    """Create a project at ``path`` from ``data`` (a CSV/TSV/JSONL/Parquet path or a DataFrame):
    what :meth:`hilt.Project.create` does (``cls``: the project class to return).

    Parameters
    ----------
    path : str, pathlib.Path or hilt.store.location.ProjectLocation
        The project file to create, e.g. ``reviews.hilt``, or a ``postgresql://`` database URL.
    data : str, pathlib.Path or pandas.DataFrame
        The items, read by :func:`hilt.importing.read_items`.
    labels : sequence of str
        The labels annotators choose from (at least two, distinct).
    text_column, id_column, label_column : str, optional
        See :func:`hilt.importing.read_items`. Labels from ``label_column`` are stored as
        answers by the reserved annotator ``"import"`` and count as training labels.
    strategy : str, default "margin"
        A name from :data:`hilt.strategies.STRATEGIES` (``margin``, ``margin+diverse``,
        ``cluster``, ``outlier``, ``representative``, ``committee``, …) or a mix such as
        ``margin+diverse:8/random:1/outlier:1`` (shares of each batch of ``retrain_every``).
    model : scikit-learn classifier, optional
        Replaces the default classifier; fitted on the cached features (see the class notes).
    features : str or scikit-learn transformer, optional
        How items become feature rows: a name from :data:`hilt.features.FEATURIZERS`
        (``tfidf``, ``embeddings``, ``tfidf+embeddings`` for text; ``scale`` for tables), the
        items' own vectors (``vectors:COLUMN``, ``vectors:FILE.npz`` aligned by item id,
        ``tfidf+vectors:…`` beside TF-IDF; :mod:`hilt.features.vectors`: the column is checked
        at import and never shown to annotators) or any scikit-learn transformer (kept pickled
        in the project file, like ``model``).
        Default: :data:`hilt.features.DEFAULT_FEATURES` for the items' kind
        (``tfidf+embeddings`` for text). Recorded in the project with its parameters and
        library version; the feature cache is keyed by it.
    retrain_every : int, default 10
        Retrain in the background after this many new training labels.
    eval_share : float, default 0.1
        Share of served items drawn from a random evaluation sample (never trained on).
    lease_seconds : float, default 600
        How long a served item stays reserved for its annotator.
    exist_ok : bool, default False
        Replace an existing project at ``path`` (its labels are lost) instead of raising
        :class:`hilt.errors.ConflictError`.
    encoding : str, default "utf-8"
        Text encoding of a CSV/JSON file.
    queue_size : int, default 2000
        Ranked items kept per model run.
    seed : int, optional
        Seeds the evaluation sample and the random order (for reproducible tests).
    show_columns, hide_columns : sequence of str, optional
        Which item columns annotators see (the text always): only ``show_columns``, or all
        but ``hide_columns``. By default all but the columns whose values are all label
        names (they may be the answers); :attr:`shown_columns` lists what is shown.
        The id and label columns are never part of an item's data.
    feature_columns, exclude_columns : sequence of str, optional
        Which columns the model sees (table items): exactly ``feature_columns``, or every
        numeric column but ``exclude_columns`` and those whose values are all label names
        (see :func:`hilt.importing.read_items`). Kept in the project: later imports and every
        retrain use the same columns. An unknown name is an :class:`hilt.errors.InputError`
        that lists the columns there are.
    drop_duplicate_ids : bool, default False
        With ``id_column``, keep the first row of each id and skip the rest (counted in
        :attr:`created_import`) instead of refusing a file whose ids repeat.
    overlap : float, default 0.0
        Share of items (chosen at random, evaluation items too, also in later imports) that
        ``annotators_per_item`` different people label, for agreement figures and review;
        the rest are labelled once. Nobody is served an item twice.
    annotators_per_item : int, default 2
        How many different people label an overlapped item (at least 2 when ``overlap > 0``).
    scheduler : str or distributed.Client, optional
        A Dask scheduler (``tcp://host:8786``) whose workers build the features and score the
        pool (:mod:`hilt.cluster`); default :data:`hilt.cluster.SCHEDULER_ENV`
        (``HILT_DASK_SCHEDULER``), else none: everything runs in this process. Checked before
        the data is read: an unreachable scheduler is an :class:`hilt.errors.InputError`.
    chunk_rows : int, default 100000
        Rows read, checked and written at a time: the import's memory is that of one chunk,
        whatever the size of ``data``. The first chunk decides the kind of items, the text
        column and the columns hidden for holding label names (see
        :class:`hilt.importing.ItemStream`).
    progress : callable, optional
        Called with the number of data rows imported so far, after each chunk.
    task : str, default "single"
        What an answer is (:data:`hilt.tasks.TASKS`): ``single`` (one label per item) or
        ``multilabel`` (a set of labels; ``[]`` is "none of these"). Kept in the project.
    label_separator : str, optional
        With ``task="multilabel"``: what joins the labels of a ``label_column`` cell (default
        ``;``); a JSON array (a JSONL list, or its text in a cell) is read as it is.
    image_column : str, optional
        A column of image files (a path relative to ``image_folder``) or ``http(s)`` URLs that
        the labelling and review pages show as the image; never the text nor a feature.
    image_folder : str or pathlib.Path, optional
        The folder ``image_column``'s paths are relative to: the only folder ``hilt serve``
        serves files from (``GET /media/PATH``). Change it later with
        :meth:`hilt.Project.set_image_folder` (``hilt config P image_folder=DIR``).
    suggestion_column, suggestion_score_column, suggestion_source : str, optional
        Another model's predictions in the data: its answers (read like ``label_column``'s cells;
        an empty cell is no suggestion), its confidence from 0 to 1, and the model's name
        (default: the suggestion column's name). Stored as suggestions, never as labels, and,
        like the label column, neither shown nor a feature (:meth:`hilt.Project.import_suggestions`).
        ``created_import`` then has ``suggestions``, how many were stored.

    Returns
    -------
    Project
        The open project. Nothing is left behind when the data cannot be read, wherever in
        the file the problem is: the project file (or the database's tables) is removed.
    """
    location = ProjectLocation.of(path)
    chosen = ProjectSettings.checked(labels, strategy, retrain_every=retrain_every, eval_share=eval_share,
                                     lease_seconds=lease_seconds, queue_size=queue_size, seed=seed,
                                     overlap=overlap, annotators_per_item=annotators_per_item, task=task)
    labels = list(chosen.labels)
    if not location.is_database:
        file = location.path
        if file.is_dir():
            raise InputError(f"Expected a file name for the project, like {file / 'labels.hilt'}; {file} is a folder.")
        if isinstance(data, (str, Path)) and Path(data).resolve() == file.resolve():
            raise InputError(
                f"Expected the project file and the data file to differ; both are {file}. Name the "
                f"project e.g. {file.with_suffix('.hilt')}."
            )
    if model is not None and chosen.task == "spans":
        raise InputError("Expected no model= for task 'spans': a spans project trains its own sequence model "
                         "(hilt.tasks.span_model.SpanModel) on the texts; model= replaces the classifier of the other tasks.")
    if model is not None:
        check_model(model, labels)
    if features is None and chosen.task == "spans":
        # The sequence model reads the texts; the features only place items for the diversity
        # strategies, where TF-IDF does and is quick to build.
        features = "tfidf"
    early = None
    if isinstance(features, str):  # a misspelt name fails before the data is read
        early = get_featurizer(features, "text" if features.strip().lower() != "scale" else "table")
    folder = check_image_source(image_column, image_folder)
    kept = kept_columns(early, image_column) if early is not None else kept_columns(None, image_column)
    own_features = hasattr(early, "check_import")
    source = check_suggestion_columns(suggestion_column, suggestion_score_column, suggestion_source)
    client = connect(scheduler)  # an unreachable cluster fails before the data is read
    refuse_cluster_for(chosen.task, client)
    try:
        # Reads and checks the first chunk only: the rest is read as it is stored.
        items = ItemStream(data, text_column=text_column, id_column=id_column, label_column=label_column,
                           labels=labels, encoding=encoding, feature_columns=feature_columns,
                           exclude_columns=exclude_columns, drop_duplicate_ids=drop_duplicate_ids,
                           chunk_rows=chunk_rows, parse_label=label_parser(chosen.task, labels, label_separator),
                           kept_columns=kept, own_features=own_features,
                           suggestion_column=suggestion_column, suggestion_score_column=suggestion_score_column)
    except BaseException:
        disconnect(client)
        raise
    try:
        if chosen.task == "spans" and items.kind != "text":
            raise InputError(
                f"Expected texts for task 'spans' (it marks stretches of an item's text); the data holds table "
                f"rows (columns {', '.join(list(dict(items.names).values())[:8])}). Name the text column with "
                "text_column= (hilt init --text-column).")
        stored = dict(items.names)
        label_like = not_pixels(items.label_like, stored)  # pixels are data, not the answer
        display = Display.choose(stored, always=["text"] if items.kind == "text" else [],
                                 label_like=label_like, show=show_columns, hide=hide_columns)
        featurizer = get_featurizer(features, items.kind, model=model)
        vector_column = getattr(featurizer, "vector_column", None)
        if vector_column is not None:  # a list of 768 numbers is no reading for a person
            display = display.never(stored.get(vector_column, vector_column))
        if isinstance(featurizer, TransformerFeatures) or model is not None:
            check_features(featurizer, model, items, labels)
        if not location.is_database and has_project(location):
            if not exist_ok:
                raise ConflictError(
                    f"Expected no file at {location.path}, but one exists. Open it with Project.open, choose "
                    "another name, or pass exist_ok=True to replace it."
                )
            drop_project(location)
    except BaseException:
        items.close()
        disconnect(client)
        raise
    meta = {
        "labels": labels, "strategy": chosen.strategy, "kind": items.kind, "text_column": items.text_column,
        "id_column": id_column, "feature_columns": items.feature_columns,
        "display": display.to_meta(), "data_columns": list(stored.values()),
        "settings": chosen.meta_settings(),
        "model": base64.b64encode(pickle.dumps(fresh_copy(model))).decode() if model is not None else None,
        "features": featurizer.spec(),
        "featurizer": (base64.b64encode(pickle.dumps(featurizer)).decode()
                       if isinstance(featurizer, TransformerFeatures) else None),
        "created_at": utc_now(), "created_by": f"hilt {__version__}",
        "overlap": chosen.overlap, "task": chosen.task,
        **({"image_column": image_column, "image_folder": folder} if image_column is not None else {}),
    }
    try:
        store = Store.create(location, meta, replace=exist_ok)
    except BaseException:
        items.close()
        disconnect(client)
        raise
    try:
        check = VectorCheck.of(featurizer, None)
        suggested: list[tuple[str, str, float | None]] | None = [] if suggestion_column else None
        result = store.import_batches(batches(items, numbered=False, progress=progress, prepare=check,
                                              suggestions=suggested),
                                      eval_share=eval_share, seed=seed, **chosen.overlap_arguments())
        if check is not None:
            store.set_meta("vector_dim", check.dim)
        if suggested is not None:
            result["suggestions"] = store_suggestions(store, chosen.strategy, source, suggested)
        if list(items.names.values()) != meta["data_columns"]:  # keys first seen in a later chunk
            store.set_meta("data_columns", list(items.names.values()))
        project = cls(store, scheduler=client)
    except BaseException:
        items.close()
        store.close()
        disconnect(client)
        drop_project(location)
        raise
    project._training.adopt(client)
    #: What the first import did: ``{"added", "duplicates", "labelled"}`` (duplicate ids in the file are skipped),
    #: with ``repeated_ids`` (the first few repeated ids and their lines), ``identical_texts`` and
    #: ``label_like`` (columns of label names, hidden from annotators unless shown).
    project.created_import = {**result, "duplicates": result["duplicates"] + items.duplicates,
                              "repeated_ids": items.repeated_ids, "identical_texts": items.identical_texts,
                              "label_like": [stored[c] for c in label_like]}
    return project


def check_image_source(column: Any, folder: Any) -> str | None:
    """``image_folder`` as an absolute path (``None`` without one), after checking that
    ``image_column`` names a column and the folder is an existing folder; a folder without a
    column is a mistake."""
    if column is not None and (not isinstance(column, str) or not column.strip()):
        raise InputError(f"Expected image_column to name a column of image paths or URLs; got {column!r}.")
    if folder is None:
        return None
    if column is None:
        raise InputError("Expected image_column (hilt init --image-column) with image_folder: the folder holds "
                         "the files the column names.")
    return check_image_folder(folder)


def refuse_cluster_for(task: str, client: Any) -> None:
    """Refuse a Dask scheduler for a spans project (its sequence model trains and ranks in this
    process or the retrain process: the cluster path scores feature rows with a classifier),
    closing the client first."""
    if client is None or task != "spans":
        return
    disconnect(client)
    raise InputError("Expected no Dask scheduler for task 'spans': a spans project's sequence model trains and "
                     "ranks on this machine. Leave out --scheduler (and unset HILT_DASK_SCHEDULER).")


def open_project(cls: type[P], path: ProjectLocation | str | Path, *, model: Any, scheduler: Any) -> P:
    """Open the project at ``path`` (a file, a ``postgresql://`` URL or a
    :class:`~hilt.store.location.ProjectLocation`): what :meth:`hilt.Project.open` does.

    ``model`` overrides the classifier kept in the file for this session. ``scheduler``
    (``tcp://host:8786``, or a :class:`distributed.Client`; default ``HILT_DASK_SCHEDULER``;
    ``False``: none, whatever the environment says) builds features and scores the pool on a
    Dask cluster (:mod:`hilt.cluster`). Raises
    :class:`hilt.errors.NotFoundError` for a missing file and :class:`hilt.errors.InputError`
    for a file that is not a hilt project or was written by a newer hilt, and for a
    scheduler that cannot be reached (within ``HILT_DASK_TIMEOUT`` seconds, default 10).
    """
    store = Store.open(path)
    client = None
    try:
        if model is not None:
            check_model(model, store.meta()["labels"])
        client = connect(scheduler)
        refuse_cluster_for(store.task.name, client)
        project = cls(store, model=model, scheduler=client)
    except BaseException:
        store.close()
        disconnect(client)
        raise
    project._training.adopt(client)
    return project

"""A labelling project: the store, its settings, the queue and the background retrain worker."""

from __future__ import annotations

import base64
import numbers
import pickle
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from hilt._version import __version__
from hilt.errors import ConflictError, InputError
from hilt.importing import DEFAULT_CHUNK_ROWS, ItemStream
from hilt.features import Featurizer, TransformerFeatures, get_featurizer
from hilt.models import AlignedModel, default_classifier, fresh_copy
from hilt.project.annotators import (
    annotator_entries,
    check_annotator,
    hash_token,
    known_annotator,
    link_base,
    new_token,
    record_address,
)
from hilt.project.display import Display
from hilt.project.image_view import ImageView, check_image_setting, image_view, not_pixels
from hilt.project.export import export_columns, export_row, write_rows
from hilt.project.features import FeatureCache, cache_folder
from hilt.project.item import Item
from hilt.project.quality import QualityMixin
from hilt.project.results import AnnotatorRow, AnswerReply, Status
from hilt.project.worker import RetrainJob, RetrainWorker, covered
from hilt.store import ItemBatch, ItemRow, Store, utc_now
from hilt.store.database import describe_url, drop_project_at as drop_database_project
from hilt.store.engine import is_database_url
from hilt.store.store import ANNOTATOR, REVIEWER
from hilt.strategies import check_strategy

__all__ = ["Project"]

#: Rows scored at a time by :meth:`Project.predictions` (bounds the memory of a dense chunk).
_PREDICT_CHUNK = 50_000

#: How many top-ranked items a run writes to the queue. Far more than people label between
#: two runs; when it runs dry anyway the queue falls back to the random order.
DEFAULT_QUEUE_SIZE = 2_000


class Project(QualityMixin):
    """One labelling project: a SQLite file (e.g. ``reviews.hilt``) and a rebuildable cache folder.

    Create one with :meth:`create`, open one with :meth:`open`; close it with :meth:`close`
    or use it as a context manager. A project may be used from several threads, and several
    processes may open the same file at once.

    The model
    ---------
    Items are featurized once by the project's featurizer (``features=``: by default TF-IDF
    beside sentence embeddings for text, scaling for tables; see :mod:`hilt.features`) and
    the features are cached in ``<path>.d/``; a retrain refits only the classifier, a logistic
    regression with the strength chosen for those features. ``model`` (any
    scikit-learn classifier with ``predict_proba`` or ``decision_function``) replaces the
    default logistic regression and is fitted on those cached features, so it must accept
    a sparse matrix for text items. It is kept in the project file (pickled), so only open
    project files you trust, as with any pickled model.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> from hilt import Project
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> frame = pd.DataFrame({"text": ["good film", "bad film", "great", "awful"]})
    >>> with Project.create(folder / "reviews.hilt", frame, ["pos", "neg"], eval_share=0) as project:
    ...     item = project.next_item("ada")
    ...     project.answer(item.id, "pos", "ada", answer_id="a1")["saved"]
    ...     project.status()["n_answered"]
    True
    1
    """

    # -- opening and closing ---------------------------------------------------------------
    def __init__(self, store: Store, *, model: Any = None, scheduler: Any = None):
        self._store = store
        self.path = store.path
        meta = store.meta()
        self.labels: list[str] = list(meta["labels"])
        self.strategy: str = meta["strategy"]
        self.kind: str = meta["kind"]
        self.text_column: str | None = meta.get("text_column")
        self.id_column: str | None = meta.get("id_column")
        self.feature_columns: list[str] = list(meta.get("feature_columns") or [])
        self._display = Display.from_meta(meta.get("display"))
        self._data_columns: list[str] = list(meta.get("data_columns") or [])
        settings = meta.get("settings") or {}
        self.retrain_every = int(settings.get("retrain_every", 10))
        self.eval_share = float(settings.get("eval_share", 0.1))
        self.lease_seconds = float(settings.get("lease_seconds", 600))
        #: ``{"share", "annotators_per_item"}`` when some items go to several people, else ``None``.
        self.overlap: dict | None = meta.get("overlap")
        queue_size = int(settings.get("queue_size", DEFAULT_QUEUE_SIZE))
        if model is None and meta.get("model"):
            model = pickle.loads(base64.b64decode(meta["model"]))
        self.model = model
        #: The featurizer (:mod:`hilt.features`) the project's items are turned into rows by.
        self.featurizer: Featurizer = _featurizer_from_meta(meta)
        self.folder = cache_folder(self.path)
        features = FeatureCache(self.folder, self.kind, self.feature_columns, self.featurizer)
        #: This process's feature cache: the retrains' unless a scheduler is given; then only for
        #: what needs every labelled row here at once (exporting a model, likely label errors).
        self._features = features
        strength = self.featurizer.classifier_C
        make = (lambda: fresh_copy(model)) if model is not None else (lambda: default_classifier(C=strength))
        #: A fresh, unfitted copy of the project's classifier on each call.
        self._new_estimator = make
        #: The Dask scheduler's address when the pool's features and scores are on a cluster
        #: (:mod:`hilt.cluster`), else ``None``.
        self.scheduler: str | None = None
        self._client: Any = None
        seed = int(settings.get("seed") or 0)
        if scheduler is None:
            self._job = RetrainJob(store, features, self.labels, self.strategy, make, queue_size,
                                   batch=self.retrain_every, seed=seed)
        else:
            self._job = self._cluster_job(scheduler, make, queue_size, seed)
        self._worker = RetrainWorker(self._job)
        self._counter_lock = threading.Lock()
        runs = store.runs()
        # A diversity strategy has a queue before any model (cluster representatives): the
        # first serve asks the worker for it, in the background like any run.
        self._wants_cold_queue = not runs and self._job.uses_features
        trained = len(store.current_labels(is_eval=False))
        # New training labels since the last run: reaching retrain_every starts a retrain.
        self._since_retrain = trained - (runs[-1]["n_train"] if runs else 0)
        self._closed = False

    def _cluster_job(self, scheduler: Any, make: Any, queue_size: int, seed: int) -> RetrainJob:
        """The retrain job that builds features and scores on the Dask cluster at ``scheduler``."""
        from hilt.cluster import connect
        from hilt.project.cluster import ClusterFeatures, ClusterRetrainJob

        client = connect(scheduler)
        owned = isinstance(scheduler, str)
        try:
            features = ClusterFeatures(client, self._store.path, self.kind, self.feature_columns, self.featurizer)
            job = ClusterRetrainJob(self._store, features, self.labels, self.strategy, make, queue_size,
                                    client=client, local_folder=self.folder, batch=self.retrain_every, seed=seed)
        except BaseException:
            if owned:
                client.close()
            raise
        self._client = client if owned else None  # a client the caller gave stays theirs to close
        self.scheduler = scheduler if owned else (getattr(client, "_hilt_address", None) or client.scheduler.address)
        return job

    @classmethod
    def create(
        cls,
        path: str | Path,
        data: Any,
        labels: Sequence[str],
        *,
        text_column: str | None = None,
        id_column: str | None = None,
        label_column: str | None = None,
        strategy: str = "margin",
        model: Any = None,
        features: Any = None,
        retrain_every: int = 10,
        eval_share: float = 0.1,
        lease_seconds: float = 600,
        exist_ok: bool = False,
        encoding: str = "utf-8",
        queue_size: int = DEFAULT_QUEUE_SIZE,
        seed: int | None = None,
        show_columns: Sequence[str] | None = None,
        hide_columns: Sequence[str] | None = None,
        feature_columns: Sequence[str] | None = None,
        exclude_columns: Sequence[str] | None = None,
        drop_duplicate_ids: bool = False,
        overlap: float = 0.0,
        annotators_per_item: int = 2,
        scheduler: Any = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        progress: Callable[[int], Any] | None = None,
    ) -> "Project":
        """Create a project at ``path`` from ``data`` (a CSV/TSV/JSONL/Parquet path or a DataFrame).

        Parameters
        ----------
        path : str or pathlib.Path
            The project file to create, e.g. ``reviews.hilt``.
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
            (``tfidf``, ``embeddings``, ``tfidf+embeddings`` for text; ``scale`` for tables) or
            any scikit-learn transformer (kept pickled in the project file, like ``model``).
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

        Returns
        -------
        Project
            The open project. Nothing is left behind when the data cannot be read, wherever in
            the file the problem is: the project file (or the database's tables) is removed.
        """
        in_database = is_database_url(path)
        path = path if in_database else Path(path)
        labels = _check_labels(labels)
        strategy = check_strategy(strategy)
        _check_number("retrain_every", retrain_every, 1, None, whole=True)
        _check_number("eval_share", eval_share, 0.0, 0.9)
        _check_number("lease_seconds", lease_seconds, 1, None)
        _check_number("queue_size", queue_size, 1, None, whole=True)
        _check_overlap(overlap, annotators_per_item)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
            raise InputError(f"Expected seed to be a whole number >= 0 or None; got {seed!r}.")
        if not in_database and path.is_dir():
            raise InputError(f"Expected a file name for the project, like {path / 'labels.hilt'}; {path} is a folder.")
        if not in_database and isinstance(data, (str, Path)) and Path(data).resolve() == path.resolve():
            raise InputError(
                f"Expected the project file and the data file to differ; both are {path}. Name the "
                f"project e.g. {path.with_suffix('.hilt')}."
            )
        if model is not None:
            _check_model(model, labels)
        if isinstance(features, str):  # a misspelt name fails before the data is read
            get_featurizer(features, "text" if features.strip().lower() != "scale" else "table")
        scheduler = _connect(scheduler)  # an unreachable cluster fails before the data is read
        try:
            # Reads and checks the first chunk only: the rest is read as it is stored.
            items = ItemStream(data, text_column=text_column, id_column=id_column, label_column=label_column,
                               labels=labels, encoding=encoding, feature_columns=feature_columns,
                               exclude_columns=exclude_columns, drop_duplicate_ids=drop_duplicate_ids,
                               chunk_rows=chunk_rows)
        except BaseException:
            _disconnect(scheduler)
            raise
        try:
            stored = dict(items.names)
            label_like = not_pixels(items.label_like, stored)  # pixels are data, not the answer
            display = Display.choose(stored, always=["text"] if items.kind == "text" else [],
                                     label_like=label_like, show=show_columns, hide=hide_columns)
            featurizer = get_featurizer(features, items.kind, model=model)
            if isinstance(featurizer, TransformerFeatures) or model is not None:
                _check_features(featurizer, model, items, labels)
            if not in_database and path.exists():
                if not exist_ok:
                    raise ConflictError(
                        f"Expected no file at {path}, but one exists. Open it with Project.open, choose "
                        "another name, or pass exist_ok=True to replace it."
                    )
                _remove_project_files(path)
        except BaseException:
            items.close()
            _disconnect(scheduler)
            raise
        meta = {
            "labels": labels, "strategy": strategy, "kind": items.kind, "text_column": items.text_column,
            "id_column": id_column, "feature_columns": items.feature_columns,
            "display": display.to_meta(), "data_columns": list(stored.values()),
            "settings": {"retrain_every": int(retrain_every), "eval_share": float(eval_share),
                         "lease_seconds": float(lease_seconds), "queue_size": int(queue_size),
                         **({"seed": int(seed)} if seed is not None else {})},
            "model": base64.b64encode(pickle.dumps(fresh_copy(model))).decode() if model is not None else None,
            "features": featurizer.spec(),
            "featurizer": (base64.b64encode(pickle.dumps(featurizer)).decode()
                           if isinstance(featurizer, TransformerFeatures) else None),
            "created_at": utc_now(), "created_by": f"hilt {__version__}",
            "overlap": ({"share": float(overlap), "annotators_per_item": int(annotators_per_item)}
                        if overlap > 0 else None),
        }
        try:
            store = Store.create(path, meta, replace=exist_ok)
        except BaseException:
            items.close()
            _disconnect(scheduler)
            raise
        try:
            result = store.import_batches(_batches(items, numbered=False, progress=progress), eval_share=eval_share,
                                          seed=seed, **_overlap_arguments(meta["overlap"]))
            if list(items.names.values()) != meta["data_columns"]:  # keys first seen in a later chunk
                store.set_meta("data_columns", list(items.names.values()))
            project = cls(store, scheduler=scheduler)
        except BaseException:
            items.close()
            store.close()
            _disconnect(scheduler)
            _remove_project_files(path)
            raise
        project._adopt(scheduler)
        #: What the first import did: ``{"added", "duplicates", "labelled"}`` (duplicate ids in the file are skipped),
        #: with ``repeated_ids`` (the first few repeated ids and their lines), ``identical_texts`` and
        #: ``label_like`` (columns of label names, hidden from annotators unless shown).
        project.created_import = {**result, "duplicates": result["duplicates"] + items.duplicates,
                                  "repeated_ids": items.repeated_ids, "identical_texts": items.identical_texts,
                                  "label_like": [stored[c] for c in label_like]}
        return project

    @classmethod
    def open(cls, path: str | Path, *, model: Any = None, scheduler: Any = None) -> "Project":
        """Open the project file at ``path``.

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
                _check_model(model, store.meta()["labels"])
            client = _connect(scheduler)
            project = cls(store, model=model, scheduler=client)
        except BaseException:
            store.close()
            _disconnect(client)
            raise
        project._adopt(client)
        return project

    def _adopt(self, client: Any) -> None:
        """Close ``client`` with the project when the project connected it (from an address)."""
        if client is not None and self._client is None and getattr(client, "_hilt_owned", False):
            self._client = client
            self.scheduler = str(client._hilt_address)

    def close(self) -> None:
        """Stop the background worker and close the file. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._worker.stop()
        self._store.close()
        if self._client is not None:
            self._client.close()
        # The client the cluster job connected again with, after the first lost its scheduler.
        again = getattr(self._job, "client", None)
        if again is not None and again is not self._client and getattr(again, "_hilt_owned", False):
            again.close()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        where = describe_url(self.path) if is_database_url(self.path) else str(self.path)  # never a password
        return f"Project({where!r}, kind={self.kind!r}, labels={self.labels!r})"

    @property
    def shown_columns(self) -> list[str]:
        """The item columns annotators see (as stored: the text column is ``"text"``).

        Set at creation by ``show_columns`` / ``hide_columns``; columns whose values are all
        label names are hidden unless shown explicitly. Projects made before the setting show
        every column.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["good", "bad"], "stars": [5, 1], "hint": ["pos", "neg"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"],
        ...                     text_column="text") as project:
        ...     project.shown_columns
        ['text', 'stars']
        """
        return self._display.visible(self._data_columns)

    @property
    def hidden_columns(self) -> list[str]:
        """The item columns annotators do not see (kept in the project and the export)."""
        return [c for c in self._data_columns if not self._display.shows(c)]

    @property
    def image_view(self) -> ImageView | None:
        """The shown columns that faces draw as a square image (:mod:`hilt.project.image_view`),
        or ``None``. Read from the file each time, so ``hilt config`` reaches a running server's
        next page.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({f"px{k}": [k, 1] for k in range(16)})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["a", "b"]) as project:
        ...     side = project.image_view.side
        ...     _ = project.set_image_columns("off")
        ...     side, project.image_view
        (4, None)
        """
        return image_view(self.shown_columns, self.image_columns)

    @property
    def image_columns(self) -> str | list[str]:
        """The image setting :meth:`set_image_columns` made (``"auto"`` unless changed)."""
        return self._store.meta().get("image_columns", "auto")

    def set_image_columns(self, setting: str | Sequence[str]) -> ImageView | None:
        """Set which shown columns are drawn as an image: ``"auto"`` (found by name, the
        default), ``"off"``, or column names / patterns (``"px*"``) in row-major order. Returns
        the :attr:`image_view` it gives."""
        self._store.set_meta("image_columns", check_image_setting(setting, self.shown_columns))
        return self.image_view

    # -- items -----------------------------------------------------------------------------
    def import_items(self, data: Any, *, label_column: str | None = None, encoding: str = "utf-8",
                     drop_duplicate_ids: bool = False, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                     progress: Callable[[int], Any] | None = None) -> dict:
        """Add items from a file or DataFrame read the way the project's first file was.

        All or nothing: a bad file raises and leaves the project exactly as it was, wherever in
        the file the problem is. The file is read, checked and written ``chunk_rows`` rows at a
        time in one transaction (see :meth:`create`), so its size does not bound the memory,
        and no annotator is served an item of the import before all of it is in; ``progress``
        is called with the number of data rows imported so far after each chunk. Items whose
        id is already in the project are not added again, but a label the file gives them (in
        ``label_column``) is stored by the ``import`` annotator when the item has no current
        label; a label someone already gave is kept. Without an id column, new items are
        numbered on from the items already there. An id that repeats an earlier row of the same
        file is an :class:`hilt.errors.InputError` unless ``drop_duplicate_ids=True`` (the first
        row is kept).

        Returns a dict: ``added`` (new items), ``labelled`` (new items with a label),
        ``existing`` (ids already in the project), ``relabelled`` (of those, labels added from
        the file), ``label_kept`` (of those, a different current label kept), ``repeated``
        (rows skipped because their id came earlier in the same file) and ``repeated_ids``
        (the first few of them with their lines), ``identical_texts`` (rows whose text equals
        an earlier row's; kept), and ``duplicates`` (``existing + repeated``).

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
        # Read the way the project's items are: its text column, or exactly its feature columns.
        table = self.kind == "table"
        items = ItemStream(data, text_column=self.text_column, id_column=self.id_column,
                           label_column=label_column, labels=self.labels, encoding=encoding,
                           feature_columns=self.feature_columns if table else None,
                           drop_duplicate_ids=drop_duplicate_ids, chunk_rows=chunk_rows)
        # Row numbers are per file: without an id column the store numbers the new items on
        # from the project's, inside the import transaction (two imports at once never collide).
        batches = _batches(items, numbered=self.id_column is None, progress=progress)
        try:
            result = self._store.import_batches(batches, eval_share=self.eval_share, label_existing=True,
                                                **_overlap_arguments(self.overlap))
        finally:
            items.close()
        result = {**result, "existing": result["duplicates"], "repeated": items.duplicates,
                  "repeated_ids": items.repeated_ids, "identical_texts": items.identical_texts,
                  "duplicates": result["duplicates"] + items.duplicates}
        self._hide_new_label_like(items)
        with self._counter_lock:
            self._since_retrain += result["labelled"] + result["relabelled"]
            if result["added"] and self._store.runs():  # new items need scores: retrain soon
                self._since_retrain = max(self._since_retrain, self.retrain_every)
        return result

    def _hide_new_label_like(self, items: ItemStream) -> None:
        """Columns first seen in a later import: recorded, and hidden when they hold label names
        (unless the project shows only chosen columns, which hides every new column anyway)."""
        stored = items.names
        new = [key for key in stored.values() if key not in self._data_columns]
        if not new:
            return
        hide = [stored[c] for c in items.label_like if stored[c] in new]
        if hide and self._display.mode == "hide":
            self._display = Display("hide", self._display.names + tuple(hide), self._display.always)
            self._store.set_meta("display", self._display.to_meta())
        self._data_columns += new
        self._store.set_meta("data_columns", self._data_columns)

    # -- labelling -------------------------------------------------------------------------
    def next_item(self, annotator: str) -> Item | None:
        """Lease the next item to ``annotator``; ``None`` when nothing is left for them.

        The most uncertain unlabelled item by the current ranking (random items before the
        first model), with a share ``eval_share`` of random evaluation items mixed in. Asking
        again before answering returns the same item. The lease expires after ``lease_seconds``.
        """
        check_annotator(annotator)
        self._maybe_retrain()
        row = self._store.claim(annotator, lease_seconds=self.lease_seconds, eval_share=self.eval_share)
        return None if row is None else _item(row, self._display)

    def peek_items(self, annotator: str, n: int) -> list[Item]:
        """The next ``n`` items ``annotator`` would be served (ranked ones first), without leasing."""
        check_annotator(annotator)
        _check_number("n", n, 1, None, whole=True)
        return [_item(row, self._display) for row in self._store.peek(annotator, int(n))]

    def answer(self, item_id: str, label: str | None, annotator: str, answer_id: str | None = None, *,
               lease_next: bool = False) -> AnswerReply:
        """Record ``annotator``'s ``label`` for ``item_id`` (``label=None`` skips the item).

        Committed to disk before it returns. Repeating an ``answer_id`` stores nothing new and
        returns ``duplicate=True``, so a client may retry safely.

        Any item may be answered, also one leased to someone else: a lease decides who is
        *served* an item, it does not lock answering. A person whose lease ran out while they
        were thinking keeps their label instead of losing the work; the item then has a label,
        so it is served to nobody again, and a second label from the lease holder is kept too
        (the item's label is then decided as for any item with several answers: see
        :func:`hilt.store.consensus.final_labels`; ``export(..., include_retracted=True)``
        shows both). Rejecting the late answer
        would instead break safe retries: a retried skip must stay a duplicate even after the
        item was leased on.

        Raises :class:`hilt.errors.InputError` for a label outside the project's labels or a bad
        ``answer_id``, :class:`hilt.errors.NotFoundError` for an unknown ``item_id``, and
        :class:`hilt.errors.ConflictError` when an ``answer_id`` comes back with a different answer.

        With ``lease_next=True`` the annotator's next item is leased in the same transaction
        (one commit for the usual "answer, show the next item" step of a labelling face) and
        returned under ``"next"`` (an :class:`Item`, or ``None`` when nothing is left), exactly as
        :meth:`next_item` would have served it. A retried answer gets the item it was first given.

        Returns an :class:`~hilt.project.results.AnswerReply`: ``{"saved": True, "answer_id": ...,
        "duplicate": bool}`` (plus ``"next"``).
        """
        answer_id = self._check_answer(label, annotator, answer_id)
        if lease_next:
            result, row = self._store.answer_and_claim(str(item_id), label, annotator, answer_id,
                                                       lease_seconds=self.lease_seconds, eval_share=self.eval_share)
        else:
            result, row = self._store.record_answer(str(item_id), label, annotator, answer_id), None
        self._count_training(result)
        self._maybe_retrain()  # also when only next_item's check would have started a due run
        following = None if row is None else _item(row, self._display)
        return AnswerReply(saved=True, answer_id=result["answer_id"], duplicate=result["duplicate"],
                           next=following, leased_next=lease_next)

    def _check_answer(self, label: str | None, annotator: str, answer_id: str | None) -> str:
        """Check an answer's parts (one of the project's labels or None, a valid annotator name
        and answer id); returns the answer id, a new one when none was given."""
        check_annotator(annotator)
        if label is not None and label not in self.labels:
            raise InputError(
                f"Expected a label from {', '.join(self.labels)} (or None to skip); got {label!r}."
            )
        if answer_id is None:
            return uuid.uuid4().hex
        if not isinstance(answer_id, str) or not 1 <= len(answer_id) <= 128:
            raise InputError(f"Expected answer_id to be a string of 1-128 characters; got {answer_id!r}.")
        return answer_id

    def undo(self, annotator: str, undo_id: str | None = None) -> Item | None:
        """Retract ``annotator``'s latest current answer (kept, marked retracted) and lease the
        item back to them; returns it, or ``None`` when they have nothing left to undo.

        When the item has meanwhile been leased to someone else (``annotator`` skipped it and it
        went to the next person), the answer is retracted all the same, but the item stays with
        the person holding it, so that it is never on two screens at once: ``undo`` then returns
        ``None`` and ``annotator`` keeps their current item.

        ``undo_id`` (1-128 characters) makes a retry safe, like ``answer_id``: an undo repeated
        with the same id (within a day, by any process over the project) retracts nothing more
        and returns what the first one returned.
        """
        check_annotator(annotator)
        if undo_id is not None and (not isinstance(undo_id, str) or not 1 <= len(undo_id) <= 128):
            raise InputError(f"Expected undo_id to be a string of 1-128 characters; got {undo_id!r}.")
        row = self._store.undo(annotator, lease_seconds=self.lease_seconds, undo_id=undo_id)
        return None if row is None else _item(row, self._display)

    # -- the model -------------------------------------------------------------------------
    def isolate_retrains(self, *, start: bool = False) -> None:
        """Run every background retrain in the retrain child process, whatever the pool size.

        For a server: a retrain in a thread of the serving process holds Python's GIL
        for much of its work (tokenising, the solver's Python loop), and the requests served
        meanwhile wait for it. With 50 people-paced annotators over 12,000 items
        (``bench/bench_server.py``, two consecutive runs) the server's p99 went from 60-83 ms in
        a thread to 19-25 ms in the child process.
        Without a server (a notebook, ``hilt label``) small pools keep retraining in a thread,
        which starts no process. A cluster job already runs its retrains on the cluster.

        ``start=True`` starts the child now (``hilt serve`` does, before it accepts requests):
        its imports take seconds, and begun at the first retrain they delayed that run past the
        end of a short session. The child starts in the background; this returns at once.

        Examples
        --------
        >>> import pandas as pd, tempfile, pathlib
        >>> from hilt import Project
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.hilt"
        >>> with Project.create(path, pd.DataFrame({"text": ["a b", "c d"]}), ["x", "y"]) as project:
        ...     project.isolate_retrains()
        """
        if self.scheduler is not None:  # a cluster job: its runs are already elsewhere
            return
        self._job.child_min_items = 0
        if start:
            self._job.start_child()

    def warm(self, progress: Any = None) -> str:
        """Build (or load) the item features now, so that the first retrain does not.

        A server calls this before it accepts requests: the first feature build over a large
        pool takes seconds (embeddings: about a second per 10,000 texts). ``progress(done,
        total)``, if given, is called as the build advances. Returns where the features came
        from: ``"built"``, ``"disk"`` (the cache beside the project file) or ``"memory"``.
        """
        if self.scheduler is not None:  # on the cluster's workers ("cluster": published by another process)
            return self._job.warm()
        self._job.features.get(self._store, progress=progress)
        source = str(self._job.features.last_source)
        if self._job.uses_features:
            self._job.features.dense_view()  # what the diversity strategies compare items on
        return source

    def retrain(self, wait: bool = False) -> None:
        """Refit on all training labels and re-rank the queue.

        ``wait=False`` hands the work to the background worker and returns at once;
        ``wait=True`` runs it in the calling thread and returns when the new ranking is served.
        Nothing happens while fewer than two different labels exist.
        """
        with self._counter_lock:
            self._since_retrain = 0
        if wait:
            self._job.run()
        else:
            self._worker.request()

    def _count_training(self, result: dict) -> None:
        """Count a stored answer's new training label toward ``retrain_every``: the project's own
        count (every server's labels) when the store returns one."""
        if result["training"]:
            with self._counter_lock:
                self._since_retrain = result.get("since_run", self._since_retrain + 1)

    def _maybe_retrain(self) -> None:
        with self._counter_lock:
            # The count is the project's (shared by every server; each new training label gets
            # its own value, in its answer's transaction): only the label that reaches a multiple
            # of retrain_every asks for a run. With ">=", every label between that one and the
            # run's start (which resets the count) asked for another run (~1.6x the runs due).
            counted = self._since_retrain >= self.retrain_every and self._since_retrain % self.retrain_every == 0
            due = counted or self._wants_cold_queue
            if counted:
                self._since_retrain = 0
            self._wants_cold_queue = False
        if due:
            self._worker.request()

    # -- reporting -------------------------------------------------------------------------
    def status(self) -> Status:
        """Progress and model runs: a :class:`~hilt.project.results.Status` (``to_dict()``: JSON).

        Keys: ``n_items``; ``n_answered`` (items with a current label); ``n_skipped`` (current
        skips); ``n_left`` (items without a label); ``n_eval`` (evaluation items with a label)
        and ``n_eval_items`` (the evaluation sample's size); ``by_label`` (items per current
        label); ``by_annotator`` (current labels per annotator, ``"import"`` for a label
        column); ``runs``, oldest first, each with ``n_train`` (training labels fitted on, never
        evaluation items), ``eval_accuracy`` (on the evaluation labels only; ``None`` without
        any), ``n_eval``, ``strategy``, ``started_at`` and ``finished_at`` (ISO-8601 UTC); and the
        settings ``labels``, ``strategy``, ``kind``, ``text_column``, ``retrain_every``,
        ``eval_share``, ``features`` (the featurizer's name), ``overlap`` (``{"share",
        "annotators_per_item"}`` or ``None``), with ``retraining`` (a run is going) and
        ``retrain_error`` (why the project's last retrain failed, in whichever process it ran; ``None``
        once a run finishes); ``agreement``
        between annotators on overlapped items (:meth:`agreement`); and each run's ``eval_ci``,
        the 95 % Wilson interval ``[low, high]`` of its ``eval_accuracy`` (``None`` without one);
        ``scheduler``, the Dask scheduler retrains run on (``None``: this process).
        """
        from hilt.project.status import status_dict  # shared with hilt status's light path

        return status_dict(
            self._store, labels=self.labels, strategy=self.strategy, kind=self.kind,
            text_column=self.text_column, retraining=self._worker.busy,
            retrain_every=self.retrain_every, eval_share=self.eval_share, features=self.featurizer.name,
            overlap=self.overlap, scheduler=self.scheduler,
        )

    def export_rows(self, include_retracted: bool = False) -> list[dict]:
        """One flat dict per current label (or per answer of any kind with ``include_retracted``):
        ``item_id, label, annotator, answered_at, answer_id[, retracted]`` and the item's data."""
        return [export_row(a, include_retracted=include_retracted)
                for a in self._store.answer_rows(include_retracted=include_retracted)]

    def export(self, path: Any, *, include_retracted: bool = False, format: str | None = None,
               overwrite: bool = True) -> int:
        """Write :meth:`export_rows` to ``path``; returns the row count.

        ``path`` ends in ``.jsonl``, ``.csv`` or ``.parquet`` (or ``format`` says which), or is an
        open text stream such as ``sys.stdout`` (``jsonl`` unless ``format="csv"``). The header
        always has the item's data columns, also when nothing is labelled yet. With
        ``overwrite=False`` an existing file is refused (:class:`hilt.errors.InputError`).

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
        rows = self.export_rows(include_retracted=include_retracted)
        columns = export_columns(self._data_columns or self._first_item_columns(),
                                 include_retracted=include_retracted)
        for row in rows:
            columns += [c for c in row if c not in columns]
        return write_rows(path, rows, columns, format=format, overwrite=overwrite)

    def _first_item_columns(self) -> list[str]:
        """The data columns of a project made before they were recorded: the first item's."""
        batches = self._store.iter_item_data(batch=1)
        try:
            _, datas = next(batches, ([], []))
        finally:
            batches.close()
        return list(datas[0]) if datas else []

    def predictions(self) -> pd.DataFrame:
        """The model's predicted label and its probability for every item, from a fresh fit on all
        training labels (the features cached beside the project are reused).

        Columns: ``item_id``, ``label`` (the current label, ``None`` if none), ``predicted``,
        ``probability`` (of ``predicted``), ``is_eval``, then ``prob_<label>`` per label.
        Raises :class:`hilt.errors.InputError` while fewer than two different labels exist.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["good fun", "bad mess", "good", "bad"], "y": ["pos", "neg", None, None]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"],
        ...                     label_column="y", features="tfidf") as project:
        ...     table = project.predictions()
        >>> table["predicted"].tolist()
        ['pos', 'neg', 'pos', 'neg']
        """
        model, X, rowids, is_eval = self._fit_on_labels()
        probs = np.vstack([model.predict_proba(X[np.arange(lo, min(lo + _PREDICT_CHUNK, len(rowids)))])
                           for lo in range(0, len(rowids), _PREDICT_CHUNK)])
        keys = self._store.item_keys()
        current = self._store.current_labels()
        best = probs.argmax(axis=1)
        frame = pd.DataFrame({
            "item_id": [keys[int(r)] for r in rowids],
            "label": [current.get(int(r)) for r in rowids],
            "predicted": [self.labels[b] for b in best],
            "probability": probs[np.arange(len(best)), best],
            "is_eval": is_eval.astype(bool),
        })
        for j, label in enumerate(self.labels):
            frame[f"prob_{label}"] = probs[:, j]
        return frame

    def export_predictions(self, path: Any, *, format: str | None = None, overwrite: bool = True) -> int:
        """Write :meth:`predictions` to ``path`` (as :meth:`export` writes); returns the row count."""
        frame = self.predictions()
        rows = [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
                for row in frame.to_dict("records")]
        return write_rows(path, rows, list(frame.columns), format=format, overwrite=overwrite)

    def save_model(self, path: str | Path, *, overwrite: bool = True) -> dict:
        """Fit the model on all training labels and pickle it to ``path`` with its featurizer.

        The file holds a dict: ``featurizer`` (fitted on the project's items; its
        ``transform_matrix(items)`` turns texts, or rows of ``feature_columns``, into features),
        ``model`` (``predict_proba`` over those features, columns in ``labels`` order),
        ``labels``, ``kind``, ``feature_columns``, ``n_train`` and ``hilt_version``. Loading a
        pickle runs code from it: only load model files you trust.

        Returns ``{"path", "n_train"}``.
        """
        path = Path(path)
        if path.is_dir() or not path.parent.is_dir():
            raise InputError(f"Expected a file name in an existing folder for the model; got {path}.")
        if path.exists() and not overwrite:
            raise InputError(f"Expected a new file for the model, but {path} exists. Choose another name, "
                             "or replace it with --force (Python: overwrite=True).")
        fields = ["text"] if self.kind == "text" else self.feature_columns
        rows = [row for _, batch in self._store.iter_item_fields(fields) for row in batch]
        raw: Any = (["" if r[0] is None else str(r[0]) for r in rows] if self.kind == "text"
                    else np.asarray(rows, dtype=np.float64))
        featurizer = pickle.loads(pickle.dumps(self.featurizer))  # a copy: the project's stays as it is
        X = featurizer.fit_matrix(raw)
        model, _, _, _ = self._fit_on_labels(X)
        bundle = {"featurizer": featurizer, "model": model, "labels": list(self.labels), "kind": self.kind,
                  "feature_columns": list(self.feature_columns), "n_train": model.n_train,
                  "hilt_version": __version__}
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            with open(tmp, "wb") as out:
                pickle.dump(bundle, out)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        return {"path": str(path), "n_train": model.n_train}

    def _feature_rows(self, rowids: Sequence[int]) -> tuple[Any, np.ndarray]:
        """``(X, kept)``: the feature rows of the item row ids ``rowids`` that the features cover
        (``kept``, in the given order): fetched from the cluster's workers when the project has a
        scheduler (the pool's features never come here), else from this process's cache."""
        wanted = np.asarray(rowids, dtype=np.int64)
        if self.scheduler is not None:
            return self._job.feature_rows(wanted)
        X, all_rowids, _ = self._features.get(self._store)
        pos, ok = covered(all_rowids, wanted)
        return X[pos[ok]], wanted[ok]

    def _fit_on_labels(self, X: Any = None) -> tuple[Any, Any, np.ndarray, np.ndarray]:
        """A fresh copy of the project's classifier fitted on the current training labels, with
        the features (``X`` if given, in item row-id order, else the cached ones)."""
        cached, rowids, is_eval = self._features.get(self._store)
        X = cached if X is None else X
        position = {int(r): i for i, r in enumerate(rowids)}
        label_of = {r: label for r, label in self._store.current_labels(is_eval=False).items() if r in position}
        if len(set(label_of.values())) < 2:
            raise InputError(
                "Expected labels of at least two different kinds to fit a model; the project has "
                f"{len(label_of)} training label(s) ({', '.join(sorted(set(label_of.values()))) or 'none'}). "
                "Label more items first."
            )
        model = AlignedModel(self._new_estimator(), self.labels)
        model.fit(X[np.array([position[r] for r in label_of], dtype=np.int64)], list(label_of.values()))
        model.n_train = len(label_of)
        return model, X, rowids, is_eval

    def labelled_items(self) -> pd.DataFrame:
        """Items with a current label: their data columns plus ``label``, indexed by item id."""
        rows = self._store.labelled_rows()
        frame = pd.DataFrame([{**data, "label": label} for _, data, label in rows])
        frame.index = pd.Index([key for key, _, _ in rows], name="item_id")
        return frame

    # -- settings --------------------------------------------------------------------------
    def settings(self) -> dict:
        """The settings :meth:`configure` changes: ``labels``, ``strategy``, ``retrain_every``,
        ``eval_share``, ``lease_seconds``."""
        return {"labels": list(self.labels), "strategy": self.strategy, "retrain_every": self.retrain_every,
                "eval_share": self.eval_share, "lease_seconds": self.lease_seconds}

    def configure(
        self,
        *,
        strategy: str | None = None,
        retrain_every: int | None = None,
        eval_share: float | None = None,
        lease_seconds: float | None = None,
        labels: Sequence[str] | None = None,
        rename: tuple[str, str] | None = None,
    ) -> dict:
        """Change settings after creation, recorded in the project file (with a dated entry in
        its ``config_history``); each value is checked as :meth:`create` checks it.

        ``labels`` may add labels (every current label must stay: answers use them);
        ``rename=(old, new)`` renames a label together with every answer that gave it.
        ``eval_share`` sets how often evaluation items are served; the evaluation sample
        itself was drawn at import and stays. The project's background worker restarts with
        the new settings; other processes that have the project open (a running
        ``hilt serve``) see them when they open it again.

        Returns :meth:`settings` after the change, plus ``renamed`` (answers renamed).

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["good", "bad", "fine"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"]) as project:
        ...     item = project.next_item("ada")
        ...     _ = project.answer(item.id, "neg", "ada")
        ...     changed = project.configure(labels=["pos", "neg", "meh"], rename=("neg", "negative"),
        ...                                 retrain_every=5)
        ...     changed["labels"], changed["renamed"], project.status()["by_label"]
        (['pos', 'negative', 'meh'], 1, {'negative': 1})
        """
        current = list(self.labels)
        if rename is not None:
            if (isinstance(rename, str) or not isinstance(rename, Sequence) or len(rename) != 2
                    or not all(isinstance(n, str) for n in rename)):
                raise InputError(f"Expected rename as (old label, new label); got {rename!r}.")
            old, new = (n.strip() for n in rename)
            if old not in current:
                raise InputError(f"Expected a label to rename from {', '.join(current)}; got {old!r}.")
            if not new or new in current:
                raise InputError(f"Expected a new, unused label name to rename {old!r} to; got {new!r}.")
            current = [new if label == old else label for label in current]
            rename = (old, new)
        if labels is not None:
            wanted = _check_labels(labels)
            if rename is not None:  # the list may name the renamed label by its old name or its new one
                wanted = _check_labels([rename[1] if label == rename[0] else label for label in wanted])
            missing = [label for label in current if label not in wanted]
            if missing:
                raise InputError(
                    f"Expected the new labels to keep every current label (answers use them); missing: "
                    f"{', '.join(missing)}. Add labels by listing them all ({','.join(current)},NEW); "
                    "rename one with rename=OLD:NEW."
                )
            current = wanted
        if strategy is not None:
            strategy = check_strategy(strategy)
        if retrain_every is not None:
            _check_number("retrain_every", retrain_every, 1, None, whole=True)
        if eval_share is not None:
            _check_number("eval_share", eval_share, 0.0, 0.9)
        if lease_seconds is not None:
            _check_number("lease_seconds", lease_seconds, 1, None)
        if self.model is not None:
            _check_model(self.model, current)
        meta = self._store.meta()
        changes = {k: v for k, v in (("strategy", strategy), ("retrain_every", retrain_every),
                                      ("eval_share", eval_share), ("lease_seconds", lease_seconds)) if v is not None}
        if current != self.labels:
            changes["labels"] = current
        if rename is not None:
            changes["rename"] = list(rename)
        settings = dict(meta.get("settings") or {})
        settings.update({k: changes[k] for k in ("retrain_every", "eval_share", "lease_seconds") if k in changes})
        values: dict[str, Any] = {"settings": settings, "labels": current,
                                  "strategy": changes.get("strategy", self.strategy)}
        if changes:
            values["config_history"] = list(meta.get("config_history") or []) + [{"at": utc_now(), "changes": changes}]
        # The worker holds the old labels and strategy: stop it, write, and start afresh.
        self._worker.stop()
        renamed = self._store.update_meta(values, rename=rename)
        # A project on a cluster stays on it, with the same client (still the project's to close).
        client, owned, scheduler = getattr(self._job, "client", None), self._client, self.scheduler
        Project.__init__(self, self._store, model=self.model, scheduler=client)
        self._client, self.scheduler = owned, scheduler
        return {**self.settings(), "renamed": renamed}

    # -- annotators ------------------------------------------------------------------------
    def add_annotator(self, name: str, *, reviewer: bool | None = None) -> str:
        """Register ``name`` and return a fresh access token (an earlier token stops working).

        ``reviewer=True`` makes them a reviewer (they may also label), ``False`` an annotator;
        ``None`` keeps the role of someone already registered (a new name is an annotator).
        """
        check_annotator(name)
        token = new_token()
        role = None if reviewer is None else (REVIEWER if reviewer else ANNOTATOR)
        self._store.set_annotator_token(name, hash_token(token), role=role)
        return token

    def annotator_for_token(self, token: str) -> str | None:
        """The annotator a token belongs to, or ``None``."""
        if not isinstance(token, str) or not token:
            return None
        return self._store.annotator_by_token_hash(hash_token(token))

    def annotators(self) -> list[str]:
        """Registered annotators and everyone who answered (including ``"import"``), sorted."""
        return self._store.annotator_names()

    def annotator_list(self) -> list[AnnotatorRow]:
        """Who labels this project: one dict per annotator, sorted by name.

        Keys: ``name``; ``role`` (``"annotator"``: has a token for the web UI; ``"reviewer"``: has
        one and may review disagreements; ``"import"``: labels
        read from a label column; ``"removed"``: their token was revoked by
        :meth:`remove_annotator`; ``"no token"``: answered without a token, e.g. in the terminal
        or from Python); ``answers`` (current answers, skips included); ``retracted``;
        ``added_at``, ``last_seen`` (their latest answer or undo) and ``removed_at`` (ISO UTC or
        ``None``).

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["good", "bad"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"]) as project:
        ...     _ = project.add_annotator("ada")
        ...     [(a["name"], a["role"], a["answers"]) for a in project.annotator_list()]
        [('ada', 'annotator', 0)]
        """
        return annotator_entries(self._store)

    def remove_annotator(self, name: str) -> dict:
        """Revoke ``name``'s token at once and release the item they hold; their answers stay.

        Returns ``{"name", "revoked" (they had a token), "answers" (kept)}``. Raises
        :class:`hilt.errors.NotFoundError` for a name the project does not know (listing the
        annotators it has, not those removed).

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["good", "bad"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"]) as project:
        ...     token = project.add_annotator("ada")
        ...     project.remove_annotator("ada")["revoked"], project.annotator_for_token(token)
        (True, None)
        """
        check_annotator(name)
        entry = known_annotator(self._store, name)
        revoked = self._store.remove_annotator(name)
        return {"name": name, "revoked": revoked, "answers": entry["answers"]}

    def record_address(self, url: str) -> None:
        """Record ``url`` (``http://HOST:PORT``) as where this project is served: ``hilt serve``
        calls it once it listens, and :meth:`link_base` then gives it to ``hilt annotator add``."""
        record_address(self._store, url, utc_now())

    def link_base(self, url: str | None = None) -> dict:
        """Where annotator links point: ``url`` if given, else where ``hilt serve`` last listened
        on this project, else ``http://127.0.0.1:8000``; ``{"url", "source" ("given", "served" or
        "default"), "at" (when it was recorded)}``.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["good", "bad"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"]) as project:
        ...     before = project.link_base()["url"]
        ...     project.record_address("http://127.0.0.1:9123")
        ...     before, project.link_base()["url"], project.link_base()["source"]
        ('http://127.0.0.1:8000', 'http://127.0.0.1:9123', 'served')
        """
        return link_base(self._store, url)

    # -- correcting earlier answers ---------------------------------------------------------
    def recent_answers(self, annotator: str, limit: int = 20) -> list[dict]:
        """``annotator``'s latest current answers, newest first (skips have ``label=None``).

        Each is a dict with ``item_id``, ``label``, ``answered_at``, ``answer_id`` and the item's
        ``data``. What a labelling face lists so that an earlier answer can be changed with
        :meth:`change_answer`.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> project = Project.create(folder / "p.hilt", pd.DataFrame({"text": ["a", "b", "c"]}), ["x", "y"])
        >>> item = project.next_item("ada")
        >>> _ = project.answer(item.id, "x", "ada")
        >>> [(a["item_id"], a["label"]) for a in project.recent_answers("ada")] == [(item.id, "x")]
        True
        >>> project.close()
        """
        check_annotator(annotator)
        _check_number("limit", limit, 1, 1000, whole=True)
        answers = self._store.recent_answers(annotator, int(limit))
        for answer in answers:  # the columns annotators are not shown stay hidden here too
            answer["data"] = self._display.filter(answer["data"])
        return answers

    def change_answer(self, item_id: str, label: str | None, annotator: str, answer_id: str | None = None) -> dict:
        """Change ``annotator``'s answer for an item answered earlier: a new answer, the old kept.

        The new answer is stored and the annotator's earlier answers on the item are retracted in
        the same transaction (kept in the file, shown by ``export(..., include_retracted=True)``),
        so the item counts once for them and the export has its new label. Validation, retries
        with the same ``answer_id`` and the reply are as in :meth:`answer`.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> project = Project.create(folder / "p.hilt", pd.DataFrame({"text": ["a", "b", "c"]}), ["x", "y"])
        >>> item = project.next_item("ada")
        >>> _ = project.answer(item.id, "x", "ada")
        >>> project.change_answer(item.id, "y", "ada")["saved"]
        True
        >>> [row["label"] for row in project.export_rows()]
        ['y']
        >>> project.close()
        """
        answer_id = self._check_answer(label, annotator, answer_id)
        result = self._store.change_answer(str(item_id), label, annotator, answer_id)
        self._count_training(result)
        self._maybe_retrain()
        return {"saved": True, "answer_id": result["answer_id"], "duplicate": result["duplicate"]}


def _item(row: ItemRow, display: Display) -> Item:
    data = display.filter(row.data)  # columns that may hold the answer stay out of every face
    # Evaluation items carry the run's guess like ranked ones (RetrainJob._with_eval_guesses):
    # whether an item has a guess never says whether it is an evaluation item.
    if row.guess is None:
        return Item(row.key, data, row.is_eval)
    return Item(row.key, data, row.is_eval, row.guess, row.score)


def _batches(items: ItemStream, *, numbered: bool, progress: Callable[[int], Any] | None) -> Iterator[ItemBatch]:
    """The stream's chunks as the store's batches (``numbered``: keys left for the store to give);
    ``progress`` is told the rows done once the store asks for the next batch, i.e. once the
    previous one is written."""
    for chunk in items.chunks():
        yield ItemBatch(None if numbered else chunk.ids, chunk.payloads(), chunk.labels)
        if progress is not None:
            progress(chunk.rows_done)


def _featurizer_from_meta(meta: dict) -> Featurizer:
    """The project's featurizer: a registry name, or a user's transformer kept pickled.
    Projects made before featurizers were recorded were made with TF-IDF / scaling."""
    if meta.get("featurizer"):
        return pickle.loads(base64.b64decode(meta["featurizer"]))
    from hilt.project.status import features_name  # the one rule for projects made before featurizers

    return get_featurizer(features_name(meta), meta["kind"])


#: Items a user's transformer is tried on when a project is created (a quick, early check).
TRANSFORMER_CHECK_ITEMS = 200


def _check_features(featurizer: Featurizer, model: Any, items: ItemStream, labels: list[str]) -> None:
    """Try the featurizer (a user's transformer) and the model (a user's classifier) on the first
    items: one that cannot fit them, or returns the wrong number of rows, is an
    :class:`InputError` now, before anything is created, not a failed retrain later."""
    frame = items.first_frame.head(TRANSFORMER_CHECK_ITEMS)
    if items.kind == "text":
        sample: Any = ["" if v is None else str(v) for v in frame[items.text_column].tolist()]
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


def _check_model(model: Any, labels: list[str]) -> None:
    """Raise :class:`InputError` unless ``model`` is a scikit-learn classifier hilt can copy and fit."""
    AlignedModel(model, labels)  # a clear error for an object without predict_proba / decision_function
    try:
        fresh_copy(model)  # every run fits a fresh clone, so it must clone now, not in the worker
    except TypeError as error:
        raise InputError(
            f"Expected a scikit-learn classifier (with get_params, so that it can be cloned); got "
            f"{type(model).__name__}: {error}"
        ) from None


def _check_labels(labels: Any) -> list[str]:
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise InputError(f"Expected the labels as a list of strings like ['pos', 'neg']; got {labels!r}.")
    labels = [label.strip() if isinstance(label, str) else label for label in labels]
    if not all(isinstance(label, str) and label for label in labels):
        raise InputError(f"Expected every label to be a non-empty string; got {labels!r}.")
    if len(labels) < 2:
        raise InputError(f"Expected at least two labels; got {labels!r}.")
    if len(set(labels)) != len(labels):
        raise InputError(f"Expected distinct labels; got {labels!r}.")
    return labels


def _check_overlap(overlap: Any, annotators_per_item: Any) -> None:
    _check_number("overlap", overlap, 0.0, 1.0)
    _check_number("annotators_per_item", annotators_per_item, 1, None, whole=True)
    if overlap > 0 and annotators_per_item < 2:
        raise InputError(
            f"Expected annotators_per_item of at least 2 with overlap {overlap} (an overlapped item "
            f"goes to several different people); got {annotators_per_item}. Use overlap 0 to label "
            "every item once."
        )


def _overlap_arguments(overlap: dict | None) -> dict:
    """``add_items``'s overlap keywords from the project's ``overlap`` setting."""
    if not overlap:
        return {}
    return {"overlap": float(overlap["share"]), "annotators_per_item": int(overlap["annotators_per_item"])}


def _check_number(name: str, value: Any, low: float, high: float | None, *, whole: bool = False) -> None:
    kinds = (int,) if whole else (int, float)
    if (isinstance(value, bool) or not isinstance(value, kinds) or value != value  # NaN
            or value < low or (high is not None and value > high)):
        expected = f"a {'whole ' if whole else ''}number >= {low}" + (f" and <= {high}" if high is not None else "")
        raise InputError(f"Expected {name} to be {expected}; got {value!r}.")


def _remove_project_files(path: Path | str) -> None:
    if is_database_url(path):  # the database stays; the project's tables go
        drop_database_project(str(path))
        shutil.rmtree(cache_folder(path), ignore_errors=True)
        return
    for extra in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + extra).unlink(missing_ok=True)
    shutil.rmtree(cache_folder(path), ignore_errors=True)


def _connect(scheduler: Any) -> Any:
    """A client of ``scheduler`` (an address, a client, or ``HILT_DASK_SCHEDULER``), or ``None``
    for a project that runs everything in this process. A client made here from an address is
    marked as the project's own, to be closed with it."""
    from hilt.cluster import connect, scheduler_address

    address = scheduler_address(scheduler)
    if address is None:
        return None
    client = connect(address)
    if isinstance(address, str):
        client._hilt_owned, client._hilt_address = True, address
    return client


def _disconnect(client: Any) -> None:
    if client is not None and getattr(client, "_hilt_owned", False):
        client.close()

"""A labelling project: :class:`Project`, a thin facade over the services that do the work.

Each service has one job and its own module: :mod:`~hilt.project.labelling` (queue, leases,
answers, undo, history), :mod:`~hilt.project.team` (annotators, roles, tokens),
:mod:`~hilt.project.training` (features, the retrain worker and cluster job, model fits),
:mod:`~hilt.project.quality` (agreement, label issues, review), :mod:`~hilt.project.configuration`
(settings and shown columns), :mod:`~hilt.project.item_import` and :mod:`~hilt.project.export`.
:mod:`~hilt.project.creation` makes and opens projects. ``docs/explanation/architecture.md``
draws how they fit together.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from hilt.importing import DEFAULT_CHUNK_ROWS
from hilt.project.configuration import DEFAULT_QUEUE_SIZE, Configuration, ProjectSettings
from hilt.project.creation import create_project, open_project
from hilt.project.export import Export
from hilt.project.image_view import ImageView
from hilt.project.item import Item
from hilt.project.item_import import TRANSFORMER_CHECK_ITEMS, ItemImport
from hilt.project.labelling import Labelling
from hilt.project.quality import Quality
from hilt.project.team import Team
from hilt.project.training import Training
from hilt.store import Store
from hilt.store.location import ProjectLocation

__all__ = ["DEFAULT_QUEUE_SIZE", "Project", "TRANSFORMER_CHECK_ITEMS"]


class _Setting:
    """A read-only attribute of the project that is one of its current settings."""

    def __init__(self, convert: Callable[[Any], Any] = lambda value: value):
        self._convert = convert

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, project: Any, owner: type | None = None) -> Any:
        if project is None:
            return self
        return self._convert(getattr(project._config.settings, self._name))


class _Training:
    """A read-only attribute of the project that the training service holds (rebuilt by configure)."""

    def __init__(self, name: str):
        self._name = name

    def __get__(self, project: Any, owner: type | None = None) -> Any:
        if project is None:
            return self
        return getattr(project._training, self._name)


class Project:
    """One labelling project: a SQLite file (e.g. ``reviews.hilt``) or a PostgreSQL database, and a
    rebuildable cache folder.

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

    # -- what the project is set up with (read-only; configure changes them) --------------
    #: The labels annotators choose from.
    labels = _Setting(list)
    #: The query strategy (:data:`hilt.strategies.STRATEGIES`, or a mix).
    strategy = _Setting()
    #: ``"text"`` or ``"table"``.
    kind = _Setting()
    #: The text column of the first file (text items), else ``None``.
    text_column = _Setting()
    #: The id column of the first file, else ``None`` (items are numbered).
    id_column = _Setting()
    #: The columns the model sees (table items).
    feature_columns = _Setting(list)
    #: New training labels between two background retrains.
    retrain_every = _Setting()
    #: Share of served items drawn from the evaluation sample.
    eval_share = _Setting()
    #: How long a served item stays reserved for its annotator (seconds).
    lease_seconds = _Setting()
    #: ``{"share", "annotators_per_item"}`` when some items go to several people, else ``None``.
    overlap = _Setting()
    #: The user's classifier, or ``None`` for the default logistic regression.
    model = _Training("model")
    #: The featurizer (:mod:`hilt.features`) the project's items are turned into rows by.
    featurizer = _Training("featurizer")
    #: The Dask scheduler's address when features and scores are on a cluster, else ``None``.
    scheduler = _Training("scheduler")
    # What tests and the benchmarks look at inside the training service.
    _job = _Training("job")
    _worker = _Training("worker")
    _features = _Training("features")
    _new_estimator = _Training("new_estimator")
    _since_retrain = _Training("since_retrain")

    # -- opening and closing ---------------------------------------------------------------
    def __init__(self, store: Store, *, model: Any = None, scheduler: Any = None):
        self._store = store
        #: Where the project is (:class:`hilt.store.location.ProjectLocation`).
        self.location: ProjectLocation = store.location
        #: The project file, or the ``postgresql://`` URL of its database.
        self.path = store.path
        #: The folder of the project's rebuildable files (the feature cache, the retrain log).
        self.folder: Path = self.location.cache_folder
        meta = store.meta()
        self._config = Configuration(store, ProjectSettings.from_meta(meta), meta)
        self._training = Training(store, self._config.settings, meta, model=model, scheduler=scheduler)
        self._team = Team(store)
        self._labelling = Labelling(store, self._config, self._training)
        self._quality = Quality(store, self._config, self._training, self._labelling, self._team)
        self._export = Export(store, self._config, self._training)
        self._import = ItemImport(store, self._config, self._training)
        self._closed = False

    @classmethod
    def create(
        cls,
        path: str | Path | ProjectLocation,
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
        options = dict(locals())  # every parameter, passed on by name
        del options["cls"], options["path"], options["data"], options["labels"]
        return create_project(cls, path, data, labels, **options)

    @classmethod
    def open(cls, path: str | Path | ProjectLocation, *, model: Any = None, scheduler: Any = None) -> "Project":
        """Open the project file (or ``postgresql://`` database) at ``path``.

        ``model`` overrides the classifier kept in the file for this session. ``scheduler``
        (``tcp://host:8786``, or a :class:`distributed.Client`; default ``HILT_DASK_SCHEDULER``;
        ``False``: none, whatever the environment says) builds features and scores the pool on a
        Dask cluster (:mod:`hilt.cluster`). Raises
        :class:`hilt.errors.NotFoundError` for a missing file and :class:`hilt.errors.InputError`
        for a file that is not a hilt project or was written by a newer hilt, and for a
        scheduler that cannot be reached (within ``HILT_DASK_TIMEOUT`` seconds, default 10).
        """
        return open_project(cls, path, model=model, scheduler=scheduler)

    def close(self) -> None:
        """Stop the background worker and close the file. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._training.stop()
        self._store.close()
        self._training.close()

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Project({self.location.display!r}, kind={self.kind!r}, labels={self.labels!r})"  # never a password

    # -- columns (configuration) -----------------------------------------------------------
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
        return self._config.shown_columns()

    @property
    def hidden_columns(self) -> list[str]:
        """The item columns annotators do not see (kept in the project and the export)."""
        return self._config.hidden_columns()

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
        return self._config.image_view()

    @property
    def image_columns(self) -> str | list[str]:
        """The image setting :meth:`set_image_columns` made (``"auto"`` unless changed)."""
        return self._config.image_columns()

    def set_image_columns(self, setting: str | Sequence[str]) -> ImageView | None:
        """Set which shown columns are drawn as an image: ``"auto"`` (found by name, the
        default), ``"off"``, or column names / patterns (``"px*"``) in row-major order. Returns
        the :attr:`image_view` it gives."""
        return self._config.set_image_columns(setting)

    # -- items and labelling (hilt.project.item_import, hilt.project.labelling) ------------
    def import_items(self, data: Any, **options: Any) -> dict:
        """Add items read the way the first file was (:meth:`ItemImport.import_items <hilt.project.item_import.ItemImport.import_items>`)."""
        return self._import.import_items(data, **options)

    def next_item(self, annotator: str) -> Item | None:
        """Lease the next item to ``annotator`` (:meth:`Labelling.next_item <hilt.project.labelling.Labelling.next_item>`)."""
        return self._labelling.next_item(annotator)

    def peek_items(self, annotator: str, n: int) -> list[Item]:
        """The next ``n`` items ``annotator`` would be served, without leasing (:meth:`Labelling.peek_items <hilt.project.labelling.Labelling.peek_items>`)."""
        return self._labelling.peek_items(annotator, n)

    def answer(self, item_id: str, label: str | None, annotator: str, answer_id: str | None = None, *,
               lease_next: bool = False) -> dict:
        """Record an answer, committed before it returns (:meth:`Labelling.answer <hilt.project.labelling.Labelling.answer>`)."""
        return self._labelling.answer(item_id, label, annotator, answer_id, lease_next=lease_next)

    def undo(self, annotator: str, undo_id: str | None = None) -> Item | None:
        """Retract ``annotator``'s latest answer and lease the item back (:meth:`Labelling.undo <hilt.project.labelling.Labelling.undo>`)."""
        return self._labelling.undo(annotator, undo_id)

    def recent_answers(self, annotator: str, limit: int = 20) -> list[dict]:
        """``annotator``'s latest current answers, newest first (:meth:`Labelling.recent_answers <hilt.project.labelling.Labelling.recent_answers>`)."""
        return self._labelling.recent_answers(annotator, limit)

    def change_answer(self, item_id: str, label: str | None, annotator: str, answer_id: str | None = None) -> dict:
        """Change an earlier answer, the old one kept (:meth:`Labelling.change_answer <hilt.project.labelling.Labelling.change_answer>`)."""
        return self._labelling.change_answer(item_id, label, annotator, answer_id)

    # -- the model (hilt.project.training) -------------------------------------------------
    def isolate_retrains(self, *, start: bool = False) -> None:
        """Run every background retrain in the retrain child process, whatever the pool size.

        For a server: a retrain in a thread of the serving process holds Python's GIL for much
        of its work, and the requests served meanwhile wait for it (``bench/bench_server.py``:
        p99 60-83 ms in a thread, 19-25 ms in the child). Without a server small pools keep
        retraining in a thread. A cluster job already runs its retrains on the cluster.
        ``start=True`` starts the child now, in the background (``hilt serve`` does).

        Examples
        --------
        >>> import pandas as pd, tempfile, pathlib
        >>> from hilt import Project
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.hilt"
        >>> with Project.create(path, pd.DataFrame({"text": ["a b", "c d"]}), ["x", "y"]) as project:
        ...     project.isolate_retrains()
        """
        self._training.isolate_retrains(start=start)

    def warm(self, progress: Any = None) -> str:
        """Build (or load) the item features now, so that the first retrain does not.

        A server calls this before it accepts requests. ``progress(done, total)``, if given, is
        called as the build advances. Returns where the features came from: ``"built"``,
        ``"disk"`` (the cache beside the project file) or ``"memory"``.
        """
        return self._training.warm(progress)

    def retrain(self, wait: bool = False) -> None:
        """Refit on all training labels and re-rank the queue.

        ``wait=False`` hands the work to the background worker and returns at once;
        ``wait=True`` runs it in the calling thread and returns when the new ranking is served.
        Nothing happens while fewer than two different labels exist.
        """
        self._training.retrain(wait)

    def predictions(self) -> pd.DataFrame:
        """Every item's predicted label and probabilities from a fresh fit (:meth:`Training.predictions <hilt.project.training.Training.predictions>`)."""
        return self._training.predictions()

    def save_model(self, path: str | Path, *, overwrite: bool = True) -> dict:
        """Fit on all training labels and pickle model and featurizer (:meth:`Training.save_model <hilt.project.training.Training.save_model>`)."""
        return self._training.save_model(path, overwrite=overwrite)

    # -- reporting and export (hilt.project.status, hilt.project.export) -------------------
    def status(self) -> dict:
        """Progress and model runs as a JSON-able dict (:func:`hilt.project.status.status_dict` lists the keys)."""
        from hilt.project.status import status_dict  # shared with hilt status's light path

        s = self._config.settings
        return status_dict(self._store, labels=list(s.labels), strategy=s.strategy, kind=s.kind,
                           text_column=s.text_column, retraining=self._training.busy, retrain_every=s.retrain_every,
                           eval_share=s.eval_share, features=self.featurizer.name, overlap=s.overlap,
                           scheduler=self.scheduler)

    def export_rows(self, include_retracted: bool = False) -> list[dict]:
        """One flat dict per current label (:meth:`Export.export_rows <hilt.project.export.Export.export_rows>`)."""
        return self._export.export_rows(include_retracted)

    def export(self, path: Any, *, include_retracted: bool = False, format: str | None = None,
               overwrite: bool = True) -> int:
        """Write the labels to a file or stream (:meth:`Export.export <hilt.project.export.Export.export>`)."""
        return self._export.export(path, include_retracted=include_retracted, format=format, overwrite=overwrite)

    def export_predictions(self, path: Any, *, format: str | None = None, overwrite: bool = True) -> int:
        """Write :meth:`predictions` to ``path`` (as :meth:`export` writes); returns the row count."""
        return self._export.export_predictions(path, format=format, overwrite=overwrite)

    def labelled_items(self) -> pd.DataFrame:
        """Items with a current label: their data columns plus ``label``, indexed by item id."""
        return self._export.labelled_items()

    # -- settings (hilt.project.configuration) ---------------------------------------------
    def settings(self) -> dict:
        """The settings :meth:`configure` changes: ``labels``, ``strategy``, ``retrain_every``,
        ``eval_share``, ``lease_seconds``."""
        return self._config.settings.summary()

    def configure(self, *, strategy: str | None = None, retrain_every: int | None = None,
                  eval_share: float | None = None, lease_seconds: float | None = None,
                  labels: Sequence[str] | None = None, rename: tuple[str, str] | None = None) -> dict:
        """Change settings after creation, recorded in the project file (with a dated entry in
        its ``config_history``); each value is checked as :meth:`create` checks it.

        ``labels`` may add labels (every current label must stay: answers use them);
        ``rename=(old, new)`` renames a label together with every answer that gave it.
        ``eval_share`` sets how often evaluation items are served; the evaluation sample
        itself was drawn at import and stays. The project's training (its background worker)
        restarts with the new settings; other processes that have the project open (a running
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
        values, rename = self._config.plan_change(
            model=self.model, strategy=strategy, retrain_every=retrain_every, eval_share=eval_share,
            lease_seconds=lease_seconds, labels=labels, rename=rename)
        # The worker holds the old labels and strategy: stop it, write, and start training afresh.
        self._training.stop()
        renamed = self._store.update_meta(values, rename=rename)
        self._training.rebuild(self._config.reload())
        return {**self.settings(), "renamed": renamed}

    # -- the team (hilt.project.team) ------------------------------------------------------
    def add_annotator(self, name: str, *, reviewer: bool | None = None) -> str:
        """Register ``name`` and return a fresh access token (:meth:`Team.add_annotator <hilt.project.team.Team.add_annotator>`)."""
        return self._team.add_annotator(name, reviewer=reviewer)

    def annotator_for_token(self, token: str) -> str | None:
        """The annotator a token belongs to, or ``None``."""
        return self._team.annotator_for_token(token)

    def annotators(self) -> list[str]:
        """Registered annotators and everyone who answered (including ``"import"``), sorted."""
        return self._team.annotators()

    def annotator_list(self) -> list[dict]:
        """Who labels this project, one dict per annotator (:meth:`Team.annotator_list <hilt.project.team.Team.annotator_list>`)."""
        return self._team.annotator_list()

    def remove_annotator(self, name: str) -> dict:
        """Revoke ``name``'s token and release their item; answers stay (:meth:`Team.remove_annotator <hilt.project.team.Team.remove_annotator>`)."""
        return self._team.remove_annotator(name)

    def is_reviewer(self, name: str) -> bool:
        """Whether ``name`` was added as a reviewer (``add_annotator(name, reviewer=True)``)."""
        return self._team.is_reviewer(name)

    def record_address(self, url: str) -> None:
        """Record ``url`` as where this project is served (:meth:`Team.record_address <hilt.project.team.Team.record_address>`)."""
        self._team.record_address(url)

    def link_base(self, url: str | None = None) -> dict:
        """Where annotator links point (:meth:`Team.link_base <hilt.project.team.Team.link_base>`)."""
        return self._team.link_base(url)

    # -- quality (hilt.project.quality) ----------------------------------------------------
    def agreement(self) -> dict:
        """Agreement between annotators on overlapped items (:meth:`Quality.agreement <hilt.project.quality.Quality.agreement>`)."""
        return self._quality.agreement()

    def label_issues(self, limit: int = 50) -> list[dict]:
        """Labelled items whose label is most likely wrong (:meth:`Quality.label_issues <hilt.project.quality.Quality.label_issues>`)."""
        return self._quality.label_issues(limit)

    def review_items(self, reviewer: str, limit: int = 20, *, include_issues: bool = True) -> list[dict]:
        """What ``reviewer`` should look at, in order (:meth:`Quality.review_items <hilt.project.quality.Quality.review_items>`)."""
        return self._quality.review_items(reviewer, limit, include_issues=include_issues)

    def review(self, item_id: str, label: str, reviewer: str, answer_id: str | None = None) -> dict:
        """Record a reviewer's decision: the item's final label (:meth:`Quality.review <hilt.project.quality.Quality.review>`)."""
        return self._quality.review(item_id, label, reviewer, answer_id)

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

import os
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pandas as pd

from hilt.importing import DEFAULT_CHUNK_ROWS
from hilt.project.configuration import DEFAULT_QUEUE_SIZE, Configuration, ProjectSettings
from hilt.project.creation import create_project, open_project
from hilt.project.export import Export
from hilt.project.format_import import FormatImporter
from hilt.project.guidelines import Guidelines, Guides
from hilt.project.image_view import ImageView
from hilt.project.item import Item
from hilt.project.item_import import TRANSFORMER_CHECK_ITEMS, ItemImport
from hilt.project.labelling import Labelling
from hilt.project.quality import Quality
from hilt.project.suggestions import Suggestions
from hilt.project.results import (Agreement, AnnotatorRow, AnswerReply, BulkReply, FormatImport, LabelIssue,
                                  SearchPage, SimilarItems, Status, UndoBatchReply, WebhookStatus)
from hilt.project.search import Search
from hilt.project.team import Team
from hilt.project.training import Training
from hilt.project.webhooks import Webhooks
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

    How items become features and which classifier is fitted on them: :class:`hilt.project.training.Training`.
    A ``model`` is kept pickled in the project file: only open project files you trust.

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
    #: What an answer is: ``single`` or ``multilabel`` (:mod:`hilt.tasks`).
    task = _Setting()
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
        self._webhooks = Webhooks(store, lambda: self._config.settings.labels)
        self._training = Training(store, self._config.settings, meta, model=model, scheduler=scheduler,
                                  on_run=self._webhooks.run_finished)
        self._team = Team(store)
        self._labelling = Labelling(store, self._config, self._training, self._webhooks)
        self._quality = Quality(store, self._config, self._training, self._labelling, self._team)
        self._export = Export(store, self._config, self._training)
        self._import = ItemImport(store, self._config, self._training)
        self._suggestions = Suggestions(store, self._config)
        self._formats = FormatImporter(store, self._config, self._training, self._import, self._suggestions)
        self._guides = Guides(store, self._config)
        self._search = Search(store, self._config, self._training, self._labelling.watch)
        self._closed = False

    @classmethod
    def create(cls, path: str | Path | ProjectLocation, data: Any, labels: Sequence[str], *,
               text_column: str | None = None, id_column: str | None = None, label_column: str | None = None,
               strategy: str = "margin", model: Any = None, features: Any = None, retrain_every: int = 10,
               eval_share: float = 0.1, lease_seconds: float = 600, exist_ok: bool = False, encoding: str = "utf-8",
               queue_size: int = DEFAULT_QUEUE_SIZE, seed: int | None = None,
               show_columns: Sequence[str] | None = None, hide_columns: Sequence[str] | None = None,
               feature_columns: Sequence[str] | None = None, exclude_columns: Sequence[str] | None = None,
               drop_duplicate_ids: bool = False, overlap: float = 0.0, annotators_per_item: int = 2,
               scheduler: Any = None, chunk_rows: int = DEFAULT_CHUNK_ROWS,
               progress: Callable[[int], Any] | None = None, task: str = "single",
               label_separator: str | None = None, image_column: str | None = None,
               image_folder: str | Path | None = None, suggestion_column: str | None = None,
               suggestion_score_column: str | None = None, suggestion_source: str | None = None) -> "Project":
        """Create a project at ``path`` (a file, or a ``postgresql://`` URL) from ``data`` (a
        CSV/TSV/JSONL/Parquet path or a DataFrame) with the annotators' ``labels``; returns it open.

        Every parameter is described at :func:`hilt.project.creation.create_project` (the class
        example shows one). Nothing is left behind when the data cannot be read.
        """
        options = dict(locals())  # every parameter, passed on by name
        del options["cls"], options["path"], options["data"], options["labels"]
        return create_project(cls, path, data, labels, **options)

    @classmethod
    def create_from_format(cls, path: str | Path | ProjectLocation, data: Any, format: str,
                           labels: Sequence[str] | None = None, *, task: str | None = None,
                           label_key: str | None = None, **options: Any) -> "Project":
        """Create a project from a Label Studio, Prodigy or Hugging Face file (``format``:
        ``label-studio``, ``label-studio-min``, ``prodigy``, ``hf``): its items, its annotations as
        answers by their annotators, its predictions as suggestions. ``labels`` and ``task`` default
        to what the file holds; ``options`` are :meth:`create`'s
        (:func:`hilt.project.format_import.create_from_format`); ``created_import["format"]`` is a
        :class:`~hilt.project.results.FormatImport`.

        Examples
        --------
        >>> import json, tempfile, pathlib
        >>> from hilt import Project
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> lines = [{"text": "Goal!", "options": [{"id": "sport"}, {"id": "news"}], "accept": ["sport"],
        ...           "answer": "accept", "_annotator_id": "ada"}]
        >>> _ = (folder / "db.jsonl").write_text("".join(json.dumps(line) + "\\n" for line in lines))
        >>> with Project.create_from_format(folder / "p.hilt", folder / "db.jsonl", "prodigy",
        ...                                 features="tfidf") as project:
        ...     project.labels, project.status()["by_annotator"]
        (['sport', 'news'], {'ada': 1})
        """
        from hilt.project.format_import import create_from_format

        return create_from_format(cls, path, data, format, labels, task=task, label_key=label_key, **options)

    @classmethod
    def open(cls, path: str | Path | ProjectLocation, *, model: Any = None, scheduler: Any = None) -> "Project":
        """Open the project file (or ``postgresql://`` database) at ``path``; ``model`` overrides the
        file's classifier for this session, ``scheduler`` puts features and scores on a Dask
        cluster (see :func:`hilt.project.creation.open_project` for both and the errors raised)."""
        return open_project(cls, path, model=model, scheduler=scheduler)

    def close(self) -> None:
        """Stop the background worker and close the file. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._training.stop()
        self._webhooks.close()  # the last events (a run just finished) go before the file closes
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
        """The item columns annotators see (:meth:`~hilt.project.configuration.Configuration.shown_columns`)."""
        return self._config.shown_columns()

    @property
    def hidden_columns(self) -> list[str]:
        """The item columns annotators do not see (kept in the project and the export)."""
        return self._config.hidden_columns()

    @property
    def image_view(self) -> ImageView | None:
        """The shown columns faces draw as an image, or ``None`` (:meth:`~hilt.project.configuration.Configuration.image_view`)."""
        return self._config.image_view()

    @property
    def image_columns(self) -> str | list[str]:
        """The image setting :meth:`set_image_columns` made (``"auto"`` unless changed)."""
        return self._config.image_columns()

    def set_image_columns(self, setting: str | Sequence[str]) -> ImageView | None:
        """Set which shown columns are drawn as an image (:meth:`~hilt.project.configuration.Configuration.set_image_columns`)."""
        return self._config.set_image_columns(setting)

    # -- guidelines and label descriptions (hilt.project.guidelines; no retrain, no restart) --
    @property
    def guidelines(self) -> Guidelines | None:
        """The guidelines annotators read, or ``None`` (:meth:`~hilt.project.guidelines.Guides.guidelines`)."""
        return self._guides.guidelines()

    def set_guidelines(self, source: str | os.PathLike | None) -> Guidelines | None:
        """Set the guidelines from Markdown text or a file path; ``None`` removes them (:meth:`~hilt.project.guidelines.Guides.set_guidelines`)."""
        return self._guides.set_guidelines(source)

    @property
    def label_descriptions(self) -> dict[str, str]:
        """Label -> its one-line description, for the labels that have one (:meth:`~hilt.project.guidelines.Guides.label_descriptions`)."""
        return self._guides.label_descriptions()

    def set_label_descriptions(self, descriptions: Mapping[str, str] | None) -> dict[str, str]:
        """Replace every label description (:meth:`~hilt.project.guidelines.Guides.set_label_descriptions`)."""
        return self._guides.set_label_descriptions(descriptions)

    def describe_label(self, label: str, description: str | None) -> dict[str, str]:
        """Set one label's description, keeping the others (:meth:`~hilt.project.guidelines.Guides.describe_label`)."""
        return self._guides.describe_label(label, description)

    @property
    def image_source(self) -> dict | None:
        """``{"column", "folder"}`` of the column of image paths or URLs shown as an image
        (:meth:`~hilt.project.configuration.Configuration.image_source`), or ``None``."""
        return self._config.image_source()

    def set_image_folder(self, folder: str | Path) -> dict:
        """Set the folder the image column's paths are relative to (no retrain; a running server
        serves from it at the next request).

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> frame = pd.DataFrame({"text": ["a cat", "a dog"], "photo": ["cat.png", "dog.png"]})
        >>> with Project.create(folder / "p.hilt", frame, ["cat", "dog"], image_column="photo",
        ...                     features="tfidf") as project:
        ...     project.set_image_folder(folder)["folder"] == str(folder.resolve())
        True
        """
        return self._config.set_image_folder(folder)

    def media_file(self, path: str) -> Path:
        """The file in the image folder that ``GET /media/PATH`` sends, after the checks of
        :func:`hilt.project.media.media_file` (403 for ``..``, absolute paths, links out of the
        folder and suffixes that are not an image's; 404 for a missing file)."""
        return self._config.media_file(path)

    # -- items and labelling (hilt.project.item_import, hilt.project.labelling) ------------
    def import_items(self, data: Any, *, label_column: str | None = None, encoding: str = "utf-8",
                     drop_duplicate_ids: bool = False, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                     progress: Callable[[int], Any] | None = None, label_separator: str | None = None,
                     suggestion_column: str | None = None, suggestion_score_column: str | None = None,
                     suggestion_source: str | None = None) -> dict:
        """Add items read the way the first file was (:meth:`~hilt.project.item_import.ItemImport.import_items`)."""
        self._labelling.suggestions_changed()  # (a suggestion column among the items)
        return self._import.import_items(data, label_column=label_column, encoding=encoding,
                                         drop_duplicate_ids=drop_duplicate_ids, chunk_rows=chunk_rows, progress=progress,
                                         label_separator=label_separator, suggestion_column=suggestion_column,
                                         suggestion_score_column=suggestion_score_column,
                                         suggestion_source=suggestion_source)

    def import_format(self, data: Any, format: str, *, label_key: str | None = None) -> FormatImport:
        """Add a Label Studio, Prodigy or Hugging Face file's items, annotations (answers by their
        annotators) and predictions (suggestions) (:meth:`~hilt.project.format_import.FormatImporter.import_format`)."""
        return self._formats.import_format(data, format, label_key=label_key)

    def next_item(self, annotator: str) -> Item | None:
        """Lease the next item to ``annotator`` (:meth:`~hilt.project.labelling.Labelling.next_item`)."""
        return self._labelling.next_item(annotator)

    def peek_items(self, annotator: str, n: int) -> list[Item]:
        """The next ``n`` items ``annotator`` would be served, without leasing (:meth:`~hilt.project.labelling.Labelling.peek_items`)."""
        return self._labelling.peek_items(annotator, n)

    def answer(self, item_id: str, label: Any, annotator: str, answer_id: str | None = None, *,
               lease_next: bool = False, seconds: float | None = None) -> AnswerReply:
        """Record an answer, committed before it returns (:meth:`~hilt.project.labelling.Labelling.answer`)."""
        return self._labelling.answer(item_id, label, annotator, answer_id, lease_next=lease_next,
                                      seconds=seconds)

    def undo(self, annotator: str, undo_id: str | None = None) -> Item | None:
        """Retract ``annotator``'s latest answer and lease the item back (:meth:`~hilt.project.labelling.Labelling.undo`)."""
        return self._labelling.undo(annotator, undo_id)

    def recent_answers(self, annotator: str, limit: int = 20) -> list[dict]:
        """``annotator``'s latest current answers, newest first (:meth:`~hilt.project.labelling.Labelling.recent_answers`)."""
        return self._labelling.recent_answers(annotator, limit)

    def change_answer(self, item_id: str, label: Any, annotator: str, answer_id: str | None = None) -> dict:
        """Change an earlier answer, the old one kept (:meth:`~hilt.project.labelling.Labelling.change_answer`)."""
        return self._labelling.change_answer(item_id, label, annotator, answer_id)

    # -- search and bulk labelling (hilt.project.search) -----------------------------------
    def search(self, query: str, *, limit: int = 20, offset: int = 0) -> SearchPage:
        """Items whose shown columns hold every word of ``query`` (:meth:`~hilt.project.search.Search.search`)."""
        return self._search.search(query, limit=limit, offset=offset)

    def similar(self, item_id: str, k: int = 10) -> SimilarItems:
        """The ``k`` items nearest to ``item_id`` by cosine on the features (:meth:`~hilt.project.search.Search.similar`)."""
        return self._search.similar(item_id, k)

    def label_many(self, item_ids: Sequence[str], label: Any, annotator: str, batch_id: str | None = None) -> BulkReply:
        """One answer per item by ``annotator``, stored as one group (:meth:`~hilt.project.search.Search.label_many`)."""
        return self._search.label_many(item_ids, label, annotator, batch_id)

    def undo_batch(self, annotator: str, batch: str) -> UndoBatchReply:
        """Retract ``annotator``'s group of bulk answers ``batch`` (:meth:`~hilt.project.search.Search.undo_batch`)."""
        return self._search.undo_batch(annotator, batch)

    # -- the model (hilt.project.training) -------------------------------------------------
    def isolate_retrains(self, *, start: bool = False) -> None:
        """Run every background retrain in the retrain child process (:meth:`~hilt.project.training.Training.isolate_retrains`)."""
        self._training.isolate_retrains(start=start)

    def warm(self, progress: Any = None) -> str:
        """Build (or load) the item features now, so that the first retrain does not (:meth:`~hilt.project.training.Training.warm`)."""
        return self._training.warm(progress)

    def retrain(self, wait: bool = False) -> None:
        """Refit on all training labels and re-rank the queue (:meth:`~hilt.project.training.Training.retrain`)."""
        self._training.retrain(wait)

    def predictions(self) -> pd.DataFrame:
        """Every item's predicted label and probabilities from a fresh fit (:meth:`~hilt.project.training.Training.predictions`)."""
        return self._training.predictions()

    def save_model(self, path: str | Path, *, overwrite: bool = True) -> dict:
        """Fit on all training labels and pickle model and featurizer (:meth:`~hilt.project.training.Training.save_model`)."""
        return self._training.save_model(path, overwrite=overwrite)

    # -- reporting and export (hilt.project.status, hilt.project.export) -------------------
    def status(self) -> Status:
        """Progress and model runs: a :class:`~hilt.project.results.Status` (``to_dict()``: JSON)."""
        from hilt.project.status import status_dict  # shared with hilt status's light path

        s = self._config.settings
        return status_dict(self._store, labels=list(s.labels), strategy=s.strategy, kind=s.kind,
                           text_column=s.text_column, retraining=self._training.busy, retrain_every=s.retrain_every,
                           eval_share=s.eval_share, features=self.featurizer.name, overlap=s.overlap,
                           scheduler=self.scheduler, webhook=self._webhooks.status())

    def export_rows(self, include_retracted: bool = False) -> list[dict]:
        """One flat dict per current label (:meth:`~hilt.project.export.Export.export_rows`)."""
        return self._export.export_rows(include_retracted)

    def export(self, path: Any, *, include_retracted: bool = False, format: str | None = None,
               overwrite: bool = True, label_separator: str = ";", one_hot: bool = False) -> int:
        """Write the labels to a file or stream (:meth:`~hilt.project.export.Export.export`); ``format``
        may also be ``label-studio``, ``label-studio-min``, ``prodigy`` or ``hf``
        (:mod:`hilt.project.export_formats`)."""
        return self._export.export(path, include_retracted=include_retracted, format=format, overwrite=overwrite,
                                   label_separator=label_separator, one_hot=one_hot)

    def export_predictions(self, path: Any, *, format: str | None = None, overwrite: bool = True,
                           label_separator: str = ";") -> int:
        """Write :meth:`predictions` to ``path`` (as :meth:`export` writes); returns the row count."""
        return self._export.export_predictions(path, format=format, overwrite=overwrite,
                                               label_separator=label_separator)

    def labelled_items(self) -> pd.DataFrame:
        """Items with a current label: their data columns plus ``label``, indexed by item id."""
        return self._export.labelled_items()

    # -- suggestions (hilt.project.suggestions) --------------------------------------------
    def import_suggestions(self, rows: Any, *, source: str = "model") -> int:
        """Store another model's predictions as suggestions, never labels (:meth:`~hilt.project.suggestions.Suggestions.import_suggestions`)."""
        written = self._suggestions.import_suggestions(rows, source=source)
        self._labelling.suggestions_changed()
        return written

    def import_suggestions_file(self, data: Any, *, id_column: str, label_column: str,
                                score_column: str | None = None, source: str | None = None,
                                label_separator: str | None = None, encoding: str = "utf-8") -> int:
        """Store a file's predictions as suggestions (:meth:`~hilt.project.suggestions.Suggestions.import_file`)."""
        written = self._suggestions.import_file(data, id_column=id_column, label_column=label_column,
                                                score_column=score_column, source=source,
                                                label_separator=label_separator, encoding=encoding)
        self._labelling.suggestions_changed()
        return written

    def suggestion_rows(self) -> list[dict]:
        """Every suggestion, decoded (:meth:`~hilt.project.suggestions.Suggestions.rows`)."""
        return self._suggestions.rows()

    # -- settings (hilt.project.configuration) ---------------------------------------------
    def settings(self) -> dict:
        """The settings :meth:`configure` changes: labels, strategy, retrain_every, eval_share, lease_seconds."""
        return self._config.settings.summary()

    def configure(self, *, strategy: str | None = None, retrain_every: int | None = None,
                  eval_share: float | None = None, lease_seconds: float | None = None,
                  labels: Sequence[str] | None = None, rename: tuple[str, str] | None = None) -> dict:
        """Change settings after creation, recorded in the project file, and restart training with
        them; returns :meth:`settings` plus ``renamed`` (:meth:`~hilt.project.configuration.Configuration.plan_change`)."""
        values, rename = self._config.plan_change(
            model=self.model, strategy=strategy, retrain_every=retrain_every, eval_share=eval_share,
            lease_seconds=lease_seconds, labels=labels, rename=rename)
        # The worker holds the old labels and strategy: stop it, write, and start training afresh.
        self._training.stop()
        renamed = self._store.update_meta(values, rename=rename)
        self._training.rebuild(self._config.reload())
        if strategy is not None:  # the cold start's order follows the strategy (random: none)
            self._suggestions.seed_cold_start()
        return {**self.settings(), "renamed": renamed}

    @property
    def webhook(self) -> WebhookStatus | None:
        """The project's webhook and how its deliveries went in this process (``None``: none set)."""
        return self._webhooks.status()

    @property
    def webhook_url(self) -> str | None:
        """The webhook's URL as set, secrets in it included (:attr:`webhook` shows it without)."""
        target = self._webhooks.target()
        return None if target is None else target[0]

    def set_webhook(self, url: str | None, *, secret: str | None = None) -> WebhookStatus | None:
        """POST a signed JSON to ``url`` when a model run finishes and when an item's final label
        changes (:mod:`hilt.project.webhooks`); ``url=None`` (or ``"off"``) stops.

        ``url`` must be ``http://`` or ``https://`` with a host (else an
        :class:`~hilt.errors.InputError`). ``secret`` signs each body (``X-Hilt-Signature``);
        ``None`` keeps the secret the project has, ``""`` removes it. A project without a secret
        signs with ``$HILT_WEBHOOK_SECRET`` when it is set, and sends unsigned bodies otherwise.
        Kept in the project; no restart: every process over the project reads it again within
        :data:`~hilt.project.webhooks.REFRESH_SECONDS`. Returns :attr:`Status.webhook`.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", pd.DataFrame({"text": ["a", "b"]}),
        ...                     ["x", "y"], features="tfidf") as project:
        ...     hook = project.set_webhook("http://127.0.0.1:9/hilt", secret="s3cret")
        ...     hook.url, hook.secret, project.set_webhook(None)
        ('http://127.0.0.1:9/hilt', True, None)
        """
        return self._webhooks.set(url, secret)

    # -- the team (hilt.project.team) ------------------------------------------------------
    def add_annotator(self, name: str, *, reviewer: bool | None = None) -> str:
        """Register ``name`` and return a fresh access token (:meth:`~hilt.project.team.Team.add_annotator`)."""
        return self._team.add_annotator(name, reviewer=reviewer)

    def annotator_for_token(self, token: str) -> str | None:
        """The annotator a token belongs to, or ``None``."""
        return self._team.annotator_for_token(token)

    def annotators(self) -> list[str]:
        """Registered annotators and everyone who answered (including ``"import"``), sorted."""
        return self._team.annotators()

    def annotator_list(self) -> list[AnnotatorRow]:
        """Who labels this project, one dict per annotator (:meth:`~hilt.project.team.Team.annotator_list`)."""
        return self._team.annotator_list()

    def remove_annotator(self, name: str) -> dict:
        """Revoke ``name``'s token and release their item; answers stay (:meth:`~hilt.project.team.Team.remove_annotator`)."""
        return self._team.remove_annotator(name)

    def is_reviewer(self, name: str) -> bool:
        """Whether ``name`` was added as a reviewer (``add_annotator(name, reviewer=True)``)."""
        return self._team.is_reviewer(name)

    def record_address(self, url: str) -> None:
        """Record ``url`` as where this project is served (:meth:`~hilt.project.team.Team.record_address`)."""
        self._team.record_address(url)

    def link_base(self, url: str | None = None) -> dict:
        """Where annotator links point (:meth:`~hilt.project.team.Team.link_base`)."""
        return self._team.link_base(url)

    # -- quality (hilt.project.quality) ----------------------------------------------------
    def agreement(self) -> Agreement:
        """Agreement between annotators on overlapped items (:meth:`~hilt.project.quality.Quality.agreement`)."""
        return self._quality.agreement()

    def label_issues(self, limit: int = 50) -> list[LabelIssue]:
        """Labelled items whose label is most likely wrong (:meth:`~hilt.project.quality.Quality.label_issues`)."""
        return self._quality.label_issues(limit)

    def review_items(self, reviewer: str, limit: int = 20, *, include_issues: bool = True) -> list[dict]:
        """What ``reviewer`` should look at, in order (:meth:`~hilt.project.quality.Quality.review_items`)."""
        return self._quality.review_items(reviewer, limit, include_issues=include_issues)

    def review(self, item_id: str, label: Any, reviewer: str, answer_id: str | None = None, *,
               seconds: float | None = None) -> dict:
        """Record a reviewer's decision: the item's final label (:meth:`~hilt.project.quality.Quality.review`)."""
        return self._quality.review(item_id, label, reviewer, answer_id, seconds=seconds)

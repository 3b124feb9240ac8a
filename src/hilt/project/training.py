"""The model side of a project: the :class:`Training` service.

It holds the featurizer and this process's feature cache (:mod:`hilt.project.features`), the
retrain job and its background worker (:mod:`hilt.project.worker`; on a Dask cluster the job of
:mod:`hilt.project.cluster`), the count of new training labels toward ``retrain_every``, and the
fits made on demand: :meth:`Training.predictions`, :meth:`Training.save_model` and the feature
rows the quality service's out-of-fold fits use. :meth:`hilt.Project.configure` rebuilds it
(:meth:`Training.rebuild`) with the new settings; nothing else in the project changes then.
"""

from __future__ import annotations

import base64
import pickle
import threading
import uuid
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from hilt._version import __version__
from hilt.errors import InputError
from hilt.features import Featurizer, get_featurizer
from hilt.models import default_classifier, fresh_copy
from hilt.project.configuration import ProjectSettings
from hilt.project.features import FeatureCache
from hilt.project.worker import RetrainJob, RetrainWorker, covered, decoded_answers
from hilt.store import Store

__all__ = ["Training", "connect", "disconnect", "featurizer_from_meta"]

#: Rows scored at a time by :meth:`Training.predictions` (bounds the memory of a dense chunk).
_PREDICT_CHUNK = 50_000


class Training:
    """Features, the retrain job and worker, and the model fits of the project in ``store``.

    ``scheduler`` is a Dask client (from :func:`connect`) whose workers build the features and
    score the pool, or ``None`` to run everything in this process.

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
    """

    def __init__(self, store: Store, settings: ProjectSettings, meta: dict, *, model: Any = None,
                 scheduler: Any = None, on_run: Callable[[Any], Any] | None = None):
        self._store = store
        #: Called with the report of each run this process runs (the project's webhook).
        self._on_run = on_run
        if model is None and meta.get("model"):
            model = pickle.loads(base64.b64decode(meta["model"]))
        #: The user's classifier (``None``: the default logistic regression).
        self.model = model
        self._build(settings, meta, scheduler)

    def _build(self, settings: ProjectSettings, meta: dict, scheduler: Any) -> None:
        self.settings = settings
        #: The featurizer (:mod:`hilt.features`) the project's items are turned into rows by.
        self.featurizer: Featurizer = featurizer_from_meta(meta)
        self.folder = self._store.location.cache_folder
        #: This process's feature cache: the retrains' unless a scheduler is given; then only for
        #: what needs every labelled row here at once (exporting a model, likely label errors).
        self.features = FeatureCache(self.folder, settings.kind, list(settings.feature_columns), self.featurizer)
        model, strength = self.model, self.featurizer.classifier_C
        make = (lambda: fresh_copy(model)) if model is not None else (lambda: default_classifier(C=strength))
        #: A fresh, unfitted copy of the project's classifier on each call.
        self.new_estimator = make
        #: The Dask scheduler's address when the pool's features and scores are on a cluster
        #: (:mod:`hilt.cluster`), else ``None``.
        self.scheduler: str | None = None
        self._client: Any = None
        if scheduler is None:
            self.job = RetrainJob(self._store, self.features, list(settings.labels), settings.strategy, make,
                                  settings.queue_size, batch=settings.retrain_every, seed=settings.job_seed)
        else:
            self.job = self._cluster_job(scheduler, make)
        self.job.on_run = self._on_run
        self.worker = RetrainWorker(self.job)
        self._counter_lock = threading.Lock()
        runs = self._store.runs()
        # A diversity strategy has a queue before any model (cluster representatives): the
        # first serve asks the worker for it, in the background like any run.
        self._wants_cold_queue = not runs and self.job.uses_features
        trained = len(self._store.current_labels(is_eval=False))
        #: New training labels since the last run: reaching retrain_every starts a retrain.
        self.since_retrain = trained - (runs[-1]["n_train"] if runs else 0)

    def _cluster_job(self, scheduler: Any, make: Any) -> RetrainJob:
        """The retrain job that builds features and scores on the Dask cluster at ``scheduler``."""
        from hilt.cluster import connect as connect_client
        from hilt.project.cluster import ClusterFeatures, ClusterRetrainJob

        settings = self.settings
        client = connect_client(scheduler)
        owned = isinstance(scheduler, str)
        try:
            features = ClusterFeatures(client, self._store.path, settings.kind, list(settings.feature_columns),
                                       self.featurizer)
            job = ClusterRetrainJob(self._store, features, list(settings.labels), settings.strategy, make,
                                    settings.queue_size, client=client, local_folder=self.folder,
                                    batch=settings.retrain_every, seed=settings.job_seed)
        except BaseException:
            if owned:
                client.close()
            raise
        self._client = client if owned else None  # a client the caller gave stays theirs to close
        self.scheduler = scheduler if owned else (getattr(client, "_hilt_address", None) or client.scheduler.address)
        return job

    def rebuild(self, settings: ProjectSettings) -> None:
        """Start afresh with ``settings`` (the worker was stopped before they were written). A
        project on a cluster stays on it, with the same client (still the project's to close)."""
        client, owned, scheduler = getattr(self.job, "client", None), self._client, self.scheduler
        self._build(settings, self._store.meta(), client)
        self._client, self.scheduler = owned, scheduler

    def adopt(self, client: Any) -> None:
        """Close ``client`` with the project when the project connected it (from an address)."""
        if client is not None and self._client is None and getattr(client, "_hilt_owned", False):
            self._client = client
            self.scheduler = str(client._hilt_address)

    def stop(self) -> None:
        """Stop the background worker (a run going is cancelled)."""
        self.worker.stop()

    def close(self) -> None:
        """Stop the worker and close the clients the project owns (after the store is closed)."""
        if self._client is not None:
            self._client.close()
        # The client the cluster job connected again with, after the first lost its scheduler.
        again = getattr(self.job, "client", None)
        if again is not None and again is not self._client and getattr(again, "_hilt_owned", False):
            again.close()

    @property
    def busy(self) -> bool:
        """Whether a background run is going."""
        return self.worker.busy

    # -- running retrains ------------------------------------------------------------------
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
        self.job.child_min_items = 0
        if start:
            self.job.start_child()

    def warm(self, progress: Any = None) -> str:
        """Build (or load) the item features now, so that the first retrain does not.

        A server calls this before it accepts requests: the first feature build over a large
        pool takes seconds (embeddings: about a second per 10,000 texts). ``progress(done,
        total)``, if given, is called as the build advances. Returns where the features came
        from: ``"built"``, ``"disk"`` (the cache beside the project file) or ``"memory"``.
        """
        if self.scheduler is not None:  # on the cluster's workers ("cluster": published by another process)
            return self.job.warm()
        self.job.features.get(self._store, progress=progress)
        source = str(self.job.features.last_source)
        if self.job.uses_features:
            self.job.features.dense_view()  # what the diversity strategies compare items on
        return source

    def retrain(self, wait: bool = False) -> None:
        """Refit on all training labels and re-rank the queue.

        ``wait=False`` hands the work to the background worker and returns at once;
        ``wait=True`` runs it in the calling thread and returns when the new ranking is served.
        Nothing happens while fewer than two different labels exist.
        """
        with self._counter_lock:
            self.since_retrain = 0
        if wait:
            self.job.run()
        else:
            self.worker.request()

    def count_training(self, result: dict) -> None:
        """Count a stored answer's new training label toward ``retrain_every``: the project's own
        count (every server's labels) when the store returns one."""
        if result["training"]:
            with self._counter_lock:
                self.since_retrain = result.get("since_run", self.since_retrain + 1)

    def count_import(self, result: dict) -> None:
        """Count an import's labels; new items need scores, so a project with runs retrains soon."""
        with self._counter_lock:
            self.since_retrain += result["labelled"] + result["relabelled"]
            if result["added"] and self._store.runs():
                self.since_retrain = max(self.since_retrain, self.settings.retrain_every)

    def maybe_retrain(self) -> None:
        """Ask the worker for a run when one is due."""
        every = self.settings.retrain_every
        with self._counter_lock:
            # The count is the project's (shared by every server; each new training label gets
            # its own value, in its answer's transaction): only the label that reaches a multiple
            # of retrain_every asks for a run. With ">=", every label between that one and the
            # run's start (which resets the count) asked for another run (~1.6x the runs due).
            counted = self.since_retrain >= every and self.since_retrain % every == 0
            due = counted or self._wants_cold_queue
            if counted:
                self.since_retrain = 0
            self._wants_cold_queue = False
        if due:
            self.worker.request()

    # -- fits on demand --------------------------------------------------------------------
    def predictions(self) -> pd.DataFrame:
        """The model's predicted label and its probability for every item, from a fresh fit on all
        training labels (the features cached beside the project are reused).

        Columns: ``item_id``, ``label`` (the current label, ``None`` if none), ``predicted``,
        ``probability`` (of ``predicted``), ``is_eval``, then ``prob_<label>`` per label. A
        multi-label project's ``label`` and ``predicted`` are lists (the predicted set: labels
        with ``p >= 0.5``), without ``probability``; ``prob_<label>`` is each label's own.
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
        labels = list(self.settings.labels)
        model, X, rowids, is_eval = self.fit_on_labels()
        task = self._store.task
        if task.needs_text:
            return self._span_predictions(model, X, rowids, is_eval)
        # The task's model gives one probability column per label: rows summing to 1 (single),
        # or each label's own probability (multilabel).
        probs = np.vstack([model.predict_proba(X[np.arange(lo, min(lo + _PREDICT_CHUNK, len(rowids)))])
                           for lo in range(0, len(rowids), _PREDICT_CHUNK)])
        keys = self._store.item_keys()
        current = self._store.current_labels()
        if task.multilabel:  # the predicted set (p >= 0.5), no single "probability" of it
            frame = pd.DataFrame({
                "item_id": [keys[int(r)] for r in rowids],
                "label": [task.decode(current.get(int(r)), labels) for r in rowids],
                "predicted": [task.decode(g, labels) for g in task.guesses(model, probs, labels)],
                "is_eval": is_eval.astype(bool),
            })
        else:
            best = probs.argmax(axis=1)
            frame = pd.DataFrame({
                "item_id": [keys[int(r)] for r in rowids],
                "label": [current.get(int(r)) for r in rowids],
                "predicted": [labels[b] for b in best],
                "probability": probs[np.arange(len(best)), best],
                "is_eval": is_eval.astype(bool),
            })
        for j, label in enumerate(labels):
            frame[f"prob_{label}"] = probs[:, j]
        return frame

    def _span_predictions(self, model: Any, texts: np.ndarray, rowids: np.ndarray, is_eval: np.ndarray) -> pd.DataFrame:
        """:meth:`predictions` of a spans project: ``label`` and ``predicted`` are span lists, and
        ``confidence`` is the probability of the predicted labelling as a whole."""
        labels = list(self.settings.labels)
        task, keys, current = self._store.task, self._store.item_keys(), self._store.current_labels()
        predicted: list[Any] = []
        confidence: list[float] = []
        least = task.uncertainty  # column "least" = 1 - P(best labelling)
        for lo in range(0, len(rowids), _PREDICT_CHUNK):
            rows = texts[lo: lo + _PREDICT_CHUNK]
            predicted.extend(model.predict(rows))
            confidence.extend((1.0 - least(model.predict_proba(rows), "least")).tolist())
        return pd.DataFrame({
            "item_id": [keys[int(r)] for r in rowids],
            "label": [task.decode(current.get(int(r)), labels) for r in rowids],
            "predicted": predicted,
            "confidence": confidence,
            "is_eval": is_eval.astype(bool),
        })

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
        kind, feature_columns = self.settings.kind, list(self.settings.feature_columns)
        if self._store.task.needs_text:  # a sequence model reads the texts itself: no featurizer
            model, _, _, _ = self.fit_on_labels()
            bundle = {"featurizer": None, "model": model, "labels": list(self.settings.labels), "kind": kind,
                      "task": self._store.task.name, "feature_columns": [], "n_train": model.n_train,
                      "hilt_version": __version__}
            _write_pickle(path, bundle)
            return {"path": str(path), "n_train": model.n_train}
        rowids: list[int] = []
        rows: list[tuple] = []
        for batch_ids, batch in self._store.iter_item_fields(self.featurizer.item_fields(kind, feature_columns)):
            rowids += batch_ids
            rows += batch
        keys = self._store.item_keys() if self.featurizer.needs_ids else None
        raw = self.featurizer.items_from_rows(rows, kind, feature_columns,
                                              None if keys is None else [keys[r] for r in rowids])
        featurizer = pickle.loads(pickle.dumps(self.featurizer))  # a copy: the project's stays as it is
        X = featurizer.fit_matrix(raw)
        model, _, _, _ = self.fit_on_labels(X)
        bundle = {"featurizer": featurizer, "model": model, "labels": list(self.settings.labels), "kind": kind,
                  "task": self._store.task.name, "feature_columns": feature_columns, "n_train": model.n_train,
                  "hilt_version": __version__}
        _write_pickle(path, bundle)
        return {"path": str(path), "n_train": model.n_train}

    def feature_rows(self, rowids: Sequence[int]) -> tuple[Any, np.ndarray]:
        """``(X, kept)``: the feature rows of the item row ids ``rowids`` that the features cover
        (``kept``, in the given order): fetched from the cluster's workers when the project has a
        scheduler (the pool's features never come here), else from this process's cache."""
        wanted = np.asarray(rowids, dtype=np.int64)
        if self.scheduler is not None:
            return self.job.feature_rows(wanted)
        X, all_rowids, _ = self.features.get(self._store)
        pos, ok = covered(all_rowids, wanted)
        return X[pos[ok]], wanted[ok]

    def fit_on_labels(self, X: Any = None) -> tuple[Any, Any, np.ndarray, np.ndarray]:
        """A fresh copy of the project's classifier fitted on the current training labels, with
        the features (``X`` if given, in item row-id order, else the cached ones)."""
        cached, rowids, is_eval = self.features.get(self._store)
        task = self._store.task
        if X is None:  # a sequence model (spans) reads the texts, not the features
            X = self.features.texts(self._store) if task.needs_text else cached
        position = {int(r): i for i, r in enumerate(rowids)}
        labels = list(self.settings.labels)
        label_of = {r: label for r, label in decoded_answers(self._store, labels, is_eval=False).items()
                    if r in position}
        model = task.make_model(self.new_estimator(), labels)
        if task.needs_text and not model.can_fit(list(label_of.values())):
            raise InputError(f"Expected at least one marked span among the training answers to fit a model; the "
                             f"project has {len(label_of)} training answer(s), none with a span. Label more items first.")
        if not task.needs_text and len(set(label_of.values())) < 2:
            raise InputError(
                "Expected labels of at least two different kinds to fit a model; the project has "
                f"{len(label_of)} training label(s) ({', '.join(sorted(map(str, set(label_of.values())))) or 'none'}). "
                "Label more items first."
            )
        model.fit(X[np.array([position[r] for r in label_of], dtype=np.int64)], list(label_of.values()))
        model.n_train = len(label_of)
        return model, X, rowids, is_eval


def _write_pickle(path: Path, value: Any) -> None:
    """Pickle ``value`` to ``path`` through a temporary file: a reader sees the old file or the new."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as out:
            pickle.dump(value, out)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def featurizer_from_meta(meta: dict) -> Featurizer:
    """The project's featurizer: a registry name, or a user's transformer kept pickled.
    Projects made before featurizers were recorded were made with TF-IDF / scaling."""
    if meta.get("featurizer"):
        return pickle.loads(base64.b64decode(meta["featurizer"]))
    from hilt.project.status import features_name  # the one rule for projects made before featurizers

    return get_featurizer(features_name(meta), meta["kind"])


def connect(scheduler: Any) -> Any:
    """A client of ``scheduler`` (an address, a client, or ``HILT_DASK_SCHEDULER``), or ``None``
    for a project that runs everything in this process. A client made here from an address is
    marked as the project's own, to be closed with it."""
    from hilt.cluster import connect as connect_client, scheduler_address

    address = scheduler_address(scheduler)
    if address is None:
        return None
    client = connect_client(address)
    if isinstance(address, str):
        client._hilt_owned, client._hilt_address = True, address
    return client


def disconnect(client: Any) -> None:
    """Close ``client`` if :func:`connect` made it."""
    if client is not None and getattr(client, "_hilt_owned", False):
        client.close()

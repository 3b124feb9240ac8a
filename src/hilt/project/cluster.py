"""A retrain on a Dask cluster: the features live on the workers, the model is fitted here.

:class:`ClusterFeatures` builds and keeps the partitions' feature rows on the cluster;
:class:`ClusterRetrainJob` is :class:`hilt.project.worker.RetrainJob` with its one run
(:meth:`~ClusterRetrainJob._run_here`) done with them: fetch the labelled items' rows, fit,
measure, let every partition score its candidates, merge, write the queue. A run that finds its
client cut off from the scheduler (killed, restarted) first connects again to the same address
(:meth:`~ClusterRetrainJob.reconnect`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import threading
import time
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp

from hilt import settings, strategies
from hilt.cluster import connect, is_connected, partitions
from hilt.errors import HiltError, InputError
from hilt.project.features import refit_due
from hilt.project.worker import RetrainJob, RunReport, _Labels, decoded_answers, describe_error
from hilt.strategies.registry import METHODS
from hilt.store import Store

__all__ = ["ClusterFeatures", "ClusterRetrainJob", "POOL_PER_QUEUE_ITEM", "RUN_TIMEOUT_ENV"]

log = logging.getLogger("hilt.cluster")

#: Strategies that compare items run on a candidate pool of this many of the most uncertain
#: items per queued item, and as many drawn at random (10 x the 2,000 queue: 40,000 rows).
POOL_PER_QUEUE_ITEM = 10
#: Seconds a run waits for the cluster before it fails (and serving goes on with the old ranking).
RUN_TIMEOUT_ENV = settings.DASK_RUN_TIMEOUT.name
#: Bump when what a partition holds changes, so published features of older versions are rebuilt.
_FORMAT = 1
#: Task retries after an error in the task itself (a worker that dies is handled by Dask: its
#: tasks, and the partitions it held, are computed again on the others).
_RETRIES = 2


class ClusterFeatures:
    """The pool's feature rows, one Dask future per partition, kept on the workers.

    Named like the local cache (:class:`hilt.project.features.FeatureCache`) by the item set
    and the featurizer, and published on the scheduler under the project's uid, so that
    another process over the same project (a restarted server, ``hilt retrain``) reuses them.
    A partition lost with a worker is computed again by Dask from the store.
    """

    def __init__(self, client: Any, source: Any, kind: str, feature_columns: list[str], featurizer: Any):
        if not getattr(featurizer, "distributable", False):
            raise InputError(
                f"Expected features that can be fitted on a Dask cluster (tfidf, embeddings, tfidf+embeddings "
                f"or scale); the project's are {featurizer.name or type(featurizer).__name__!r}, which must see "
                "the whole pool at once. Use the project without a scheduler."
            )
        self.client = client
        self.source = source
        self.kind = kind
        self.feature_columns = list(feature_columns)
        self.featurizer = featurizer
        #: This host's cache folder (set by the job): where the retrain claim's lock file lives.
        self.folder = None
        self._lock = threading.Lock()
        self._key: str | None = None
        self._parts: list[Any] = []
        self._ranges: list[tuple[int, int]] = []
        #: What :meth:`get` last found or made: the dict published on the scheduler.
        self._held: dict | None = None
        #: How many row ids the last :meth:`get` featurized (0 when it found them all).
        self.last_transformed = 0
        #: What the last :meth:`get` did: "memory" (this process's), "cluster" (published by
        #: another process), "extended" (partitions added for new items) or "built".
        self.last_source: str | None = None

    def key_for(self, uid: str, top: int, size: int) -> str:
        """The key of the features of the items up to row id ``top``."""
        return hashlib.sha256(f"{self.base_for(uid, size)}:{int(top)}".encode()).hexdigest()

    def base_for(self, uid: str, size: int) -> str:
        """The key of everything but the item count: partitions under the same base can be extended."""
        # The store's address too: a copied project file keeps its uid, and its items may differ.
        spec = self.featurizer.spec()
        return hashlib.sha256(json.dumps([_FORMAT, uid, str(self.source), size, self.kind,
                                          self.feature_columns, spec], sort_keys=True).encode()).hexdigest()

    def dataset_name(self, uid: str) -> str:
        """The name the project's features are published under on the scheduler."""
        return f"hilt-features-{uid}-{hashlib.sha256(str(self.source).encode()).hexdigest()[:12]}"

    def forget(self) -> None:
        """Drop the features held here (the next :meth:`get` looks for them again, and rebuilds
        them when they are gone): after a run failed, perhaps for a partition the cluster lost."""
        with self._lock:
            self._key, self._parts, self._ranges, self._held = None, [], [], None

    def get(self, store: Store, cancelled: Callable[[], bool] = lambda: False, *, refit: bool = False,
            ) -> tuple[list[Any], list[tuple[int, int]], int]:
        """``(part futures, their row-id ranges, the highest row id they cover)``.

        As the local cache (:class:`hilt.project.features.FeatureCache`) does, items added since
        the partitions were built get partitions of their own, built by the featurizer as fitted
        (embeddings exactly, TF-IDF and scaling with the fitted vocabulary and weights);
        ``refit=True`` (a retrain) fits a ``"kept"`` featurizer again on the whole pool when
        :func:`hilt.project.features.refit_due`, so both backends give the same rows."""
        uid, top = store.item_set_version()
        size = partitions.partition_items()
        base = self.base_for(uid, size)
        key = self.key_for(uid, top, size)
        name = self.dataset_name(uid)
        with self._lock:
            self.last_transformed = 0
            held, source = None, None
            if self._key == key and self._held is not None and _alive(self._futures(self._held)):
                held, source = self._held, "memory"
            else:
                published = self.client.get_dataset(name, default=None)
                if published is not None and published.get("key") == key and _alive(self._futures(published)):
                    held, source = dict(published), "cluster"
            kept = self.featurizer.incremental == "kept"
            if held is not None and not (refit and kept and refit_due(held["fitted_top"], top)):
                self._keep(key, held)
                self.last_source = source
                return self._parts, self._ranges, top
            previous = held or self._previous(name, base, top)
            if previous is not None and previous["top"] < top and self._extends(previous, top, refit):
                held, self.last_source = self._extend(previous, key, top, size, cancelled), "extended"
            else:
                ranges = partitions.plan(top, size)
                parts, fitted = self._build(ranges, key, cancelled)
                held = {"key": key, "base": base, "top": top, "fitted_top": top, "parts": parts,
                        "ranges": ranges, "fitted": fitted}
                self.last_transformed = top
                self.last_source = "built"  # the first fit, or one again on a grown pool
            try:
                self.client.unpublish_dataset(name)
            except KeyError:
                pass
            self.client.publish_dataset(**{name: held})
            self._keep(key, held)
            return self._parts, self._ranges, top

    @staticmethod
    def _futures(held: dict) -> list[Any]:
        return list(held["parts"]) + ([held["fitted"]] if held.get("fitted") is not None else [])

    def _keep(self, key: str, held: dict) -> None:
        self._held, self._key = held, key
        self._parts, self._ranges = list(held["parts"]), list(held["ranges"])

    def _previous(self, name: str, base: str, top: int) -> dict | None:
        """The furthest partitions of the same featurizer and project: held here or published."""
        mine = self._held if self._held is not None and self._held.get("base") == base else None
        published = self.client.get_dataset(name, default=None)
        candidates = [h for h in (mine, published) if h is not None and h.get("base") == base
                      and h.get("fitted") is not None and h["top"] <= top and _alive(self._futures(h))]
        return max(candidates, key=lambda h: h["top"], default=None)

    def _extends(self, previous: dict, top: int, refit: bool) -> bool:
        how = self.featurizer.incremental
        if how == "per_item":
            return True
        return how == "kept" and previous["fitted_top"] > 0 and not (refit and refit_due(previous["fitted_top"], top))

    def _extend(self, previous: dict, key: str, top: int, size: int, cancelled: Callable[[], bool]) -> dict:
        """``previous`` with partitions of the row ids after its top, by its fitted featurizer."""
        client, fields = self.client, self.feature_columns
        ranges = [(low, min(low + size - 1, top)) for low in range(previous["top"] + 1, top + 1, size)]
        first = len(previous["parts"])
        parts = [client.submit(partitions.build_part, self.source, low, high, self.kind, fields, previous["fitted"],
                               key=f"hilt-part-{key[:16]}-{first + i}", retries=_RETRIES)
                 for i, (low, high) in enumerate(ranges)]
        _wait(parts, cancelled)
        self.last_transformed = top - previous["top"]
        return {**previous, "key": key, "top": top, "parts": list(previous["parts"]) + parts,
                "ranges": list(previous["ranges"]) + ranges}

    def _build(self, ranges: list[tuple[int, int]], key: str, cancelled: Callable[[], bool]) -> tuple[list[Any], Any]:
        client, fields = self.client, self.feature_columns
        # One pass for the fit: each partition's statistics, merged pairwise on the cluster.
        level = [client.submit(partitions.partition_stats, self.source, low, high, self.kind, fields,
                               self.featurizer, pure=False, retries=_RETRIES) for low, high in ranges]
        while len(level) > 1:
            level = [client.submit(partitions.merge_stats, self.featurizer, *level[i:i + 8], pure=False,
                                   retries=_RETRIES) for i in range(0, len(level), 8)]
        fitted = pickle.loads(pickle.dumps(self.featurizer))  # the project's own stays unfitted
        if level:
            fitted.fit_stats(_result(level[0], cancelled))
        # Kept on the cluster with the partitions: what the partitions of later imports are built by.
        shared = _shared(client, fitted) if level else None
        # The second pass: every partition's rows, kept on the workers (named by the key).
        parts = [client.submit(partitions.build_part, self.source, low, high, self.kind, fields, shared,
                               key=f"hilt-part-{key[:16]}-{i}", retries=_RETRIES)
                 for i, (low, high) in enumerate(ranges)]
        _wait(parts, cancelled)
        return parts, shared


def _same(value: Any) -> Any:
    return value


def _shared(client: Any, value: Any) -> Any:
    """``value`` on the cluster as a task's result, not scattered data: Dask computes a task's
    result again when the worker holding it dies, but a scattered value is simply lost (and
    every partition built from it with it)."""
    return client.submit(_same, value, pure=False)


def _alive(futures: list[Any]) -> bool:
    """Whether every future still has (or will have) its value: none failed, lost or cancelled."""
    return all(f.status in ("pending", "finished") for f in futures)


def _result(future: Any, cancelled: Callable[[], bool]) -> Any:
    _wait([future], cancelled)
    return future.result()


def _wait(futures: list[Any], cancelled: Callable[[], bool]) -> None:
    """Wait for ``futures``, checking ``cancelled`` every second; raise a task's error, or
    :class:`TimeoutError` after :data:`RUN_TIMEOUT_ENV` seconds."""
    timeout = settings.DASK_RUN_TIMEOUT.read()
    deadline = time.monotonic() + timeout
    pending = [f for f in futures if not f.done()]
    pause = 0.01
    while pending:
        if cancelled():
            raise InterruptedError("retrain cancelled")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the Dask cluster did not finish within {timeout:g} s ({RUN_TIMEOUT_ENV})")
        # Polled (the client is not the process's default, which distributed.wait needs);
        # at most a quarter second late.
        time.sleep(pause)
        pause = min(pause * 2, 0.25)
        pending = [f for f in pending if not f.done()]
    for future in futures:
        if future.status == "error":
            future.result()  # raises the task's exception
        if future.status == "cancelled":
            raise RuntimeError("a Dask task was cancelled (the scheduler restarted or lost its workers)")


def _gather(client: Any, futures: list[Any], cancelled: Callable[[], bool]) -> list[Any]:
    _wait(futures, cancelled)
    return client.gather(futures)


class ClusterRetrainJob(RetrainJob):
    """:class:`~hilt.project.worker.RetrainJob` with the pool's features and scores on a Dask
    cluster (see :mod:`hilt.cluster`). Runs in the calling thread (the worker thread for a
    background run): it mostly waits for the cluster, so it takes little of serving's CPU."""

    def __init__(self, store: Store, features: Any, labels: list[str], strategy: str,
                 make_estimator: Callable[[], Any], queue_size: int, *, client: Any, local_folder: Any,
                 batch: int | None = None, seed: int = 0):
        super().__init__(store, features, labels, strategy, make_estimator, queue_size, batch=batch, seed=seed)
        self.client = client
        #: The scheduler's address: where a run connects again after the client lost it.
        self.address: str = _address_of(client)
        self._connecting = threading.Lock()  # a run and a label-issues call may both find it lost
        self.features.folder = local_folder

    def _wants_child(self) -> bool:
        return False  # the heavy work is on the cluster already

    def close(self) -> None:
        self._closing = True

    def warm(self) -> str:
        """Build (or find) the features on the cluster now; returns where they came from."""
        self.reconnect()
        self.features.get(self.store)
        return str(self.features.last_source)

    def feature_rows(self, rowids: np.ndarray) -> tuple[Any, np.ndarray]:
        """``(X, kept)``: the rows of the item row ids ``rowids`` the features cover (``kept``,
        in the given order), fetched from the workers (likely label errors need only these)."""
        self.reconnect()
        parts, ranges, top = self.features.get(self.store)
        kept = rowids[rowids <= top]
        return self._rows(parts, ranges, kept, lambda: False), kept

    def reconnect(self) -> bool:
        """Make a new client of :attr:`address` when the one in use lost its scheduler (killed,
        restarted, unreachable past the client's own reconnection time); ``True`` if it did.

        A :class:`distributed.Client` that lost its scheduler closes for good and stays closed
        when a new scheduler comes up at the same address. Raises
        :class:`hilt.errors.InputError` (as :func:`hilt.cluster.connect` does) while no scheduler
        answers there: the run fails with that error, and the next one tries again.
        """
        if is_connected(self.client):
            return False
        with self._connecting:
            if is_connected(self.client):  # the other caller connected meanwhile
                return False
            lost = self.client
            client = connect(self.address)
            # Closed with the project (Project.close), as the client it connected at the start.
            client._hilt_owned, client._hilt_address = True, self.address
            self.client = self.features.client = client
            self.features.forget()  # the features held were the lost scheduler's
        log.warning("hilt: the connection to the Dask scheduler at %s was lost (client %s); connected again",
                    self.address, getattr(lost, "status", "lost"))
        if getattr(lost, "_hilt_owned", False):  # hilt's own (a caller's client stays theirs to close)
            try:
                lost.close(timeout=5)
            except Exception as error:  # it is gone anyway; closing it only frees its resources
                log.debug("hilt: closing the lost Dask client failed: %s", describe_error(error))
        return True

    def _run_here(self, cancelled: Callable[[], bool]) -> RunReport | None:
        self.reconnect()
        try:
            return self._run_on_cluster(_either(cancelled, lambda: self._closing))
        except InterruptedError:
            raise
        except Exception as error:
            self.features.forget()  # the next run checks the cluster's features afresh
            if isinstance(error, HiltError) or is_connected(self.client):
                raise
            # Whatever Dask raised half-way (a cancelled future, a closed comm, a client without
            # a scheduler), the cause is the lost scheduler: say that, on one line.
            raise InputError(
                f"Expected the Dask scheduler at {self.address} to answer; the connection to it was lost "
                f"during the retrain (Dask's client said {type(error).__name__}). The next retrain connects "
                "again; until then the previous ranking is served."
            ) from None

    def _run_on_cluster(self, cancelled: Callable[[], bool]) -> RunReport | None:
        t0 = time.perf_counter()
        parts, ranges, top = self.features.get(self.store, cancelled, refit=True)  # as the local run
        source = self.features.last_source
        t1 = time.perf_counter()
        train, y = _covered(decoded_answers(self.store, self.labels, is_eval=False), top)
        evaluation, y_eval = _covered(decoded_answers(self.store, self.labels, is_eval=True), top)
        cold = len(set(y)) < 2
        if cold and (not self.uses_features or self.store.runs()):
            return None
        run_id = self.store.start_run(self.strategy)
        rows = self._rows(parts, ranges, np.concatenate([train, evaluation]), cancelled)
        labels = _Labels(np.arange(len(train)), y, len(train) + np.arange(len(evaluation)), y_eval)
        model = None
        accuracy, n_eval, metrics = None, 0, None
        if not cold:
            self.model.fit(rows[labels.train], y)
            accuracy, n_eval, metrics = self._evaluate(rows, labels)
            model = self.model
        t2 = time.perf_counter()
        items, shown, guesses = self._rank_on_cluster(parts, ranges, rows, train, labels, model, run_id, cancelled)
        if model is not None:
            items, shown, guesses = self._with_eval_guesses(
                items, shown, guesses, lambda wanted: self._covered_rows(parts, ranges, top, wanted, cancelled))
        t3 = time.perf_counter()
        self.store.write_queue(run_id, items, shown, guesses)
        self.store.finish_run(run_id, n_train=len(y), eval_accuracy=accuracy, n_eval=n_eval,
                              swap_queue=self.strategy != "random", metrics=metrics)
        self.store.checkpoint()
        t4 = time.perf_counter()
        return RunReport(run_id, len(y), accuracy, n_eval, t1 - t0, t2 - t1, t3 - t2, t4 - t3, source)

    def _rows(self, parts: list[Any], ranges: list[tuple[int, int]], rowids: np.ndarray,
              cancelled: Callable[[], bool]) -> Any:
        """The feature rows of ``rowids`` (in that order), fetched from the partitions holding them."""
        wanted = np.unique(rowids)
        lows = np.array([low for low, _ in ranges], dtype=np.int64)
        owner = np.searchsorted(lows, wanted, side="right") - 1
        futures = [self.client.submit(partitions.take_rows, parts[i], wanted[owner == i], pure=False)
                   for i in np.unique(owner)]
        found = _gather(self.client, futures, cancelled)
        ids = np.concatenate([f[0] for f in found] or [np.empty(0, np.int64)])
        blocks = _stack([f[1] for f in found if f[0].size])
        if blocks is None:
            return None
        X = self.features.featurizer.join(blocks)
        return X[np.searchsorted(ids, rowids)]

    def _covered_rows(self, parts: list[Any], ranges: list[tuple[int, int]], top: int, wanted: np.ndarray,
                      cancelled: Callable[[], bool]) -> tuple[np.ndarray, Any]:
        """The ids of ``wanted`` the partitions cover (up to row id ``top``) and their rows."""
        wanted = wanted[wanted <= top]
        return (wanted, self._rows(parts, ranges, wanted, cancelled)) if wanted.size else (wanted, None)

    def _rank_on_cluster(self, parts: list[Any], ranges: list[tuple[int, int]], rows: Any, train: np.ndarray,
                         labels: _Labels, model: Any, run_id: int, cancelled: Callable[[], bool],
                         ) -> tuple[np.ndarray, np.ndarray, list]:
        if self.strategy == "random":  # served in the random order; the run only measures
            return np.empty(0, np.int64), np.empty(0), []
        exact = model is not None and self.strategy in METHODS
        method = strategies.display_method(self.strategy)
        pool = 0 if exact else self.queue_size * POOL_PER_QUEUE_ITEM
        k = self.queue_size if exact else (pool if model is not None else 0)
        n_items = sum(high - low + 1 for low, high in ranges) or 1
        # Sent once to the workers that need them, not inside each partition's task.
        excluded = _shared(self.client, np.unique(train))
        shared_model = _shared(self.client, model) if model is not None else None
        level = [self.client.submit(partitions.score_part, part, shared_model, method, k, excluded,
                                    min(1.0, pool / n_items), [self.seed, run_id, i], pure=False, retries=_RETRIES)
                 for i, part in enumerate(parts)]
        while len(level) > 1:  # merged on the cluster, 8 at a time: one small result comes back
            level = [self.client.submit(partitions.combine_tops, k, *level[i:i + 8], pure=False, retries=_RETRIES)
                     for i in range(0, len(level), 8)]
        if not level:
            return np.empty(0, np.int64), np.empty(0), []
        top = _gather(self.client, level, cancelled)[0]
        if exact:  # the pool's top queue, as the local run ranks it
            probs = top.probs
            return top.rowids, self.task.uncertainty(probs, method) if top.rowids.size else np.empty(0), \
                self.task.guesses(model, probs, self.labels)
        # The others choose among the merged candidates: the most uncertain and a random sample.
        candidates = np.union1d(top.rowids, top.sample)
        return self._choose(parts, ranges, rows, labels, candidates, model, run_id, cancelled)

    def _choose(self, parts: list[Any], ranges: list[tuple[int, int]], rows: Any, labels: _Labels,
                candidates: np.ndarray, model: Any, run_id: int, cancelled: Callable[[], bool],
                ) -> tuple[np.ndarray, np.ndarray, list]:
        """A strategy that compares items, run here on the candidate pool's rows (after the
        labelled and evaluation rows, so the context's positions name both)."""
        if not candidates.size:
            return np.empty(0, np.int64), np.empty(0), []
        pool_rows = self._rows(parts, ranges, candidates, cancelled)
        n_known = 0 if rows is None else rows.shape[0]
        X = pool_rows if rows is None else _vstack(self.features.featurizer, rows, pool_rows)
        rng = np.random.default_rng([self.seed, run_id])
        context = strategies.QueryContext(X, n_known + np.arange(candidates.size), labels.train, labels.y, model,
                                          rng, batch=self.batch, validation=labels.evaluation, cancelled=cancelled)
        top = self._select(context)
        chosen = candidates[top - n_known]
        if model is None:
            return chosen, np.zeros(chosen.size), [None] * chosen.size
        probs = model.predict_proba(X[top]) if top.size else np.empty((0, len(self.labels)))
        shown = self.task.uncertainty(probs, strategies.display_method(self.strategy)) if top.size else np.empty(0)
        return chosen, shown, self.task.guesses(model, probs, self.labels)


def _address_of(client: Any) -> str:
    """The address a client was made for (hilt's own clients keep the one they were given)."""
    given = getattr(client, "_hilt_address", None)
    if given:
        return str(given)
    address = getattr(getattr(client, "scheduler", None), "address", None)  # no scheduler: a closed client
    if not address:
        raise InputError(f"Expected a Dask client connected to a scheduler; this one is "
                         f"{getattr(client, 'status', 'not connected')}. Give the scheduler's address instead.")
    return str(address)


def _either(a: Callable[[], bool], b: Callable[[], bool]) -> Callable[[], bool]:
    return lambda: a() or b()


def _covered(label_of: dict[int, str], top: int) -> tuple[np.ndarray, list[str]]:
    """Row ids (in the store's order) and labels of the labelled items the features cover."""
    pairs = [(r, label) for r, label in label_of.items() if r <= top]
    return np.array([r for r, _ in pairs], dtype=np.int64), [label for _, label in pairs]


def _stack(found: list[list[Any]]) -> list[Any] | None:
    """Blocks of several partitions' rows, stacked block by block."""
    if not found:
        return None
    return [sp.vstack([f[j] for f in found], format="csr") if sp.issparse(found[0][j]) else
            np.vstack([f[j] for f in found]) for j in range(len(found[0]))]


def _vstack(featurizer: Any, top: Any, bottom: Any) -> Any:
    a, b = getattr(top, "blocks", [top]), getattr(bottom, "blocks", [bottom])
    return featurizer.join(_stack([a, b]))

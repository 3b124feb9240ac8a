"""Retraining: one run (fit, measure, rescore, swap) and the single background worker thread.

A run never holds the store's write lock while it fits or scores: it reads the labels in one
snapshot, works on the cached features, writes the new ranking under a new run id in short
batches (invisible until finished), and then flips the queue pointer in one tiny transaction.
Serving and answering therefore never wait for training.

Nor do they wait for Python's GIL: a background run over a large pool (see
:data:`CHILD_PROCESS_MIN_ITEMS`) happens in a child process (:mod:`hilt.project._retrain_process`,
started on the first such run and kept, with the feature matrix in its memory), which works on
the same project (its file or database). The background thread of :class:`RetrainWorker` only waits for it.

One run at a time for the whole project, not just for this process: several server processes
may serve one project (a PostgreSQL database behind a load balancer), each with its own worker.
A run first takes the project's retrain claim (:meth:`hilt.store.Store.retrain_claim`: an
advisory lock on PostgreSQL, a file lock beside a project file); a run that finds it taken is
skipped, since the ranking the running one writes is served to every process.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Callable, ContextManager, Sequence

import numpy as np

from hilt import settings, strategies
from hilt.errors import HiltError
from hilt.project import _pipe
from hilt.project.features import FeatureCache
from hilt.store import Store

__all__ = ["RetrainJob", "RetrainWorker", "RunReport", "describe_error"]

log = logging.getLogger("hilt.project")

#: Background runs over at least this many items happen in the child process; smaller pools
#: retrain in milliseconds, too briefly to disturb serving, and are not worth a process start
#: (a second or two of imports) for every short labelling session.
CHILD_PROCESS_MIN_ITEMS = 100_000

#: Overrides the choice: ``always`` / ``never`` use a child process for every background run
#: or for none (e.g. where starting processes is not allowed); ``auto`` is the default.
PROCESS_ENV = settings.RETRAIN_PROCESS.name



def describe_error(error: BaseException, limit: int = 2000) -> str:
    """A failed run's error on one line: a hilt error's own message (it says what to do), any
    other error with its type name first; whitespace (a remote traceback's lines) folded, and cut
    at ``limit`` characters.

    Examples
    --------
    >>> from hilt.errors import InputError
    >>> describe_error(InputError("Expected a Dask scheduler at tcp://h:1; connection refused."))
    'Expected a Dask scheduler at tcp://h:1; connection refused.'
    >>> describe_error(KeyError("x"))
    "KeyError: 'x'"
    """
    message = str(error)
    if not isinstance(error, HiltError):
        message = f"{type(error).__name__}: {message}" if message else type(error).__name__
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class RunReport:
    """What one run did, with timings in seconds (the benchmark reports them)."""

    run_id: int | None
    n_train: int
    eval_accuracy: float | None
    n_eval: int
    features_seconds: float
    fit_seconds: float
    score_seconds: float
    swap_seconds: float
    features_source: str | None


class RetrainJob:
    """Everything one run needs; :meth:`run` is called by one thread at a time (it locks), and
    runs only while it holds the project's retrain claim (one run across all processes).

    Background runs (``run(background=True)``, what :class:`RetrainWorker` asks for) happen
    in a child process kept for the job's lifetime, unless ``in_process=True`` (the child's
    own job). A run the caller waits for (``Project.retrain(wait=True)``) happens in the
    calling thread: the caller waits anyway, and needs no child process started for it.
    """

    def __init__(self, store: Store, features: FeatureCache, labels: list[str], strategy: str,
                 make_estimator: Callable[[], Any], queue_size: int, *, in_process: bool = False,
                 batch: int | None = None, seed: int = 0):
        self.store = store
        self.features = features
        self.labels = labels
        self.strategy = strategy
        self._strategy = strategies.get_strategy(strategy)
        #: The strategy compares items by their features (a diversity strategy, or one at cold
        #: start): its dense view is built with the features, and it has a queue before any model.
        self.uses_features: bool = self._strategy.cold_uses_features
        #: Items served between two runs (the project's retrain_every): a spreading strategy
        #: makes each run of this many consecutive queue items a spread-out batch.
        self.batch = batch
        self.seed = seed
        self.queue_size = queue_size
        self.in_process = in_process
        #: Background runs over at least this many items go to the child process
        #: (:meth:`hilt.Project.isolate_retrains` sets 0: every one, for a server).
        self.child_min_items = CHILD_PROCESS_MIN_ITEMS
        self._make_estimator = make_estimator
        #: The project's task (hilt.tasks): its model, metric and guesses.
        self.task = store.task
        self.model = self.task.make_model(make_estimator(), labels)  # kept: warm starts across runs
        self.lock = threading.Lock()
        self.last_report: RunReport | None = None
        #: Called with each run's report in the process that asked for the run (the project's
        #: webhook sends ``run.finished``); never in the retrain child's own job.
        self.on_run: Callable[[RunReport], Any] | None = None
        #: How many runs found another process (or project object) retraining and were skipped.
        self.skipped = 0
        self._child: subprocess.Popen | None = None
        self._child_lock = threading.Lock()
        self._closing = False

    def run(self, cancelled: Callable[[], bool] = lambda: False, *, background: bool = False) -> RunReport | None:
        """Fit on the current training labels, rescore the pool and swap the ranking in.

        Returns ``None`` (and records no run) while fewer than two different labels exist, and
        when another process over the project is retraining (the run is skipped: its ranking
        will be served here too; :attr:`skipped` counts these). Raises
        :class:`InterruptedError` when :meth:`close` stops it half-way.
        """
        with self.lock, self._claim() as won:
            if not won:
                self.skipped += 1
                log.info("hilt: a retrain is already running for this project elsewhere; this one is skipped")
                return None
            in_child = background and not self.in_process and self._wants_child()
            try:
                report = self._run_in_child() if in_child else self._run_here(cancelled)
            except InterruptedError:
                raise
            except Exception as error:
                self._record_error(error)
                raise
            if report is not None:
                self.last_report = report
        if report is not None and self.on_run is not None:
            try:
                self.on_run(report)
            except Exception:  # telling others about a run must never fail the run
                log.exception("hilt: could not hand the run over to its listener")
        return report

    def _record_error(self, error: BaseException) -> None:
        """Keep why the run failed in the store (``status()["retrain_error"]`` of every process
        over the project, until a run finishes). The child process's own job leaves it to its
        parent, which receives the same error."""
        if self.in_process:
            return
        try:
            self.store.record_run_error(describe_error(error))
        except Exception as unrecorded:  # e.g. the database is down too: the run's error still goes up
            log.warning("hilt: the retrain's error could not be recorded in the store: %s", describe_error(unrecorded))

    def _claim(self) -> ContextManager[bool]:
        """The project's retrain claim; the child process's own job runs under its parent's."""
        if self.in_process:
            return nullcontext(True)
        return self.store.retrain_claim(self.features.folder)

    def _wants_child(self) -> bool:
        choice = settings.RETRAIN_PROCESS.read()
        if choice in ("always", "never"):
            return choice == "always"
        return self.store.item_set_version()[1] >= self.child_min_items

    def close(self) -> None:
        """Stop the child process (a run in progress is abandoned; its ranking is never served)."""
        self._closing = True
        with self._child_lock:
            child, self._child = self._child, None
        if child is None:
            return
        idle = self.lock.acquire(blocking=False)
        try:
            try:
                child.stdin.close()  # the end of its input: an idle child exits by itself
            except OSError:
                pass
            if not idle:
                child.kill()  # mid-run: nothing it wrote half-way is ever served
        finally:
            if idle:
                self.lock.release()
        # Reap it without making close() wait for the interpreter's shutdown.
        threading.Thread(target=_reap, args=(child,), name="hilt-retrain-reaper", daemon=True).start()

    # -- in a child process ----------------------------------------------------------------
    def _run_in_child(self) -> RunReport | None:
        child = self._start_child()
        try:
            _pipe.send(child.stdin, "run")
            status, value = _pipe.receive(child.stdout)
        except (EOFError, OSError, ValueError):  # ValueError: a pipe closed by close()
            with self._child_lock:
                if self._child is child:
                    self._child = None
            if child.poll() is None:
                child.kill()
            child.wait()
            if self._closing:
                raise InterruptedError("retrain stopped") from None
            raise RuntimeError(
                f"the retrain process ended unexpectedly (exit code {child.returncode}); "
                f"see {self._log_path()}"
            ) from None
        if status == "error":
            raise value
        return value

    def start_child(self) -> None:
        """Start the child process now, unless runs stay here (``in_process``, or
        ``HILT_RETRAIN_PROCESS=never``); the first run then finds it ready. Never raises: a
        child that cannot start is started again (and its error raised) by the first run."""
        if self.in_process or settings.RETRAIN_PROCESS.read() == "never":
            return

        def start() -> None:
            try:
                self._start_child()
            except Exception as error:
                log.warning("hilt: the retrain process did not start (%s); the first retrain tries again",
                            describe_error(error))

        # In a thread: the set-up message (the fitted featurizer) fills the pipe, and the write
        # waits until the child has finished its imports and reads it (seconds). A server that
        # waited for that in its start-up left its first requests waiting ~3 s in the listen
        # queue (bench_server: next p99 3.0-3.3 s). A run meanwhile waits on _child_lock.
        threading.Thread(target=start, name="hilt-retrain-start", daemon=True).start()

    def _log_path(self) -> Any:
        return self.features.folder / "retrain.log"

    def _start_child(self) -> subprocess.Popen:
        with self._child_lock:
            if self._closing:
                raise InterruptedError("retrain stopped")
            if self._child is not None and self._child.poll() is None:
                return self._child
            self.features.folder.mkdir(parents=True, exist_ok=True)
            # The child must unpickle a user's estimator class, so it sees the same sys.path.
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
            with open(self._log_path(), "ab") as log:
                child = subprocess.Popen(
                    [sys.executable, "-c", "from hilt.project._retrain_process import main; main()"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env,
                )
            _pipe.send(child.stdin, {
                "path": self.store.path, "folder": self.features.folder, "kind": self.features.kind,
                "feature_columns": self.features.feature_columns, "featurizer": self.features.featurizer,
                "labels": self.labels,
                "strategy": self.strategy, "estimator": self._make_estimator(),
                "queue_size": self.queue_size, "batch": self.batch, "seed": self.seed,
            })
            self._child = child
            return child

    # -- in this process -------------------------------------------------------------------
    def _run_here(self, cancelled: Callable[[], bool]) -> RunReport | None:
        t0 = time.perf_counter()
        # A retrain is where a featurizer that kept its fit through imports is fitted again.
        features, rowids, is_eval = self.features.get(self.store, cancelled, refit=True)
        source = self.features.last_source
        if self.uses_features:  # the diversity strategies' view, cached with the features
            self.features.dense_view()
        # A task whose model reads the texts themselves (spans: a sequence model over tokens)
        # is fitted on them; the strategies still compare items on the cached features.
        X = self.features.texts(self.store) if self.task.needs_text else features
        t1 = time.perf_counter()
        labels = _Labels.read(self.store, rowids, self.labels)  # one snapshot for fitting, measuring and ranking
        if not self.model.can_fit(labels.y):
            return self._cold_queue(X, rowids, is_eval, labels, cancelled, t0, t1, source, features)
        run_id = self.store.start_run(self.strategy)
        self.model.fit(X[labels.train], labels.y)
        accuracy, n_eval, metrics = self._evaluate(X, labels)
        t2 = time.perf_counter()
        items, scores, guesses = self._rank(X, rowids, is_eval, labels, cancelled, run_id, features)
        items, scores, guesses = self._with_eval_guesses(items, scores, guesses, lambda wanted: _rows_of(X, rowids, wanted))
        t3 = time.perf_counter()
        self.store.write_queue(run_id, items, scores, guesses)
        n_train = len(labels.y)
        self.store.finish_run(run_id, n_train=n_train, eval_accuracy=accuracy, n_eval=n_eval,
                              swap_queue=self.strategy != "random", metrics=metrics)
        self.store.checkpoint()
        t4 = time.perf_counter()
        return RunReport(run_id, n_train, accuracy, n_eval, t1 - t0, t2 - t1, t3 - t2, t4 - t3, source)

    def _evaluate(self, X: Any, labels: "_Labels") -> tuple[float | None, int, dict | None]:
        """``(headline, n, metrics)`` by the task's metric (accuracy for ``single``, whose runs keep
        no other figures: ``metrics`` is then ``None``)."""
        if not labels.y_eval:
            return None, 0, None
        predicted = self.model.predict(X[labels.evaluation])
        result = self.task.evaluate(labels.y_eval, predicted, self.labels, seed=self.seed)
        return result.value, result.n, result.metrics or None

    def _context(self, X: Any, is_eval: np.ndarray, labels: "_Labels", cancelled: Callable[[], bool],
                 model: Any, run_id: int, features: Any = None) -> strategies.QueryContext:
        """The strategy layer's view of the project: candidates are the unlabelled items
        outside the evaluation sample; validation (for ``outlier``) the labelled evaluation items;
        ``features`` what the diversity strategies compare (when ``X`` holds the texts)."""
        excluded = is_eval.copy()
        excluded[labels.train] = True  # (the labelled evaluation items are evaluation items)
        # A run's random choices depend on the project's seed and the run, never on the clock.
        rng = np.random.default_rng([self.seed, run_id])
        return strategies.QueryContext(X, np.flatnonzero(~excluded), labels.train, labels.y, model, rng,
                                       batch=self.batch, validation=labels.evaluation, cancelled=cancelled,
                                       features=None if features is X else features)

    def _rank(self, X: Any, rowids: np.ndarray, is_eval: np.ndarray, labels: "_Labels",
              cancelled: Callable[[], bool], run_id: int, features: Any = None,
              ) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
        if self.strategy == "random":  # served in the random order; the run only measures
            return np.empty(0, np.int64), np.empty(0), []
        top = self._select(self._context(X, is_eval, labels, cancelled, self.model, run_id, features))
        if not top.size:
            return rowids[top], np.empty(0), []
        # What annotators are shown beside an item: the model's guess and how unsure it is.
        rows = X[top]
        probs = self.model.predict_proba(rows)
        shown = self.task.uncertainty(probs, strategies.display_method(self.strategy))
        return rowids[top], shown, self.task.guesses(self.model, probs, self.labels, rows=rows)

    def _with_eval_guesses(self, items: np.ndarray, scores: np.ndarray, guesses: list[str | None],
                           rows_of: Callable[[np.ndarray], tuple[np.ndarray, Any]],
                           ) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
        """The ranked queue followed by the model's guess (and shown score) for the evaluation
        items served next, as many as the queue holds.

        An evaluation item is then served with a guess like a ranked training item: served
        without one, it stood out as an evaluation item (10 of 10 in a new user's session). The
        faces show a guess only after the person answered, so it never sways the answers that
        measure the model. ``rows_of(row ids)`` gives the ids the features cover and their rows.
        """
        if not len(items) or not self.model.is_fitted:  # no ranking (random, cold start): no guesses at all
            return items, scores, guesses
        wanted = self.store.eval_items_next(self.queue_size)
        wanted, rows = rows_of(wanted[~np.isin(wanted, items)])
        if not wanted.size:
            return items, scores, guesses
        probs = self.model.predict_proba(rows)
        shown = self.task.uncertainty(probs, strategies.display_method(self.strategy))
        return (np.concatenate([np.asarray(items, dtype=np.int64), wanted]), np.concatenate([scores, shown]),
                [*guesses, *self.task.guesses(self.model, probs, self.labels, rows=rows)])

    def _select(self, context: strategies.QueryContext) -> np.ndarray:
        """The queue: first the batch served until the next run, chosen exactly as
        ``ActiveLearner.query(batch)`` and ``hilt simulate`` choose one (same strategy call, same
        generator), then more batches in case the next run is late."""
        batch = min(self.batch or self.queue_size, self.queue_size)
        first = strategies.select(self._strategy, context, batch)
        if first.size >= self.queue_size or first.size == context.candidates.size:
            return first
        rest = context.restricted(~np.isin(context.candidates, first))
        return np.concatenate([first, strategies.select(self._strategy, rest, self.queue_size - first.size)])

    def _cold_queue(self, X: Any, rowids: np.ndarray, is_eval: np.ndarray, labels: "_Labels",
                    cancelled: Callable[[], bool], t0: float, t1: float, source: str | None,
                    features: Any = None) -> RunReport | None:
        """Before any model: a diversity strategy's first queue, from the features alone
        (cluster representatives), written once; the others serve the random order."""
        if not self.uses_features or self.store.runs():
            return None
        run_id = self.store.start_run(self.strategy)
        top = self._select(self._context(X, is_eval, labels, cancelled, None, run_id, features))
        t2 = time.perf_counter()
        self.store.write_queue(run_id, rowids[top], np.zeros(top.size), [None] * top.size)
        n_train = len(labels.y)
        self.store.finish_run(run_id, n_train=n_train, eval_accuracy=None, n_eval=0)
        t3 = time.perf_counter()
        return RunReport(run_id, n_train, None, 0, t1 - t0, 0.0, t2 - t1, t3 - t2, source)


def _reap(child: subprocess.Popen) -> None:
    try:
        child.wait(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    child.stdout.close()


@dataclass
class _Labels:
    """One run's snapshot of the labels, as feature-row positions: the training labels and the
    evaluation sample's."""

    train: np.ndarray
    y: list[str]
    evaluation: np.ndarray
    y_eval: list[str]

    @classmethod
    def read(cls, store: Store, rowids: np.ndarray, labels: Sequence[str]) -> "_Labels":
        train, y = _positions(rowids, decoded_answers(store, labels, is_eval=False))
        evaluation, y_eval = _positions(rowids, decoded_answers(store, labels, is_eval=True))
        return cls(train, y, evaluation, y_eval)


def decoded_answers(store: Store, labels: Sequence[str], *, is_eval: bool) -> dict[int, Any]:
    """Row id -> final answer as the task's model learns it: the label (``single``), the
    tuple of labels (``multilabel``: hashable, so that distinct answers can be counted), or the
    list of spans (``spans``)."""
    task = store.task
    current = store.current_labels(is_eval=is_eval)
    if task.name == "single":
        return current
    if task.multilabel:
        return {r: tuple(task.decode(stored, labels)) for r, stored in current.items()}
    return {r: task.decode(stored, labels) for r, stored in current.items()}


def _positions(rowids: np.ndarray, label_of: dict[int, str]) -> tuple[np.ndarray, list[str]]:
    """Feature-row positions of the labelled row ids that the features cover, and their labels."""
    if not label_of:
        return np.empty(0, np.int64), []
    ids = np.fromiter(label_of.keys(), dtype=np.int64, count=len(label_of))
    pos, ok = covered(rowids, ids)
    labels = list(label_of.values())
    return pos[ok], [labels[i] for i in np.flatnonzero(ok)]


def _rows_of(X: Any, rowids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, Any]:
    """The ids of ``wanted`` that the features cover (items imported since the features were
    built are not), and their rows of ``X``."""
    pos, ok = covered(rowids, wanted)
    return wanted[ok], X[pos[ok]]


def covered(rowids: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(pos, ok)``: where each of ``ids`` stands in the sorted ``rowids``, and whether it is
    there at all (``pos[ok]`` are the rows of the ids the features cover)."""
    if not len(rowids):
        return np.zeros(len(ids), np.int64), np.zeros(len(ids), bool)
    pos = np.searchsorted(rowids, ids)
    ok = (pos < len(rowids)) & (rowids[np.minimum(pos, len(rowids) - 1)] == ids)
    return pos, ok


class RetrainWorker:
    """One background thread that runs :class:`RetrainJob` on request.

    A request while a run is going marks the worker dirty: it runs exactly once more after
    the current run, however many requests came in between.
    """

    def __init__(self, job: RetrainJob):
        self.job = job
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.running = False

    def request(self) -> None:
        """Ask for a run soon; never blocks."""
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="hilt-retrain", daemon=True)
                self._thread.start()
        self._wake.set()

    @property
    def busy(self) -> bool:
        """A run is going or about to start."""
        return self.running or (self._wake.is_set() and not self._stop.is_set())

    def cancelled(self) -> bool:
        return self._stop.is_set()

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            if self._stop.is_set():
                return
            self._wake.clear()  # a request from now on means "run once more"
            self.running = True
            try:
                self.job.run(self.cancelled, background=True)
            except InterruptedError:
                pass
            except HiltError as error:  # a known cause (the cluster is gone, ...): one line, no traceback
                log.warning("hilt: background retrain failed: %s", describe_error(error))
            except Exception:  # a failed run must not kill the worker; the job recorded its error
                log.exception("hilt: background retrain failed")
            finally:
                self.running = False

    def stop(self, timeout: float = 60.0) -> None:
        """Stop the thread and the job's child process (a run in progress is abandoned)."""
        self._stop.set()
        self._wake.set()
        self.job.close()
        if self._thread is not None:
            self._thread.join(timeout)

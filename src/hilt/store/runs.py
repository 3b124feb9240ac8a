"""Model runs: a run's start, its ranked queue (written in short batches) and the swap to it.

Part of :class:`hilt.store.Store` (a mixin, so that the store stays split by concern).
"""

from __future__ import annotations

import json
from typing import Any, Sequence

import numpy as np
from sqlalchemy import text

from hilt.store.common import get_meta, set_meta, utc_now
from hilt.store.engine import read, write

__all__ = ["RUN_ERROR_KEY", "RunsMixin"]

#: The meta key of why the project's last retrain failed (``None`` once a run succeeds): kept in
#: the store, so that every process over the project (a server, ``hilt retrain``, ``hilt status``)
#: sees the same, whichever process ran the failed retrain.
RUN_ERROR_KEY = "retrain_error"


class RunsMixin:
    """Model runs and their queues: methods of :class:`hilt.store.Store`."""

    _engine: Any
    postgres: bool

    def start_run(self, strategy: str) -> int:
        """Record that a model run started; its queue is written under the returned run id."""
        with write(self._engine) as conn:
            set_meta(conn, "since_run", 0)  # the labels this run reads are no longer new
            return int(conn.execute(
                text("INSERT INTO model_runs (started_at, strategy, n_train, n_eval) "
                     "VALUES (:now, :s, 0, 0) RETURNING id"), {"now": utc_now(), "s": strategy}
            ).scalar())

    def write_queue(self, run_id: int, items: np.ndarray, scores: np.ndarray,
                    guesses: Sequence[str | None], batch: int = 250) -> None:
        """Write a run's ranked queue (not served until :meth:`finish_run` flips to it).

        Rows of evaluation items (written after the ranked ones) are never served from the
        queue: they only carry the run's guess for those items, served in their random order.

        Written in short transactions of ``batch`` rows so that answers never wait long for
        the write lock, and without an fsync each (``durable=False``): a queue is rebuilt by
        the next run if a power cut takes it, and :meth:`finish_run`'s durable commit flushes
        the log with these rows before the queue is ever served. With a fsync per batch, an
        answer arriving during a run's queue write waited out a flush it did not need (and
        SQLite's busy handler polls a lock held by another process in steps of 1, 2, 5 ms ...).
        """
        rows = [(run_id, pos, int(item), float(score), guess)
                for pos, (item, score, guess) in enumerate(zip(items, scores, guesses))]
        for lo in range(0, len(rows), batch):
            with write(self._engine, durable=False) as conn:
                conn.exec_driver_sql(
                    self._sql("INSERT INTO queue (run_id, position, item, score, guess) VALUES (?, ?, ?, ?, ?)"),
                    rows[lo : lo + batch])
        if self.postgres and rows:
            # Fresh statistics for the planner: right after a run's rows arrive, PostgreSQL's
            # stale ones made it read and sort the whole queue per serve (11-16 ms; 1.2 ms after).
            with read(self._engine) as conn:
                conn.exec_driver_sql("ANALYZE queue")

    def eval_items_next(self, limit: int) -> np.ndarray:
        """Row ids of up to ``limit`` evaluation items still to be labelled, in the order they
        are served (sorted by row id).

        A run writes the model's guess for these after its ranked queue (see
        :meth:`write_queue`), so that an evaluation item is served with a guess like a ranked
        training item: an item without one was a tell that it belongs to the evaluation sample.
        """
        with read(self._engine) as conn:
            found = conn.execute(
                text("SELECT i.id FROM items i WHERE i.is_eval = 1 AND ((i.needed = 1 AND NOT EXISTS "
                     "(SELECT 1 FROM answers a WHERE a.item = i.id AND a.retracted = 0 AND a.label IS NOT NULL)) "
                     "OR (i.needed > 1 AND i.answered < i.needed)) ORDER BY i.shuffle LIMIT :n"),
                {"n": int(limit)},
            ).scalars().all()
        return np.sort(np.asarray(found, dtype=np.int64))

    def ranking(self, limit: int | None = None) -> list[tuple[str, float, str | None]]:
        """The served ranking, best first: ``(item key, score shown, model's guess)`` of up to
        ``limit`` queue rows (answered ones too: this is what the last run ranked; the guesses
        the run wrote for evaluation items are not part of it)."""
        with read(self._engine) as conn:
            return [tuple(r) for r in conn.execute(
                text("SELECT i.key, q.score, q.guess FROM queue q JOIN items i ON i.id = q.item "
                     "WHERE q.run_id = :run AND i.is_eval = 0 ORDER BY q.position LIMIT :n"),
                {"run": get_meta(conn, "queue_run"), "n": -1 if limit is None and not self.postgres else limit},
            ).all()]

    def finish_run(self, run_id: int, *, n_train: int, eval_accuracy: float | None, n_eval: int,
                   swap_queue: bool = True, metrics: dict[str, Any] | None = None) -> None:
        """Mark the run finished and, in the same transaction, serve its queue.

        ``metrics``: the task's figures beyond ``eval_accuracy`` (kept as JSON; ``None`` for ``single``).

        The pointer only moves forward: a slower, older run finishing late does not replace
        a newer ranking (two processes may each run a worker).
        """
        with write(self._engine) as conn:
            conn.execute(
                text("UPDATE model_runs SET finished_at = :now, n_train = :n, eval_accuracy = :acc, "
                     "n_eval = :ne, metrics = :m WHERE id = :id"),
                {"now": utc_now(), "n": n_train, "acc": eval_accuracy, "ne": n_eval, "id": run_id,
                 "m": None if metrics is None else json.dumps(metrics)},
            )
            if swap_queue and run_id > get_meta(conn, "queue_run"):
                set_meta(conn, "queue_run", run_id)
            set_meta(conn, RUN_ERROR_KEY, None)  # a run succeeded: an earlier failure is history
        # Old rankings go afterwards, in short transactions of their own (deleting 12,000 rows
        # at once held the write lock for tens of ms), without an fsync: rows left by a power
        # cut are never served (their run is not the served one) and the next run deletes them.
        with read(self._engine) as conn:
            old = conn.execute(text("SELECT run_id, MAX(position) FROM queue WHERE run_id < :run GROUP BY run_id"),
                               {"run": get_meta(conn, "queue_run")}).all()
        for old_run, last in old:
            for lo in range(0, int(last) + 1, 1_000):
                with write(self._engine, durable=False) as conn:
                    conn.execute(text("DELETE FROM queue WHERE run_id = :r AND position >= :lo AND position < :hi"),
                                 {"r": old_run, "lo": lo, "hi": lo + 1_000})

    def record_run_error(self, message: str) -> None:
        """Keep ``message`` as why the project's last retrain failed (until a run finishes)."""
        with write(self._engine) as conn:
            set_meta(conn, RUN_ERROR_KEY, str(message))

    def run_error(self) -> str | None:
        """Why the project's last retrain failed, by any process over it; ``None`` when the last
        one that ended finished (or none ever failed)."""
        with read(self._engine) as conn:
            return get_meta(conn, RUN_ERROR_KEY)

    def runs(self) -> list[dict[str, Any]]:
        """Finished model runs, oldest first."""
        with read(self._engine) as conn:
            rows = conn.execute(
                text("SELECT id, n_train, eval_accuracy, n_eval, strategy, started_at, finished_at, metrics "
                     "FROM model_runs WHERE finished_at IS NOT NULL ORDER BY id")
            ).mappings().all()
            return [{**r, "metrics": None if r["metrics"] is None else json.loads(r["metrics"])} for r in rows]

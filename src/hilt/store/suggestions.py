"""Suggestions: another model's predictions kept with the items (pre-annotations).

Part of :class:`hilt.store.Store` (a mixin). A suggestion is never an answer: nothing here is
read by the training, the counts or the final-label rule. One row per item and ``source`` (the
model's name or version); importing the same source again replaces its rows. Where an item has
suggestions from several sources, the faces show the one imported last.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
from sqlalchemy import Connection, text

from hilt.errors import NotFoundError
from hilt.store.common import get_meta, utc_now
from hilt.store.engine import read, write

__all__ = ["COLD_RUN", "Suggestion", "SuggestionsMixin"]

#: The reserved run id of the cold-start queue: before the first model run, the items with a
#: scored suggestion, least confident first (:meth:`SuggestionsMixin.write_cold_queue`). Real runs
#: count up from 1, so the first finished run's clean-up of older queues deletes it.
COLD_RUN = -1

#: ``(label, score, source)`` of one item's suggestion: ``label`` encoded by the project's task.
Suggestion = tuple[str, "float | None", str]

_CHUNK = 500  # keys per IN (...): well under SQLite's and psycopg's parameter limits

_UPSERT = text(
    "INSERT INTO suggestions (item, source, label, score, created_at) VALUES (:item, :source, :label, :score, :now) "
    "ON CONFLICT (item, source) DO UPDATE SET label = excluded.label, score = excluded.score, "
    "created_at = excluded.created_at"
)


class SuggestionsMixin:
    """Suggestions: methods of :class:`hilt.store.Store`."""

    _engine: Any

    def write_suggestions(self, source: str, rows: Sequence[tuple[str, str, float | None]]) -> int:
        """Store ``(item key, encoded label, score)`` rows from ``source``, all or none.

        A key the project does not hold is a :class:`NotFoundError` naming the first such keys,
        and nothing is stored. Returns the number of rows written.
        """
        with write(self._engine) as conn:
            rowids = _rowids(conn, [key for key, _, _ in rows])
            missing = [key for key, _, _ in rows if key not in rowids]
            if missing:
                raise NotFoundError(
                    f"Expected suggestions for items of the project; {len(missing):,} item id(s) are not in it, "
                    f"first: {', '.join(map(repr, missing[:5]))}. Nothing was imported.")
            now = utc_now()
            if rows:
                conn.execute(_UPSERT, [{"item": rowids[key], "source": source, "label": label,
                                        "score": None if score is None else float(score), "now": now}
                                       for key, label, score in rows])
        return len(rows)

    def suggestions_for(self, rowids: Iterable[int]) -> dict[int, Suggestion]:
        """Row id -> the latest imported suggestion of each given item that has one."""
        wanted = sorted({int(r) for r in rowids})
        found: dict[int, Suggestion] = {}
        with read(self._engine) as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start:start + _CHUNK]
                marks = ", ".join(str(r) for r in chunk)  # integers only: safe to inline
                for item, label, score, source in conn.exec_driver_sql(
                        "SELECT item, label, score, source FROM suggestions WHERE item IN (" + marks + ") "
                        "ORDER BY created_at, source").all():
                    found[int(item)] = (label, score, source)  # the latest import wins
        return found

    def suggestion_of(self, key: str) -> tuple[str, bool] | None:
        """``(encoded label, is_eval)`` of the latest suggestion for item ``key``, or ``None``."""
        with read(self._engine) as conn:
            found = conn.execute(
                text("SELECT s.label, i.is_eval FROM suggestions s JOIN items i ON i.id = s.item WHERE i.key = :k "
                     "ORDER BY s.created_at DESC, s.source DESC LIMIT 1"), {"k": str(key)}).first()
        return None if found is None else (found[0], bool(found[1]))

    def write_cold_queue(self, *, clear: bool = False) -> int:
        """Before the first model run: serve the items with a scored suggestion first, least
        confident (lowest score) first, as the queue of run :data:`COLD_RUN`.

        Evaluation items are left out (they are served in their random order as always), and so
        are items without a score (served after, in the random order). Does nothing once a run
        has finished (its ranking is served then). ``clear=True`` only drops the queue (the
        ``random`` strategy's cold start is its random order). Returns the number of items queued.
        """
        with read(self._engine) as conn:
            finished = conn.exec_driver_sql("SELECT COUNT(*) FROM model_runs WHERE finished_at IS NOT NULL").scalar()
            if finished or get_meta(conn, "queue_run"):
                return 0
            rows = conn.exec_driver_sql(
                "SELECT s.item, s.score FROM suggestions s JOIN items i ON i.id = s.item WHERE i.is_eval = 0 "
                "ORDER BY s.created_at, s.source").all()
        latest = {int(item): score for item, score in rows}  # the latest import wins, as shown
        ranked = [] if clear else sorted((score, item) for item, score in latest.items() if score is not None)
        with write(self._engine, durable=False) as conn:  # rebuilt by the next import if lost
            conn.execute(text("DELETE FROM queue WHERE run_id = :r"), {"r": COLD_RUN})
        if ranked:
            self.write_queue(COLD_RUN, np.asarray([item for _, item in ranked], dtype=np.int64),  # type: ignore[attr-defined]
                             np.asarray([score for score, _ in ranked], dtype=np.float64), [None] * len(ranked))
        return len(ranked)

    def suggestion_counts(self) -> dict[str, Any]:
        """``n_items`` with a suggestion; of the current answers given with one shown, ``n_shown``
        and ``n_kept`` (the answer was the suggestion), also per annotator (``by_annotator``:
        name -> ``(n_shown, n_kept)``)."""
        with read(self._engine) as conn:
            n_items = int(conn.exec_driver_sql("SELECT COUNT(DISTINCT item) FROM suggestions").scalar())
            rows = conn.exec_driver_sql(
                "SELECT annotator, COUNT(*), SUM(kept_suggestion) FROM answers WHERE retracted = 0 "
                "AND kept_suggestion IS NOT NULL GROUP BY annotator ORDER BY annotator").all()
        by_annotator = {name: (int(shown), int(kept or 0)) for name, shown, kept in rows}
        return {"n_items": n_items, "n_shown": sum(s for s, _ in by_annotator.values()),
                "n_kept": sum(k for _, k in by_annotator.values()), "by_annotator": by_annotator}

    def suggestion_rows(self) -> list[dict[str, Any]]:
        """Every suggestion: ``item_id`` (the key), ``source``, ``label`` (encoded), ``score``, in item order."""
        with read(self._engine) as conn:
            rows = conn.exec_driver_sql(
                "SELECT i.key, s.source, s.label, s.score FROM suggestions s JOIN items i ON i.id = s.item "
                "ORDER BY s.item, s.created_at, s.source").all()
        return [{"item_id": key, "source": source, "label": label, "score": score}
                for key, source, label, score in rows]

    def has_suggestions(self) -> bool:
        """Whether any item has a suggestion (one row read at most)."""
        with read(self._engine) as conn:
            return conn.exec_driver_sql("SELECT 1 FROM suggestions LIMIT 1").first() is not None


def _rowids(conn: Connection, keys: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start:start + _CHUNK]
        params = {f"k{i}": key for i, key in enumerate(chunk)}
        marks = ", ".join(f":k{i}" for i in range(len(chunk)))
        for rowid, key in conn.execute(text(f"SELECT id, key FROM items WHERE key IN ({marks})"), params):
            found[key] = int(rowid)
    return found

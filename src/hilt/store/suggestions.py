"""Suggestions: another model's predictions kept with the items (pre-annotations).

Part of :class:`hilt.store.Store` (a mixin). A suggestion is never an answer: nothing here is
read by the training, the counts or the final-label rule. One row per item and ``source`` (the
model's name or version); importing the same source again replaces its rows. Where an item has
suggestions from several sources, the faces show the one imported last.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from sqlalchemy import Connection, text

from hilt.errors import NotFoundError
from hilt.store.common import utc_now
from hilt.store.engine import read, write

__all__ = ["Suggestion", "SuggestionsMixin"]

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

    def suggestion_rows(self) -> list[dict[str, Any]]:
        """Every suggestion: ``item_id`` (the key), ``source``, ``label`` (encoded), ``score``, in item order."""
        with read(self._engine) as conn:
            rows = conn.exec_driver_sql(
                "SELECT i.key, s.source, s.label, s.score FROM suggestions s JOIN items i ON i.id = s.item "
                "ORDER BY s.item, s.created_at, s.source").all()
        return [{"item_id": key, "source": source, "label": label, "score": score}
                for key, source, label, score in rows]

    def n_suggestions(self) -> int:
        """How many items have at least one suggestion."""
        with read(self._engine) as conn:
            return int(conn.exec_driver_sql("SELECT COUNT(DISTINCT item) FROM suggestions").scalar())


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

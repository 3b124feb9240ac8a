"""Changing a project's meta (its stored settings) after it was created: part of :class:`hilt.store.Store`."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from hilt.store.engine import write

__all__ = ["MetaMixin"]


class MetaMixin:
    """Meta changes, each in one transaction: methods of :class:`hilt.store.Store`."""

    _engine: Any

    def update_meta(self, values: dict[str, Any], *, rename: tuple[str, str] | None = None) -> int:
        """Set the meta ``values`` and, with ``rename=(old, new)``, rename a label in every answer
        and queued guess, all at once (a crash leaves either the old or the new names). Returns
        how many answers were renamed."""
        with write(self._engine) as conn:
            renamed = 0
            if rename is not None:
                old, new = rename
                task = self.task  # type: ignore[attr-defined]
                if task.name == "single":
                    renamed = conn.execute(text("UPDATE answers SET label = :new WHERE label = :old"),
                                           {"old": old, "new": new}).rowcount
                    conn.execute(text("UPDATE queue SET guess = :new WHERE guess = :old"), {"old": old, "new": new})
                else:  # a label inside stored sets or spans: each answer (and guess) holding it, re-encoded
                    renamed = self._rename_in_sets(conn, task, old, new, values["labels"])
            for key, value in values.items():
                conn.execute(
                    text("INSERT INTO meta (key, value) VALUES (:k, :v) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
                    {"k": key, "v": json.dumps(value)})
            return int(renamed)

    @staticmethod
    def _rename_in_sets(conn: Any, task: Any, old: str, new: str, labels: list[str]) -> int:
        renamed = 0
        for table, column, key in (("answers", "label", "id"), ("queue", "guess", "run_id, position")):
            rows = conn.execute(text(f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
            for row in rows:
                stored = row[-1]
                renamed_value = task.rename(stored, old, new, labels)
                if renamed_value == stored:  # the label is not in it
                    continue
                where = " AND ".join(f"{k.strip()} = :k{i}" for i, k in enumerate(key.split(",")))
                conn.execute(text(f"UPDATE {table} SET {column} = :v WHERE {where}"),
                             {"v": renamed_value, **{f"k{i}": v for i, v in enumerate(row[:-1])}})
                renamed += table == "answers"
        return renamed

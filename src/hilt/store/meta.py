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
                renamed = conn.execute(text("UPDATE answers SET label = :new WHERE label = :old"),
                                       {"old": old, "new": new}).rowcount
                conn.execute(text("UPDATE queue SET guess = :new WHERE guess = :old"), {"old": old, "new": new})
            for key, value in values.items():
                conn.execute(
                    text("INSERT INTO meta (key, value) VALUES (:k, :v) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
                    {"k": key, "v": json.dumps(value)})
            return int(renamed)

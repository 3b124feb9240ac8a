"""What the store's parts share: the item row, the reserved names, the time stamp and the meta
helpers every part's transactions use."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, text

__all__ = ["ANNOTATOR", "IMPORT_ANNOTATOR", "RECOUNT", "REVIEWER", "ItemRow", "get_meta", "item_row",
           "set_meta", "utc_now"]

#: The reserved annotator that owns labels read from a label column at import.
IMPORT_ANNOTATOR = "import"
#: The roles of a registered person: an annotator labels; a reviewer also settles disagreements.
ANNOTATOR = "annotator"
REVIEWER = "reviewer"

# Keeps items.answered (see the schema) of overlapped items true after their answers change.
RECOUNT = text(
    "UPDATE items SET answered = (SELECT COUNT(DISTINCT a.annotator) FROM answers a WHERE a.item = items.id "
    "AND a.retracted = 0 AND a.label IS NOT NULL) WHERE id = :item AND needed > 1"
)


def utc_now() -> str:
    """The current time as an ISO-8601 UTC string (sorts like the time it names)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class ItemRow:
    """An item as stored: its row id, key, data and, when it came from the queue, the model's view."""

    rowid: int
    key: str
    data: dict
    is_eval: bool
    guess: str | None = None
    score: float | None = None


def get_meta(conn: Connection, key: str) -> Any:
    value = conn.execute(text("SELECT value FROM meta WHERE key = :k"), {"k": key}).scalar()
    return None if value is None else json.loads(value)


def set_meta(conn: Connection, key: str, value: Any) -> None:
    conn.execute(
        text("INSERT INTO meta (key, value) VALUES (:k, :v) "
             "ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
        {"k": key, "v": json.dumps(value)},
    )


def item_row(conn: Connection, rowid: int, *, guess: str | None = None, score: float | None = None,
              queue_run: int | None = None) -> ItemRow:
    key, data, is_eval = conn.execute(
        text("SELECT key, data, is_eval FROM items WHERE id = :id"), {"id": rowid}).one()
    if queue_run:  # an item served again (held lease, undo): look its ranking up
        found = conn.execute(text("SELECT guess, score FROM queue WHERE run_id = :r AND item = :i"),
                             {"r": queue_run, "i": rowid}).first()
        if found is not None:
            guess, score = found
    return ItemRow(int(rowid), key, json.loads(data), bool(is_eval), guess, score)

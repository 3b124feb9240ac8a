"""Bulk labelling: one person's answer for many items at once, stored and retracted as a group.

Part of :class:`hilt.store.Store` (a mixin, so that the store stays split by concern).

Every item of a group becomes an ordinary answer (``answers.batch`` names the group), all in one
transaction: either every answer is stored or none is. Each answer's id is made from the group's
id and the item, so that a request sent again with the same group id stores nothing new.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable, Sequence

from sqlalchemy import bindparam, text

from hilt.errors import InputError, NotFoundError
from hilt.store.common import RECOUNT, utc_now
from hilt.store.engine import read, write

__all__ = ["BulkMixin", "batch_answer_id"]


def batch_answer_id(batch: str, key: str) -> str:
    """The answer id of item ``key`` in the group ``batch`` (at most 128 characters, the same
    every time, so a retried group repeats its answers' ids).

    Examples
    --------
    >>> from hilt.store.bulk import batch_answer_id
    >>> batch_answer_id("b1", "7") == batch_answer_id("b1", "7") != batch_answer_id("b2", "7")
    True
    """
    digest = hashlib.blake2b(f"{batch}\x00{key}".encode(), digest_size=16).hexdigest()
    return f"bulk-{digest}"


class BulkMixin:
    """Bulk labelling: methods of :class:`hilt.store.Store`."""

    _engine: Any

    def record_batch(self, keys: Sequence[str], label: str | None, annotator: str, batch: str, *,
                     hidden: Callable[[str], bool]) -> dict[str, Any]:
        """Store ``annotator``'s ``label`` (encoded by the task) for every item of ``keys`` as one
        group ``batch``, in one transaction; returns ``{"stored", "duplicates", "since_run"}``
        (``since_run``: the project's count of new training labels, when any was stored).

        Refuses the whole group, storing nothing, when a key names no item
        (:class:`NotFoundError`) or an item bulk labelling never reaches: an evaluation item or
        one ``hidden`` is true for (:class:`InputError`; both say the same, so that the refusal
        does not tell an evaluation item apart).
        """
        wanted = list(dict.fromkeys(str(key) for key in keys))
        with write(self._engine) as conn:
            found: dict[str, bool] = {}
            select = text("SELECT key, is_eval FROM items WHERE key IN :keys").bindparams(
                bindparam("keys", expanding=True))
            for start in range(0, len(wanted), 500):
                for key, is_eval in conn.execute(select, {"keys": wanted[start:start + 500]}):
                    found[key] = bool(is_eval)
            missing = [key for key in wanted if key not in found]
            if missing:
                raise NotFoundError(
                    f"Expected item ids of this project; {len(missing)} of the {len(wanted)} given name no item "
                    f"(first: {missing[0]!r}). Nothing was stored.")
            kept_out = [key for key in wanted if found[key] or hidden(key)]
            if kept_out:
                raise InputError(
                    f"Expected items that search returns; {len(kept_out)} of the {len(wanted)} given are kept out "
                    f"of search and bulk labelling (first: {kept_out[0]!r}). Label those one at a time on the "
                    "labelling page. Nothing was stored.")
            stored = duplicates = 0
            since_run = None
            for key in wanted:
                result = self._record_answer(conn, key, label, annotator,  # type: ignore[attr-defined]
                                             batch_answer_id(batch, key), batch=batch)
                if result["duplicate"]:
                    duplicates += 1
                else:
                    stored += 1
                    since_run = result.get("since_run", since_run)
        return {"stored": stored, "duplicates": duplicates, "since_run": since_run}

    def batch_keys(self, annotator: str, batch: str) -> list[str]:
        """The ids of the items in ``annotator``'s current answers of the group ``batch``."""
        with read(self._engine) as conn:
            return [row[0] for row in conn.execute(
                text("SELECT i.key FROM answers a JOIN items i ON i.id = a.item "
                     "WHERE a.annotator = :a AND a.batch = :b AND a.retracted = 0"), {"a": annotator, "b": batch})]

    def retract_batch(self, annotator: str, batch: str) -> int:
        """Retract ``annotator``'s current answers of the group ``batch`` (kept, marked retracted);
        returns how many. A group already retracted retracts nothing more (0)."""
        with write(self._engine) as conn:
            items = [row[0] for row in conn.execute(
                text("SELECT item FROM answers WHERE annotator = :a AND batch = :b AND retracted = 0"),
                {"a": annotator, "b": batch})]
            if not items:
                exists = conn.execute(text("SELECT 1 FROM answers WHERE annotator = :a AND batch = :b LIMIT 1"),
                                      {"a": annotator, "b": batch}).first()
                if exists is None:
                    raise NotFoundError(f"Expected a group of answers by {annotator!r} with id {batch!r}; "
                                        "there is none.")
                return 0
            conn.execute(text("UPDATE answers SET retracted = 1, retracted_at = :now "
                              "WHERE annotator = :a AND batch = :b AND retracted = 0"),
                         {"now": utc_now(), "a": annotator, "b": batch})
            for item in items:
                conn.execute(RECOUNT, {"item": item})
        return len(items)

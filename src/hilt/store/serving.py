"""Serving items: leases (who is shown what), the turn between the ranking and the evaluation
sample, overlap, undo's hand-back, and the preview of what comes next.

Part of :class:`hilt.store.Store` (a mixin, so that the store stays split by concern).
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Connection, text

from hilt.store.common import RECOUNT, ItemRow, get_meta, item_row, utc_now
from hilt.store.consensus import ANNOTATE
from hilt.store.engine import read, write
from hilt.store.suggestions import COLD_RUN

__all__ = ["ServingMixin"]


# An item may be served to annotator :a now when :a has not answered it (a label or a skip:
# never twice to one person) and fewer people than it needs (``items.needed``: 1, or the
# project's annotators_per_item on the overlapped share) have labelled it or hold a live lease
# on it.  ``{x}`` is the item's row id expression, ``{n}`` its ``needed``.  Items needing one
# annotator (all of them without overlap) take the two NOT EXISTS probes of version 2, which
# stop at the first row; the counts are only paid on overlapped items.
_SINGLE = """
    NOT EXISTS (SELECT 1 FROM answers a WHERE a.item = {x} AND a.retracted = 0
                AND (a.label IS NOT NULL OR a.annotator = :a))
    AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.item = {x} AND l.expires_at > :now
                    AND l.annotator != :a)
"""
_SHARED = """
    NOT EXISTS (SELECT 1 FROM answers a WHERE a.item = {x} AND a.retracted = 0 AND a.annotator = :a)
    AND (SELECT COUNT(DISTINCT a.annotator) FROM answers a WHERE a.item = {x} AND a.retracted = 0
         AND a.label IS NOT NULL)
      + (SELECT COUNT(*) FROM leases l WHERE l.item = {x} AND l.expires_at > :now AND l.annotator != :a)
      < {n}
"""
_SERVABLE = "(({n} = 1 AND " + _SINGLE + ") OR ({n} > 1 AND " + _SHARED + "))"
# Each serve runs a handful of statements inside one write transaction, so each candidate
# query returns the item's own columns too (a join) rather than costing a second look-up.
_FROM_QUEUE = text(
    "SELECT q.item, i.key, i.data, i.is_eval, q.guess, q.score FROM queue q JOIN items i ON i.id = q.item "
    "WHERE q.run_id = :run AND i.is_eval = 0 AND " + _SERVABLE.format(x="q.item", n="i.needed")
    + " ORDER BY q.position LIMIT :n"
)
# The random order (cold start, the evaluation sample, a queue that ran dry), with the guess
# the served run wrote for the item, if any (for the evaluation items it guessed for).
_FROM_SHUFFLE = text(
    "SELECT i.id, i.key, i.data, i.is_eval, q.guess, q.score FROM items i "
    "LEFT JOIN queue q ON q.run_id = :run AND q.item = i.id WHERE i.is_eval = :eval AND "
    + _SERVABLE.format(x="i.id", n="i.needed") + " ORDER BY i.shuffle LIMIT :n"
)
# Overlapped items someone has started (labelled, fewer people than needed): served before the
# ranking, oldest first, so that agreement figures grow with the labels instead of waiting for
# the queue to reach the items again. The partial index items_started holds just these items.
_FROM_STARTED = text(
    "SELECT i.id FROM items i WHERE i.needed > 1 AND i.answered > 0 "
    "AND i.answered < i.needed AND " + _SHARED.format(x="i.id", n="i.needed")
    + " ORDER BY (SELECT MIN(a.id) FROM answers a WHERE a.item = i.id AND a.retracted = 0) LIMIT :n"
)
# The item :a holds a live lease on, unless :a answered it since, or (an item needing one
# person) someone else labelled it.
_HELD = text(
    "SELECT l.item FROM leases l JOIN items i ON i.id = l.item WHERE l.annotator = :a AND l.expires_at > :now "
    "AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.item = l.item AND a.retracted = 0 "
    "AND (a.annotator = :a OR (a.label IS NOT NULL AND i.needed = 1)))"
)
# How many more people an item can be given to besides :a (for undo's hand-back).
_ROOM = text(
    "SELECT i.needed - (SELECT COUNT(DISTINCT a.annotator) FROM answers a WHERE a.item = i.id "
    "AND a.retracted = 0 AND a.label IS NOT NULL AND a.annotator != :a) "
    "- (SELECT COUNT(*) FROM leases l WHERE l.item = i.id AND l.expires_at > :now AND l.annotator != :a) "
    "FROM items i WHERE i.id = :item"
)
_SERVE_STATE = text("SELECT key, value FROM meta WHERE key IN ('served', 'served_eval', 'queue_run', 'overlap')")
# meta values are JSON; a JSON integer is its decimal text, so SQLite's arithmetic keeps it valid.
_COUNT_SERVE = text(
    "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) "
    "WHERE key = 'served' OR (key = 'served_eval' AND :is_eval = 1)"
)


class ServingMixin:
    """Serving: methods of :class:`hilt.store.Store`."""

    _engine: Any
    postgres: bool

    def claim(self, annotator: str, *, lease_seconds: float, eval_share: float) -> ItemRow | None:
        """Lease the next item to ``annotator`` (the same one again if they still hold a lease).

        Runs under the write lock (``BEGIN IMMEDIATE``), so two processes can never lease one
        item to two annotators. A share ``eval_share`` of fresh serves come from the random
        evaluation sample; the rest follow the current ranked queue, or the random order while
        there is no queue (cold start) or it has run dry. Before the first run, items with a
        scored suggestion come first, least confident first (:meth:`write_cold_queue`).
        """
        with write(self._engine, durable=False) as conn:  # a lease may be lost, never an answer
            return self._claim(conn, annotator, lease_seconds, eval_share)

    def answer_and_claim(self, key: str, label: str | None, annotator: str, answer_id: str, *,
                         lease_seconds: float, eval_share: float,
                         **extra: Any) -> tuple[dict[str, Any], ItemRow | None]:
        """:meth:`record_answer`, then :meth:`claim` the annotator's next item, in one transaction.

        The usual step of a labelling face (answer, show the next item) then costs one
        commit (one fsync) and one hand-over of the write lock instead of two.
        """
        with write(self._engine) as conn:
            result = self._record_answer(conn, key, label, annotator, answer_id, **extra)
            return result, self._claim(conn, annotator, lease_seconds, eval_share)

    def _claim(self, conn: Connection, annotator: str, lease_seconds: float, eval_share: float) -> ItemRow | None:
        now = time.time()
        args = {"a": annotator, "now": now}
        held = conn.execute(_HELD, args).scalar()
        if held is not None:
            conn.execute(text("UPDATE leases SET expires_at = :exp WHERE item = :item AND annotator = :a"),
                         {"exp": now + lease_seconds, "item": held, "a": annotator})
            return item_row(conn, held, queue_run=get_meta(conn, "queue_run"))
        conn.execute(text("DELETE FROM leases WHERE annotator = :a OR expires_at <= :now"), args)
        state = {k: json.loads(v) for k, v in conn.execute(_SERVE_STATE)}
        served, served_eval, run = state["served"], state["served_eval"], state["queue_run"]
        picked = self._started(conn, args, 1, run) if state.get("overlap") else []
        if not picked:
            want_eval = eval_share > 0 and served_eval < eval_share * (served + 1) - 1e-9  # 0.3 * 10 > 3
            for source in (("eval", "train") if want_eval else ("train", "eval")):
                picked = self._candidates(conn, source, run, args, 1)
                if picked:
                    break
        if not picked:
            return None
        row = picked[0]
        conn.execute(
            text("INSERT INTO leases (item, annotator, expires_at) VALUES (:item, :a, :exp) "
                 "ON CONFLICT (item, annotator) DO UPDATE SET expires_at = excluded.expires_at"),
            {"item": row.rowid, "a": annotator, "exp": now + lease_seconds},
        )
        conn.execute(_COUNT_SERVE, {"is_eval": int(row.is_eval)})
        return row

    @staticmethod
    def _started(conn: Connection, args: dict, n: int, run: int) -> list[ItemRow]:
        """Overlapped items someone started (see ``_FROM_STARTED``), with the ranking's guess."""
        return [item_row(conn, int(item), queue_run=run) for item, in conn.execute(_FROM_STARTED, {**args, "n": n})]

    def peek(self, annotator: str, n: int, *, eval_share: float | None = None) -> list[ItemRow]:
        """The next ``n`` items ``annotator`` would be served, without leasing them.

        ``eval_share`` is the one :meth:`claim` is called with; by default the project's
        setting (``settings.eval_share`` in meta).
        """
        args = {"a": annotator, "now": time.time()}
        with read(self._engine) as conn:
            state = {k: json.loads(v) for k, v in conn.execute(_SERVE_STATE)}
            if eval_share is None:
                eval_share = float((get_meta(conn, "settings") or {}).get("eval_share", 0.0))
            served, served_eval, run = state["served"], state["served_eval"], state["queue_run"]
            # The first item follows claim's turn rule, so a preview of the next item is the
            # item claim will lease next (unless someone else takes it first).
            want_eval = eval_share > 0 and served_eval < eval_share * (served + 1) - 1e-9  # 0.3 * 10 > 3
            rows: list[ItemRow] = self._started(conn, args, n, run) if state.get("overlap") else []
            for source in (("eval", "train") if want_eval else ("train", "eval")):
                if len(rows) >= n:
                    break
                seen = {r.rowid for r in rows}
                more = self._candidates(conn, source, run, args, n - len(rows) + len(seen))
                rows += [r for r in more if r.rowid not in seen][: n - len(rows)]
                if len(rows) >= n:
                    break
            return rows

    def _candidates(self, conn: Connection, source: str, run: int, args: dict, n: int) -> list[ItemRow]:
        rows: list[ItemRow] = []
        if source == "train":
            # Before the first model (run 0), the cold-start queue of imported suggestions, if any.
            for item, key, data, is_eval, guess, score in conn.execute(
                    _FROM_QUEUE, {**args, "run": run or COLD_RUN, "n": n}):
                rows.append(ItemRow(int(item), key, json.loads(data), bool(is_eval), guess, score))
        if len(rows) < n:  # cold start, the evaluation sample, or a queue that ran dry
            seen = {r.rowid for r in rows}
            found = conn.execute(
                _FROM_SHUFFLE, {**args, "run": run or 0, "eval": int(source == "eval"), "n": n - len(rows) + len(seen)}
            )
            rows += [ItemRow(int(item), key, json.loads(data), bool(is_eval), guess, score)
                     for item, key, data, is_eval, guess, score in found if item not in seen][: n - len(rows)]
        return rows

    def undo(self, annotator: str, *, lease_seconds: float, undo_id: str | None = None) -> ItemRow | None:
        """Retract ``annotator``'s latest current answer and lease its item back to them.

        Returns the item, or ``None`` when they have no answer to retract. When someone else
        holds a live lease on the item (``annotator`` skipped it and it went to the next
        person), the answer is retracted all the same but the item stays with the person
        holding it, so that it is never on two screens at once: ``undo`` then returns ``None``
        too and ``annotator`` keeps their current item.

        ``undo_id`` makes retrying safe from any server process: the same id from the same
        annotator again (within a day) retracts nothing more and returns the item the first
        undo returned (kept in the ``undos`` table, written in this transaction).
        """
        now = time.time()
        with write(self._engine) as conn:
            if undo_id is not None and (done := self._recorded_undo(conn, annotator, undo_id)) is not None:
                return None if done.item is None else item_row(conn, done.item, queue_run=get_meta(conn, "queue_run"))
            latest = conn.execute(
                text("SELECT id, item FROM answers WHERE annotator = :a AND retracted = 0 AND role = :role "
                     "ORDER BY id DESC LIMIT 1"), {"a": annotator, "role": ANNOTATE}
            ).first()
            if latest is None:
                return self._record_undo(conn, annotator, undo_id, None)
            conn.execute(text("UPDATE answers SET retracted = 1, retracted_at = :now WHERE id = :id"),
                         {"now": utc_now(), "id": latest[0]})
            conn.execute(RECOUNT, {"item": latest[1]})
            room = conn.execute(_ROOM, {"item": latest[1], "a": annotator, "now": now}).scalar()
            if room is None or room < 1:
                return self._record_undo(conn, annotator, undo_id, None)
            conn.execute(text("DELETE FROM leases WHERE annotator = :a OR (item = :item AND expires_at <= :now)"),
                         {"a": annotator, "item": latest[1], "now": now})
            conn.execute(text("INSERT INTO leases (item, annotator, expires_at) VALUES (:item, :a, :exp)"),
                         {"item": latest[1], "a": annotator, "exp": now + lease_seconds})
            return self._record_undo(conn, annotator, undo_id,
                                     item_row(conn, latest[1], queue_run=get_meta(conn, "queue_run")))

    def leases(self) -> dict[str, str]:
        """Live leases: item key -> annotator (an overlapped item leased to several people:
        their names, sorted, joined by ``", "``)."""
        with read(self._engine) as conn:
            rows = conn.execute(
                text("SELECT i.key, l.annotator FROM leases l JOIN items i ON i.id = l.item "
                     "WHERE l.expires_at > :now ORDER BY l.annotator"), {"now": time.time()}).all()
        held: dict[str, str] = {}
        for key, annotator in rows:
            held[key] = f"{held[key]}, {annotator}" if key in held else annotator
        return held

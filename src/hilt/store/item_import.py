"""Importing items in batches, in one transaction: all or nothing, whatever the size.

Part of :class:`hilt.store.Store` (a mixin). :meth:`ItemImportMixin.import_batches` takes the
items as an iterable of :class:`ItemBatch` (a reader hands them over chunk by chunk) and writes
them in ONE write transaction: a failure at any batch -- a bad line near the end of the file,
the process killed -- leaves the store as it was, and no server process ever serves an item of
an import that has not committed (a reader's snapshot sees all of it or none). On SQLite the
write lock is held for the whole import (other writers wait up to
:data:`hilt.store.engine.BUSY_TIMEOUT_MS`); on PostgreSQL the project's advisory write lock,
while reads go on.

Rows go in by ``executemany`` on SQLite and by ``COPY ... FROM STDIN`` on PostgreSQL (psycopg 3's
``cursor.copy``), which is several times faster there than batched ``INSERT`` s.

The random draws of each new item (the evaluation sample, the random order ``shuffle``, the
overlapped share) come from three streams seeded by the project seed, each consumed in item
order, so they do not depend on how the input was cut into batches, nor on the database.
The evaluation draws are the ones every hilt made (the first ``n`` numbers of
``numpy.random.default_rng(seed)``); ``shuffle`` and the overlap draws have streams of their
own (children of ``numpy.random.SeedSequence(seed)``) since imports stream: before, they
followed the evaluation draws in the same stream, which needs the number of new items before the
first one is written.
"""

from __future__ import annotations

import json
import uuid
from itertools import islice, repeat
from typing import Any, Iterable, NamedTuple, Sequence

import numpy as np
from sqlalchemy import Connection, text

from hilt.store.common import IMPORT_ANNOTATOR, RECOUNT, utc_now
from hilt.store.engine import write

__all__ = ["ItemBatch", "ItemImportMixin", "ImportDraws"]

#: Rows a SQLite ``executemany`` is given at a time (bounds the tuples held at once).
_INSERT_BATCH = 20_000
#: Imports of at least this many items shrink the write-ahead log afterwards.
_TRUNCATE_AFTER = 50_000
#: One encoder for item dicts: ``json.dumps(..., ensure_ascii=False)`` builds a new encoder per call.
_JSON = json.JSONEncoder(ensure_ascii=False)
#: Page cache of an import's connection, in KiB: room for the indexes' pages (the shuffle
#: index is filled in random order); with SQLite's default 2 MB a million-item import spills
#: pages again and again.
_IMPORT_CACHE_KB = 256 * 1024
#: Keys looked up at a time among the items already stored (SQLite allows 32,766 parameters).
_LOOKUP_BATCH = 10_000
_COLUMNS = "id, key, data, is_eval, shuffle, created_at, needed"


class ItemBatch(NamedTuple):
    """Items to add: their keys (``None``: number them on), their data (JSON text or dicts) and
    their known labels (``None`` each where unknown, or ``None`` for none at all)."""

    keys: Sequence[str] | None
    data: Sequence[str | dict]
    labels: Sequence[str | None] | None = None


class ImportDraws:
    """The random draws of new items, from the project seed, independent of how they are batched.

    Examples
    --------
    >>> import numpy as np
    >>> whole = ImportDraws(7, eval_share=0.5).draw(np.zeros(6, dtype=bool))
    >>> parts = ImportDraws(7, eval_share=0.5)
    >>> halves = [parts.draw(np.zeros(3, dtype=bool)) for _ in range(2)]
    >>> all(np.array_equal(np.concatenate([h[i] for h in halves]), whole[i]) for i in range(3))
    True
    >>> bool(np.array_equal(whole[0], np.random.default_rng(7).random(6) < 0.5))  # as it always was
    True
    """

    def __init__(self, seed: int | Sequence[int] | None, *, eval_share: float, overlap: float = 0.0,
                 annotators_per_item: int = 1) -> None:
        self.eval_share = eval_share
        self.overlap = overlap
        self.annotators_per_item = annotators_per_item
        self._eval = np.random.default_rng(seed)
        shuffle, shared = np.random.SeedSequence(seed).spawn(2)
        self._shuffle = np.random.default_rng(shuffle)
        self._overlap = np.random.default_rng(shared)

    def draw(self, has_label: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(is_eval, shuffle, needed)`` of the next ``len(has_label)`` new items: a labelled
        item is never in the evaluation sample (its draw is made all the same)."""
        n = len(has_label)
        is_eval = (self._eval.random(n) < self.eval_share) & ~has_label
        # 62 random bits (one 64-bit output each: the same numbers whatever the batches).
        shuffle = self._shuffle.integers(0, 2**62, size=n)
        needed = (np.where(self._overlap.random(n) < self.overlap, self.annotators_per_item, 1)
                  if self.overlap > 0 else np.ones(n, dtype=np.int64))
        return is_eval, shuffle, needed


class ItemImportMixin:
    """Importing items: methods of :class:`hilt.store.Store`."""

    _engine: Any
    postgres: bool

    def import_batches(
        self,
        batches: Iterable[ItemBatch],
        *,
        eval_share: float,
        seed: int | Sequence[int] | None = None,
        label_existing: bool = False,
        overlap: float = 0.0,
        annotators_per_item: int = 1,
    ) -> dict[str, int]:
        """Add items (and the labels known for them), batch by batch, in one transaction.

        Keys already in the store are skipped and counted as duplicates (the batches
        themselves must not repeat a key). With ``label_existing=True`` the labels given for
        such items are stored too (by the ``import`` annotator) where the item has no current
        label yet; ``relabelled`` counts them, ``label_kept`` the items whose current,
        different label was kept. ``keys=None`` numbers the new items on from the items
        already there (``"0"``, ``"1"``, ... in a new store), counted inside the transaction,
        so two processes importing at once can never hand out the same number. A random
        ``eval_share`` of the new items without a label become the evaluation sample, and a
        random ``overlap`` share of the new items (evaluation items too) is to be labelled by
        ``annotators_per_item`` different people (see :class:`ImportDraws`).

        An exception raised by the iterable (a bad line in a file) rolls everything back.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from hilt.store import ItemBatch, Store
        >>> store = Store.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", {"labels": ["a", "b"]})
        >>> def batches():
        ...     yield ItemBatch(["x", "y"], ['{"text": "one"}', '{"text": "two"}'], ["a", None])
        ...     yield ItemBatch(["z"], [{"text": "three"}])
        >>> store.import_batches(batches(), eval_share=0.0)
        {'added': 3, 'duplicates': 0, 'labelled': 1}
        >>> def broken():
        ...     yield ItemBatch(["w"], [{"text": "four"}])
        ...     raise ValueError("line 9 is bad")
        >>> try:
        ...     store.import_batches(broken(), eval_share=0.0)
        ... except ValueError:
        ...     store.n_items()
        3
        >>> store.close()
        """
        draws = ImportDraws(seed, eval_share=eval_share, overlap=overlap, annotators_per_item=annotators_per_item)
        now = utc_now()
        added = duplicates = 0
        labelled: list[tuple] = []
        relabelled: list[tuple] = []
        kept = 0
        with write(self._engine) as conn:
            if not self.postgres:
                conn.exec_driver_sql(f"PRAGMA cache_size=-{_IMPORT_CACHE_KB}")
            start = int(conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM items")).scalar()) + 1
            numbered = int(conn.execute(text("SELECT COUNT(*) FROM items")).scalar())
            had_items = start > 1
            next_id = start
            for batch in batches:
                keys, data, labels = batch
                if keys is None:
                    keys = [str(numbered + j) for j in range(len(data))]
                numbered += len(keys)
                known = self._stored_keys(conn, keys) if had_items else set()
                keep = ([i for i, key in enumerate(keys) if key not in known] if known
                        else range(len(keys)))
                n = len(keep)
                has_label = (np.array([labels[i] is not None for i in keep], dtype=bool) if labels is not None
                             else np.zeros(n, dtype=bool))
                is_eval, shuffle, needed = draws.draw(has_label)
                rowids = range(next_id, next_id + n)
                if known:
                    keys_kept, data_kept = [keys[i] for i in keep], [data[i] for i in keep]
                else:
                    keys_kept, data_kept = keys, data
                payloads = [d if isinstance(d, str) else _JSON.encode(d) for d in data_kept]
                self._write_items(conn, zip(rowids, keys_kept, payloads, is_eval.astype(np.int64).tolist(),
                                            shuffle.tolist(), repeat(now), needed.tolist()), n)
                fresh = [(uuid.uuid4().hex, rowids[j], IMPORT_ANNOTATOR, labels[keep[j]], now)
                         for j in np.flatnonzero(has_label).tolist()] if labels is not None else []
                if fresh:
                    conn.exec_driver_sql(self._sql(
                        "INSERT INTO answers (answer_id, item, annotator, label, created_at, retracted) "
                        "VALUES (?, ?, ?, ?, ?, 0)"), fresh)
                again, kept_here = (self._label_existing(conn, keys, labels, known, now)
                                    if label_existing and labels is not None and known else ([], 0))
                # Labels read from the file count on overlapped items (only existing ones can be
                # overlapped when this import itself has no overlap).
                recount = (fresh if overlap > 0 else []) + again
                if recount:
                    conn.execute(RECOUNT, [{"item": row[1]} for row in recount])
                labelled += fresh
                relabelled += again
                kept += kept_here
                added += n
                duplicates += len(keys) - n
                next_id += n
            if not self.postgres:
                conn.exec_driver_sql("PRAGMA cache_size=-2000")  # the pooled connection's default again
        if added >= _TRUNCATE_AFTER:
            # The whole import went through the write-ahead log, which SQLite keeps at its
            # largest size: give the disk back (a 1M-item import would otherwise double the file).
            self.checkpoint(truncate=True)  # type: ignore[attr-defined]
        result = {"added": added, "duplicates": duplicates, "labelled": len(labelled)}
        if label_existing:
            result.update(relabelled=len(relabelled), label_kept=kept)
        return result

    def _write_items(self, conn: Connection, rows: Iterable[tuple], n: int) -> None:
        if not n:
            return
        if self.postgres:
            cursor = conn.connection.driver_connection.cursor()
            try:
                with cursor.copy(f"COPY items ({_COLUMNS}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            finally:
                cursor.close()
            return
        rows = iter(rows)
        sql = f"INSERT INTO items ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
        for _ in range(0, n, _INSERT_BATCH):
            # islice, not zip(rows, range(n)): zip takes one row more before it sees the range end,
            # and that row was dropped at every batch boundary (one item per 20,000 lost).
            conn.exec_driver_sql(sql, list(islice(rows, _INSERT_BATCH)))

    def _stored_keys(self, conn: Connection, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` the store holds: looked up by the key index, a batch at a time, so an
        import into a project of ten million items never reads all its keys."""
        found: set[str] = set()
        for lo in range(0, len(keys), _LOOKUP_BATCH):
            part = list(keys[lo : lo + _LOOKUP_BATCH])
            if self.postgres:
                rows = conn.exec_driver_sql("SELECT key FROM items WHERE key = ANY(%s)", (part,))
            else:
                rows = conn.exec_driver_sql("SELECT key FROM items WHERE key IN (SELECT value FROM json_each(?))",
                                            (json.dumps(part),))
            found.update(r[0] for r in rows)
        return found

    def _label_existing(self, conn: Connection, keys: Sequence[str], labels: Sequence[str | None],
                        known: set[str], now: str) -> tuple[list[tuple], int]:
        """Answers by ``import`` for items already stored that have no current label; a label
        someone already gave is kept (the file does not overrule a person)."""
        wanted = {key: labels[i] for i, key in enumerate(keys) if key in known and labels[i] is not None}
        rows, kept = [], 0
        for key, label in wanted.items():
            rowid, current = conn.execute(text(
                "SELECT i.id, (SELECT a.label FROM answers a WHERE a.item = i.id AND a.retracted = 0 "
                "AND a.label IS NOT NULL ORDER BY a.id DESC LIMIT 1) FROM items i WHERE i.key = :k"),
                {"k": key}).one()
            if current is None:
                rows.append((uuid.uuid4().hex, rowid, IMPORT_ANNOTATOR, label, now))
            elif current != label:
                kept += 1
        if rows:
            conn.exec_driver_sql(self._sql(  # type: ignore[attr-defined]
                "INSERT INTO answers (answer_id, item, annotator, label, created_at, retracted) "
                "VALUES (?, ?, ?, ?, ?, 0)"), rows)
        return rows, kept

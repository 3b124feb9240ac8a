"""The items of a project: importing them (all or nothing), and reading them back in bulk.

Part of :class:`hilt.store.Store` (a mixin, so that the store stays split by concern).
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Iterator, Sequence

import numpy as np
from sqlalchemy import Connection, text

from hilt.errors import NotFoundError
from hilt.store.common import IMPORT_ANNOTATOR, RECOUNT, ItemRow, get_meta, item_row, set_meta, utc_now
from hilt.store.engine import read, write

__all__ = ["ItemsMixin"]


_INSERT_BATCH = 20_000
#: Imports of at least this many items shrink the write-ahead log afterwards.
_TRUNCATE_AFTER = 50_000
#: One encoder for all item rows: ``json.dumps(..., ensure_ascii=False)`` builds a new
#: encoder per call, which is half the cost of importing a million items.
_JSON = json.JSONEncoder(ensure_ascii=False)
#: Page cache of an import's connection, in KiB.
_IMPORT_CACHE_KB = 256 * 1024


class ItemsMixin:
    """Items: methods of :class:`hilt.store.Store`."""

    _engine: Any
    postgres: bool

    def add_items(
        self,
        keys: Sequence[str] | None,
        records: Sequence[dict],
        labels: Sequence[str | None] | None = None,
        *,
        eval_share: float,
        seed: int | None = None,
        label_existing: bool = False,
        overlap: float = 0.0,
        annotators_per_item: int = 1,
    ) -> dict[str, int]:
        """Add items (and the labels known for them) in one transaction: all or nothing.

        Keys already in the store are skipped and counted as duplicates. With
        ``label_existing=True`` the labels given for such items are stored too (by the
        ``import`` annotator) where the item has no current label yet; ``relabelled`` counts
        them, ``label_kept`` the items whose current, different label was kept. ``keys=None``
        numbers the new items on from the items already there (``"0"``, ``"1"``, ... in a
        new store), counted inside the same transaction, so two processes importing at
        once can never hand out the same number. A random ``eval_share`` of the new items
        without a label become the evaluation sample, and a random ``overlap`` share of the new
        items (evaluation items too) is to be labelled by ``annotators_per_item`` different people.
        """
        rng = np.random.default_rng(seed)
        now = utc_now()
        with write(self._engine) as conn:
            # Room for the indexes' pages (the shuffle index is filled in random order): with
            # SQLite's default 2 MB cache a million-item import spills pages again and again.
            if not self.postgres:
                conn.exec_driver_sql(f"PRAGMA cache_size=-{_IMPORT_CACHE_KB}")
            known: set[str] = set()
            start = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM items")).scalar() + 1
            if keys is None:
                count = int(conn.execute(text("SELECT COUNT(*) FROM items")).scalar())
                keys = [str(count + j) for j in range(len(records))]
            if start > 1:
                known = set(conn.execute(text("SELECT key FROM items")).scalars())
            keep = [i for i, key in enumerate(keys) if key not in known]
            n = len(keep)
            has_label = np.array([labels is not None and labels[i] is not None for i in keep], dtype=bool)
            is_eval = (rng.random(n) < eval_share) & ~has_label if n else np.zeros(0, dtype=bool)
            shuffle = rng.integers(0, 2**62, size=n)
            # Drawn after the draws above, so a project without overlap keeps the order and
            # evaluation sample the same seed always gave.
            needed = (np.where(rng.random(n) < overlap, annotators_per_item, 1) if overlap > 0
                      else np.ones(n, dtype=np.int64))
            rowids = range(start, start + n)
            sql = ("INSERT INTO items (id, key, data, is_eval, shuffle, created_at, needed) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)")
            for lo in range(0, n, _INSERT_BATCH):
                conn.exec_driver_sql(self._sql(sql), [
                    (rowids[j], keys[keep[j]], _JSON.encode(records[keep[j]]),
                     int(is_eval[j]), int(shuffle[j]), now, int(needed[j]))
                    for j in range(lo, min(lo + _INSERT_BATCH, n))
                ])
            labelled = [(uuid.uuid4().hex, rowids[j], IMPORT_ANNOTATOR, labels[keep[j]], now)
                        for j in np.flatnonzero(has_label)] if labels is not None else []
            if labelled:
                conn.exec_driver_sql(self._sql(
                    "INSERT INTO answers (answer_id, item, annotator, label, created_at, retracted) "
                    "VALUES (?, ?, ?, ?, ?, 0)"), labelled)
            relabelled, kept = (self._label_existing(conn, keys, labels, known, now)
                                if label_existing and labels is not None and known else ([], 0))
            # Labels read from the file count on overlapped items (only existing ones can be
            # overlapped when this import itself has no overlap).
            recount = (labelled if overlap > 0 else []) + relabelled
            if recount:
                conn.execute(RECOUNT, [{"item": row[1]} for row in recount])
            if not self.postgres:
                conn.exec_driver_sql("PRAGMA cache_size=-2000")  # the pooled connection's default again
        if n >= _TRUNCATE_AFTER:
            # The whole import went through the write-ahead log, which SQLite keeps at its
            # largest size: give the disk back (a 1M-item import would otherwise double the file).
            self.checkpoint(truncate=True)
        result = {"added": n, "duplicates": len(keys) - n, "labelled": len(labelled)}
        if label_existing:
            result.update(relabelled=len(relabelled), label_kept=kept)
        return result

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
            conn.exec_driver_sql(self._sql(
                "INSERT INTO answers (answer_id, item, annotator, label, created_at, retracted) "
                "VALUES (?, ?, ?, ?, ?, 0)"), rows)
        return rows, kept

    def n_items(self) -> int:
        with read(self._engine) as conn:
            return int(conn.execute(text("SELECT COUNT(*) FROM items")).scalar())

    def item_index(self) -> tuple[np.ndarray, np.ndarray]:
        """Row ids of all items in row-id order, and whether each is in the evaluation sample."""
        with read(self._engine) as conn:
            # Straight from the DB-API cursor as plain tuples: numpy converts a million
            # SQLAlchemy Row objects through the slow sequence protocol (~30 s instead of ~1 s).
            cursor = conn.connection.driver_connection.cursor()
            try:
                rows = cursor.execute("SELECT id, is_eval FROM items ORDER BY id").fetchall()
            finally:
                cursor.close()
        array = np.array(rows, dtype=np.int64).reshape(-1, 2)
        return array[:, 0], array[:, 1].astype(bool)

    def item_keys(self) -> dict[int, str]:
        """Row id -> item key (the user's id) of every item."""
        with read(self._engine) as conn:
            return dict(conn.exec_driver_sql("SELECT id, key FROM items").all())

    def item_set_version(self) -> tuple[str, int]:
        """``(project uid, highest item row id)``: changes exactly when items are added.

        Items are only ever appended (never deleted or renumbered, and ``is_eval`` is fixed at
        import), so the highest row id names the item set; the uid tells this project file
        apart from an earlier one at the same path. A cheap index lookup, unlike reading the
        item index of a million items.
        """
        with read(self._engine) as conn:
            uid = get_meta(conn, "uid")
            top = int(conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM items")).scalar())
        if uid is None:  # a file from before uids: give it one, once
            with write(self._engine) as conn:
                uid = get_meta(conn, "uid")
                if uid is None:
                    uid = uuid.uuid4().hex
                    set_meta(conn, "uid", uid)
        return str(uid), top

    def checkpoint(self, *, truncate: bool = False) -> None:
        """Copy the write-ahead log into the main file without blocking anyone (PASSIVE).

        The retrain worker calls this after writing a queue, so that the many pages a queue
        adds are checkpointed in the background instead of inside some later answer's commit
        (SQLite's automatic checkpoint runs in whichever commit crosses the threshold).
        ``truncate=True`` also shrinks the log file to zero; it waits for readers, so it is
        only for after a large import.
        """
        if self.postgres:  # the server checkpoints on its own schedule
            return
        with self._engine.connect() as conn:
            conn.exec_driver_sql(f"PRAGMA wal_checkpoint({'TRUNCATE' if truncate else 'PASSIVE'})")

    def iter_item_data(self, batch: int = 50_000) -> Iterator[tuple[list[int], list[dict]]]:
        """``(rowids, data dicts)`` of all items in row-id order, ``batch`` at a time, one snapshot."""
        with read(self._engine) as conn:
            # A server-side cursor on PostgreSQL, which otherwise sends every row at once.
            streaming = conn.execution_options(stream_results=True) if self.postgres else conn
            result = streaming.exec_driver_sql("SELECT id, data FROM items ORDER BY id")
            while rows := result.fetchmany(batch):
                yield [r[0] for r in rows], [json.loads(r[1]) for r in rows]

    def iter_item_fields(self, fields: Sequence[str], batch: int = 50_000,
                         ) -> Iterator[tuple[list[int], list[tuple]]]:
        """``(rowids, rows)`` of all items in row-id order, ``batch`` at a time, one snapshot;
        each row holds the values of ``fields`` of the item's data (``None`` where missing).

        SQLite's ``json_extract`` picks the fields out, so the featurizer of a million items
        does not decode a million JSON documents in Python.
        """
        if any('"' in f for f in fields) or self.postgres:  # a JSON path cannot quote a '"': decode in Python
            for ids, datas in self.iter_item_data(batch):
                yield ids, [tuple(d.get(f) for f in fields) for d in datas]
            return
        paths = ['$."' + f + '"' for f in fields]  # quoted, so dots and spaces in names are fine
        columns = ", ".join("json_extract(data, ?)" for _ in fields)
        with read(self._engine) as conn:
            cursor = conn.connection.driver_connection.cursor()
            try:
                cursor.execute(f"SELECT id, {columns} FROM items ORDER BY id", paths)
                while rows := cursor.fetchmany(batch):
                    yield [r[0] for r in rows], [r[1:] for r in rows]
            finally:
                cursor.close()

    def item_fields_between(self, fields: Sequence[str], low: int, high: int,
                            ) -> tuple[np.ndarray, np.ndarray, list[tuple]]:
        """``(rowids, is_eval, rows)`` of the items with ``low <= rowid <= high``, in row-id
        order: one partition of the pool, as a Dask worker reads it (:mod:`hilt.cluster`).
        Each row holds the values of ``fields`` (``None`` where missing)."""
        bounds = {"lo": int(low), "hi": int(high)}
        with read(self._engine) as conn:
            if any('"' in f for f in fields) or self.postgres:  # decode in Python (as iter_item_fields)
                found = conn.execute(text("SELECT id, is_eval, data FROM items WHERE id BETWEEN :lo AND :hi "
                                          "ORDER BY id"), bounds).all()
                rows = [tuple(json.loads(r[2]).get(f) for f in fields) for r in found]
            else:
                columns = ", ".join(f"json_extract(data, :f{i})" for i in range(len(fields)))
                paths = {f"f{i}": '$."' + f + '"' for i, f in enumerate(fields)}
                found = conn.execute(text(f"SELECT id, is_eval{', ' if fields else ''}{columns} FROM items "
                                          "WHERE id BETWEEN :lo AND :hi ORDER BY id"), {**bounds, **paths}).all()
                rows = [tuple(r[2:]) for r in found]
        rowids = np.fromiter((r[0] for r in found), dtype=np.int64, count=len(found))
        is_eval = np.fromiter((bool(r[1]) for r in found), dtype=bool, count=len(found))
        return rowids, is_eval, rows

    def item(self, key: str) -> ItemRow:
        with read(self._engine) as conn:
            row = conn.execute(text("SELECT id FROM items WHERE key = :k"), {"k": key}).scalar()
            if row is None:
                raise NotFoundError(f"Expected an item with id {key!r}, but the project has none.")
            return item_row(conn, row)

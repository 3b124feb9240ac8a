"""The items of a project: adding a few (importing many: :mod:`hilt.store.item_import`), reading them back in bulk.

Part of :class:`hilt.store.Store` (a mixin, so that the store stays split by concern).
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Iterator, Sequence

import numpy as np
from sqlalchemy import text

from hilt.errors import NotFoundError
from hilt.store.common import ItemRow, get_meta, item_row, set_meta
from hilt.store.engine import read, write
from hilt.store.item_import import ItemBatch

__all__ = ["ItemsMixin"]




class ItemsMixin:
    """Items: methods of :class:`hilt.store.Store`."""

    _engine: Any
    postgres: bool

    def add_items(
        self,
        keys: Sequence[str] | None,
        records: Sequence[dict | str],
        labels: Sequence[str | None] | None = None,
        *,
        eval_share: float,
        seed: int | None = None,
        label_existing: bool = False,
        overlap: float = 0.0,
        annotators_per_item: int = 1,
    ) -> dict[str, int]:
        """Add items (and the labels known for them) in one transaction: all or nothing.

        One batch of :meth:`hilt.store.item_import.ItemImportMixin.import_batches`, which says
        what the arguments do; ``records`` are dicts or their JSON text.
        """
        return self.import_batches([ItemBatch(keys, records, labels)], eval_share=eval_share,  # type: ignore[attr-defined]
                                   seed=seed, label_existing=label_existing, overlap=overlap,
                                   annotators_per_item=annotators_per_item)

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
        columns = "".join(", json_extract(data, ?)" for _ in fields)
        with read(self._engine) as conn:
            cursor = conn.connection.driver_connection.cursor()
            try:
                cursor.execute(f"SELECT id{columns} FROM items ORDER BY id", paths)
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

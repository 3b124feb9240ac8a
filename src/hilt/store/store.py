"""The durable store of a labelling project: one SQLite file. Only this layer writes SQL.

Everything a project knows lives here: items, the append-only answers, annotators, model runs,
the ranked queue and the leases. :class:`Store` speaks in item *keys* (the user's ids) and
plain Python values; the project layer above it never sees SQL.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
from sqlalchemy import Connection, text
from sqlalchemy.exc import DatabaseError, OperationalError

from hilt.errors import ConflictError, InputError, NotFoundError
from hilt.store import database, schema
from hilt.store.annotators import AnnotatorsMixin
from hilt.store.consensus import ANNOTATE, Decision, final_labels
from hilt.store.engine import is_database_url, make_engine, read, write
from hilt.store.settings import SettingsMixin
from hilt.store.shared_state import SharedStateMixin

__all__ = ["ANNOTATOR", "IMPORT_ANNOTATOR", "REVIEWER", "ItemRow", "Store", "utc_now"]

#: The reserved annotator that owns labels read from a label column at import.
IMPORT_ANNOTATOR = "import"
#: The roles of a registered person: an annotator labels; a reviewer also settles disagreements.
ANNOTATOR = "annotator"
REVIEWER = "reviewer"

_INSERT_BATCH = 20_000
#: Imports of at least this many items shrink the write-ahead log afterwards.
_TRUNCATE_AFTER = 50_000
#: One encoder for all item rows: ``json.dumps(..., ensure_ascii=False)`` builds a new
#: encoder per call, which is half the cost of importing a million items.
_JSON = json.JSONEncoder(ensure_ascii=False)
#: Page cache of an import's connection, in KiB.
_IMPORT_CACHE_KB = 256 * 1024


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
    "WHERE q.run_id = :run AND " + _SERVABLE.format(x="q.item", n="i.needed") + " ORDER BY q.position LIMIT :n"
)
_FROM_SHUFFLE = text(
    "SELECT i.id, i.key, i.data, i.is_eval FROM items i WHERE i.is_eval = :eval AND "
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
# New training labels since the latest model run started, over every process serving the project
# (reset by start_run): a retrain is due when it reaches retrain_every, whoever gave the labels.
_COUNT_TRAINING = text(
    "INSERT INTO meta (key, value) VALUES ('since_run', '1') ON CONFLICT (key) DO UPDATE "
    "SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT) RETURNING value"
)
# Keeps items.answered (see the schema) of overlapped items true after their answers change.
_RECOUNT = text(
    "UPDATE items SET answered = (SELECT COUNT(DISTINCT a.annotator) FROM answers a WHERE a.item = items.id "
    "AND a.retracted = 0 AND a.label IS NOT NULL) WHERE id = :item AND needed > 1"
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


class Store(AnnotatorsMixin, SettingsMixin, SharedStateMixin):
    """A project file. Create one with :meth:`create`, open one with :meth:`open`.

    Every method runs its own short transaction on a connection of the calling thread, so a
    store can be shared by threads; processes share the file through SQLite's locking.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from hilt.store import Store
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.hilt"
    >>> store = Store.create(path, {"labels": ["a", "b"], "kind": "text"})
    >>> store.add_items(["x", "y"], [{"text": "one"}, {"text": "two"}], eval_share=0.0)
    {'added': 2, 'duplicates': 0, 'labelled': 0}
    >>> row = store.claim("ann", lease_seconds=60, eval_share=0.0)
    >>> store.record_answer(row.key, "a", "ann", "answer-1")["duplicate"]
    False
    >>> store.record_answer(row.key, "a", "ann", "answer-1")["duplicate"]
    True
    >>> store.close()
    """

    def __init__(self, location: Path | str, engine: Any):
        #: The project file, or the ``postgresql://`` URL of the project's database.
        self.path: Path | str = location if is_database_url(location) else Path(location)
        self._engine = engine
        #: PostgreSQL rather than SQLite: the few statements that differ check this.
        self.postgres = is_database_url(location)

    def _sql(self, statement: str) -> str:
        """A driver-level statement written with SQLite's ``?`` placeholders, for this dialect
        (psycopg's are ``%s``). Bulk inserts and big reads go to the driver directly: SQLAlchemy's
        per-row work is most of a million-item import."""
        return statement.replace("?", "%s") if self.postgres else statement

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def create(cls, path: str | Path, meta: dict[str, Any], *, replace: bool = False) -> "Store":
        """A new, empty project with ``meta`` settings: a file at ``path`` (which must not exist),
        or the tables of a project in the PostgreSQL database a ``postgresql://`` URL names
        (which must not hold one already, unless ``replace=True``)."""
        if is_database_url(path):
            store = cls._database(str(path))
            if database.has_project(store._engine):
                if not replace:
                    store.close()
                    raise ConflictError(
                        f"Expected an empty database, but {database.describe_url(str(path))} already holds a "
                        "hilt project. Open it, name another database, or replace it (hilt init --force; "
                        "Python: exist_ok=True): its labels are then lost."
                    )
                database.drop_project(store._engine)
            elif clashing := database.hilt_named_tables(store._engine):
                store.close()  # another application's tables: never touched, never dropped
                raise ConflictError(
                    f"Expected an empty database, but {database.describe_url(str(path))} holds tables that are "
                    f"not a hilt project's and are named like hilt's own ({', '.join(clashing)}). Name another "
                    "database: hilt leaves other applications' tables alone."
                )
        else:
            path = Path(path)
            if path.exists():
                raise ConflictError(f"Expected no file at {path}, but one exists.")
            if not path.parent.is_dir():
                raise NotFoundError(f"Expected a folder for the project at {path.parent}, but there is none.")
            store = cls(path, make_engine(path))
        with write(store._engine) as conn:
            schema.metadata.create_all(conn)
            values = {**meta, "schema_version": schema.SCHEMA_VERSION, "queue_run": 0,
                      "served": 0, "served_eval": 0, "uid": uuid.uuid4().hex}
            conn.execute(
                text("INSERT INTO meta (key, value) VALUES (:key, :value)"),
                [{"key": k, "value": json.dumps(v)} for k, v in values.items()],
            )
        return store

    @classmethod
    def open(cls, path: str | Path) -> "Store":
        """Open an existing project (a file, or a ``postgresql://`` database URL), migrating an
        older schema; refuse a newer one."""
        if is_database_url(path):
            store = cls._database(str(path))
            if not database.has_project(store._engine):
                store.close()
                raise NotFoundError(
                    f"Expected a hilt project in the database {database.describe_url(str(path))}, but it holds "
                    "none. Create one with: hilt init URL --data FILE --labels a,b"
                )
        else:
            path = Path(path)
            if not path.is_file():
                raise NotFoundError(f"Expected a hilt project file at {path}, but there is no such file.")
            _check_is_project(path)  # before the engine, whose connections switch a file to WAL mode
            store = cls(path, make_engine(path))
        try:
            version = store._schema_version()
            if version > schema.SCHEMA_VERSION:
                raise InputError(
                    f"{_describe(path)} was written by a newer hilt (schema version {version}; this hilt reads "
                    f"versions up to {schema.SCHEMA_VERSION}). Upgrade hilt: pip install -U hilt."
                )
            if version < schema.SCHEMA_VERSION:
                store._migrate()
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def _database(cls, url: str) -> "Store":
        """A store over the PostgreSQL database at ``url``, its connection checked."""
        store = cls(url, make_engine(url))
        try:
            database.check_connection(store._engine, url)
        except BaseException:
            store.close()
            raise
        return store

    def _schema_version(self) -> int:
        try:
            with read(self._engine) as conn:
                value = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()
        except (OperationalError, DatabaseError):
            value = None
        if value is None:
            raise _not_a_project(self.path)
        return int(json.loads(value))

    def _migrate(self) -> None:
        with write(self._engine) as conn:  # the version is re-read under the write lock
            version = int(json.loads(conn.execute(
                text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()))
            while version < schema.SCHEMA_VERSION:
                schema.MIGRATIONS[version](conn)
                version += 1
            _set_meta(conn, "schema_version", version)

    def close(self) -> None:
        """Close every pooled connection (the file stays consistent whatever happens)."""
        self._engine.dispose()

    # -- meta ------------------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        """Every meta setting, decoded from JSON."""
        with read(self._engine) as conn:
            return {k: json.loads(v) for k, v in conn.execute(text("SELECT key, value FROM meta"))}

    def set_meta(self, key: str, value: Any) -> None:
        with write(self._engine) as conn:
            _set_meta(conn, key, value)

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check``: ``"ok"`` for a sound file. PostgreSQL checks its
        own pages; for a database this says ``"ok"`` when every table can be read."""
        with read(self._engine) as conn:
            if self.postgres:
                for table in database.TABLES:
                    conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
                return "ok"
            return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())

    # -- items -----------------------------------------------------------------------------
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
                conn.execute(_RECOUNT, [{"item": row[1]} for row in recount])
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
            uid = _get_meta(conn, "uid")
            top = int(conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM items")).scalar())
        if uid is None:  # a file from before uids: give it one, once
            with write(self._engine) as conn:
                uid = _get_meta(conn, "uid")
                if uid is None:
                    uid = uuid.uuid4().hex
                    _set_meta(conn, "uid", uid)
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

    def item(self, key: str) -> ItemRow:
        with read(self._engine) as conn:
            row = conn.execute(text("SELECT id FROM items WHERE key = :k"), {"k": key}).scalar()
            if row is None:
                raise NotFoundError(f"Expected an item with id {key!r}, but the project has none.")
            return _item_row(conn, row)

    # -- serving ---------------------------------------------------------------------------
    def claim(self, annotator: str, *, lease_seconds: float, eval_share: float) -> ItemRow | None:
        """Lease the next item to ``annotator`` (the same one again if they still hold a lease).

        Runs under the write lock (``BEGIN IMMEDIATE``), so two processes can never lease one
        item to two annotators. A share ``eval_share`` of fresh serves come from the random
        evaluation sample; the rest follow the current ranked queue, or the random order while
        there is no queue (cold start) or it has run dry.
        """
        with write(self._engine, durable=False) as conn:  # a lease may be lost, never an answer
            return self._claim(conn, annotator, lease_seconds, eval_share)

    def answer_and_claim(self, key: str, label: str | None, annotator: str, answer_id: str, *,
                         lease_seconds: float, eval_share: float) -> tuple[dict[str, Any], ItemRow | None]:
        """:meth:`record_answer`, then :meth:`claim` the annotator's next item, in one transaction.

        The usual step of a labelling face (answer, show the next item) then costs one
        commit (one fsync) and one hand-over of the write lock instead of two.
        """
        with write(self._engine) as conn:
            result = self._record_answer(conn, key, label, annotator, answer_id)
            return result, self._claim(conn, annotator, lease_seconds, eval_share)

    def _claim(self, conn: Connection, annotator: str, lease_seconds: float, eval_share: float) -> ItemRow | None:
        now = time.time()
        args = {"a": annotator, "now": now}
        held = conn.execute(_HELD, args).scalar()
        if held is not None:
            conn.execute(text("UPDATE leases SET expires_at = :exp WHERE item = :item AND annotator = :a"),
                         {"exp": now + lease_seconds, "item": held, "a": annotator})
            return _item_row(conn, held, queue_run=_get_meta(conn, "queue_run"))
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
        return [_item_row(conn, int(item), queue_run=run) for item, in conn.execute(_FROM_STARTED, {**args, "n": n})]

    def peek(self, annotator: str, n: int, *, eval_share: float | None = None) -> list[ItemRow]:
        """The next ``n`` items ``annotator`` would be served, without leasing them.

        ``eval_share`` is the one :meth:`claim` is called with; by default the project's
        setting (``settings.eval_share`` in meta).
        """
        args = {"a": annotator, "now": time.time()}
        with read(self._engine) as conn:
            state = {k: json.loads(v) for k, v in conn.execute(_SERVE_STATE)}
            if eval_share is None:
                eval_share = float((_get_meta(conn, "settings") or {}).get("eval_share", 0.0))
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
        if source == "train" and run:
            for item, key, data, is_eval, guess, score in conn.execute(_FROM_QUEUE, {**args, "run": run, "n": n}):
                rows.append(ItemRow(int(item), key, json.loads(data), bool(is_eval), guess, score))
        if len(rows) < n:  # cold start, the evaluation sample, or a queue that ran dry
            seen = {r.rowid for r in rows}
            found = conn.execute(
                _FROM_SHUFFLE, {**args, "eval": int(source == "eval"), "n": n - len(rows) + len(seen)}
            )
            rows += [ItemRow(int(item), key, json.loads(data), bool(is_eval))
                     for item, key, data, is_eval in found if item not in seen][: n - len(rows)]
        return rows

    def record_answer(self, key: str, label: str | None, annotator: str, answer_id: str, *,
                      role: str = ANNOTATE) -> dict[str, Any]:
        """Store one answer (``label=None``: a skip) and release the annotator's lease on the item.

        ``role="review"`` records a reviewer's decision, which settles the item's final label
        (:func:`hilt.store.consensus.final_labels`). Returns ``{"answer_id", "duplicate",
        "training"}``; ``training`` says whether the answer is a new label the model may learn
        from (not a skip, not an evaluation item). An ``answer_id`` seen before stores nothing
        and returns ``duplicate=True``.
        """
        with write(self._engine) as conn:
            return self._record_answer(conn, key, label, annotator, answer_id, role)

    def _record_answer(self, conn: Connection, key: str, label: str | None, annotator: str,
                       answer_id: str, role: str = ANNOTATE) -> dict[str, Any]:
        earlier = conn.execute(
            text("SELECT i.key, a.label, a.annotator, a.role FROM answers a JOIN items i ON i.id = a.item "
                 "WHERE a.answer_id = :id"), {"id": answer_id}
        ).first()
        if earlier is not None:
            if tuple(earlier)[:3] != (key, label, annotator) or earlier[3] != role:
                raise ConflictError(
                    f"Expected answer_id {answer_id!r} to repeat the answer it was first sent "
                    f"with (item {earlier[0]!r}, label {earlier[1]!r}, annotator {earlier[2]!r}); "
                    f"got item {key!r}, label {label!r}, annotator {annotator!r}. Use a new answer_id "
                    "for a new answer."
                )
            return {"answer_id": answer_id, "duplicate": True, "training": False}
        item = conn.execute(text("SELECT id, is_eval FROM items WHERE key = :k"), {"k": key}).first()
        if item is None:
            raise NotFoundError(f"Expected an item with id {key!r}, but the project has none.")
        conn.execute(
            text("INSERT INTO answers (answer_id, item, annotator, label, created_at, retracted, role) "
                 "VALUES (:id, :item, :a, :label, :now, 0, :role)"),
            {"id": answer_id, "item": item[0], "a": annotator, "label": label, "now": utc_now(), "role": role},
        )
        conn.execute(text("DELETE FROM leases WHERE item = :item AND annotator = :a"),
                     {"item": item[0], "a": annotator})
        conn.execute(_RECOUNT, {"item": item[0]})
        training = label is not None and not item[1]
        result = {"answer_id": answer_id, "duplicate": False, "training": training}
        if training:  # counted in the project, so that any number of servers share one count
            result["since_run"] = int(json.loads(conn.execute(_COUNT_TRAINING).scalar()))
        return result

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
                return None if done.item is None else _item_row(conn, done.item, queue_run=_get_meta(conn, "queue_run"))
            latest = conn.execute(
                text("SELECT id, item FROM answers WHERE annotator = :a AND retracted = 0 AND role = :role "
                     "ORDER BY id DESC LIMIT 1"), {"a": annotator, "role": ANNOTATE}
            ).first()
            if latest is None:
                return self._record_undo(conn, annotator, undo_id, None)
            conn.execute(text("UPDATE answers SET retracted = 1, retracted_at = :now WHERE id = :id"),
                         {"now": utc_now(), "id": latest[0]})
            conn.execute(_RECOUNT, {"item": latest[1]})
            room = conn.execute(_ROOM, {"item": latest[1], "a": annotator, "now": now}).scalar()
            if room is None or room < 1:
                return self._record_undo(conn, annotator, undo_id, None)
            conn.execute(text("DELETE FROM leases WHERE annotator = :a OR (item = :item AND expires_at <= :now)"),
                         {"a": annotator, "item": latest[1], "now": now})
            conn.execute(text("INSERT INTO leases (item, annotator, expires_at) VALUES (:item, :a, :exp)"),
                         {"item": latest[1], "a": annotator, "exp": now + lease_seconds})
            return self._record_undo(conn, annotator, undo_id,
                                     _item_row(conn, latest[1], queue_run=_get_meta(conn, "queue_run")))

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

    # -- learning --------------------------------------------------------------------------
    def current_labels(self, *, is_eval: bool | None = None) -> dict[int, str]:
        """Row id -> final label of every item with one (:func:`~hilt.store.consensus.final_labels`:
        the latest review, else the annotators' majority, else the single answer).

        ``is_eval=False``: the training labels; ``True``: the evaluation sample's labels.
        """
        return {item: d.label for item, d in self.decisions(is_eval=is_eval).items()}

    def decisions(self, *, is_eval: bool | None = None) -> dict[int, Decision]:
        """Row id -> :class:`~hilt.store.consensus.Decision` (final label, votes, reviewed)."""
        return final_labels(self._labelled_answers(is_eval=is_eval))

    def _labelled_answers(self, *, is_eval: bool | None = None) -> list[tuple[int, int, str, str, str]]:
        """``(item, answer id, annotator, label, role)`` of every current non-skip answer."""
        where = "" if is_eval is None else f" AND i.is_eval = {int(is_eval)}"
        join = "" if is_eval is None else " JOIN items i ON i.id = a.item"
        with read(self._engine) as conn:
            return conn.exec_driver_sql(
                "SELECT a.item, a.id, a.annotator, a.label, a.role FROM answers a" + join +
                " WHERE a.retracted = 0 AND a.label IS NOT NULL" + where).all()

    def current_answers(self) -> list[dict[str, Any]]:
        """Every current non-skip answer, oldest first: ``item_id``, ``annotator``, ``label``,
        ``role``, ``is_eval``, ``order`` (the answer's row id) and ``answered_at``."""
        with read(self._engine) as conn:
            rows = conn.exec_driver_sql(
                "SELECT i.key, a.annotator, a.label, a.role, i.is_eval, a.id, a.created_at FROM answers a "
                "JOIN items i ON i.id = a.item WHERE a.retracted = 0 AND a.label IS NOT NULL ORDER BY a.id").all()
        return [{"item_id": key, "annotator": annotator, "label": label, "role": role, "is_eval": bool(is_eval),
                 "order": int(order), "answered_at": at}
                for key, annotator, label, role, is_eval, order, at in rows]

    def start_run(self, strategy: str) -> int:
        """Record that a model run started; its queue is written under the returned run id."""
        with write(self._engine) as conn:
            _set_meta(conn, "since_run", 0)  # the labels this run reads are no longer new
            return int(conn.execute(
                text("INSERT INTO model_runs (started_at, strategy, n_train, n_eval) "
                     "VALUES (:now, :s, 0, 0) RETURNING id"), {"now": utc_now(), "s": strategy}
            ).scalar())

    def write_queue(self, run_id: int, items: np.ndarray, scores: np.ndarray,
                    guesses: Sequence[str | None], batch: int = 1_000) -> None:
        """Write a run's ranked queue (not served until :meth:`finish_run` flips to it).

        Written in short transactions of ``batch`` rows so that answers never wait long for
        the write lock.
        """
        rows = [(run_id, pos, int(item), float(score), guess)
                for pos, (item, score, guess) in enumerate(zip(items, scores, guesses))]
        for lo in range(0, len(rows), batch):
            with write(self._engine) as conn:
                conn.exec_driver_sql(
                    self._sql("INSERT INTO queue (run_id, position, item, score, guess) VALUES (?, ?, ?, ?, ?)"),
                    rows[lo : lo + batch])

    def finish_run(self, run_id: int, *, n_train: int, eval_accuracy: float | None, n_eval: int,
                   swap_queue: bool = True) -> None:
        """Mark the run finished and, in the same transaction, serve its queue.

        The pointer only moves forward: a slower, older run finishing late does not replace
        a newer ranking (two processes may each run a worker).
        """
        with write(self._engine) as conn:
            conn.execute(
                text("UPDATE model_runs SET finished_at = :now, n_train = :n, eval_accuracy = :acc, "
                     "n_eval = :ne WHERE id = :id"),
                {"now": utc_now(), "n": n_train, "acc": eval_accuracy, "ne": n_eval, "id": run_id},
            )
            if swap_queue and run_id > _get_meta(conn, "queue_run"):
                _set_meta(conn, "queue_run", run_id)
        with write(self._engine) as conn:  # old rankings go in a second, separate transaction
            conn.execute(text("DELETE FROM queue WHERE run_id < :run"), {"run": _get_meta(conn, "queue_run")})

    def runs(self) -> list[dict[str, Any]]:
        """Finished model runs, oldest first."""
        with read(self._engine) as conn:
            rows = conn.execute(
                text("SELECT id, n_train, eval_accuracy, n_eval, strategy, started_at, finished_at "
                     "FROM model_runs WHERE finished_at IS NOT NULL ORDER BY id")
            ).mappings().all()
            return [dict(r) for r in rows]

    # -- reporting -------------------------------------------------------------------------
    def counts(self) -> dict[str, Any]:
        """The numbers :meth:`hilt.project.Project.status` reports."""
        with read(self._engine) as conn:
            n_items, n_eval_items = conn.execute(
                text("SELECT COUNT(*), COALESCE(SUM(is_eval), 0) FROM items")).one()
            current = conn.exec_driver_sql(
                "SELECT a.item, a.id, a.annotator, a.label, a.role, i.is_eval FROM answers a "
                "JOIN items i ON i.id = a.item WHERE a.retracted = 0").all()
        eval_items = {item for item, *_, is_eval in current if is_eval}
        by_annotator: dict[str, int] = {}
        n_skipped = 0
        for _, _, annotator, label, _, _ in current:
            if label is None:
                n_skipped += 1
            else:
                by_annotator[annotator] = by_annotator.get(annotator, 0) + 1
        label_of = {item: d.label for item, d in final_labels(
            row[:5] for row in current if row[3] is not None).items()}
        eval_items &= label_of.keys()
        by_label: dict[str, int] = {}
        for label in label_of.values():
            by_label[label] = by_label.get(label, 0) + 1
        return {
            "n_items": int(n_items), "n_answered": len(label_of), "n_skipped": n_skipped,
            "n_left": int(n_items) - len(label_of), "n_eval": len(eval_items),
            "n_eval_items": int(n_eval_items), "by_label": by_label, "by_annotator": by_annotator,
        }

    def answer_rows(self, *, include_retracted: bool = False) -> list[dict[str, Any]]:
        """Answers joined with their items, oldest first.

        By default one row per item with a final label: the answer that decided it (the
        review, else the earliest vote for the majority label; see
        :func:`~hilt.store.consensus.final_labels`). ``include_retracted=True``: every answer
        ever given, skips, retracted answers and review decisions included, with its ``role``.
        """
        where = "" if include_retracted else " WHERE a.retracted = 0 AND a.label IS NOT NULL"
        with read(self._engine) as conn:
            rows = conn.exec_driver_sql(
                "SELECT i.key, a.label, a.annotator, a.created_at, a.answer_id, a.retracted, i.data, "
                "a.role, a.item, a.id FROM answers a JOIN items i ON i.id = a.item" + where + " ORDER BY a.id").all()
        if not include_retracted:
            deciding = {d.order for d in final_labels(
                (item, order, annotator, label, role)
                for _, label, annotator, _, _, _, _, role, item, order in rows).values()}
            rows = [row for row in rows if row[9] in deciding]
        return [
            {"item_id": key, "label": label, "annotator": annotator, "answered_at": at,
             "answer_id": answer_id, "retracted": bool(retracted), "role": role, "data": json.loads(data)}
            for key, label, annotator, at, answer_id, retracted, data, role, _, _ in rows
        ]

    def labelled_rows(self) -> list[tuple[str, dict, str]]:
        """``(key, data, label)`` of each item with a final label, in item order."""
        labels = self.current_labels()
        if not labels:
            return []
        with read(self._engine) as conn:
            rows = conn.exec_driver_sql(
                "SELECT id, key, data FROM items WHERE id IN (SELECT DISTINCT item FROM answers "
                "WHERE retracted = 0 AND label IS NOT NULL) ORDER BY id").all()
        return [(key, json.loads(data), labels[rowid]) for rowid, key, data in rows if rowid in labels]

    # -- annotators ------------------------------------------------------------------------
    def set_annotator_token(self, name: str, token_hash: str, *, role: str | None = None) -> None:
        """Register ``name`` with a token hash, replacing any earlier token (rotation).

        ``role``: ``"annotator"`` or ``"reviewer"``; ``None`` keeps a registered person's role
        (a new one becomes an annotator).
        """
        with write(self._engine) as conn:
            conn.execute(
                text("INSERT INTO annotators (name, token_hash, created_at, role) VALUES (:n, :h, :now, :role) "
                     "ON CONFLICT(name) DO UPDATE SET token_hash = excluded.token_hash"
                     + ("" if role is None else ", role = excluded.role")),
                {"n": name, "h": token_hash, "now": utc_now(), "role": role or ANNOTATOR},
            )

    def annotator_by_token_hash(self, token_hash: str) -> str | None:
        with read(self._engine) as conn:
            return conn.execute(text("SELECT name FROM annotators WHERE token_hash = :h"),
                                {"h": token_hash}).scalar()

    def annotator_role(self, name: str) -> str | None:
        """``"annotator"`` or ``"reviewer"`` for a registered name, else ``None``."""
        with read(self._engine) as conn:
            return conn.execute(text("SELECT role FROM annotators WHERE name = :n"), {"n": name}).scalar()

    def annotator_names(self) -> list[str]:
        """Registered annotators and everyone who has answered, sorted."""
        with read(self._engine) as conn:
            return sorted(conn.execute(text(
                "SELECT name FROM annotators UNION SELECT DISTINCT annotator FROM answers")).scalars())

    # -- an annotator's own recent answers (the labelling page's history list) --------------
    def recent_answers(self, annotator: str, limit: int) -> list[dict[str, Any]]:
        """``annotator``'s latest current answers (skips included), newest first, at most ``limit``."""
        with read(self._engine) as conn:
            rows = conn.execute(
                text("SELECT i.key, a.label, a.created_at, a.answer_id, i.data FROM answers a "
                     "JOIN items i ON i.id = a.item WHERE a.annotator = :a AND a.retracted = 0 "
                     "ORDER BY a.id DESC LIMIT :n"), {"a": annotator, "n": int(limit)}).all()
        return [{"item_id": key, "label": label, "answered_at": at, "answer_id": answer_id,
                 "data": json.loads(data)} for key, label, at, answer_id, data in rows]

    def change_answer(self, key: str, label: str | None, annotator: str, answer_id: str) -> dict[str, Any]:
        """Store a new answer for ``key`` and retract ``annotator``'s earlier ones on it, at once.

        The earlier answers stay in the file (marked retracted, like an undo), so the history of
        a correction is kept while the item has one current answer from this annotator. A
        repeated ``answer_id`` stores and retracts nothing (see :meth:`record_answer`).
        """
        with write(self._engine) as conn:
            result = self._record_answer(conn, key, label, annotator, answer_id)
            if not result["duplicate"]:
                conn.execute(
                    text("UPDATE answers SET retracted = 1, retracted_at = :now WHERE annotator = :a "
                         "AND retracted = 0 AND answer_id != :id AND item = (SELECT id FROM items WHERE key = :k)"),
                    {"now": utc_now(), "a": annotator, "id": answer_id, "k": key})
                conn.execute(_RECOUNT, {"item": conn.execute(
                    text("SELECT id FROM items WHERE key = :k"), {"k": key}).scalar()})
            return result


def _describe(location: Path | str) -> str:
    """A project file's path, or "the project in the database user@host:port/db": never a password."""
    if is_database_url(location):
        return f"The project in the database {database.describe_url(str(location))}"
    return str(location)


def _not_a_project(path: Path | str) -> InputError:
    if is_database_url(path):
        return InputError(
            f"Expected a hilt project in the database {database.describe_url(str(path))}, but it is not one "
            "(its meta table has no schema version). Create a project with: hilt init URL --data FILE --labels a,b"
        )
    return InputError(
        f"Expected a hilt project file at {path}, but it is not one (no hilt schema inside). "
        "Create a project with: hilt init PROJECT --data FILE --labels a,b"
    )


def _check_is_project(path: Path) -> None:
    """Raise :class:`InputError` unless ``path`` is a SQLite file with hilt's ``meta`` table.

    Looks without writing: an empty file and a non-SQLite file are refused from their first
    bytes, and a SQLite file is read through a read-only connection, so that opening some
    other application's database by mistake leaves it exactly as it was.
    """
    with open(path, "rb") as handle:
        header = handle.read(16)
    if header != b"SQLite format 3\x00":
        raise _not_a_project(path)
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:  # no meta table, or not a database after all
        found = None
    if found is None:
        raise _not_a_project(path)


def _get_meta(conn: Connection, key: str) -> Any:
    value = conn.execute(text("SELECT value FROM meta WHERE key = :k"), {"k": key}).scalar()
    return None if value is None else json.loads(value)


def _set_meta(conn: Connection, key: str, value: Any) -> None:
    conn.execute(
        text("INSERT INTO meta (key, value) VALUES (:k, :v) "
             "ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
        {"k": key, "v": json.dumps(value)},
    )


def _item_row(conn: Connection, rowid: int, *, guess: str | None = None, score: float | None = None,
              queue_run: int | None = None) -> ItemRow:
    key, data, is_eval = conn.execute(
        text("SELECT key, data, is_eval FROM items WHERE id = :id"), {"id": rowid}).one()
    if queue_run:  # an item served again (held lease, undo): look its ranking up
        found = conn.execute(text("SELECT guess, score FROM queue WHERE run_id = :r AND item = :i"),
                             {"r": queue_run, "i": rowid}).first()
        if found is not None:
            guess, score = found
    return ItemRow(int(rowid), key, json.loads(data), bool(is_eval), guess, score)

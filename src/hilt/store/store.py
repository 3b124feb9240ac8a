"""The durable store of a labelling project: a SQLite file or a PostgreSQL database. Only this
layer writes SQL.

Everything a project knows lives here: items, the append-only answers, annotators, model runs,
the ranked queue and the leases. :class:`Store` speaks in item *keys* (the user's ids) and
plain Python values; the project layer above it never sees SQL. This module opens and creates a
store; its methods come from one module per concern: :mod:`~hilt.store.items`, :mod:`~hilt.store.item_import`,
:mod:`~hilt.store.serving`, :mod:`~hilt.store.answers`, :mod:`~hilt.store.runs`,
:mod:`~hilt.store.annotators`, :mod:`~hilt.store.meta`, :mod:`~hilt.store.shared_state`,
:mod:`~hilt.store.timing`, :mod:`~hilt.store.search` and :mod:`~hilt.store.bulk`.
The same statements run on both databases (:mod:`hilt.store.engine` says how writes are
serialized on each).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError, OperationalError

from hilt.errors import ConflictError, InputError, NotFoundError
from hilt.store import database, schema
from hilt.store.annotators import AnnotatorsMixin
from hilt.store.answer_import import AnswerImportMixin
from hilt.store.answers import AnswersMixin
from hilt.store.bulk import BulkMixin
from hilt.store.common import ANNOTATOR, IMPORT_ANNOTATOR, REVIEWER, ItemRow, get_meta, set_meta, utc_now
from hilt.store.engine import make_engine, read, write
from hilt.store.existing import has_project
from hilt.store.location import ProjectLocation
from hilt.store.item_import import ItemBatch, ItemImportMixin
from hilt.store.items import ItemsMixin
from hilt.store.runs import RunsMixin
from hilt.store.search import SearchMixin
from hilt.tasks import get_task
from hilt.store.serving import ServingMixin
from hilt.store.meta import MetaMixin
from hilt.store.shared_state import SharedStateMixin
from hilt.store.suggestions import SuggestionsMixin
from hilt.store.timing import TimingMixin

__all__ = ["ANNOTATOR", "IMPORT_ANNOTATOR", "REVIEWER", "ItemBatch", "ItemRow", "Store", "utc_now"]


class Store(ItemsMixin, ItemImportMixin, ServingMixin, AnswersMixin, RunsMixin, AnnotatorsMixin, MetaMixin, SharedStateMixin,
            SuggestionsMixin, AnswerImportMixin, TimingMixin, SearchMixin, BulkMixin):
    """A project: a file or a database. Create one with :meth:`create`, open one with :meth:`open`.

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

    def __init__(self, location: ProjectLocation | Path | str, engine: Any):
        #: Where the project is (:class:`~hilt.store.location.ProjectLocation`).
        self.location = ProjectLocation.of(location)
        #: The project file, or the ``postgresql://`` URL of the project's database.
        self.path: Path | str = self.location.target
        self._engine = engine
        #: PostgreSQL rather than SQLite: the few statements that differ check this.
        self.postgres = self.location.is_database

    def _sql(self, statement: str) -> str:
        """A driver-level statement written with SQLite's ``?`` placeholders, for this dialect
        (psycopg's are ``%s``). Bulk inserts and big reads go to the driver directly: SQLAlchemy's
        per-row work is most of a million-item import."""
        return statement.replace("?", "%s") if self.postgres else statement

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def create(cls, path: ProjectLocation | str | Path, meta: dict[str, Any], *, replace: bool = False) -> "Store":
        """A new, empty project with ``meta`` settings: a file at ``path`` (which must not exist),
        or the tables of a project in the PostgreSQL database a ``postgresql://`` URL names
        (which must not hold one already, unless ``replace=True``)."""
        location = ProjectLocation.of(path)
        if location.is_database:
            store = cls._database(location)
            if database.has_project_tables(store._engine):
                if not replace:
                    store.close()
                    raise ConflictError(
                        f"Expected an empty database, but {location.display} already holds a "
                        "hilt project. Open it, name another database, or replace it (hilt init --force; "
                        "Python: exist_ok=True): its labels are then lost."
                    )
                database.drop_project_tables(store._engine)
            elif clashing := database.hilt_named_tables(store._engine):
                store.close()  # another application's tables: never touched, never dropped
                raise ConflictError(
                    f"Expected an empty database, but {location.display} holds tables that are "
                    f"not a hilt project's and are named like hilt's own ({', '.join(clashing)}). Name another "
                    "database: hilt leaves other applications' tables alone."
                )
        else:
            path = location.path
            if has_project(location):
                raise ConflictError(f"Expected no file at {path}, but one exists.")
            if not path.parent.is_dir():
                raise NotFoundError(f"Expected a folder for the project at {path.parent}, but there is none.")
            store = cls(location, make_engine(location))
        with write(store._engine) as conn:
            schema.metadata.create_all(conn)
            values = {**meta, "schema_version": schema.SCHEMA_VERSION, "queue_run": 0,
                      "served": 0, "served_eval": 0, "uid": uuid.uuid4().hex}
            conn.execute(
                text("INSERT INTO meta (key, value) VALUES (:key, :value)"),
                [{"key": k, "value": json.dumps(v)} for k, v in values.items()],
            )
        store.__dict__["_task"] = get_task(meta.get("task"))  # known now: no read for it later
        return store

    @classmethod
    def open(cls, path: ProjectLocation | str | Path) -> "Store":
        """Open an existing project (a file, or a ``postgresql://`` database URL), migrating an
        older schema; refuse a newer one."""
        location = ProjectLocation.of(path)
        if location.is_database:
            store = cls._database(location)
            if not database.has_project_tables(store._engine):
                store.close()
                raise NotFoundError(
                    f"Expected a hilt project in the database {location.display}, but it holds "
                    "none. Create one with: hilt init URL --data FILE --labels a,b"
                )
        else:
            path = location.path
            if not path.is_file():
                raise NotFoundError(f"Expected a hilt project file at {path}, but there is no such file.")
            _check_is_project(location)  # before the engine, whose connections switch a file to WAL mode
            store = cls(location, make_engine(location))
        try:
            version = store._schema_version()
            if version > schema.SCHEMA_VERSION:
                raise InputError(
                    f"{_describe(location)} was written by a newer hilt (schema version {version}; this hilt reads "
                    f"versions up to {schema.SCHEMA_VERSION}). Upgrade hilt: pip install -U hilt."
                )
            if version < schema.SCHEMA_VERSION:
                store._migrate()
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def _database(cls, location: ProjectLocation) -> "Store":
        """A store over the PostgreSQL database at ``location``, its connection checked."""
        store = cls(location, make_engine(location))
        try:
            database.check_connection(store._engine, location.url)
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
            raise _not_a_project(self.location)
        return int(json.loads(value))

    def _migrate(self) -> None:
        with write(self._engine) as conn:  # the version is re-read under the write lock
            version = int(json.loads(conn.execute(
                text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar()))
            while version < schema.SCHEMA_VERSION:
                schema.MIGRATIONS[version](conn)
                version += 1
            set_meta(conn, "schema_version", version)

    def close(self) -> None:
        """Close every pooled connection (the file stays consistent whatever happens)."""
        self._engine.dispose()

    # -- meta ------------------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        """Every meta setting, decoded from JSON."""
        with read(self._engine) as conn:
            return {k: json.loads(v) for k, v in conn.execute(text("SELECT key, value FROM meta"))}

    def meta_value(self, key: str) -> Any:
        """One meta setting, decoded from JSON (``None`` when the project has none)."""
        with read(self._engine) as conn:
            return get_meta(conn, key)

    def set_meta(self, key: str, value: Any) -> None:
        with write(self._engine) as conn:
            set_meta(conn, key, value)

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check``: ``"ok"`` for a sound file. PostgreSQL checks its
        own pages; for a database this says ``"ok"`` when every table can be read."""
        with read(self._engine) as conn:
            if self.postgres:
                existing = set(inspect(conn).get_table_names())
                for table in database.TABLES:
                    if table not in existing:  # the search index is made on the first search only
                        continue
                    conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
                return "ok"
            return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar())


def _describe(location: ProjectLocation) -> str:
    """A project file's path, or "the project in the database user@host:port/db": never a password."""
    if location.is_database:
        return f"The project in the database {location.display}"
    return location.display


def _not_a_project(location: ProjectLocation) -> InputError:
    if location.is_database:
        return InputError(
            f"Expected a hilt project in the database {location.display}, but it is not one "
            "(its meta table has no schema version). Create a project with: hilt init URL --data FILE --labels a,b"
        )
    return InputError(
        f"Expected a hilt project file at {location.display}, but it is not one (no hilt schema inside). "
        "Create a project with: hilt init PROJECT --data FILE --labels a,b"
    )


def _check_is_project(location: ProjectLocation) -> None:
    """Raise :class:`InputError` unless ``path`` is a SQLite file with hilt's ``meta`` table.

    Looks without writing: an empty file and a non-SQLite file are refused from their first
    bytes, and a SQLite file is read through a read-only connection, so that opening some
    other application's database by mistake leaves it exactly as it was.
    """
    path = location.path
    with open(path, "rb") as handle:
        header = handle.read(16)
    if header != b"SQLite format 3\x00":
        raise _not_a_project(location)
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:  # no meta table, or not a database after all
        found = None
    if found is None:
        raise _not_a_project(location)

"""The SQLAlchemy engine of a project file: SQLite in WAL mode, with explicit transactions.

Durability
----------
WAL mode with ``synchronous=FULL`` for every transaction that records something a person
did (an answer, an undo, an import): the commit fsyncs the write-ahead log before it returns,
so an answer acknowledged to a person survives a power cut, not just a process crash.
``synchronous=NORMAL`` in WAL mode survives a crash of the process (the commit is in the
OS's page cache, which outlives the process; ``tests/test_project_reliability.py`` kills a
labelling process with SIGKILL and finds every acknowledged answer), but the last commits
may be rolled back by a power cut or a kernel panic. For answers that is not good enough.

Serving an item (:meth:`hilt.store.Store.claim`) writes only a lease and two counters. Those
commit with ``synchronous=NORMAL`` (``write(engine, durable=False)``): losing them to a power
cut costs nothing (a lease that vanishes just frees its item early), the file cannot be
corrupted by it (WAL + NORMAL is corruption-safe), and the next durable commit fsyncs the log
up to and including them anyway. This halves the fsyncs of a labelling session: one per
answer, none per serve. ``bench/bench_project.py`` reports the fsync time of the disk beside
the latencies, since on a busy disk it is most of an answer's latency.

Transactions
------------
pysqlite's own transaction handling is switched off (``isolation_level=None``) and every
transaction begins with the statement its purpose needs: ``BEGIN`` for reads (WAL readers see
one snapshot and never block writers) and ``BEGIN IMMEDIATE`` for writes, which takes the
write lock up front. A deferred transaction that reads and then writes can fail with
"database is locked" without waiting, when another writer committed in between;
``BEGIN IMMEDIATE`` waits (up to ``busy_timeout``) instead, which is what makes a lease claim
safe between processes.

PostgreSQL
----------
A project may also live in a PostgreSQL database (``postgresql://user@host:port/db``; the
driver is psycopg 3). The store runs the same statements there with the same rule: a write
transaction first takes a transaction-scoped advisory lock (``pg_advisory_xact_lock``), so
writes to one project are serialized across every server process and host, exactly as
``BEGIN IMMEDIATE`` serializes them on one file; reads run in ``REPEATABLE READ`` snapshots and
never wait. A write that may be lost harmlessly (a lease) commits with
``synchronous_commit = off``; every other commit waits for the write-ahead log to be flushed.
Serialized writes are what keep "one item, one person" true without row-locking puzzles: a
serve is a few index probes (well under a millisecond of lock time), so one lock per project
carries thousands of serves per second, far more than any team sends.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

# The location's parser, re-exported here where it was first defined.
from hilt.store.location import DATABASE_SCHEMES, ProjectLocation, is_database_url

__all__ = ["BUSY_TIMEOUT_MS", "DATABASE_SCHEMES", "is_database_url", "make_engine", "read", "write"]

#: How long a writer waits for the write lock before "database is locked" (milliseconds).
BUSY_TIMEOUT_MS = 30_000

_BEGIN_OPTION = "hilt_begin"
_SYNC_OPTION = "hilt_synchronous"
#: The advisory lock every write to a PostgreSQL project takes (one project per database).
WRITE_LOCK_KEY = 0x68696C74  # "hilt"


def make_engine(location: ProjectLocation | Path | str) -> Engine:
    """An engine over the SQLite file at ``location`` or the PostgreSQL database it names; each
    thread checks out its own connection."""
    location = ProjectLocation.of(location)
    if location.is_database:
        return _postgres_engine(location.url)
    return _sqlite_engine(location.path)


def _postgres_engine(url: str) -> Engine:
    parsed = make_url(url).set(drivername="postgresql+psycopg")
    engine = create_engine(parsed, pool_size=8, max_overflow=24, pool_pre_ping=True,
                           connect_args={"connect_timeout": 10})

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get(_BEGIN_OPTION, "BEGIN") == "BEGIN":
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return
        if options.get(_SYNC_OPTION) == "NORMAL":
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")

    return engine


def _sqlite_engine(path: Path) -> Engine:
    engine = create_engine(
        URL.create("sqlite", database=str(path)),
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        pool_size=8,
        max_overflow=24,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - exercised always
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see module doc)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        begin = options.get(_BEGIN_OPTION, "BEGIN")
        if begin != "BEGIN":  # a write: choose its durability before it starts (see module doc)
            conn.exec_driver_sql(f"PRAGMA synchronous={options.get(_SYNC_OPTION, 'FULL')}")
        conn.exec_driver_sql(begin)

    return engine


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A read transaction: one consistent snapshot, never blocks and is never blocked."""
    with engine.connect() as conn:
        with conn.begin():
            yield conn


@contextmanager
def write(engine: Engine, *, durable: bool = True) -> Iterator[Connection]:
    """A write transaction holding the write lock from its first statement; commits on exit.

    ``durable=False`` commits without an fsync (``synchronous=NORMAL``): only for writes a
    power cut may lose harmlessly (see the module doc).
    """
    with engine.connect() as conn:
        conn = conn.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE",
                                         _SYNC_OPTION: "FULL" if durable else "NORMAL"})
        with conn.begin():
            yield conn

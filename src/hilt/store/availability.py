"""Which database errors mean "the project cannot be reached right now, retry" rather than a bug.

A face (the web server) answers those with "unavailable, retry" (HTTP 503) instead of a crash:
a PostgreSQL server restarting or failing over, the network to it down, a connection pool
exhausted, or a project file whose write lock another process held past the busy timeout. The
face asks here, so that only the store layer knows the database libraries and their errors.
"""

from __future__ import annotations

import sqlite3
from typing import Literal

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

try:  # the PostgreSQL driver (the postgres extra): its own errors escape from raw-cursor reads
    import psycopg
except ImportError:  # pragma: no cover - a SQLite-only install
    psycopg = None

__all__ = ["DATABASE_ERRORS", "unavailable"]

#: Every exception class a database call can raise (SQLAlchemy's, and the drivers' own where a
#: read goes to the driver directly): a face handles these, and asks :func:`unavailable`.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    DBAPIError, PoolTimeout, sqlite3.Error, *((psycopg.Error,) if psycopg is not None else ()))


def unavailable(error: BaseException) -> Literal["database", "file"] | None:
    """``"database"`` when ``error`` means the PostgreSQL database is unreachable for now,
    ``"file"`` when a project file is busy (locked by another process past the busy timeout),
    ``None`` for anything else (a bug, or a mistake a retry would repeat).

    Retryable: a lost or refused connection (SQLAlchemy marks it ``connection_invalidated``), a
    PostgreSQL ``OperationalError`` or ``InterfaceError`` (server restarting or shutting down,
    connection refused or broken, too many clients, a serialization failure), an exhausted
    connection pool, a locked SQLite file. Not retryable: SQLite's other ``OperationalError``
    (it raises that for bad SQL too) and every other database error.

    Examples
    --------
    >>> unavailable(sqlite3.OperationalError("database is locked"))
    'file'
    >>> unavailable(sqlite3.OperationalError("no such table: items")) is None
    True
    >>> unavailable(OperationalError("SELECT 1", {}, ConnectionRefusedError("refused")))
    'database'
    >>> unavailable(ValueError("not a database error")) is None
    True
    """
    original = getattr(error, "orig", None) or error  # SQLAlchemy wraps the driver's error
    if isinstance(original, sqlite3.Error):
        message = str(original).lower()
        locked = isinstance(original, sqlite3.OperationalError) and ("locked" in message or "busy" in message)
        return "file" if locked else None
    if isinstance(error, (PoolTimeout, OperationalError, InterfaceError)):
        return "database"
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return "database"
    if psycopg is not None and isinstance(original, (psycopg.OperationalError, psycopg.InterfaceError)):
        return "database"
    return None

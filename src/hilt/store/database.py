"""A project in a PostgreSQL database: connecting with a clear error, finding and replacing one.

One database holds one project (its tables are the same as a project file's). The URL is
``postgresql://user[:password]@host[:port]/database``; every message names the host, port,
database and user, never the password.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from hilt.errors import InputError

__all__ = [
    "check_connection", "database_folder_name", "describe_url", "drop_project_tables", "has_project_tables",
    "hilt_named_tables", "parse_url", "url_without_password",
]

#: hilt's tables, dropped in this order when a project is replaced.
TABLES = ("items_search", "undos", "leases", "queue", "model_runs", "suggestions", "answers", "annotators", "items", "meta")


#: URL query parameters that carry a secret (libpq reads ``?password=``).
_SECRET_PARAMETERS = ("password",)


def parse_url(url: str) -> Any:
    """SQLAlchemy's reading of a database URL; an :class:`InputError` that does not repeat the
    URL (it may hold a password) when it cannot be read."""
    try:
        return make_url(url)
    except Exception:
        raise InputError(
            "Expected a PostgreSQL URL like postgresql://USER:PASSWORD@HOST:PORT/DATABASE (the port a number, "
            "special characters in the password %-encoded, e.g. @ as %40); the URL given cannot be read."
        ) from None


def url_without_password(url: str) -> str:
    """The URL as a person may copy it from the screen: no password, in the userinfo or the query.

    Examples
    --------
    >>> url_without_password("postgresql://ana:s3cret@db.example:5433/labels?password=s3cret&sslmode=require")
    'postgresql://ana@db.example:5433/labels?sslmode=require'
    """
    parsed = parse_url(url)
    query = {key: value for key, value in parsed.query.items() if key not in _SECRET_PARAMETERS}
    bare = URL.create(parsed.drivername, parsed.username, None, parsed.host, parsed.port, parsed.database, query)
    return bare.render_as_string(hide_password=False)


def describe_url(url: str) -> str:
    """``user@host:port/database`` of a URL, without its password.

    Examples
    --------
    >>> describe_url("postgresql://ana:secret@db.example:5433/labels")
    'ana@db.example:5433/labels'
    >>> describe_url("postgresql://localhost/labels")
    'localhost:5432/labels'
    """
    parsed = make_url(url)
    user = f"{parsed.username}@" if parsed.username else ""
    return f"{user}{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


def database_folder_name(url: str) -> str:
    """A folder name for what a host keeps of the project in this database (``host-port-db``).

    Examples
    --------
    >>> database_folder_name("postgresql://ana:pw@db.example:5433/labels")
    'db.example-5433-labels'
    """
    parsed = make_url(url)
    name = f"{parsed.host or 'localhost'}-{parsed.port or 5432}-{parsed.database or ''}"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def check_connection(engine: Engine, url: str) -> None:
    """Connect once; a failure becomes an :class:`InputError` that says where and why."""
    parsed = make_url(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError) as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0] if str(error) else type(error).__name__
        if parsed.password:
            reason = reason.replace(parsed.password, "***")
        raise InputError(
            f"Expected a PostgreSQL server at {parsed.host or 'localhost'}, port {parsed.port or 5432}, "
            f"with the database {parsed.database!r} (user {parsed.username!r}); connecting failed: {reason}. "
            "Check the host, port, database name, user and password in the URL "
            "(postgresql://USER:PASSWORD@HOST:PORT/DATABASE), and that the database exists."
        ) from None


def has_project_tables(engine: Engine) -> bool:
    """Whether the database already holds a hilt project (its ``meta`` table)."""
    return inspect(engine).has_table("meta")


def hilt_named_tables(engine: Engine) -> list[str]:
    """Tables of the database named like one of hilt's (a project's, or another application's)."""
    existing = set(inspect(engine).get_table_names())
    return [table for table in TABLES if table in existing]


def drop_project_tables(engine: Engine) -> None:
    """Drop a project's tables (for ``create(..., exist_ok=True)``), all in one transaction."""
    with engine.begin() as conn:
        for table in TABLES:
            conn.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))

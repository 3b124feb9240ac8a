"""What is at a :class:`~hilt.store.location.ProjectLocation`: whether a project is there, and
removing one (the file and SQLite's side files, or the project's tables; and the cache folder).

Apart from :mod:`hilt.store.location` because both need a connection to a database, which
parsing a location never does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from hilt.store import database
from hilt.store.engine import make_engine
from hilt.store.location import SQLITE_SIDE_FILES, ProjectLocation

__all__ = ["drop_project", "has_project"]


def has_project(location: ProjectLocation) -> bool:
    """Whether something is there that creating a project would replace: a file at the path,
    or a hilt project's tables in the database (this connects to it).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> has_project(ProjectLocation.of(folder / "p.hilt"))
    False
    >>> (folder / "p.hilt").write_text("x") and has_project(ProjectLocation.of(folder / "p.hilt"))
    True
    """
    if not location.is_database:
        return location.path.exists()
    engine = make_engine(location)
    try:
        return database.has_project_tables(engine)
    finally:
        engine.dispose()


def drop_project(location: ProjectLocation) -> None:
    """Remove the project at ``location``: the file and SQLite's side files, or the project's
    tables (the database itself stays); and its cache folder."""
    if location.is_database:
        engine = make_engine(location)
        try:
            database.drop_project_tables(engine)
        finally:
            engine.dispose()
    else:
        for extra in ("", *SQLITE_SIDE_FILES):
            Path(str(location.path) + extra).unlink(missing_ok=True)
    shutil.rmtree(location.cache_folder, ignore_errors=True)

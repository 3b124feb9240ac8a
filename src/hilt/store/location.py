"""Where a project is: :class:`ProjectLocation`, a project file or a PostgreSQL database URL.

A location is parsed once, where it comes in (``Project.create`` / ``Project.open``, a CLI
argument, :class:`hilt.store.Store`), and passed down as this value: nothing below asks again
whether a string is a URL. It knows how a message names the project (never with a password),
where the project's rebuildable files go (its cache folder). What needs a connection is one
layer up, so that parsing a location imports no database code: the engine
(:func:`hilt.store.engine.make_engine`), whether a project is there and dropping one
(:mod:`hilt.store.existing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Union

from hilt import settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["DATABASE_SCHEMES", "ProjectLocation", "is_database_url"]

#: The URL schemes of a PostgreSQL project.
DATABASE_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")

#: Files SQLite keeps beside a project file (its write-ahead log, shared memory, rollback journal).
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def is_database_url(location: object) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a project file: the one
    place a location string is read (:meth:`ProjectLocation.of`).

    Examples
    --------
    >>> is_database_url("postgresql://ana@db.example:5432/labels"), is_database_url("labels.hilt")
    (True, False)
    """
    return isinstance(location, str) and location.startswith(DATABASE_SCHEMES)


@dataclass(frozen=True)
class ProjectLocation:
    """A project file (``target`` a :class:`~pathlib.Path`) or database (``target`` the URL string).

    Examples
    --------
    >>> from pathlib import Path
    >>> from hilt.store.location import ProjectLocation
    >>> here = ProjectLocation.of("reviews.hilt")
    >>> here.is_database, here.target, here.display, here.cache_folder
    (False, PosixPath('reviews.hilt'), 'reviews.hilt', PosixPath('reviews.hilt.d'))
    >>> there = ProjectLocation.of("postgresql://ana:s3cret@db.example:5433/labels")
    >>> there.is_database, there.display, there.cache_folder.name
    (True, 'ana@db.example:5433/labels', 'db.example-5433-labels')
    >>> ProjectLocation.of(there) is there
    True
    """

    #: The file's path, or the database's URL exactly as given (it may hold a password).
    target: Union[Path, str]

    @classmethod
    def of(cls, value: "str | Path | ProjectLocation") -> "ProjectLocation":
        """``value`` parsed: a location as it is, a database URL as a URL, anything else a path."""
        if isinstance(value, ProjectLocation):
            return value
        return cls(str(value)) if is_database_url(value) else cls(Path(value))

    @property
    def is_database(self) -> bool:
        """A PostgreSQL database rather than a project file."""
        return isinstance(self.target, str)

    @property
    def path(self) -> Path:
        """The project file's path (a database has none: :class:`TypeError`)."""
        if isinstance(self.target, str):
            raise TypeError("A project in a database has no file path.")
        return self.target

    @property
    def url(self) -> str:
        """The database URL (a project file has none: :class:`TypeError`)."""
        if not isinstance(self.target, str):
            raise TypeError("A project file has no database URL.")
        return self.target

    @property
    def display(self) -> str:
        """How messages and ``repr`` name the project: the file's path, or ``user@host:port/db``
        (:func:`hilt.store.database.describe_url`): never a password."""
        if isinstance(self.target, str):
            from hilt.store.database import describe_url

            return describe_url(self.target)
        return str(self.target)

    @property
    def cache_folder(self) -> Path:
        """The folder that holds a project's rebuildable files: ``reviews.hilt.d`` beside a project
        file; for a project in a PostgreSQL database, a folder of this host's own under
        ``$HILT_CACHE_DIR`` (default ``~/.cache/hilt``) named after the database. Servers on other
        hosts keep their own copies: nothing in it has to be shared, everything is rebuilt from the
        database when it is missing or stale (the cache key holds the project's uid and item count)."""
        if isinstance(self.target, str):
            from hilt.store.database import database_folder_name

            root = settings.CACHE_DIR.read()
            return root / database_folder_name(self.target)
        return self.target.with_name(self.target.name + ".d")

    def __str__(self) -> str:
        return str(self.target)

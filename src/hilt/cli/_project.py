"""The PROJECT argument every command takes: a project file or a PostgreSQL database URL.

Commands take PROJECT as a plain string and parse it once with :func:`project_location` into a
:class:`~hilt.store.location.ProjectLocation` (a file path or a database URL), which everything
below takes as it is: a ``Path`` argument would mangle a URL (pathlib folds ``postgresql://``
into ``postgresql:/``). Messages name a project with :func:`display_location` (a URL loses its
password) and commands a person may copy with :func:`quoted` (shell-quoted as well).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from hilt import settings
from hilt.errors import InputError
from hilt.store.database import parse_url, url_without_password
from hilt.store.location import ProjectLocation

__all__ = ["PROJECT_HELP", "SCHEDULER_HELP", "default_scheduler", "display_location", "open_project",
           "project_location", "quoted", "short_name"]

#: The help text of a PROJECT argument naming an existing project.
PROJECT_HELP = "The project file (e.g. reviews.hilt) or PostgreSQL URL (postgresql://USER@HOST:PORT/DATABASE)."

#: The help text of ``--scheduler`` (init, label, serve, retrain, label-issues).
SCHEDULER_HELP = (
    "Dask scheduler that builds features and scores the pool, e.g. tcp://10.0.0.5:8786 "
    "(default: $HILT_DASK_SCHEDULER, else this machine; see the docs, how-to \"Dask\")."
)



def project_location(value: str) -> ProjectLocation:
    """A command's PROJECT parsed once: the URL of a PostgreSQL database as given, anything else
    as a file path.

    Examples
    --------
    >>> from hilt.cli._project import project_location
    >>> project_location("reviews.hilt")
    ProjectLocation(target=PosixPath('reviews.hilt'))
    >>> project_location("postgresql://ana@db.example:5432/labels").url
    'postgresql://ana@db.example:5432/labels'
    >>> project_location("mysql://ana@db.example/labels")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected a project file or a PostgreSQL URL (...); got a mysql:// URL, ...
    """
    location = ProjectLocation.of(value)
    if location.is_database:
        _parse(location.url)  # a malformed URL is reported here, not as a driver's traceback
        return location
    scheme, sep, _ = value.partition("://")
    if sep and scheme.replace("+", "").isalnum():  # another database's URL, not a file name
        raise InputError(
            "Expected a project file or a PostgreSQL URL (postgresql://USER:PASSWORD@HOST:PORT/DATABASE); "
            f"got a {scheme}:// URL, which hilt cannot keep a project in."
        )
    return location


def display_location(location: ProjectLocation | Path | str) -> str:
    """How messages name a project: the file's path, or the database URL without its password
    (a person copies it from the screen; the password stays in their shell history or PGPASSWORD).

    Examples
    --------
    >>> from pathlib import Path
    >>> from hilt.cli._project import display_location
    >>> display_location("postgresql://ana:s3cret@db.example:5433/labels?password=s3cret&sslmode=require")
    'postgresql://ana@db.example:5433/labels?sslmode=require'
    >>> display_location(Path("reviews.hilt"))
    'reviews.hilt'
    """
    location = ProjectLocation.of(location)
    if not location.is_database:
        return str(location)
    return url_without_password(location.url)


def quoted(location: ProjectLocation | Path | str) -> str:
    """:func:`display_location`, quoted for a shell command line (``hilt label 'my reviews.hilt'``).

    Examples
    --------
    >>> from hilt.cli._project import quoted
    >>> quoted("postgresql://ana:pw@db/labels?sslmode=require")
    "'postgresql://ana@db/labels?sslmode=require'"
    """
    return shlex.quote(display_location(location))


def short_name(location: ProjectLocation | Path | str) -> str:
    """A project's name in a title: the file's name, or ``database@host:port`` for a URL.

    Examples
    --------
    >>> from pathlib import Path
    >>> from hilt.cli._project import short_name
    >>> short_name(Path("data/reviews.hilt")), short_name("postgresql://ana:pw@db.example/labels")
    ('reviews.hilt', 'labels@db.example:5432')
    """
    location = ProjectLocation.of(location)
    if not location.is_database:
        return location.path.name
    parsed = _parse(location.url)
    return f"{parsed.database or ''}@{parsed.host or 'localhost'}:{parsed.port or 5432}"


def _parse(url: str):
    return parse_url(url)


def default_scheduler() -> str | None:
    """The scheduler ``--scheduler`` defaults to: ``$HILT_DASK_SCHEDULER`` (read, never contacted),
    else ``None``.

    Examples
    --------
    >>> import os
    >>> from hilt.cli._project import default_scheduler
    >>> os.environ.pop("HILT_DASK_SCHEDULER", None) and None
    >>> default_scheduler() is None
    True
    """
    return settings.DASK_SCHEDULER.read()


def open_project(location: ProjectLocation, *, scheduler: str | None = None, cluster: bool = True) -> Any:
    """Open the project at ``location`` (from :func:`project_location`) for a command.

    ``cluster=True`` (``hilt label``, ``hilt serve``, ``hilt retrain``, ``hilt label-issues``):
    its features and scores are on the Dask scheduler ``scheduler`` (``--scheduler``), else on
    ``$HILT_DASK_SCHEDULER``'s, else in this process; a scheduler that cannot be reached is an
    :class:`~hilt.errors.InputError` (exit code 2) within ``$HILT_DASK_TIMEOUT`` seconds.

    ``cluster=False``, for the commands that never retrain nor rank (import, export, config,
    annotators): ``$HILT_DASK_SCHEDULER`` is not read, so that such a command neither waits for
    the cluster nor fails when it is down.
    """
    from hilt.project import Project

    return Project.open(location, scheduler=scheduler if cluster else False)

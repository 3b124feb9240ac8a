"""Labelling projects: a SQLite file or a PostgreSQL database, a ranked queue, and a background
retrain worker.

:class:`Project` is the library the CLI and the web server are thin faces over; :class:`Item`
is what they show. :class:`Project` (:mod:`hilt.project.core`) is a facade over services with
one job each: :mod:`~hilt.project.labelling` (queue, leases, answers, undo, history),
:mod:`~hilt.project.team` (annotators, roles, tokens; the rules in
:mod:`~hilt.project.annotators`), :mod:`~hilt.project.training` (features, the retrain worker
of :mod:`~hilt.project.worker` and the Dask job of :mod:`~hilt.project.cluster`, model fits),
:mod:`~hilt.project.quality` (agreement, label issues, review), :mod:`~hilt.project.configuration`
(settings and shown columns), :mod:`~hilt.project.item_import` and :mod:`~hilt.project.export`;
:mod:`~hilt.project.creation` makes and opens projects, :mod:`~hilt.project.status` reads the
status (also without opening a project), :mod:`~hilt.project.features` caches the feature matrix.
Where a project is, a file or a database, is a :class:`hilt.store.location.ProjectLocation`.
"""

from typing import Any

from hilt.project.item import Item

__all__ = ["Item", "Project"]


def __getattr__(name: str) -> Any:
    # Project pulls in pandas and scikit-learn (about two seconds): loaded on first use, so that
    # hilt.project.status (``hilt status``) and the store stay quick to import.
    if name == "Project":
        from hilt.project.core import Project

        return Project
    raise AttributeError(f"module 'hilt.project' has no attribute {name!r}")

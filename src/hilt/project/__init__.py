"""Labelling projects: one SQLite file, a ranked queue, and a background retrain worker.

:class:`Project` is the library the CLI and the web server are thin faces over; :class:`Item`
is what they show. The parts: :mod:`hilt.project.core` (the project), :mod:`~hilt.project.worker`
(retraining), :mod:`~hilt.project.features` (the cached feature matrix),
:mod:`~hilt.project.export` and :mod:`~hilt.project.annotators`.
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

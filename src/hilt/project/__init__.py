"""Labelling projects: one SQLite file, a ranked queue, and a background retrain worker.

:class:`Project` is the library the CLI and the web server are thin faces over; :class:`Item`
is what they show. The parts: :mod:`hilt.project.core` (the project), :mod:`~hilt.project.worker`
(retraining), :mod:`~hilt.project.features` (the cached feature matrix),
:mod:`~hilt.project.export` and :mod:`~hilt.project.annotators`.
"""

from hilt.project.core import Project
from hilt.project.item import Item

__all__ = ["Item", "Project"]

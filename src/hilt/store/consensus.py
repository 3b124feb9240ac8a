"""The final label of a single-label item: kept importable here; the rule itself belongs to the
task layer (:func:`hilt.tasks.single.final_labels`; every task brings its own rule, see
:meth:`hilt.tasks.base.Task.final_answers`).

Training, ``status()``, ``label_issues`` and the default export all read final answers through
the project's task (:meth:`hilt.store.Store.decisions`), so there is one answer to "what is this
item's label".
"""

from __future__ import annotations

from hilt.tasks.base import ANNOTATE, REVIEW, Decision
from hilt.tasks.single import final_labels

__all__ = ["ANNOTATE", "REVIEW", "Decision", "final_labels"]

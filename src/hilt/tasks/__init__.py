"""Tasks: what an answer is. The ONLY place a task's shape is known.

A task (:class:`~hilt.tasks.base.Task`) says how an answer is checked, stored (one string in
the project, ``None`` for a skip), decoded for the faces, combined over several people into a
final answer, which model it trains by default, how that model is evaluated, how an answer is
imported and exported, and which widget the page and the terminal show.

* ``single``: one label per item (every project made before tasks existed is one);
* ``multilabel``: a set of labels per item; ``[]`` is "none of these";
* ``spans``: labelled stretches of an item's text (named entities), as code-point offsets;
  ``[]`` is "nothing to mark".

Examples
--------
>>> from hilt.tasks import TASKS, get_task
>>> TASKS
('single', 'multilabel', 'spans')
>>> task = get_task("multilabel")
>>> rows = [(7, 1, "ada", task.encode(("a", "b"), "abc"), "annotate"),
...         (7, 2, "bob", task.encode(("b",), "abc"), "annotate")]
>>> task.decode(task.final_answers(rows, "abc")[7].label, "abc")   # a tie on "a": ada was first
['a', 'b']
"""

from hilt.tasks.base import ANNOTATE, REVIEW, Decision, Evaluation, Task
from hilt.tasks.registry import DEFAULT_TASK, DESCRIPTIONS, TASKS, check_task, get_task

__all__ = ["ANNOTATE", "DEFAULT_TASK", "DESCRIPTIONS", "Decision", "Evaluation", "REVIEW", "TASKS", "Task",
           "check_task", "get_task"]

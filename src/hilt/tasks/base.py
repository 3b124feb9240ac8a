"""What every task says, as one protocol: :class:`Task`; and the :class:`Decision` a final-answer
rule returns.

A task knows the shape of an answer and nothing else knows it: the store keeps the encoded
answer (one string, or NULL for a skip) in ``answers.label``; the project checks an answer,
decodes it for every face, combines several people's answers into a final answer, trains the
task's default model on the decoded answers and evaluates it with the task's metric, all
through the project's task (:func:`hilt.tasks.get_task`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable, Iterable, Protocol, Sequence, runtime_checkable

__all__ = ["ANNOTATE", "REVIEW", "AnswerRow", "Decision", "Evaluation", "Task"]

#: The role of an ordinary answer.
ANNOTATE = "annotate"
#: The role of a reviewer's decision.
REVIEW = "review"

#: ``(item, order, annotator, stored answer, role)``: a current, non-skip answer as the
#: final-answer rules read it (``order`` increases with time: the answer's row id).
AnswerRow = tuple[Hashable, int, str, str, str]


@dataclass(frozen=True)
class Decision:
    """How an item's final answer came about.

    ``label``: the final answer, encoded as the store keeps it (a label for ``single``, a JSON
    array for ``multilabel``); ``order``: the position (answer id) of the answer that decided it
    (the review, else the earliest vote for it); ``reviewed``: a review decided it; ``votes``:
    encoded answer -> number of annotators whose latest answer it is.
    """

    label: str
    order: int
    reviewed: bool
    votes: dict[str, int]

    @property
    def disagreement(self) -> bool:
        """Annotators gave more than one answer (whether or not a review settled it)."""
        return len(self.votes) > 1


@dataclass(frozen=True)
class Evaluation:
    """A model measured on the evaluation sample by a task's metric.

    ``value``: the headline figure (``metric``: ``accuracy`` for ``single``, ``micro_f1`` for
    ``multilabel``); ``n``: evaluation items; ``ci``: its 95 % interval or ``None`` (the
    project computes the Wilson interval of an accuracy itself); ``metrics``: every figure the
    task reports, name -> ``{"value", "ci"}`` (empty for ``single``, whose runs keep only
    the accuracy, as they always have).
    """

    metric: str
    value: float | None
    n: int
    ci: list[float] | None
    metrics: dict[str, dict[str, Any]]


@runtime_checkable
class Task(Protocol):
    """One kind of answer: its shape, storage, final-answer rule, model, metric and widget.

    Attributes
    ----------
    name : str
        The registry name (``single``, ``multilabel``, ``spans``), kept in the project's meta as ``task``.
    widget : str
        What the labelling page and the terminal show: ``choice`` (one key per label),
        ``toggles`` (keys switch labels on and off, Enter submits) or ``spans`` (stretches of
        the text marked with a label).
    multilabel : bool
        An answer is a set of labels.
    metric : str
        The headline figure of :meth:`evaluate` (``accuracy``, ``micro_f1``, ``entity_f1``).
    needs_text : bool
        An answer is checked against the item's text (``spans``: offsets into it), so the
        project passes ``text=`` to :meth:`check_answer`.
    """

    name: str
    widget: str
    multilabel: bool
    metric: str
    needs_text: bool

    def check_answer(self, answer: Any, labels: Sequence[str], text: str | None = None) -> Any:
        """The answer in its canonical form (``None``: a skip), or an
        :class:`~hilt.errors.InputError` that says what was expected and what came
        (``text``: the item's text, given when :attr:`needs_text`)."""

    def encode(self, answer: Any, labels: Sequence[str]) -> str | None:
        """A canonical answer as the store keeps it (``None`` for a skip)."""

    def decode(self, stored: str | None, labels: Sequence[str]) -> Any:
        """A stored answer as faces get it back (``None`` for a skip)."""

    def final_answers(self, rows: Iterable[AnswerRow], labels: Sequence[str]) -> dict[Hashable, Decision]:
        """Final answer per item from current non-skip answers (a review wins)."""

    def counted_labels(self, stored: str, labels: Sequence[str]) -> list[str]:
        """The labels an item's final answer counts under in ``status()["by_label"]``."""

    def make_model(self, estimator: Any, labels: Sequence[str]) -> Any:
        """The task's model over ``estimator`` (fitted on decoded answers)."""

    def uncertainty(self, probs: Any, method: str) -> Any:
        """The uncertainty shown beside a served item, per row of the model's ``probs`` (in [0, 1])."""

    def guesses(self, model: Any, probs: Any, labels: Sequence[str], rows: Any = None) -> list[str | None]:
        """The model's guess per row of ``probs``, encoded as the queue keeps it (``rows``: the
        model input rows ``probs`` came from; ``spans`` predicts from them, the others ignore them)."""

    def evaluate(self, truth: Sequence[Any], predicted: Sequence[Any], labels: Sequence[str], *,
                 seed: int = 0) -> Evaluation:
        """The model's figures on the evaluation sample (decoded answers in, :class:`Evaluation` out)."""

    def import_value(self, value: Any, labels: Sequence[str], *, separator: str | None, where: str) -> str | None:
        """A label-column cell as the store keeps it (``None``: no label), or an ``InputError``
        naming ``where``."""

    def export_value(self, answer: Any, *, format: str, separator: str) -> Any:
        """A decoded answer as an export column holds it in ``format`` (``jsonl``, ``csv``, ``parquet``)."""

    def rename(self, stored: str, old: str, new: str, labels: Sequence[str]) -> str:
        """A stored answer with label ``old`` renamed ``new`` (``labels``: the new label order)."""

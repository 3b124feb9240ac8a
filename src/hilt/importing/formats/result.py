"""What every format reader returns: :class:`Interchange`, the items of a file with the
annotations people made and the predictions a model made, in a shape no task knows yet.

An annotation or prediction holds the labels chosen (``choices``: a classification, one label or
several) and/or the spans marked (``spans``: ``{"start", "end", "label"}`` with code-point
offsets into the item's text); the project turns them into answers of its task
(:mod:`hilt.project.format_import`). ``verdict`` keeps what the tool said of the annotation:
``accept`` (an answer), ``reject`` (Prodigy's red button: "this is wrong") or ``ignore`` (a skip).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["VERDICTS", "Annotation", "FormatItem", "Interchange", "Prediction"]

#: What a tool may say of an annotation.
VERDICTS = ("accept", "reject", "ignore")


@dataclass(frozen=True)
class FormatItem:
    """One item: its id (a string) and its data (``text`` and any other fields)."""

    id: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Annotation:
    """One person's annotation of an item.

    ``choices``: the labels chosen (``None``: the annotation chose none, e.g. a spans task);
    ``spans``: the spans marked (``None``: none given); ``verdict``: ``accept``, ``reject`` or
    ``ignore``; ``label``: the one label a binary (accept/reject) question was about;
    ``where``: the place in the file, for messages (``line 3``, ``task 2``).
    """

    item_id: str
    annotator: str
    choices: tuple[str, ...] | None = None
    spans: tuple[dict, ...] | None = None
    verdict: str = "accept"
    label: str | None = None
    where: str = ""


@dataclass(frozen=True)
class Prediction:
    """A model's prediction for an item (a pre-annotation): what it chose or marked, its
    ``score`` (or ``None``) and the ``model_version`` that made it (or ``None``)."""

    item_id: str
    choices: tuple[str, ...] | None = None
    spans: tuple[dict, ...] | None = None
    score: float | None = None
    model_version: str | None = None
    where: str = ""


@dataclass
class Interchange:
    """A file read by one of the format readers (:func:`hilt.importing.formats.read_format`).

    ``declared_labels``: labels the file declares whether or not anyone used them (a Hugging
    Face ``ClassLabel``'s names, Prodigy's ``options``), else ``None``.

    Examples
    --------
    >>> found = Interchange("prodigy", [FormatItem("1", {"text": "hi"})],
    ...                     [Annotation("1", "ada", choices=("pos",))], [Prediction("1", choices=("neg",))])
    >>> found.labels(), found.has_spans, found.most_choices
    (['pos', 'neg'], False, 1)
    """

    format: str
    items: list[FormatItem]
    annotations: list[Annotation] = field(default_factory=list)
    predictions: list[Prediction] = field(default_factory=list)
    declared_labels: list[str] | None = None

    def labels(self) -> list[str]:
        """The labels the file names: its declared labels, then every label an annotation or a
        prediction uses, in the order first seen."""
        seen: dict[str, None] = dict.fromkeys(self.declared_labels or [])
        for entry in [*self.annotations, *self.predictions]:
            for label in entry.choices or ():
                seen.setdefault(label)
            for span in entry.spans or ():
                seen.setdefault(span["label"])
            if isinstance(entry, Annotation) and entry.label is not None:
                seen.setdefault(entry.label)
        return list(seen)

    @property
    def has_spans(self) -> bool:
        """Some annotation or prediction marks spans."""
        return any(entry.spans is not None for entry in [*self.annotations, *self.predictions])

    @property
    def most_choices(self) -> int:
        """The most labels one annotation or prediction chose (2 or more: a multi-label file)."""
        return max((len(entry.choices) for entry in [*self.annotations, *self.predictions]
                    if entry.choices is not None), default=0)

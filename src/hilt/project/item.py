"""What a labelling face (terminal, web page) is handed to show: :class:`Item`."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Item"]


@dataclass(frozen=True)
class Item:
    """One item to label.

    Attributes
    ----------
    id : str
        The item's stable key: its id column value, else its row number as text.
    data : dict
        The row, JSON-able: ``{"text": ..., <other columns>}`` for text items (the text column
        is stored under ``"text"`` whatever its name in the file; another column called ``text`` is
        then kept as ``other_text``), ``{column: value}`` for table rows.
    is_eval : bool
        Part of the random evaluation sample (never trained on; it measures accuracy).
    guess : str, list of str, or None
        The current model's most probable label (a multi-label project's: its predicted set, the
        labels with probability at least 0.5, in label order): on the ranked items and on the evaluation
        items served next alike, so that whether an item has a guess never says whether it is
        an evaluation item. ``None`` before the first model, with the ``random`` strategy (no
        ranking), and for items served from outside the ranking. The faces show it only after
        the person answered, so it never sways an answer (least of all one that measures the
        model).
    uncertainty : float or None
        The strategy's score in [0, 1], 1 = most uncertain (``None`` when ``guess`` is).
    tokens : list of (int, int) or None
        A spans project's item: the text's tokens as code-point ``(start, end)`` offsets
        (:func:`hilt.tasks.spans_text.tokenize`), what the page's cursor moves over and the
        model labels; ``None`` for the other tasks.
    suggest : bool
        A spans project's item: the face pre-fills ``guess`` (the model's spans) for the person
        to accept or correct. False on every evaluation item (the spans that measure the model
        are marked without its help) and, so that an item served without suggestions is not
        known to be an evaluation item, on a random share of the other items as large as the
        evaluation share (:func:`hilt.project.labelling.suggests`). Always False for the other
        tasks, whose faces show the guess only after the answer.
    suggestion : str, list, or None
        Another model's prediction imported for the item (:meth:`hilt.Project.import_suggestions`),
        as :meth:`hilt.Project.answer` takes it (a label; a list of labels for ``multilabel``; of
        spans for ``spans``). Unlike ``guess`` the faces show it *before* the answer, marked as
        suggested by ``suggestion_source``, and accept it with one key. ``None`` on every
        evaluation item and, by the same rule as ``suggest``, on a share of the other items as
        large as the evaluation share, so that an item without one is not known to be an
        evaluation item.
    suggestion_score : float or None
        The suggesting model's confidence in [0, 1], when it gave one.
    suggestion_source : str or None
        The suggesting model's name (the ``source`` it was imported under).

    Examples
    --------
    >>> from hilt.project import Item
    >>> Item(id="7", data={"text": "a fine film"}, is_eval=False)
    Item(id='7', data={'text': 'a fine film'}, is_eval=False, guess=None, uncertainty=None)
    """

    id: str
    data: dict
    is_eval: bool
    guess: str | list[str] | list[dict] | None = None
    uncertainty: float | None = None
    tokens: list[tuple[int, int]] | None = field(default=None, repr=False)
    suggest: bool = field(default=False, repr=False)
    suggestion: str | list[str] | list[dict] | None = field(default=None, repr=False)
    suggestion_score: float | None = field(default=None, repr=False)
    suggestion_source: str | None = field(default=None, repr=False)

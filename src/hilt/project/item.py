"""What a labelling face (terminal, web page) is handed to show: :class:`Item`."""

from __future__ import annotations

from dataclasses import dataclass

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

    Examples
    --------
    >>> from hilt.project import Item
    >>> Item(id="7", data={"text": "a fine film"}, is_eval=False)
    Item(id='7', data={'text': 'a fine film'}, is_eval=False, guess=None, uncertainty=None)
    """

    id: str
    data: dict
    is_eval: bool
    guess: str | list[str] | None = None
    uncertainty: float | None = None

"""Which of an item's columns annotators see: :class:`Display`.

A column may hold what the annotator is asked for (a label column imported as data, say a
``target`` of ``malignant``/``benign``). Such columns are hidden unless the project's creator
asked to show them, and the filtering happens here, in the project layer, so that every face
(terminal, web page) shows the same columns without knowing why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from hilt.errors import InputError

__all__ = ["Display"]


@dataclass(frozen=True)
class Display:
    """Shown columns (``mode="show"``: only ``names``) or hidden ones (``mode="hide"``).

    ``always`` is never hidden (the text of text items). Projects made before this setting
    existed show everything (``Display("hide", ())``).

    Examples
    --------
    >>> from hilt.project.display import Display
    >>> display = Display("hide", ("target",), always=("text",))
    >>> display.filter({"text": "a lump", "target": "benign", "age": 50})
    {'text': 'a lump', 'age': 50}
    >>> display.visible(["text", "target", "age"])
    ['text', 'age']
    >>> Display("show", ("age",), always=("text",)).visible(["text", "target", "age"])
    ['text', 'age']
    """

    mode: str = "hide"
    names: tuple[str, ...] = ()
    always: tuple[str, ...] = ()

    def shows(self, name: str) -> bool:
        if name in self.always:
            return True
        return (name in self.names) == (self.mode == "show")

    def filter(self, data: dict) -> dict:
        """``data`` without the hidden columns (the same dict when nothing is hidden)."""
        if self.mode == "hide" and not self.names:
            return data
        return {k: v for k, v in data.items() if self.shows(k)}

    def visible(self, columns: Sequence[str]) -> list[str]:
        """The ``columns`` annotators see, in their order."""
        return [c for c in columns if self.shows(c)]

    def never(self, name: str) -> "Display":
        """This display with ``name`` never shown (the items' own vectors: data, not reading).

        Examples
        --------
        >>> Display("show", ("emb", "title")).never("emb").visible(["emb", "title"])
        ['title']
        """
        if self.mode == "show":
            return Display("show", tuple(n for n in self.names if n != name), self.always)
        return Display("hide", tuple(dict.fromkeys((*self.names, name))), self.always)

    def to_meta(self) -> dict[str, Any]:
        return {"mode": self.mode, "names": list(self.names), "always": list(self.always)}

    @classmethod
    def from_meta(cls, value: Mapping[str, Any] | None) -> "Display":
        if not value:
            return cls()
        return cls(str(value["mode"]), tuple(value.get("names") or ()), tuple(value.get("always") or ()))

    @classmethod
    def choose(
        cls,
        columns: Mapping[str, str],
        *,
        always: Sequence[str],
        label_like: Sequence[str],
        show: Sequence[str] | None,
        hide: Sequence[str] | None,
    ) -> "Display":
        """The display of a new project.

        ``columns`` maps each column name in the data file to the key it is stored under
        (the text column is stored as ``"text"``); ``show``/``hide`` name columns either way.
        Without ``show``, the ``label_like`` columns are hidden as well as ``hide``.
        """
        if show is not None and hide is not None:
            raise InputError(
                "Expected either columns to show (--show-columns, show_columns=) or columns to hide "
                "(--hide-columns, hide_columns=), not both."
            )
        keys = set(columns.values())

        def stored(names: Sequence[str], option: str) -> list[str]:
            if isinstance(names, str) or not all(isinstance(n, str) for n in names):
                raise InputError(f"Expected {option} as a list of column names; got {names!r}.")
            unknown = [n for n in names if n not in columns and n not in keys]
            if unknown:
                raise InputError(
                    f"Expected {option} to name item columns; {', '.join(map(repr, unknown))} "
                    f"{'is' if len(unknown) == 1 else 'are'} not among them (the item columns are: "
                    f"{', '.join(columns)}; the id and label columns are never shown as data)."
                )
            return [columns.get(n, n) for n in names]

        if show is not None:
            return cls("show", tuple(dict.fromkeys(stored(show, "the columns to show"))), tuple(always))
        hidden = stored(hide or [], "the columns to hide")
        if any(k in always for k in hidden):
            raise InputError("Expected the columns to hide to leave the text: annotators always see the text.")
        hidden += [columns[c] for c in label_like]
        return cls("hide", tuple(dict.fromkeys(hidden)), tuple(always))

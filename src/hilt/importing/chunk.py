"""A chunk of items as read from the input, before any check: the frame, and where each row
came from, so that every message can point at the line (or row) it is about.

Below :mod:`hilt.importing.kinds`, :mod:`~hilt.importing.checks`, :mod:`~hilt.importing.ids`
and :mod:`~hilt.importing.readers`, which all speak of it.

Examples
--------
>>> import pandas as pd
>>> from hilt.importing.chunk import RawChunk
>>> RawChunk(pd.DataFrame({"text": ["a", "b"]}), "f.csv", [2, 3]).where(1)
'f.csv, line 3'
>>> RawChunk(pd.DataFrame({"text": ["a", "b"]}), "DataFrame", None, offset=10).place(1)
'row 11 (counting from 0)'
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["RawChunk"]


@dataclass
class RawChunk:
    """A chunk as read: a frame, and the 1-based file line each row started on (None: no lines).

    ``offset`` is how many data rows of the input came before this chunk: it numbers the rows
    of sources without lines (``row N (counting from 0)``) and the items without an id column.
    """

    frame: pd.DataFrame
    source: str
    lines: list[int] | None
    offset: int = 0

    def where(self, position: int) -> str:
        return f"{self.source}, {self.place(position)}"

    def place(self, position: int) -> str:
        """``line N`` (a file line) or ``row N (counting from 0)``."""
        return _place(self.number(position), self.lines is not None)

    def number(self, position: int) -> int:
        """The line (or the 0-based row of the input) of the chunk's row ``position``."""
        return self.lines[position] if self.lines is not None else self.offset + position


def _place(number: int, is_line: bool) -> str:
    return f"line {number}" if is_line else f"row {number} (counting from 0)"

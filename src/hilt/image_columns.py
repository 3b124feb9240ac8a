"""Which columns of a table are, by their names alone, the pixels of a square image:
:func:`find_image`. A module of its own, below the project layer and outside
:mod:`hilt.importing` (whose package imports pandas), because two layers ask: the import (a pixel
column whose values happen to lie in ``--labels``, such as a digit's blank border, is data, not
the answer) and the faces that draw the image (:mod:`hilt.project.image_view`, read by the light
``hilt status`` too).

The rule (the project setting ``image_columns="auto"``, the default) reads column names only:

* A name ends in one number (``px0``, ``pixel783``, ``17``) or in two numbers joined by
  something that is not a digit (``pixel_3_7``, ``1x1``, ``r2c5``); what comes before the
  (first) number is the prefix.
* Names with the same prefix (and joiner) form a group. A group of one number is an image when
  its numbers are exactly ``s .. s + n*n - 1`` (``s`` is 0 or 1), laid out row-major (pixel ``k``
  at row ``k // n``, column ``k % n``). A group of two numbers is an image when they are exactly
  the grid ``s .. s + n - 1`` × ``s .. s + n - 1``, the first number the row, the second the
  column (scikit-learn's ``pixel_ROW_COL``, the ``ROWxCOL`` of MNIST's CSV files).
* A group of one number that is not an image so, whose numbers all have the same even count of
  digits, is read as row and column written side by side (``px00 .. px77`` of an 8×8 image,
  ``px0000 .. px2727`` of a 28×28 one).
* ``n`` is at least 4 (16 pixels): fewer numbered columns are more likely measurements than a
  picture. Where several groups qualify the largest is the image (the earliest on a tie).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

__all__ = ["ImageView", "MIN_SIDE", "find_image", "pixel_names", "square_side"]

#: The smallest side of an image found by name alone (4×4 = 16 pixels).
MIN_SIDE = 4

# A name ending in a number, or in two numbers joined by non-digits. The prefix is lazy, so
# "pixel_3_7" reads as two numbers ("pixel_", 3, "_", 7), not as one ("pixel_3_", 7).
_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<a>\d+)(?:(?P<joiner>\D+)(?P<b>\d+))?$", re.DOTALL)


@dataclass(frozen=True)
class ImageView:
    """A square image made of ``side * side`` columns, ``pixels`` in row-major order.

    Examples
    --------
    >>> view = ImageView(2, ("a", "b", "c", "d"))
    >>> view.split({"a": 0, "b": 1, "c": 2, "d": 3, "age": 40})
    ([0.0, 1.0, 2.0, 3.0], {'age': 40})
    >>> view.split({"a": 0, "b": "dark", "c": 2, "d": 3}) is None
    True
    >>> view.to_json()
    {'side': 2, 'pixels': ['a', 'b', 'c', 'd']}
    """

    side: int
    pixels: tuple[str, ...]

    def split(self, data: Mapping[str, Any]) -> tuple[list[float], dict[str, Any]] | None:
        """The pixel values (row-major) and the other fields of an item's ``data``; ``None`` when a
        pixel is missing or not a finite number (the row is then shown as a table, as it is)."""
        values = []
        for name in self.pixels:
            value = data.get(name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                return None
            values.append(float(value))
        pixels = set(self.pixels)
        return values, {k: v for k, v in data.items() if k not in pixels}

    def to_json(self) -> dict[str, Any]:
        """What the web page reads (``side``, ``pixels``)."""
        return {"side": self.side, "pixels": list(self.pixels)}


def square_side(count: int) -> int | None:
    """The side of a square of ``count`` cells, or ``None`` when ``count`` is not a square number."""
    side = math.isqrt(count)
    return side if side * side == count else None


def find_image(columns: Sequence[str]) -> ImageView | None:
    """The square image the ``columns``' names describe (the automatic rule of this module), or
    ``None``.

    Examples
    --------
    >>> find_image([f"pixel_{r}_{c}" for r in range(8) for c in range(8)]).side
    8
    >>> view = find_image(["id_no"] + [f"px{k}" for k in range(784)] + ["source"])
    >>> view.side, view.pixels[:2], view.pixels[-1]
    (28, ('px0', 'px1'), 'px783')
    >>> find_image([f"{r}x{c}" for r in range(1, 29) for c in range(1, 29)]).pixels[28]
    '2x1'
    >>> find_image([f"px{r}{c}" for r in range(8) for c in range(8)]).pixels[8]  # row, column
    'px10'
    >>> find_image([f"px{k}" for k in range(783)]) is None  # one short of 28x28
    True
    >>> find_image(["feature_1", "feature_2", "feature_3", "feature_4"]) is None  # 2x2: too small
    True
    """
    groups: dict[tuple[str, str | None], list[tuple[tuple[int, ...], str]]] = {}
    for name in columns:
        match = _NUMBERED.match(str(name))
        if match is None:
            continue
        joiner = match["joiner"]
        numbers = (int(match["a"]),) if joiner is None else (int(match["a"]), int(match["b"]))
        groups.setdefault((match["prefix"], joiner), []).append((numbers, name))
    best: ImageView | None = None
    for members in groups.values():  # dicts keep insertion order: the earliest group first
        view = _group_image(members)
        if view is not None and (best is None or view.side > best.side):
            best = view
    return best


def _group_image(members: list[tuple[tuple[int, ...], str]]) -> ImageView | None:
    view = _grid_image(members)
    if view is None and all(len(numbers) == 1 for numbers, _ in members):
        view = _grid_image(_row_column_halves(members))
    return view


def _row_column_halves(members: list[tuple[tuple[int, ...], str]]) -> list[tuple[tuple[int, ...], str]]:
    """``members`` read as row and column digits side by side (``px37``: row 3, column 7), or
    ``[]`` when their digits are not all of one even width."""
    digits = [_NUMBERED.match(str(name))["a"] for _, name in members]
    width = len(digits[0])
    if width % 2 or any(len(d) != width for d in digits):
        return []
    half = width // 2
    return [((int(d[:half]), int(d[half:])), name) for d, (_, name) in zip(digits, members)]


def _grid_image(members: list[tuple[tuple[int, ...], str]]) -> ImageView | None:
    side = square_side(len(members))
    if side is None or side < MIN_SIDE:
        return None
    ordered = sorted(members)
    numbers = [n for n, _ in ordered]
    start = numbers[0][0]
    if start not in (0, 1):
        return None
    if len(numbers[0]) == 1:
        expected = [(start + k,) for k in range(side * side)]
    else:
        expected = [(start + r, start + c) for r in range(side) for c in range(side)]
    if numbers != expected:  # a gap, a repeat (px01 and px1) or a grid that is not square
        return None
    return ImageView(side, tuple(name for _, name in ordered))


def pixel_names(names: Sequence[str]) -> set[str]:
    """The names among ``names`` that are the pixels of the image they make (:func:`find_image`),
    or none: the one answer to "is this column data because it is a pixel" that the import (a
    pixel whose values lie in the labels is still a feature) and the project (nor is it hidden
    as the answer) both ask.

    Examples
    --------
    >>> sorted(pixel_names([f"px{k}" for k in range(16)] + ["digit"]))[:3], "digit" in pixel_names(["digit"])
    (['px0', 'px1', 'px10'], False)
    """
    view = find_image([str(name) for name in names])
    return set(view.pixels) if view is not None else set()

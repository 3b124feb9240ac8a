"""Which shown columns are the pixels of a square image: :func:`image_view`, the one place that
decides it for every face (the web page draws a ``<canvas>``, ``hilt label`` half blocks).

A 784-column row of numbers (MNIST's ``px0..px783``) laid out as a key/value table is 23,000 px
of digits nobody can read; drawn as the 28×28 image it is, it is labelled at a glance.

The automatic rule (setting ``"auto"``, the default) reads column names only: see
:mod:`hilt.image_columns`. Only the shown columns count: one pixel hidden from
annotators leaves the square incomplete, and no image is drawn (a hidden column stays hidden, in
the image too).

The setting ``"off"`` never draws an image; a list of column names (``fnmatch`` patterns such as
``"px*"`` allowed; a pattern's columns in the order of their numbers) names the pixels
row-major, any square number of them (at least 2×2).
"""

from __future__ import annotations

import math
import re
from fnmatch import fnmatchcase
from typing import Any, Mapping, Sequence

from hilt.errors import InputError
from hilt.image_columns import MIN_SIDE, ImageView, find_image, pixel_names, square_side

__all__ = ["ImageView", "MIN_SIDE", "check_image_setting", "find_image", "grey_levels", "image_view", "not_pixels"]

def _natural_key(name: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _named_pixels(patterns: Sequence[str], columns: Sequence[str]) -> tuple[list[str], list[str]]:
    """The columns the patterns name, in order, and the patterns that name none."""
    chosen: list[str] = []
    unmatched: list[str] = []
    for pattern in patterns:
        if pattern in columns:
            found = [pattern]
        else:
            found = sorted((c for c in columns if fnmatchcase(c, pattern)), key=_natural_key)
        if not found:
            unmatched.append(pattern)
        chosen += [c for c in found if c not in chosen]
    return chosen, unmatched


def check_image_setting(setting: Any, columns: Sequence[str]) -> str | list[str]:
    """``setting`` checked against the shown ``columns``: ``"auto"``, ``"off"`` or a list of
    column names or patterns that name a square number of shown columns.

    Raises :class:`hilt.errors.InputError` that says what was expected.

    Examples
    --------
    >>> check_image_setting("OFF", ["a"])
    'off'
    >>> check_image_setting("p*", ["p1", "p2", "p3", "p4", "age"])
    ['p*']
    >>> check_image_setting(["p1", "p2", "age"], ["p1", "p2", "age"])
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected the image columns to be a square number of shown columns (4, 9, 16, …); got 3: p1, p2, age.
    """
    if isinstance(setting, str):
        word = setting.strip()
        if word.lower() in ("auto", "off"):
            return word.lower()
        setting = [part.strip() for part in word.split(",") if part.strip()]
    if not isinstance(setting, (list, tuple)) or not setting or not all(isinstance(p, str) for p in setting):
        raise InputError(f"Expected the image columns as auto, off or a list of column names; got {setting!r}.")
    patterns = list(setting)
    chosen, unmatched = _named_pixels(patterns, columns)
    if unmatched:
        raise InputError(
            f"Expected the image columns to name columns annotators see; {', '.join(map(repr, unmatched))} "
            f"named none (hidden columns stay hidden, in the image too). The shown columns are: "
            f"{', '.join(columns[:12])}{', …' if len(columns) > 12 else ''}."
        )
    side = square_side(len(chosen))
    if side is None or side < 2:
        listed = ", ".join(chosen[:6]) + (", …" if len(chosen) > 6 else "")
        raise InputError(f"Expected the image columns to be a square number of shown columns (4, 9, 16, …); "
                         f"got {len(chosen)}: {listed}.")
    return patterns


def image_view(columns: Sequence[str], setting: Any = "auto") -> ImageView | None:
    """The image the shown ``columns`` make under a project's ``setting`` (``"auto"``, the
    default and what ``None`` means; ``"off"``; or pixel names as :func:`check_image_setting`
    accepts them). Named pixels that are no longer all shown give no image.

    Examples
    --------
    >>> columns = ["note"] + [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]
    >>> image_view(columns).side, image_view(columns, "off")
    (8, None)
    >>> image_view(["a", "b", "c", "d", "note"], ["a", "b", "c", "d"]).pixels
    ('a', 'b', 'c', 'd')
    >>> image_view(["a", "b", "c"], ["a", "b", "c", "d"]) is None  # d is hidden now
    True
    """
    if setting is None or setting == "auto":
        return find_image(columns)
    if setting == "off":
        return None
    chosen, unmatched = _named_pixels(list(setting), columns)
    side = square_side(len(chosen))
    if unmatched or side is None or side < 2:
        return None
    return ImageView(side, tuple(chosen))


def grey_levels(values: Sequence[float]) -> list[int]:
    """Each value as a grey level 0..255, from the row's lowest value (0) to its highest (255).

    The row's own range fits pixels whatever their scale: scikit-learn's digits (0-16), MNIST
    (0-255), intensities in 0..1 and standardized (negative) values alike, and a faint image
    is stretched to full contrast. A row of one value is all 0. The web page (page.js) maps the
    same way.

    Examples
    --------
    >>> grey_levels([0, 8, 16])
    [0, 128, 255]
    >>> grey_levels([-1.0, 1.0]), grey_levels([5, 5])
    ([0, 255], [0, 0])
    """
    low, high = min(values), max(values)
    if high <= low:
        return [0] * len(values)
    return [round(255 * (v - low) / (high - low)) for v in values]


def not_pixels(label_like: Sequence[str], stored: Mapping[str, str]) -> list[str]:
    """The ``label_like`` columns (values all label names) that are not pixels of the image all
    the item columns make (``stored``: column name -> stored key).

    With ``--labels 0,1,...,9`` a digit's blank border (pixels that are 0 in every row, or never
    above 9) holds only label names, yet it is a picture's edge, not the answer: hiding it would
    leave the square incomplete and no image drawn.

    Examples
    --------
    >>> columns = {f"px{k}": f"px{k}" for k in range(16)} | {"digit": "digit"}
    >>> not_pixels(["px0", "px15", "digit"], columns)
    ['digit']
    """
    pixels = pixel_names(list(stored.values()))
    return [c for c in label_like if stored.get(c, c) not in pixels]

"""A row of pixels drawn in the terminal for ``hilt label``: :class:`PixelImage`.

Which columns are pixels is decided by :mod:`hilt.project.image_view` (as for the web page);
this module only draws them, compactly: a 28×28 image takes 14 lines.
"""

from __future__ import annotations

from typing import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

from hilt.project.image_view import grey_levels

__all__ = ["PixelImage"]

#: Shades for terminals without colours, from no ink to full ink.
SHADES = " ░▒▓█"
#: Small images are repeated up to about this many pixels a side, so an 8×8 digit is not a speck.
MIN_DRAWN = 16


class PixelImage:
    """``side * side`` pixel values (row-major) as a rich renderable.

    With colours, each character is two pixels, one above the other (an upper half block ``▀``
    in the top pixel's grey on the bottom pixel's grey), so pixels come out about square and a
    28×28 image takes 14 lines. Greys run from the row's lowest value to its highest, high values
    dark (ink on paper, as on the web page). Without colours (a pipe, ``NO_COLOR``), each pixel is
    two shade characters ``░▒▓█``, more ink for a higher value: 28 lines for 28×28.

    Examples
    --------
    >>> from rich.console import Console
    >>> screen = Console(width=40, record=True, color_system=None, file=open("/dev/null", "w"))
    >>> screen.print(PixelImage(4, [0, 16, 16, 0] * 4))
    >>> lines = screen.export_text().splitlines()  # 4x4 repeated to 16x16, two characters a pixel
    >>> len(lines), lines[0]
    (16, '        ████████████████        ')
    """

    def __init__(self, side: int, values: Sequence[float]):
        if len(values) != side * side:
            raise ValueError(f"Expected {side * side} pixel values for a {side}x{side} image; got {len(values)}.")
        self.side = side
        self.levels = grey_levels(values)
        self.repeat = max(1, MIN_DRAWN // side)

    def _row(self, r: int) -> list[int]:
        """Row ``r`` of the drawn (repeated) image."""
        source = self.levels[(r // self.repeat) * self.side:(r // self.repeat + 1) * self.side]
        return [level for level in source for _ in range(self.repeat)]

    @property
    def _drawn(self) -> int:
        return self.side * self.repeat

    def _colour(self, console: Console) -> bool:
        return console.color_system in ("256", "truecolor")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = self._drawn * (1 if self._colour(console) else 2)
        return Measurement(width, width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        drawn = self._drawn
        if self._colour(console):
            for r in range(0, drawn, 2):
                top = self._row(r)
                bottom = self._row(r + 1) if r + 1 < drawn else None
                for k, level in enumerate(top):
                    ink = 255 - level
                    under = 255 - bottom[k] if bottom is not None else None
                    style = Style(color=f"rgb({ink},{ink},{ink})",
                                  bgcolor=None if under is None else f"rgb({under},{under},{under})")
                    yield Segment("▀", style)
                yield Segment.line()
            return
        for r in range(drawn):
            yield Segment("".join(SHADES[round(level * (len(SHADES) - 1) / 255)] * 2 for level in self._row(r)))
            yield Segment.line()

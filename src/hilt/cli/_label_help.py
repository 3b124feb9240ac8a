"""``hilt label``'s help on ``?`` (the project's guidelines, each label's key and description, the
commands) and its clock of the time spent per item.

:class:`HelpKeys` sits between the keys and the loop: a ``?`` never reaches the loop; it shows
:func:`help_screen` and stops the :class:`ItemClock` until the next key, so the seconds kept
with an answer are the time from showing the item to the answer, less the time spent on the help.
"""

from __future__ import annotations

import re
import time
from typing import Any, Callable, Iterator, Mapping, Sequence

from rich.console import Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text

from hilt.cli._label_keys import NONE_KEY, label_keys

__all__ = ["HELP_KEY", "HelpKeys", "ItemClock", "help_screen"]

#: The key that shows the help.
HELP_KEY = "?"

# Control characters (an escape sequence could restyle or clear the terminal), kept: tab, newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class ItemClock:
    """Seconds an item has been on screen, the help's time left out.

    Examples
    --------
    >>> ticks = iter([0.0, 4.0, 10.0, 12.5])
    >>> clock = ItemClock(lambda: next(ticks))
    >>> clock.start("a")          # shown at 0
    >>> clock.pause()             # ? at 4: the help is up
    >>> clock.resume()            # the next key at 10
    >>> clock.seconds()           # answered at 12.5: 4 + 2.5
    6.5
    """

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._item: Any = None
        self._counted = 0.0
        self._since: float | None = None

    def start(self, item_id: Any) -> None:
        """``item_id`` is on screen: a new item starts from 0, the same one drawn again goes on."""
        if item_id == self._item:
            return
        self._item, self._counted, self._since = item_id, 0.0, self._now()

    def pause(self) -> None:
        if self._since is not None:
            self._counted += self._now() - self._since
            self._since = None

    def resume(self) -> None:
        if self._since is None and self._item is not None:
            self._since = self._now()

    def seconds(self) -> float | None:
        """The seconds so far (``None`` before any item)."""
        if self._item is None:
            return None
        running = 0.0 if self._since is None else self._now() - self._since
        return round(self._counted + running, 3)


class HelpKeys:
    """The keys of ``keys`` without ``?``: each ``?`` calls ``show`` and pauses ``clock`` until
    the next key arrives.

    Examples
    --------
    >>> shown = []
    >>> keys = HelpKeys(iter(["1", "?", "s"]), lambda: shown.append("help"), ItemClock())
    >>> list(keys), shown
    (['1', 's'], ['help'])
    """

    def __init__(self, keys: Iterator[str], show: Callable[[], None], clock: ItemClock) -> None:
        self._keys = keys
        self._show = show
        self._clock = clock

    def __iter__(self) -> "HelpKeys":
        return self

    def __next__(self) -> str:
        while True:
            key = next(self._keys)
            self._clock.resume()
            if key.strip() != HELP_KEY:
                return key
            self._clock.pause()
            self._show()


def help_screen(labels: Sequence[str], descriptions: Mapping[str, str], guidelines: Any, *,
                widget: str = "buttons", spans_help: str = "") -> Group:
    """What ``?`` shows: the guidelines (Markdown, as rich draws it; control characters removed),
    then each label's key with its description, then the commands of the project's ``widget``.

    Examples
    --------
    >>> from rich.console import Console
    >>> screen = Console(width=70, record=True, file=open("/dev/null", "w"))
    >>> screen.print(help_screen(["pos", "neg"], {"neg": "Any complaint"}, None))
    >>> text = screen.export_text()
    >>> "[2] neg  Any complaint" in text, "no guidelines" in text
    (True, True)
    """
    parts: list[Any] = []
    if guidelines is not None:
        parts.append(Panel(Markdown(_CONTROL.sub("", guidelines.markdown), hyperlinks=False),
                           title="Guidelines", title_align="left"))
    else:
        parts.append(Text("This project has no guidelines (hilt config PROJECT guidelines=FILE sets them).",
                          style="dim"))
    keys = label_keys(labels)
    lines = Text()
    for number, label in enumerate(labels, start=1):
        lines.append(f"[{keys[number - 1] or number}]", style="bold cyan")
        lines.append(f" {label}")
        if descriptions.get(label):
            lines.append(f"  {descriptions[label]}", style="dim")
        lines.append("\n")
    parts.append(Panel(lines, title="Labels", title_align="left"))
    if widget == "spans":
        parts.append(Text(spans_help))
    else:
        commands = (f"Enter saves the ticked labels · {NONE_KEY} none of these · " if widget == "toggles" else "")
        parts.append(Text(commands + "s skip · u undo · v view a shortened text whole · q quit · ? this help "
                          "(the time on it is not counted as time on the item)", style="dim"))
    return Group(*parts)

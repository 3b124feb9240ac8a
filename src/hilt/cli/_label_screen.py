"""What ``hilt label`` shows: the screen for one item, the notice after an answer, a long text
whole.

Rendered with rich; nothing here reads keys or talks to the project (:mod:`hilt.cli._label_loop`
does both).
"""

from __future__ import annotations

from typing import Any, Sequence

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from hilt.cli._label_keys import MAX_KEYED_LABELS, NONE_KEY, label_keys
from hilt.cli._pixels import PixelImage
from hilt.project.image_view import ImageView

__all__ = ["SHOWN_CHARS", "SHOWN_VALUE_CHARS", "answer_notice", "answer_text", "describe_uncertainty",
           "render_item", "shorten", "ticks_line", "view_whole"]

#: Characters of an item's text shown at once. A 20 MB text written whole takes minutes to
#: scroll past; the rest is one key (v) away, and the model always sees the whole text.
SHOWN_CHARS = 3_000
#: Characters shown of any other value (a context column, a table cell).
SHOWN_VALUE_CHARS = 200


def describe_uncertainty(score: float) -> str:
    """Words for the strategy's uncertainty score in [0, 1] (1 = most unsure).

    Examples
    --------
    >>> from hilt.cli._label_screen import describe_uncertainty
    >>> describe_uncertainty(0.1), describe_uncertainty(0.5), describe_uncertainty(0.9)
    ('fairly sure', 'unsure', 'very unsure')
    """
    if score < 1 / 3:
        return "fairly sure"
    if score < 2 / 3:
        return "unsure"
    return "very unsure"


def answer_text(label: Any) -> str:
    """An answer in words: a label as it is; a label set (multi-label) as its labels, ``none of
    these`` when empty; ``skipped`` for ``None``.

    Examples
    --------
    >>> from hilt.cli._label_screen import answer_text
    >>> answer_text("pos"), answer_text(["sports", "tech"]), answer_text([]), answer_text(None)
    ('pos', 'sports, tech', 'none of these', 'skipped')
    """
    if label is None:
        return "skipped"
    if isinstance(label, (list, tuple, set, frozenset)):
        return ", ".join(map(str, label)) if label else "none of these"
    return str(label)


def _same_answer(guess: Any, label: Any) -> bool:
    if isinstance(label, (list, tuple, set, frozenset)) and isinstance(guess, (list, tuple, set, frozenset)):
        return set(map(str, guess)) == set(map(str, label))
    return guess == label


def render_item(item: Any, labels: Sequence[str], kind: str, progress: str = "", *,
                has_model: bool = False, image: ImageView | None = None,
                ticked: Sequence[str] | None = None) -> Group:
    """The screen for one item: progress, the item (a long text shortened), whether there is
    a model yet, the keys.

    The model's guess is not on it: it is shown after the answer (:func:`answer_notice`), as on
    the web page, so that it never sways the answer. ``has_model`` says whether the project
    has trained a model yet. ``image`` (the project's :attr:`hilt.Project.image_view`) names the
    columns drawn as a picture (:class:`hilt.cli._pixels.PixelImage`) instead of listed, the
    other fields beside it. ``ticked`` (a multi-label project: the labels ticked so far, maybe
    none) shows the labels as toggles instead (:func:`ticks_line`).

    Examples
    --------
    >>> from rich.console import Console
    >>> from hilt.cli._label_screen import render_item
    >>> from hilt.project import Item
    >>> screen = Console(width=60, record=True, file=open("/dev/null", "w"))
    >>> screen.print(render_item(Item("7", {"text": "A fine film."}, False), ["pos", "neg"], "text"))
    >>> "[1] pos" in screen.export_text()
    True
    """
    parts: list[Any] = []
    if progress:
        parts.append(Text(progress, style="dim"))
    parts.append(_item_body(item, kind, image))
    parts.append(_model_line(has_model))
    text_key = _text_key(dict(item.data)) if kind == "text" else None
    shortened = text_key is not None and len(str(item.data[text_key])) > SHOWN_CHARS
    parts.append(_keys_line(labels, view=shortened) if ticked is None else ticks_line(labels, ticked, view=shortened))
    return Group(*parts)


def ticks_line(labels: Sequence[str], ticked: Sequence[str], view: bool = False) -> Text:
    """The keys of a multi-label screen: each label's key and whether it is ticked, then Enter
    (save the ticked set), :data:`NONE_KEY` (none of these) and the commands.

    Examples
    --------
    >>> from hilt.cli._label_screen import ticks_line
    >>> print(ticks_line(["sports", "politics", "tech"], ["tech"]).plain)
    [1] [ ] sports   [2] [ ] politics   [3] [x] tech
    Enter save: tech   - none of these   s skip   u undo   q quit   ? help
    """
    keys = label_keys(labels)
    chosen = set(ticked)
    line = Text()
    for number, label in enumerate(labels, start=1):
        on = label in chosen
        line.append(f"[{keys[number - 1] or number}]", style="bold cyan")
        line.append(" [x] " if on else " [ ] ", style="bold green" if on else "dim")
        line.append(label, style="bold green" if on else "")
        line.append("   " if number < len(labels) else "")
    line.append("\n")
    line.append("Enter", style="bold")
    line.append(f" save: {', '.join(name for name in labels if name in chosen)}   " if chosen
                else " save the ticked labels   ")
    line.append(NONE_KEY, style="bold")
    line.append(" none of these   ")
    _command_keys(line, view)
    if len(labels) > MAX_KEYED_LABELS:
        line.append("   (type a number + Enter to tick it; an empty line saves)", style="dim")
    return line


def _model_line(has_model: bool) -> Text:
    # The same line on every item: whether an item is an evaluation item never shows.
    if has_model:
        return Text("model's guess: shown after you answer", style="dim")
    return Text("model's guess: none yet (no model trained)", style="dim")


def answer_notice(item: Any, label: Any) -> Text:
    """What the screen says once ``label`` was saved for ``item``: and what the model guessed.

    Examples
    --------
    >>> from hilt.cli._label_screen import answer_notice
    >>> from hilt.project import Item
    >>> answer_notice(Item("7", {"text": "Fine."}, False, "neg", 0.8), "pos").plain
    'saved: pos for item 7 · the model guessed neg (very unsure: uncertainty 0.80)'
    >>> answer_notice(Item("8", {"text": "Good."}, False, "pos", 0.1), "pos").plain
    'saved: pos for item 8 · the model agreed'

    A multi-label answer is a set (``[]``: none of these), and so is the model's guess:

    >>> answer_notice(Item("9", {"text": "Goal!"}, False, ["sports"], 0.3), ["sports", "tech"]).plain
    'saved: sports, tech for item 9 · the model guessed sports (fairly sure: uncertainty 0.30)'
    >>> answer_notice(Item("10", {"text": "Hm."}, False, [], 0.2), []).plain
    'saved: none of these for item 10 · the model agreed'
    """
    notice = Text.assemble("saved: ", (answer_text(label), "bold green"), f" for item {item.id}")
    guess = getattr(item, "guess", None)
    if guess is None:
        return notice
    if _same_answer(guess, label):
        return notice.append(" · the model agreed", style="dim")
    uncertainty = item.uncertainty
    unsure = "" if uncertainty is None else f" ({describe_uncertainty(uncertainty)}: uncertainty {uncertainty:.2f})"
    return notice.append_text(Text.assemble(" · the model guessed ", (answer_text(guess), "bold"), unsure))


def _item_body(item: Any, kind: str, image: ImageView | None = None) -> Any:
    data = dict(item.data)
    title = f"item {item.id}"
    split = image.split(data) if image is not None else None
    picture = None
    if split is not None:  # a row of pixels: drawn, and the other fields listed beside it
        values, data = split
        picture = PixelImage(image.side, values)
    if kind == "text":
        text_key = _text_key(data)
        text = str(data.pop(text_key, "")) if text_key else ""
        body: Any = Text(shorten(text, SHOWN_CHARS, hint=True))
        if data:  # other columns travel along as context, shown small
            context = Text("  ".join(f"{k}: {shorten(str(v), SHOWN_VALUE_CHARS)}" for k, v in data.items()),
                           style="dim")
            body = Group(body, Text(""), context)
        if picture is not None:
            body = Group(body, Text(""), picture)
        return Panel(body, title=title, title_align="left")
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(justify="right")
    for name, value in data.items():
        table.add_row(str(name), shorten(_format_value(value), SHOWN_VALUE_CHARS))
    if picture is not None:
        beside = Table.grid(padding=(0, 3))
        if data:
            beside.add_row(picture, table)
        else:
            beside.add_row(picture)
        return Panel(beside, title=title, title_align="left", expand=False)
    return Panel(table, title=title, title_align="left", expand=False)


def shorten(text: str, limit: int, hint: bool = False) -> str:
    """``text`` cut to ``limit`` characters, saying how many more there are.

    With ``hint``, the note also says how to see it all (the ``v`` key).

    Examples
    --------
    >>> from hilt.cli._label_screen import shorten
    >>> shorten("short", 10)
    'short'
    >>> shorten("a" * 25, 10, hint=True)
    'aaaaaaaaaa… 15 more characters; press v to view it all'
    """
    if len(text) <= limit:
        return text
    more = len(text) - limit
    note = f"… {more:,} more character{'s' if more != 1 else ''}"
    return text[:limit] + note + ("; press v to view it all" if hint else "")


def _text_key(data: dict) -> str | None:
    return "text" if isinstance(data.get("text"), str) else _longest_string_key(data)


def _longest_string_key(data: dict) -> str | None:
    strings = [(len(v), k) for k, v in data.items() if isinstance(v, str)]
    return max(strings)[1] if strings else None


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _keys_line(labels: Sequence[str], view: bool = False) -> Text:
    keys = label_keys(labels)
    line = Text()
    for number, label in enumerate(labels, start=1):
        # A label past the single keys shows its number, typed + Enter.
        line.append(f"[{keys[number - 1] or number}]", style="bold cyan")
        line.append(f" {label}   ")
    _command_keys(line, view)
    if len(labels) > MAX_KEYED_LABELS:
        line.append("   (type the number, then Enter)", style="dim")
    return line


def view_whole(item: Any, kind: str, out: Console) -> None:
    """The item's text whole: in a pager on a terminal, else written out as it is."""
    data = dict(item.data)
    key = _text_key(data) if kind == "text" else None
    text = str(data[key]) if key else "\n".join(f"{k}: {_format_value(v)}" for k, v in data.items())
    if out.is_terminal:
        import pydoc

        pydoc.pager(text)
    else:
        # Written as is: rich would wrap and style megabytes of text for nothing.
        out.file.write(text + "\n")
        out.file.flush()


def _command_keys(line: Text, view: bool) -> None:
    """The commands' keys, the same on every item: skip, undo, view (a shortened text), quit, help
    (the guidelines and the labels' descriptions)."""
    line.append("s", style="bold")
    line.append(" skip   ")
    line.append("u", style="bold")
    line.append(" undo   ")
    if view:
        line.append("v", style="bold")
        line.append(" view it all   ")
    line.append("q", style="bold")
    line.append(" quit   ")
    line.append("?", style="bold")
    line.append(" help")

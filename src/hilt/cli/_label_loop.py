"""The terminal labelling loop behind ``hilt label``, apart from how keys are read.

:func:`run_label_loop` takes its keys from any iterator, so tests and scripts drive it with
a list and ``hilt label`` with single key presses (:func:`terminal_keys`) or lines piped into
stdin (:func:`line_keys`). Every answer goes straight to the project, which commits it,
leases the next item and retrains in the background; quitting and starting again later
continues with the next item.
"""

from __future__ import annotations

import contextlib
import sys
import time
import uuid
from dataclasses import dataclass
from typing import IO, Any, Iterator, Sequence

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from hilt.cli._pixels import PixelImage
from hilt.errors import HiltError
from hilt.project import keys as project_keys
from hilt.project.image_view import ImageView
from hilt.project.keys import LABEL_KEYS

__all__ = [
    "Session", "answer_notice", "label_keys", "line_keys", "parse_key", "render_item", "run_label_loop", "terminal_keys",
]

#: Keys that end the session: q, Ctrl-C and Ctrl-D (the last two arrive as characters in
#: single-key mode).
QUIT_KEYS = ("q", "quit", "\x03", "\x04")
#: Label keys in the order labels get them (hilt.project.keys: the web page's scheme too, so a
#: label has one key wherever it is labelled).
_KEY_ORDER = list(LABEL_KEYS)
#: At most this many labels get single keys; more are typed as a number + Enter.
MAX_KEYED_LABELS = len(_KEY_ORDER)
#: Characters of an item's text shown at once. A 20 MB text written whole takes minutes to
#: scroll past; the rest is one key (v) away, and the model always sees the whole text.
SHOWN_CHARS = 3_000
#: Characters shown of any other value (a context column, a table cell).
SHOWN_VALUE_CHARS = 200


@dataclass
class Session:
    """What one ``hilt label`` session did."""

    labelled: int = 0
    skipped: int = 0
    undone: int = 0
    nothing_left: bool = False


def label_keys(labels: Sequence[str] | int) -> list[str]:
    """The single key of each label (:func:`hilt.project.keys.label_keys`, the web page's
    scheme): a single-digit label is its own key, the others take 1-9, 0, then letters no
    command uses; labels past the :data:`MAX_KEYED_LABELS` keys get ``""`` (they are typed as
    a number + Enter).

    Examples
    --------
    >>> from hilt.cli._label_loop import label_keys
    >>> label_keys(12)
    ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', 'a', 'b']
    >>> label_keys(["0", "1", "2"])
    ['0', '1', '2']
    >>> label_keys(40)[16:22]  # q, s, u and v are commands
    ['g', 'h', 'i', 'j', 'k', 'l']
    >>> label_keys(40)[-1]
    ''
    """
    return project_keys.label_keys(labels)


def parse_key(key: str, labels: Sequence[str]) -> tuple[str, str | None]:
    """Interpret one key press (or typed line) as ``(action, label)``.

    ``action`` is ``"label"`` (with the label), ``"skip"``, ``"undo"``, ``"view"`` (show a
    shortened text whole), ``"quit"``, or ``"unknown"``. A label's key (:func:`label_keys`)
    picks it; so does its 1-based number typed out (``12`` + Enter), or, in line mode, the
    label itself.

    Examples
    --------
    >>> from hilt.cli._label_loop import parse_key
    >>> parse_key("2", ["pos", "neg"]), parse_key("neg", ["pos", "neg"]), parse_key("s", ["pos", "neg"])
    (('label', 'neg'), ('label', 'neg'), ('skip', None))
    >>> parse_key("7", ["pos", "neg"])
    ('unknown', None)
    >>> twelve = [f"topic{i}" for i in range(1, 13)]
    >>> parse_key("0", twelve), parse_key("b", twelve), parse_key("12", twelve)
    (('label', 'topic10'), ('label', 'topic12'), ('label', 'topic12'))
    >>> parse_key("1", [str(d) for d in range(10)])  # a digit label is its own key
    ('label', '1')
    """
    # Task seam: one key press = one label (the single-label widget); a task layer gives the
    # terminal its own input for a label set or spans.
    key = key.strip() if key.strip() else key
    keys = label_keys(labels)
    # The keys shown on screen come first; letter keys are taken case-blind (Caps Lock).
    if len(key) == 1 and key.lower() in keys:
        return "label", labels[keys.index(key.lower())]
    # A label's own name before its number: with labels 0-40, "12" + Enter means label "12".
    if key in labels:
        return "label", key
    if key.isdigit() and 1 <= int(key) <= len(labels):
        return "label", labels[int(key) - 1]
    lowered = key.lower()
    if lowered in QUIT_KEYS:
        return "quit", None
    if lowered in ("s", "skip"):
        return "skip", None
    if lowered in ("u", "undo"):
        return "undo", None
    if lowered in ("v", "view"):
        return "view", None
    return "unknown", None


def keys_hint(labels: Sequence[str] | int) -> str:
    """The label keys as ranges for messages: ``1-9, 0, a-b`` for 12 labels, plus how to
    type the labels past the single keys.

    Examples
    --------
    >>> from hilt.cli._label_loop import keys_hint
    >>> keys_hint(2), keys_hint(10), keys_hint(11), keys_hint(12)
    ('1-2', '1-9, 0', '1-9, 0, a', '1-9, 0, a-b')
    >>> keys_hint(["cat", "7"])
    '1, 7'
    """
    n_labels = labels if isinstance(labels, int) else len(labels)
    hint = project_keys.keys_hint(labels)
    if not all(label_keys(labels)):
        hint += f", or a number up to {n_labels} + Enter"
    return hint


def describe_uncertainty(score: float) -> str:
    """Words for the strategy's uncertainty score in [0, 1] (1 = most unsure).

    Examples
    --------
    >>> from hilt.cli._label_loop import describe_uncertainty
    >>> describe_uncertainty(0.1), describe_uncertainty(0.5), describe_uncertainty(0.9)
    ('fairly sure', 'unsure', 'very unsure')
    """
    if score < 1 / 3:
        return "fairly sure"
    if score < 2 / 3:
        return "unsure"
    return "very unsure"


def render_item(item: Any, labels: Sequence[str], kind: str, progress: str = "", *,
                has_model: bool = False, image: ImageView | None = None) -> Group:
    """The screen for one item: progress, the item (a long text shortened), whether there is
    a model yet, the keys.

    The model's guess is not on it: it is shown after the answer (:func:`answer_notice`), as on
    the web page, so that it never sways the answer. ``has_model`` says whether the project
    has trained a model yet. ``image`` (the project's :attr:`hilt.Project.image_view`) names the
    columns drawn as a picture (:class:`hilt.cli._pixels.PixelImage`) instead of listed, the
    other fields beside it.

    Examples
    --------
    >>> from rich.console import Console
    >>> from hilt.cli._label_loop import render_item
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
    parts.append(_keys_line(labels, view=shortened))
    return Group(*parts)


def _model_line(has_model: bool) -> Text:
    # The same line on every item: whether an item is an evaluation item never shows.
    if has_model:
        return Text("model's guess: shown after you answer", style="dim")
    return Text("model's guess: none yet (no model trained)", style="dim")


def answer_notice(item: Any, label: str) -> Text:
    """What the screen says once ``label`` was saved for ``item``: and what the model guessed.

    Examples
    --------
    >>> from hilt.cli._label_loop import answer_notice
    >>> from hilt.project import Item
    >>> answer_notice(Item("7", {"text": "Fine."}, False, "neg", 0.8), "pos").plain
    'saved: pos for item 7 · the model guessed neg (very unsure: uncertainty 0.80)'
    >>> answer_notice(Item("8", {"text": "Good."}, False, "pos", 0.1), "pos").plain
    'saved: pos for item 8 · the model agreed'
    """
    notice = Text.assemble("saved: ", (str(label), "bold green"), f" for item {item.id}")
    guess = getattr(item, "guess", None)
    if guess is None:
        return notice
    if guess == label:
        return notice.append(" · the model agreed", style="dim")
    uncertainty = item.uncertainty
    unsure = "" if uncertainty is None else f" ({describe_uncertainty(uncertainty)}: uncertainty {uncertainty:.2f})"
    return notice.append_text(Text.assemble(" · the model guessed ", (str(guess), "bold"), unsure))


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
    >>> from hilt.cli._label_loop import shorten
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
    line.append("s", style="bold")
    line.append(" skip   ")
    line.append("u", style="bold")
    line.append(" undo   ")
    if view:
        line.append("v", style="bold")
        line.append(" view it all   ")
    line.append("q", style="bold")
    line.append(" quit")
    if len(labels) > MAX_KEYED_LABELS:
        line.append("   (type the number, then Enter)", style="dim")
    return line


def progress_line(status: dict, session: Session) -> str:
    """One line of progress from ``Project.status()`` and this session's counts."""
    parts = [
        f"answered {status['n_answered']:,}",
        f"left {status.get('n_left', status['n_items'] - status['n_answered']):,}",
        f"this session {session.labelled + session.skipped}",
    ]
    runs = status.get("runs") or []
    if runs and runs[-1].get("eval_accuracy") is not None:
        run = runs[-1]
        parts.append(f"eval accuracy {run['eval_accuracy']:.2f} (model trained on {run['n_train']} labels)")
    elif runs:
        parts.append(f"model trained on {runs[-1]['n_train']} labels")
    else:
        parts.append("no model yet")
    if status.get("retraining"):
        parts.append("retraining...")
    return " · ".join(parts)


def run_label_loop(
    project: Any,
    annotator: str,
    keys: Iterator[str],
    out: Console,
    *,
    wait_for_model: float = 30.0,
) -> Session:
    """Serve items to ``annotator`` and store the answers that ``keys`` give.

    Parameters
    ----------
    project : hilt.project.Project
        An open project.
    annotator : str
        Who is labelling (answers, leases and undo are per annotator).
    keys : iterator of str
        Key presses or typed lines: a label's key (:func:`label_keys`), number or name, ``s``
        skip, ``u`` undo, ``v`` view a shortened text whole, ``q`` quit. The loop also ends
        when the keys run out.
    out : rich.console.Console
        Where the screen goes.
    wait_for_model : float, default 30
        On quit, wait up to this many seconds for a retrain still running, so that the
        summary (and ``hilt status`` afterwards) shows the model that the answers trained.

    Returns
    -------
    Session
        Counts of this session.

    Examples
    --------
    >>> import io, tempfile, pathlib
    >>> import pandas as pd
    >>> from rich.console import Console
    >>> from hilt import Project
    >>> from hilt.cli._label_loop import run_label_loop
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.hilt"
    >>> frame = pd.DataFrame({"text": ["good", "bad", "fine"]})
    >>> with Project.create(path, frame, ["pos", "neg"], eval_share=0, features="tfidf") as project:
    ...     session = run_label_loop(project, "ana", iter(["1", "s", "q"]), Console(file=io.StringIO()),
    ...                              wait_for_model=0)
    >>> session.labelled, session.skipped
    (1, 1)
    """
    labels = list(project.labels)
    session = Session()
    # The last action's feedback. It is printed once, at the top of the next screen: printed
    # both before and after a terminal's clear, it stood twice in the scrollback.
    notice: Text | None = None
    image = project.image_view  # decided once: which columns are drawn as a picture
    item = project.next_item(annotator)
    while item is not None:
        status = project.status()
        screen = render_item(item, labels, project.kind, progress_line(status, session),
                             has_model=bool(status.get("runs")), image=image)
        if out.is_terminal:  # a real terminal gets one item per screen
            out.clear()
        if notice is not None:
            out.print(notice)
            notice = None
        out.print()
        out.print(screen)
        action, label = _next_action(keys, labels, out)
        if action == "quit":
            break
        if action == "view":
            _view_whole(item, project.kind, out)
            continue
        if action == "undo":
            notice, undone = _undo(project, annotator)
            if undone is not None:
                session.undone += 1
                item = undone
            continue
        try:
            project.answer(item.id, label, annotator, answer_id=uuid.uuid4().hex)
        except HiltError as error:  # e.g. the lease ran out and someone else answered it
            notice = Text.assemble(("Not saved: ", "red"), str(error))
        else:
            if action == "skip":
                session.skipped += 1
                notice = Text(f"skipped item {item.id}", style="dim")
            else:
                session.labelled += 1
                notice = answer_notice(item, label)
        item = project.next_item(annotator)
    else:
        session.nothing_left = True
    if notice is not None:  # the last answer, with no next screen to carry it
        out.print(notice)
    _summary(project, session, out, wait_for_model)
    return session


def _next_action(keys: Iterator[str], labels: Sequence[str], out: Console) -> tuple[str, str | None]:
    for key in keys:
        if not key.strip() and key not in QUIT_KEYS:
            continue  # a bare Enter
        action, label = parse_key(key, labels)
        if action != "unknown":
            return action, label
        shown = key.strip() if key.isprintable() else repr(key)
        out.print(
            f"[yellow]{shown!r} is not a key here:[/] press {keys_hint(labels)} "
            "for a label, s to skip, u to undo, v to view a shortened text whole, q to quit."
        )
    return "quit", None


def _view_whole(item: Any, kind: str, out: Console) -> None:
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


def _undo(project: Any, annotator: str) -> tuple[Text, Any]:
    try:
        item = project.undo(annotator)
    except HiltError as error:
        return Text.assemble(("Could not undo: ", "red"), str(error)), None
    if item is None:
        return Text.assemble(("Nothing to undo: ", "yellow"), "you have no answers left to take back."), None
    return Text(f"undone: item {item.id} is back", style="dim"), item


def _summary(project: Any, session: Session, out: Console, wait_for_model: float) -> None:
    status = project.status()
    if status.get("retraining") and wait_for_model > 0:
        out.print(f"Waiting for the model to finish retraining (up to {wait_for_model:g} s)...", style="dim")
        deadline = time.monotonic() + wait_for_model
        with contextlib.suppress(KeyboardInterrupt):
            while status.get("retraining") and time.monotonic() < deadline:
                time.sleep(0.2)
                status = project.status()
    out.print()
    if session.nothing_left:
        out.print("[bold green]Nothing left to label.[/] Every item has an answer (or is leased to someone).")
    out.print(
        f"This session: {session.labelled} labelled, {session.skipped} skipped, {session.undone} undone. "
        f"Project: {status['n_answered']:,} of {status['n_items']:,} items answered."
    )
    runs = status.get("runs") or []
    if runs:
        run = runs[-1]
        accuracy = run.get("eval_accuracy")
        figure = "not measured yet (too few evaluation answers)" if accuracy is None else f"{accuracy:.3f}"
        out.print(f"Latest model: trained on {run['n_train']} labels, eval accuracy {figure}.")
    else:
        out.print("No model yet: it trains once enough labels (of at least two kinds) are in.")


# --- reading keys ---------------------------------------------------------------------------


def line_keys(stream: IO[str]) -> Iterator[str]:
    """One key per line of ``stream`` (for pipes and scripts: ``printf '1\\n2\\nq\\n' | hilt label``)."""
    for line in stream:
        yield line.rstrip("\r\n")


def terminal_keys(stream: IO[str] | None = None) -> Iterator[str]:
    """Single key presses from a terminal, without waiting for Enter.

    The terminal is put in cbreak mode (keys arrive at once, output still wraps lines and
    Ctrl-C is read as a key here) and restored when the iterator is closed.
    """
    import os
    import termios
    import tty

    fd = (stream or sys.stdin).fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        mode = termios.tcgetattr(fd)
        mode[3] &= ~termios.ISIG  # read Ctrl-C as a key so quitting still prints the summary
        termios.tcsetattr(fd, termios.TCSANOW, mode)
        while True:
            # One read takes a whole key press, so an arrow key's escape sequence is one key.
            pressed = os.read(fd, 32)
            if not pressed:
                return
            yield pressed.decode("utf-8", errors="replace")
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)

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

from hilt.errors import HiltError

__all__ = ["Session", "line_keys", "parse_key", "render_item", "run_label_loop", "terminal_keys"]

#: Keys that end the session: q, Ctrl-C and Ctrl-D (the last two arrive as characters in
#: single-key mode).
QUIT_KEYS = ("q", "quit", "\x03", "\x04")
#: At most this many labels get single number keys; more are typed as a number + Enter.
MAX_KEYED_LABELS = 9


@dataclass
class Session:
    """What one ``hilt label`` session did."""

    labelled: int = 0
    skipped: int = 0
    undone: int = 0
    nothing_left: bool = False


def parse_key(key: str, labels: Sequence[str]) -> tuple[str, str | None]:
    """Interpret one key press (or typed line) as ``(action, label)``.

    ``action`` is ``"label"`` (with the label), ``"skip"``, ``"undo"``, ``"quit"``, or
    ``"unknown"``. A number picks the label at that 1-based position; in line mode the
    label itself may be typed too.

    Examples
    --------
    >>> from hilt.cli._label_loop import parse_key
    >>> parse_key("2", ["pos", "neg"]), parse_key("neg", ["pos", "neg"]), parse_key("s", ["pos", "neg"])
    (('label', 'neg'), ('label', 'neg'), ('skip', None))
    >>> parse_key("7", ["pos", "neg"])
    ('unknown', None)
    """
    key = key.strip() if key.strip() else key
    if key.isdigit() and 1 <= int(key) <= len(labels):
        return "label", labels[int(key) - 1]
    if key in labels:
        return "label", key
    lowered = key.lower()
    if lowered in QUIT_KEYS:
        return "quit", None
    if lowered in ("s", "skip"):
        return "skip", None
    if lowered in ("u", "undo"):
        return "undo", None
    return "unknown", None


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


def render_item(item: Any, labels: Sequence[str], kind: str, progress: str = "") -> Group:
    """The screen for one item: progress, the item, the model's guess, the keys."""
    parts: list[Any] = []
    if progress:
        parts.append(Text(progress, style="dim"))
    parts.append(_item_body(item, kind))
    # The guess is hidden on evaluation items: a person shown the model's answer tends to
    # agree with it, and the evaluation sample is what measures the model honestly.
    if getattr(item, "guess", None) is not None and not item.is_eval:
        uncertainty = item.uncertainty
        unsure = "" if uncertainty is None else f" ({describe_uncertainty(uncertainty)}: uncertainty {uncertainty:.2f})"
        parts.append(Text.assemble("model's guess: ", (str(item.guess), "bold"), unsure))
    elif getattr(item, "guess", None) is None and not item.is_eval:
        parts.append(Text("model's guess: none yet (no model trained)", style="dim"))
    parts.append(_keys_line(labels))
    return Group(*parts)


def _item_body(item: Any, kind: str) -> Any:
    data = dict(item.data)
    title = f"item {item.id}"
    if kind == "text":
        text_key = "text" if isinstance(data.get("text"), str) else _longest_string_key(data)
        text = data.pop(text_key, "") if text_key else ""
        body: Any = Text(str(text))
        if data:  # other columns travel along as context, shown small
            context = Text("  ".join(f"{k}: {v}" for k, v in data.items()), style="dim")
            body = Group(body, Text(""), context)
        return Panel(body, title=title, title_align="left")
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column(justify="right")
    for name, value in data.items():
        table.add_row(str(name), _format_value(value))
    return Panel(table, title=title, title_align="left", expand=False)


def _longest_string_key(data: dict) -> str | None:
    strings = [(len(v), k) for k, v in data.items() if isinstance(v, str)]
    return max(strings)[1] if strings else None


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _keys_line(labels: Sequence[str]) -> Text:
    line = Text()
    for number, label in enumerate(labels, start=1):
        line.append(f"[{number}]", style="bold cyan")
        line.append(f" {label}   ")
    line.append("s", style="bold")
    line.append(" skip   ")
    line.append("u", style="bold")
    line.append(" undo   ")
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
        Key presses or typed lines: a label number (1-based) or name, ``s`` skip, ``u`` undo,
        ``q`` quit. The loop also ends when the keys run out.
    out : rich.console.Console
        Where the screen goes.
    wait_for_model : float, default 30
        On quit, wait up to this many seconds for a retrain still running, so that the
        summary (and ``hilt status`` afterwards) shows the model that the answers trained.

    Returns
    -------
    Session
        Counts of this session.
    """
    labels = list(project.labels)
    session = Session()
    notice: Text | None = None  # the last action's feedback, kept on screen after a redraw
    item = project.next_item(annotator)
    while item is not None:
        screen = render_item(item, labels, project.kind, progress_line(project.status(), session))
        if out.is_terminal:  # a real terminal gets one item per screen
            out.clear()
            if notice is not None:
                out.print(notice)
        out.print()
        out.print(screen)
        action, label = _next_action(keys, labels, out)
        if action == "quit":
            break
        if action == "undo":
            notice, undone = _undo(project, annotator)
            out.print(notice)
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
                notice = Text.assemble("saved: ", (str(label), "bold green"), f" for item {item.id}")
        out.print(notice)
        item = project.next_item(annotator)
    else:
        session.nothing_left = True
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
            f"[yellow]{shown!r} is not a key here:[/] press 1-{min(len(labels), MAX_KEYED_LABELS)} "
            "for a label, s to skip, u to undo, q to quit."
        )
    return "quit", None


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

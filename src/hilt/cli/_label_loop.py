"""The terminal labelling loop behind ``hilt label``: serve an item, take a key, answer or undo,
and sum the session up.

:func:`run_label_loop` takes its keys from any iterator, so tests and scripts drive it with
a list and ``hilt label`` with single key presses (:func:`terminal_keys`) or lines piped into
stdin (:func:`line_keys`). Every answer goes straight to the project, which commits it,
leases the next item and retrains in the background; quitting and starting again later
continues with the next item. What the keys mean is :mod:`hilt.cli._label_keys`'s, what the
screen shows :mod:`hilt.cli._label_screen`'s.

A multi-label project (task ``multilabel``) gets toggles: a label's key ticks or unticks it and
the screen shows the ticks, Enter saves the ticked set, ``-`` saves "none of these" (``[]``).
The ticks start empty on every item (the model's guess is shown after the answer, never as
ticks); an undo brings back the ticks of the answer it takes back.

A spans project (task ``spans``) shows the text's tokens numbered and reads typed lines
(:mod:`hilt.cli._spans_terminal`: ``3-4 1`` marks tokens 3 to 4 with label key 1, ``-3``
removes, ``.`` or an empty line saves the marks, ``0`` saves "nothing to mark"); an undo brings
back the spans of the answer it takes back.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

from rich.console import Console
from rich.text import Text

from hilt.cli._label_keys import (MAX_KEYED_LABELS, NONE_KEY, QUIT_KEYS, keys_hint, label_keys, line_keys,
                                  parse_key, parse_set_key, terminal_keys, toggle)
from hilt.cli._label_help import HelpKeys, ItemClock, help_screen
from hilt.cli._label_screen import answer_notice, render_item, view_whole
from hilt.cli._spans_terminal import SPANS_HELP, parse_span_command, spans_notice, spans_screen, suggested_spans
from hilt.errors import HiltError, InputError
from hilt.tasks import get_task

# The keys and the screen live in their own modules; their names stay importable from here,
# where ``hilt label`` and the tests have always found them.
__all__ = [
    "MAX_KEYED_LABELS", "Session", "answer_notice", "label_keys", "line_keys", "parse_key", "render_item",
    "run_label_loop", "terminal_keys",
]


@dataclass
class Session:
    """What one ``hilt label`` session did."""

    labelled: int = 0
    skipped: int = 0
    undone: int = 0
    nothing_left: bool = False


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
    now: Callable[[], float] = time.monotonic,
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
        skip, ``u`` undo, ``v`` view a shortened text whole, ``?`` help (the guidelines and
        the labels' descriptions), ``q`` quit. The loop also ends when the keys run out.
    out : rich.console.Console
        Where the screen goes.
    wait_for_model : float, default 30
        On quit, wait up to this many seconds for a retrain still running, so that the
        summary (and ``hilt status`` afterwards) shows the model that the answers trained.
    now : callable, default time.monotonic
        The clock of the seconds kept with each answer: from showing the item to the answer,
        less the time the help (``?``: the guidelines and each label's description) was up.

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
    # The task's widget decides the keys: one key per answer, or toggles and Enter.
    multilabel = get_task(project.task).widget == "toggles"
    spans = get_task(project.task).widget == "spans"
    ticks = Ticks()  # multi-label: what is ticked on the item shown, what each answer was
    given_spans: dict[str, list] = {}  # spans: each answer of this session (an undo brings it back)
    back: Any = None  # spans: the item an undo brought back
    clock = ItemClock(now)

    def show_help() -> None:  # read at each ?, so a hilt config made meanwhile shows
        from hilt.cli._spans_terminal import SPANS_HELP

        out.print(help_screen(labels, project.label_descriptions, project.guidelines,
                              widget=get_task(project.task).widget, spans_help=SPANS_HELP))

    keys = HelpKeys(keys, show_help, clock)
    item = project.next_item(annotator)
    while item is not None:
        status = project.status()
        progress = progress_line(status, session)
        has_model = bool(status.get("runs"))
        if multilabel and ticks.fresh(item.id) and isinstance(item.suggestion, list):
            ticks.set(item.id, item.suggestion)  # a suggested set starts ticked, as on the page
        ticked = ticks.on(item.id) if multilabel else None

        def draw(ticked: Sequence[str] | None = ticked, marked: Sequence[dict] = (), suggested: bool = False) -> None:
            if spans:
                out.print(spans_screen(item, labels, marked, progress, has_model=has_model, width=out.width,
                                       suggested=suggested))
                return
            out.print(render_item(item, labels, project.kind, progress, has_model=has_model, image=image,
                                  ticked=ticked))
            line = suggestion_line(item)
            if line is not None:
                out.print(line)

        if out.is_terminal:  # a real terminal gets one item per screen
            out.clear()
        if notice is not None:
            out.print(notice)
            notice = None
        out.print()
        # Spans: an undone item starts as it was answered, another with the model's suggestions
        # when the item says so (suggest), else with nothing marked.
        undone_here = spans and back == item.id
        start = (given_spans.get(str(item.id), []) if undone_here else suggested_spans(item)) if spans else []
        draw(marked=start, suggested=bool(start) and not undone_here) if spans else draw()
        clock.start(item.id)  # the same item drawn again (after v) keeps its time
        if multilabel:
            action, label = _next_set_action(keys, labels, out, ticks, item.id, draw, item.suggestion)
        elif spans:
            action, label = _next_spans_action(keys, labels, out, item, start, draw)
        else:
            action, label = _next_action(keys, labels, out, item.suggestion)
        if action == "quit":
            break
        if action == "view":
            view_whole(item, project.kind, out)
            continue
        if action == "undo":
            notice, undone = _undo(project, annotator)
            if undone is not None:
                session.undone += 1
                item = undone
                ticks.restore(item.id)
                back = item.id
            continue
        try:
            project.answer(item.id, label, annotator, answer_id=uuid.uuid4().hex, seconds=clock.seconds())
        except HiltError as error:  # e.g. the lease ran out and someone else answered it
            notice = Text.assemble(("Not saved: ", "red"), str(error))
        else:
            if action == "skip":
                session.skipped += 1
                notice = Text(f"skipped item {item.id}", style="dim")
            else:
                session.labelled += 1
                notice = Text(spans_notice(item, label)) if spans else answer_notice(item, label)
            ticks.answered(item.id, label)
            if spans:
                given_spans[str(item.id)] = list(label or [])
        item = project.next_item(annotator)
    else:
        session.nothing_left = True
    if notice is not None:  # the last answer, with no next screen to carry it
        out.print(notice)
    _summary(project, session, out, wait_for_model)
    return session


def suggestion_line(item: Any) -> Text | None:
    """The line that shows an item's imported suggestion before the answer (``None`` without one).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from hilt.cli._label_loop import suggestion_line
    >>> str(suggestion_line(SimpleNamespace(suggestion="pos", suggestion_score=0.9, suggestion_source="zs")))
    'suggested by zs: pos (90 % sure) · . accepts it'
    >>> suggestion_line(SimpleNamespace(suggestion=None)) is None
    True
    """
    suggestion = getattr(item, "suggestion", None)
    if suggestion is None:
        return None
    if isinstance(suggestion, list) and suggestion and isinstance(suggestion[0], dict):
        what = f"{len(suggestion)} span{'s' if len(suggestion) != 1 else ''} (marked below)"
    elif isinstance(suggestion, list):
        what = ", ".join(suggestion) if suggestion else "none of these"
    else:
        what = str(suggestion)
    score = getattr(item, "suggestion_score", None)
    return Text.assemble((f"suggested by {getattr(item, 'suggestion_source', None) or 'a model'}: ", "italic"),
                         (what, "bold"), f" ({score:.0%} sure)".replace("%", " %") if score is not None else "",
                         (" · . accepts it", "dim"))


#: The key that accepts an item's suggestion (an answer with exactly the suggested label or set).
ACCEPT_KEY = "."


def _next_action(keys: Iterator[str], labels: Sequence[str], out: Console,
                 suggestion: Any = None) -> tuple[str, str | None]:
    for key in keys:
        if key.strip() == ACCEPT_KEY:
            if suggestion is not None:
                return "label", suggestion
            out.print("[yellow]This item has no suggestion:[/] press a label's key.")
            continue
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


class Ticks:
    """Multi-label: the labels ticked on the item on screen, and what this session answered
    per item (an undo brings back the ticks of the answer it takes back).

    Examples
    --------
    >>> from hilt.cli._label_loop import Ticks
    >>> ticks = Ticks()
    >>> ticks.on("7")
    ()
    >>> ticks.set("7", ("tech",)); ticks.on("7"), ticks.on("8")  # another item starts empty
    (('tech',), ())
    >>> ticks.answered("8", ["sports", "tech"]); ticks.restore("8"); ticks.on("8")
    ('sports', 'tech')
    """

    def __init__(self) -> None:
        self._item: Any = None
        self._ticked: tuple[str, ...] = ()
        self._given: dict[str, tuple[str, ...]] = {}

    def on(self, item_id: Any) -> tuple[str, ...]:
        """The labels ticked on ``item_id`` (none, for an item not seen just before)."""
        if item_id != self._item:
            self._item, self._ticked = item_id, ()
        return self._ticked

    def fresh(self, item_id: Any) -> bool:
        """Whether ``item_id`` is not the item the ticks are for (it is about to start afresh)."""
        return item_id != self._item

    def set(self, item_id: Any, ticked: Sequence[str]) -> None:
        self._item, self._ticked = item_id, tuple(ticked)

    def answered(self, item_id: Any, label: Any) -> None:
        """Remember the answer given to ``item_id`` (a skip as no ticks); the next item starts empty."""
        if len(self._given) >= 100:  # a session's recent answers are enough for undo
            self._given.pop(next(iter(self._given)))
        self._given[str(item_id)] = tuple(label or ())
        self._item, self._ticked = None, ()

    def restore(self, item_id: Any) -> None:
        """``item_id`` is back (undone): tick what its answer was."""
        self.set(item_id, self._given.get(str(item_id), ()))


def _next_set_action(keys: Iterator[str], labels: Sequence[str], out: Console, ticks: Ticks, item_id: Any,
                     draw: Any, suggestion: Any = None) -> tuple[str, Any]:
    """Multi-label: read keys until one ends the item: ``("label", [labels])`` (Enter on the
    ticked set, the none key's ``[]``, or a typed line of labels), skip, undo, view or quit.
    Toggles redraw the screen on a terminal, or say what is ticked in a pipe."""
    for key in keys:
        if key.strip() == ACCEPT_KEY and isinstance(suggestion, list):
            return "label", list(suggestion)  # the suggested set as it came, whatever is ticked
        action, value = parse_set_key(key, labels)
        if action == "toggle":
            ticked = toggle(ticks.on(item_id), str(value), labels)
            ticks.set(item_id, ticked)
            if out.is_terminal:
                out.clear()
                draw(ticked)
            else:
                out.print(f"ticked: {', '.join(ticked) if ticked else 'nothing'}", style="dim")
            continue
        if action == "submit":
            if not ticks.on(item_id):
                out.print(f"[yellow]Nothing is ticked:[/] press a label's key ({keys_hint(labels)}) to tick it, "
                          f"{NONE_KEY} for none of these, s to skip.")
                continue
            return "label", list(ticks.on(item_id))
        if action in ("none", "set"):
            return "label", list(value)
        if action == "unknown":
            shown = key.strip() if key.isprintable() else repr(key)
            out.print(
                f"[yellow]{shown!r} is not a key here:[/] press {keys_hint(labels)} to tick a label, Enter to "
                f"save the ticked labels, {NONE_KEY} for none of these, s to skip, u to undo, v to view a "
                "shortened text whole, q to quit."
            )
            continue
        return action, None
    return "quit", None


def _next_spans_action(keys: Iterator[str], labels: Sequence[str], out: Console, item: Any,
                       start: Sequence[dict], draw: Any) -> tuple[str, Any]:
    """Spans: read typed lines until one ends the item: ``("label", spans)`` (``.`` or an empty
    line saves the marks, ``0`` saves ``[]``), skip, undo, view or quit. Marks redraw the screen
    on a terminal, or say what is marked in a pipe; a line that is no command says why."""
    from hilt.cli._spans_terminal import item_tokens, spans_line

    text, tokens = item_tokens(item)
    marked = list(start)
    for key in keys:
        if key in QUIT_KEYS:
            return "quit", None
        try:
            command = parse_span_command(key, tokens, labels, marked)
        except InputError as error:
            out.print(Text.assemble(("Not a mark: ", "yellow"), str(error)))
            continue
        if command.action in ("mark", "remove"):
            marked = command.spans
            if out.is_terminal:
                out.clear()
                draw(marked=marked)
            else:
                out.print(f"marked: {spans_line(text, marked)}", style="dim", markup=False)
            continue
        if command.action == "help":
            out.print(SPANS_HELP, markup=False)
            continue
        if command.action in ("submit", "none"):
            return "label", command.spans
        return command.action, None
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

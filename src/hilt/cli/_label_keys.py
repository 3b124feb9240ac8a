"""The keys of ``hilt label``: which key does what, and reading them from a terminal or a pipe.

:func:`parse_key` turns one key press (or typed line) into an action; :func:`terminal_keys`
reads single key presses, :func:`line_keys` one key per line of a pipe. The label keys follow
:mod:`hilt.project.keys`, the web page's scheme, so a label has one key wherever it is labelled.

A multi-label project reads its keys with :func:`parse_set_key` instead: a label's key ticks or
unticks it (:func:`toggle`), Enter saves the ticked set, :data:`NONE_KEY` answers "none of
these" (the empty set), and a typed line of several labels is that set at once.
"""

from __future__ import annotations

import sys
from typing import IO, Any, Iterator, Sequence

from hilt.project import keys as project_keys
from hilt.project.keys import LABEL_KEYS, NONE_KEY

__all__ = ["ENTER_KEYS", "MAX_KEYED_LABELS", "NONE_KEY", "QUIT_KEYS", "keys_hint", "label_keys", "line_keys",
           "parse_key", "parse_set_key", "split_presses", "terminal_keys", "TerminalKeys", "toggle"]

#: Keys that end the session: q, Ctrl-C and Ctrl-D (the last two arrive as characters in
#: single-key mode).
QUIT_KEYS = ("q", "quit", "\x03", "\x04")
#: Label keys in the order labels get them (hilt.project.keys: the web page's scheme too, so a
#: label has one key wherever it is labelled).
_KEY_ORDER = list(LABEL_KEYS)
#: At most this many labels get single keys; more are typed as a number + Enter.
MAX_KEYED_LABELS = len(_KEY_ORDER)
#: Multi-label: what Enter arrives as: a newline or carriage return in single-key mode, an empty
#: line from a pipe.
ENTER_KEYS = ("\n", "\r", "\r\n", "")


def label_keys(labels: Sequence[str] | int) -> list[str]:
    """The single key of each label (:func:`hilt.project.keys.label_keys`, the web page's
    scheme): a single-digit label is its own key, the others take 1-9, 0, then letters no
    command uses; labels past the :data:`MAX_KEYED_LABELS` keys get ``""`` (they are typed as
    a number + Enter).

    Examples
    --------
    >>> from hilt.cli._label_keys import label_keys
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
    >>> from hilt.cli._label_keys import parse_key
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


def _one_label(key: str, labels: Sequence[str], keys: Sequence[str]) -> str | None:
    """The label one key, name or 1-based number stands for (as :func:`parse_key` reads them)."""
    if len(key) == 1 and key.lower() in keys:
        return labels[keys.index(key.lower())]
    if key in labels:
        return key
    if key.isdigit() and 1 <= int(key) <= len(labels):
        return labels[int(key) - 1]
    return None


def parse_set_key(key: str, labels: Sequence[str]) -> tuple[str, Any]:
    """Interpret one key press (or typed line) of a multi-label project as ``(action, value)``.

    ``action`` is ``"toggle"`` (``value``: the label to tick or untick), ``"submit"`` (Enter:
    save the ticked set), ``"none"`` (:data:`NONE_KEY`: the empty set), ``"set"`` (a typed line
    of several labels, by key, name or number, separated by commas or spaces: ``value`` is that
    set in label order, saved at once), ``"skip"``, ``"undo"``, ``"view"``, ``"quit"`` or
    ``"unknown"``. A label is named as :func:`parse_key` names it.

    Examples
    --------
    >>> from hilt.cli._label_keys import parse_set_key
    >>> labels = ["sports", "politics", "tech"]
    >>> parse_set_key("1", labels), parse_set_key("tech", labels), parse_set_key("\\n", labels)
    (('toggle', 'sports'), ('toggle', 'tech'), ('submit', None))
    >>> parse_set_key("-", labels), parse_set_key("3, 1", labels), parse_set_key("s", labels)
    (('none', ()), ('set', ('sports', 'tech')), ('skip', None))
    >>> parse_set_key("1 9", labels)  # 9 is no label: nothing is saved
    ('unknown', None)
    """
    if key in ENTER_KEYS:
        return "submit", None
    key = key.strip() if key.strip() else key
    keys = label_keys(labels)
    label = _one_label(key, labels, keys)
    if label is not None:
        return "toggle", label
    lowered = key.lower()
    if lowered in (NONE_KEY, "none"):
        return "none", ()
    parts = [part for part in key.replace(",", " ").split() if part]
    if len(parts) > 1:
        named = [_one_label(part, labels, keys) for part in parts]
        if all(name is not None for name in named):
            chosen = set(named)
            return "set", tuple(label for label in labels if label in chosen)
        return "unknown", None
    action, _ = parse_key(key, labels)
    return (action, None) if action in ("quit", "skip", "undo", "view") else ("unknown", None)


def toggle(ticked: Sequence[str], label: str, labels: Sequence[str]) -> tuple[str, ...]:
    """``ticked`` with ``label`` ticked if it was not, unticked if it was; in label order.

    Examples
    --------
    >>> from hilt.cli._label_keys import toggle
    >>> labels = ["sports", "politics", "tech"]
    >>> toggle((), "tech", labels), toggle(("tech",), "sports", labels), toggle(("sports", "tech"), "tech", labels)
    (('tech',), ('sports', 'tech'), ('sports',))
    """
    chosen = set(ticked) ^ {label}
    return tuple(name for name in labels if name in chosen)


def keys_hint(labels: Sequence[str] | int) -> str:
    """The label keys as ranges for messages: ``1-9, 0, a-b`` for 12 labels, plus how to
    type the labels past the single keys.

    Examples
    --------
    >>> from hilt.cli._label_keys import keys_hint
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


def line_keys(stream: IO[str]) -> Iterator[str]:
    """One key per line of ``stream`` (for pipes and scripts: ``printf '1\\n2\\nq\\n' | hilt label``)."""
    for line in stream:
        yield line.rstrip("\r\n")


def terminal_keys(stream: IO[str] | None = None, *, one_per_key: bool = False) -> "TerminalKeys":
    """Single key presses from a terminal, without waiting for Enter.

    The terminal is put in cbreak mode at once (keys arrive as pressed, output still wraps
    lines and Ctrl-C is read as a key here), so that keys typed while the first screen is drawn
    wait for it instead of being echoed and thrown away; it is restored when the iterator is
    closed. With ``one_per_key`` (a multi-label project, where several label keys are pressed in
    a row) keys that arrive in one read, typed while the screen was busy, come one by one.
    """
    return TerminalKeys((stream or sys.stdin).fileno(), one_per_key=one_per_key)


def split_presses(chunk: str) -> list[str]:
    r"""The key presses in what one read of a terminal gave: each character, but an escape
    sequence (an arrow key) whole and a carriage return + newline as one Enter.

    Examples
    --------
    >>> from hilt.cli._label_keys import split_presses
    >>> split_presses("13\r"), split_presses("\x1b[A"), split_presses("2\r\n-")
    (['1', '3', '\r'], ['\x1b[A'], ['2', '\r\n', '-'])
    """
    if chunk.startswith("\x1b"):
        return [chunk]
    presses: list[str] = []
    for char in chunk:
        if char == "\n" and presses and presses[-1] == "\r":
            presses[-1] = "\r\n"
        else:
            presses.append(char)
    return presses


class TerminalKeys:
    """An iterator of key presses from the terminal ``fd`` in cbreak mode (:func:`terminal_keys`);
    :meth:`close` restores the terminal's mode."""

    def __init__(self, fd: int, *, one_per_key: bool = False) -> None:
        import termios
        import tty

        self._fd = fd
        self._one_per_key = one_per_key
        self._waiting: list[str] = []  # presses of the last read not handed out yet
        self._saved: list | None = termios.tcgetattr(fd)
        tty.setcbreak(fd, termios.TCSANOW)  # TCSANOW: keys typed ahead are kept, not flushed
        mode = termios.tcgetattr(fd)
        mode[3] &= ~termios.ISIG  # read Ctrl-C as a key so quitting still prints the summary
        termios.tcsetattr(fd, termios.TCSANOW, mode)

    def __iter__(self) -> "TerminalKeys":
        return self

    def __next__(self) -> str:
        import os

        if self._waiting:
            return self._waiting.pop(0)
        if self._saved is None:
            raise StopIteration
        # One read takes a whole key press, so an arrow key's escape sequence is one key.
        pressed = os.read(self._fd, 32)
        if not pressed:
            raise StopIteration
        chunk = pressed.decode("utf-8", errors="replace")
        if not self._one_per_key:
            return chunk
        self._waiting = split_presses(chunk)
        return self._waiting.pop(0)

    def close(self) -> None:
        import termios

        if self._saved is not None:
            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
            self._saved = None

"""``hilt label`` on a spans project: the text with numbered tokens, the marked spans in brackets
(``[Grace Hopper]PER``) and a small line syntax to mark them.

Pure functions: nothing here reads keys, prints or talks to the project
(:mod:`hilt.cli._label_loop` does). The tokens are the server's and the page's
(:func:`hilt.tasks.spans_text.tokenize`), numbered from 1 for people to type; the spans are
code-point offsets into the text, as everywhere (the contract of the spans task).

The syntax, one command per line (:data:`SPANS_HELP`, shown on ``?`` and in ``hilt label --help``):

- ``3-4 1`` marks tokens 3 to 4 with the label whose key is 1 (the keys of
  :mod:`hilt.project.keys`, as on the page; the label's name works too);
- ``5 2`` marks token 5 alone;
- ``-3`` removes the span that covers token 3, ``x`` removes every span (the model's
  suggestions too);
- ``.`` or an empty line saves the marked spans (possibly none);
- ``0`` or ``-`` (:data:`hilt.project.keys.NONE_KEY`) saves "nothing to mark" (``[]``), when
  nothing is marked;
- ``s`` skips, ``u`` undoes, ``v`` shows a shortened text whole, ``q`` quits, ``?`` helps.

A new mark replaces the spans it overlaps (as on the page), so a wrong label is mended by
marking the same tokens again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from rich.cells import cell_len
from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from hilt.errors import InputError
from hilt.project.keys import NONE_KEY, label_keys
from hilt.tasks.spans_text import tokenize

__all__ = ["SHOWN_TOKENS", "SPANS_HELP", "SpanCommand", "item_tokens", "numbered_tokens", "parse_span_command", "render_spans",
           "spans_keys_line", "spans_line", "spans_notice", "spans_screen", "suggested_spans"]

#: Tokens shown numbered at once: a long text's first ones (the rest are said to be there). Far
#: more than a sentence needs, and a screenful or two at most.
SHOWN_TOKENS = 600

#: What ``?`` shows, and ``hilt label --help`` on a spans project.
SPANS_HELP = (
    "Mark spans by token number (the numbers under the words): "
    "'3-4 1' marks tokens 3 to 4 with the label of key 1 (or its name: '3-4 PER'), "
    "'5 2' marks token 5 alone, '-3' removes the span on token 3, 'x' removes them all, "
    "'.' or an empty line saves the marked spans, "
    f"'0' or '{NONE_KEY}' saves 'nothing to mark' (with nothing marked), "
    "'s' skips, 'u' undoes, 'v' shows a long text whole, 'q' quits, '?' shows this. "
    "Marking tokens again replaces the spans there."
)


@dataclass(frozen=True)
class SpanCommand:
    """What one typed line asks for.

    Attributes
    ----------
    action : str
        ``"mark"`` or ``"remove"`` (``spans`` is the new list; keep editing; ``x`` removes them all), ``"submit"`` (save
        ``spans``), ``"none"`` (save ``[]``: nothing to mark), ``"help"``, ``"skip"``,
        ``"undo"``, ``"view"`` or ``"quit"``.
    spans : list of dict
        The spans after the command, sorted by (start, end): the current ones unless the
        command changed them.
    """

    action: str
    spans: list[dict]


def _sorted(spans: Sequence[Mapping[str, Any]]) -> list[dict]:
    return sorted(({"start": int(s["start"]), "end": int(s["end"]), "label": str(s["label"])} for s in spans),
                  key=lambda s: (s["start"], s["end"]))


def render_spans(text: str, spans: Sequence[Mapping[str, Any]], labels: Sequence[str] | None = None) -> str:
    """``text`` with each span in brackets followed by its label: ``[Grace Hopper]PER``.

    Parameters
    ----------
    text : str
        The item's text.
    spans : sequence of dict
        ``{"start", "end", "label"}`` code-point offsets into ``text``, not overlapping.
    labels : sequence of str, optional
        The project's labels: given, a span with another label is refused.

    Returns
    -------
    str
        The text, every character of it in place, with the brackets and labels added.

    Raises
    ------
    InputError
        A span out of the text's range, overlapping the one before, or with an unknown label.

    Examples
    --------
    >>> from hilt.cli._spans_terminal import render_spans
    >>> text = "Grace Hopper met Ada in London."
    >>> render_spans(text, [{"start": 24, "end": 30, "label": "LOC"}, {"start": 0, "end": 12, "label": "PER"}])
    '[Grace Hopper]PER met Ada in [London]LOC.'
    >>> render_spans(text, [])
    'Grace Hopper met Ada in London.'
    """
    known = None if labels is None else set(map(str, labels))
    out: list[str] = []
    at = 0
    for number, span in enumerate(_sorted(spans), start=1):
        start, end, label = span["start"], span["end"], span["label"]
        if not 0 <= start < end <= len(text):
            raise InputError(f"span {number} {span}: expected 0 <= start < end <= {len(text)} (the text's length).")
        if start < at:
            raise InputError(f"span {number} {span}: it overlaps the span before it (which ends at {at}).")
        if known is not None and label not in known:
            raise InputError(f"span {number} {span}: label {label!r} is not one of {sorted(known)}.")
        out.append(text[at:start])
        out.append(f"[{text[start:end]}]{label}")
        at = end
    out.append(text[at:])
    return "".join(out)


def spans_line(text: str, spans: Sequence[Mapping[str, Any]]) -> str:
    """The marked spans alone, in words: ``[Grace Hopper]PER [London]LOC``; ``nothing marked``
    for none.

    Examples
    --------
    >>> from hilt.cli._spans_terminal import spans_line
    >>> spans_line("Ada in Paris", [{"start": 7, "end": 12, "label": "LOC"}])
    '[Paris]LOC'
    >>> spans_line("Ada in Paris", [])
    'nothing marked'
    """
    spans = _sorted(spans)
    if not spans:
        return "nothing marked"
    return " ".join(f"[{text[s['start']:s['end']]}]{s['label']}" for s in spans)


def numbered_tokens(text: str, width: int = 80, tokens: Sequence[Sequence[int]] | None = None) -> str:
    """The text's tokens in columns, each with its number (from 1) on the line under it.

    Tokens are separated by one space (a word and the comma after it are two tokens, two
    columns); a line break in the text starts a new line; a line longer than ``width`` (in
    terminal cells: an emoji takes two) wraps between tokens.

    Parameters
    ----------
    text : str
        The item's text.
    width : int, default 80
        The terminal's width.
    tokens : sequence of (start, end), optional
        The text's tokens (the served item's); :func:`hilt.tasks.spans_text.tokenize` when not given.

    Examples
    --------
    >>> from hilt.cli._spans_terminal import numbered_tokens
    >>> print(numbered_tokens("Grace Hopper met Ada,\\nin London."))
    Grace Hopper met Ada ,
    1     2      3   4   5
    in London .
    6  7      8
    >>> print(numbered_tokens("one two three four", width=10))
    one two
    1   2
    three four
    3     4
    """
    tokens = tokenize(text) if tokens is None else [(int(a), int(b)) for a, b in tokens]
    lines: list[str] = []
    words: list[str] = []
    numbers: list[str] = []
    used = 0

    def flush() -> None:
        nonlocal words, numbers, used
        if words:
            lines.append(" ".join(words).rstrip())
            lines.append(" ".join(numbers).rstrip())
        words, numbers, used = [], [], 0

    at = 0
    for number, (start, end) in enumerate(tokens, start=1):
        if "\n" in text[at:start] or "\r" in text[at:start]:
            flush()
        word = text[start:end].replace("\t", " ")
        label = str(number)
        column = max(cell_len(word), len(label))
        if words and used + 1 + column > width:
            flush()
        words.append(word + " " * (column - cell_len(word)))
        numbers.append(label + " " * (column - len(label)))
        used += column + (1 if used else 0)
        at = end
    flush()
    return "\n".join(lines)


def _token_number(part: str, n_tokens: int, line: str) -> int:
    if not part.isdigit():
        raise InputError(f"{line!r}: expected a token number (1-{n_tokens}), got {part!r}. Type ? for help.")
    number = int(part)
    if not 1 <= number <= n_tokens:
        raise InputError(f"{line!r}: there is no token {number}: this text has tokens 1-{n_tokens}.")
    return number


def _label_of(part: str, labels: Sequence[str], line: str) -> str:
    keys = label_keys(labels)
    if part.lower() in keys and part.lower():
        return str(labels[keys.index(part.lower())])
    if part in map(str, labels):
        return part
    shown = ", ".join(f"{key}={label}" for key, label in zip(keys, labels) if key)
    raise InputError(f"{line!r}: expected a label's key or name after the tokens ({shown}), got {part!r}.")


def parse_span_command(line: str, tokens: Sequence[Sequence[int]], labels: Sequence[str],
                       current_spans: Sequence[Mapping[str, Any]]) -> SpanCommand:
    """What one typed line does to the spans marked so far (the syntax: :data:`SPANS_HELP`).

    Parameters
    ----------
    line : str
        What was typed (its line end may still be on it).
    tokens : sequence of (start, end)
        The item's tokens (:func:`hilt.tasks.spans_text.tokenize`); typed numbers count from 1.
    labels : sequence of str
        The project's labels; a label is named by its key (:func:`hilt.project.keys.label_keys`)
        or its name.
    current_spans : sequence of dict
        The spans marked so far (code-point offsets).

    Returns
    -------
    SpanCommand
        The action and the spans after it.

    Raises
    ------
    InputError
        The line is none of the commands, names a token or a label that does not exist, removes
        where no span is, or says "nothing to mark" while spans are marked; the message says
        what was expected.

    Examples
    --------
    >>> from hilt.cli._spans_terminal import parse_span_command
    >>> from hilt.tasks.spans_text import tokenize
    >>> text = "Grace Hopper met Ada in London"
    >>> tokens, labels = tokenize(text), ["PER", "LOC"]
    >>> marked = parse_span_command("1-2 1", tokens, labels, []).spans
    >>> marked
    [{'start': 0, 'end': 12, 'label': 'PER'}]
    >>> command = parse_span_command("6 LOC", tokens, labels, marked)
    >>> command.action, [text[s["start"]:s["end"]] for s in command.spans]
    ('mark', ['Grace Hopper', 'London'])
    >>> parse_span_command("-2", tokens, labels, command.spans).spans
    [{'start': 24, 'end': 30, 'label': 'LOC'}]
    >>> parse_span_command("", tokens, labels, marked).action, parse_span_command("0", tokens, labels, []).action
    ('submit', 'none')
    >>> parse_span_command("9 1", tokens, labels, [])
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: '9 1': there is no token 9: this text has tokens 1-6.
    """
    current = _sorted(current_spans)
    typed = line.strip()
    tokens = [(int(a), int(b)) for a, b in tokens]
    if typed in ("", "."):
        return SpanCommand("submit", current)
    if typed == "?" or typed.lower() == "help":
        return SpanCommand("help", current)
    if typed.lower() in ("x", "clear"):
        return SpanCommand("remove", [])
    if typed in ("0", NONE_KEY) or typed.lower() == "none":
        if current:
            raise InputError(f"{typed!r}: nothing to mark, but {len(current)} span{'s are' if len(current) > 1 else ' is'}"
                             " marked: '-N' removes the span on token N, 'x' removes them all, '.' saves them.")
        return SpanCommand("none", [])
    commands = {"s": "skip", "skip": "skip", "u": "undo", "undo": "undo", "v": "view", "view": "view",
                "q": "quit", "quit": "quit", "\x03": "quit", "\x04": "quit"}
    if typed.lower() in commands and " " not in typed:
        return SpanCommand(commands[typed.lower()], current)
    if not tokens:
        raise InputError(f"{typed!r}: this text has no tokens to mark: '0' saves 'nothing to mark', 's' skips.")
    n = len(tokens)
    if typed.startswith("-"):
        number = _token_number(typed[1:].strip(), n, typed)
        start, end = tokens[number - 1]
        kept = [s for s in current if not (s["start"] < end and start < s["end"])]
        if len(kept) == len(current):
            raise InputError(f"{typed!r}: no span covers token {number}; the spans marked: "
                             f"{', '.join(str(s) for s in current) or 'none'}.")
        return SpanCommand("remove", kept)
    parts = typed.split()
    if len(parts) != 2:
        raise InputError(f"{typed!r}: expected tokens and a label ('3-4 1', '5 2'), '-3', '.', '0' or '?'.")
    where, name = parts
    first, dash, last = where.partition("-")
    a = _token_number(first, n, typed)
    b = _token_number(last, n, typed) if dash else a
    if b < a:
        raise InputError(f"{typed!r}: expected the lower token number first ({b}-{a}).")
    label = _label_of(name, labels, typed)
    start, end = tokens[a - 1][0], tokens[b - 1][1]
    kept = [s for s in current if s["end"] <= start or s["start"] >= end]
    return SpanCommand("mark", _sorted([*kept, {"start": start, "end": end, "label": label}]))


def item_tokens(item: Any) -> tuple[str, list[tuple[int, int]]]:
    """The text of a served item and its tokens: the item's own (``item.tokens``, as the server
    sends them), else :func:`hilt.tasks.spans_text.tokenize` of its text (the same tokens).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from hilt.cli._spans_terminal import item_tokens
    >>> item_tokens(SimpleNamespace(data={"text": "Ada, hi"}, tokens=None))
    ('Ada, hi', [(0, 3), (3, 4), (5, 7)])
    """
    data = dict(getattr(item, "data", {}) or {})
    text = data.get("text")
    text = "" if text is None else str(text)
    tokens = getattr(item, "tokens", None)
    return text, tokenize(text) if tokens is None else [(int(a), int(b)) for a, b in tokens]


def spans_keys_line(labels: Sequence[str]) -> str:
    """The keys of a spans screen: each label's key, then the syntax in short.

    Examples
    --------
    >>> from hilt.cli._spans_terminal import spans_keys_line
    >>> print(spans_keys_line(["PER", "LOC"]))
    labels: 1 PER   2 LOC
    '3-4 1' marks tokens 3-4 · '5 2' token 5 · '-3' removes · 'x' clears · '.' or Enter saves · '0' nothing to mark · s skip · u undo · q quit · ? help
    """
    keys = label_keys(labels)
    named = "   ".join(f"{key or number} {label}" for number, (key, label) in enumerate(zip(keys, labels), start=1))
    return (f"labels: {named}\n'3-4 1' marks tokens 3-4 · '5 2' token 5 · '-3' removes · 'x' clears · '.' or Enter saves · "
            "'0' nothing to mark · s skip · u undo · q quit · ? help")


def spans_notice(item: Any, spans: Sequence[Mapping[str, Any]]) -> str:
    """What the screen says once ``spans`` were saved for ``item``, and what the model guessed.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from hilt.cli._spans_terminal import spans_notice
    >>> item = SimpleNamespace(id="7", data={"text": "Ada in Paris"}, tokens=None, guess=[{"start": 7, "end": 12, "label": "LOC"}])
    >>> spans_notice(item, [{"start": 0, "end": 3, "label": "PER"}, {"start": 7, "end": 12, "label": "LOC"}])
    'saved: [Ada]PER [Paris]LOC for item 7 · the model guessed [Paris]LOC'
    >>> spans_notice(SimpleNamespace(**{**vars(item), "guess": []}), [])
    'saved: nothing to mark for item 7 · the model agreed'
    """
    text, _ = item_tokens(item)
    said = spans_line(text, spans) if spans else "nothing to mark"
    notice = f"saved: {said} for item {item.id}"
    guess = getattr(item, "guess", None)
    if not isinstance(guess, list):
        return notice
    key = lambda s: (int(s["start"]), int(s["end"]), str(s["label"]))  # noqa: E731
    if sorted(map(key, guess)) == sorted(map(key, spans)):
        return notice + " · the model agreed"
    return notice + f" · the model guessed {spans_line(text, guess) if guess else 'nothing to mark'}"


def suggested_spans(item: Any) -> list[dict]:
    """The spans a served item starts marked with: its imported suggestion when it has one, else
    the model's guess when the item says ``suggest`` (neither ever on an evaluation item:
    :func:`hilt.project.labelling.suggests`), else none.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from hilt.cli._spans_terminal import suggested_spans
    >>> guess = [{"start": 0, "end": 3, "label": "PER"}]
    >>> suggested_spans(SimpleNamespace(guess=guess, suggest=True)), suggested_spans(SimpleNamespace(guess=guess, suggest=False))
    ([{'start': 0, 'end': 3, 'label': 'PER'}], [])
    """
    imported = getattr(item, "suggestion", None)  # another model's spans, when imported for the item
    if isinstance(imported, list):
        return _sorted(imported)
    guess = getattr(item, "guess", None)
    return _sorted(guess) if getattr(item, "suggest", False) and isinstance(guess, list) else []


def spans_screen(item: Any, labels: Sequence[str], marked: Sequence[Mapping[str, Any]], progress: str = "", *,
                 has_model: bool = False, width: int = 80, suggested: bool = False) -> Group:
    """The screen for one spans item: progress, the numbered tokens in a panel, what is marked
    so far (in brackets), whether there is a model yet, the keys.

    ``suggested``: the marks are the model's suggestions (:func:`suggested_spans`), as yet untouched;
    the screen says so, and how to accept or clear them. Otherwise the model's guess is not on
    it (it is shown after the answer, as for the other tasks).

    Examples
    --------
    >>> from rich.console import Console
    >>> from types import SimpleNamespace
    >>> from hilt.cli._spans_terminal import spans_screen
    >>> item = SimpleNamespace(id="7", data={"text": "Ada in Paris"}, tokens=None)
    >>> screen = Console(width=60, record=True, file=open("/dev/null", "w"))
    >>> screen.print(spans_screen(item, ["PER", "LOC"], [{"start": 7, "end": 12, "label": "LOC"}]))
    >>> shown = screen.export_text()
    >>> print("\\n".join(line.rstrip() for line in shown.splitlines()[1:3]))
    │ Ada in Paris                                             │
    │ 1   2  3                                                 │
    >>> "marked: [Paris]LOC" in shown
    True
    """
    text, tokens = item_tokens(item)
    shown = tokens[:SHOWN_TOKENS]
    body = Text(numbered_tokens(text, width=max(20, width - 4), tokens=shown) or "(no tokens: '0' saves nothing to mark)")
    if len(tokens) > len(shown):
        body.append(f"\n… {len(tokens) - len(shown):,} more tokens (numbers up to {len(tokens)} mark them too; "
                    "v shows the text whole)", style="dim")
    parts: list[Any] = []
    if progress:
        parts.append(Text(progress, style="dim"))
    parts.append(Panel(body, title=f"item {item.id}", title_align="left"))
    parts.append(Text.assemble("marked: ", (spans_line(text, marked), "bold green" if marked else "dim")))
    if suggested and marked:
        parts[-1].append("  (suggested by the model: '.' accepts, 'x' clears, '-N' removes one)", style="yellow")
    parts.append(Text("model's guess: shown after you answer" if has_model
                      else "model's guess: none yet (no model trained)", style="dim"))
    parts.append(Text(spans_keys_line(labels)))
    return Group(*parts)

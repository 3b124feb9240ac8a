"""Tokens of a text for the ``spans`` task, and spans to and from IOB2 tags.

Offsets are Python string indices (Unicode code points) into the original text, everywhere:
in stored answers, in the API, in imports and exports. A token is ``(start, end)`` with
``text[start:end]`` its characters; whitespace (spaces, tabs, CR, LF, any Unicode space) lies
between tokens and belongs to none; every other character belongs to exactly one token, so no
character is ever lost. A token is a run of word characters (letters, digits, ``_``) with the
combining marks that follow them, or one other character (punctuation, a symbol, an emoji)
with its combining marks, variation selectors, skin-tone modifiers and zero-width-joined
successors (a family emoji is one token). The page and the terminal get the same tokens from
the server; the sequence model labels these tokens.

Examples
--------
>>> from hilt.tasks.spans_text import tokenize, token_texts
>>> text = "Ada Lovelace\\tmet 👩‍💻 in Café!"
>>> token_texts(text, tokenize(text))
['Ada', 'Lovelace', 'met', '👩\u200d💻', 'in', 'Café', '!']
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from typing import Iterable, Mapping, Sequence

__all__ = ["Span", "Token", "tokenize", "token_texts", "spans_to_tags", "tags_to_spans", "snap_spans"]

#: ``(start, end)``: code-point offsets of a token.
Token = tuple[int, int]
#: ``{"start": int, "end": int, "label": str}``: a marked stretch of text.
Span = Mapping[str, object]

_ASCII_TOKEN = re.compile(r"\w+|\S")
_ZWJ = "\u200d"


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _is_mark(char: str) -> bool:
    """A character that modifies the one before it and never stands alone: a combining mark,
    a variation selector, an emoji skin-tone modifier or a tag character."""
    code = ord(char)
    return (unicodedata.category(char) in ("Mn", "Mc", "Me") or 0xFE00 <= code <= 0xFE0F
            or 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F or 0xE0100 <= code <= 0xE01EF)


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` as ``(start, end)`` code-point offsets, in order.

    Examples
    --------
    >>> tokenize("New York's\\r\\nbest")
    [(0, 3), (4, 8), (8, 9), (9, 10), (12, 16)]
    >>> tokenize("")
    []
    """
    if text.isascii():  # the common case, at regex speed
        return [m.span() for m in _ASCII_TOKEN.finditer(text)]
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        start = i
        i += 1
        if _is_word(char):
            while i < n and (_is_word(text[i]) or _is_mark(text[i])):
                i += 1
        while i < n:  # what modifies or joins the character just read stays with it
            if _is_mark(text[i]):
                i += 1
            elif text[i] == _ZWJ and i + 1 < n and not text[i + 1].isspace():
                i += 2
            elif text[i] == _ZWJ:
                i += 1
            else:
                break
        tokens.append((start, i))
    return tokens


def token_texts(text: str, tokens: Iterable[Token]) -> list[str]:
    """The characters of each token."""
    return [text[start:end] for start, end in tokens]


def spans_to_tags(tokens: Sequence[Token], spans: Iterable[Span]) -> list[str]:
    """IOB2 tags (``B-LABEL``, ``I-LABEL``, ``O``), one per token: a token belongs to the span it
    overlaps (spans that overlap no token leave no tag; the first span wins a shared token).

    Examples
    --------
    >>> tokens = tokenize("Ada met Grace Hopper today")
    >>> spans_to_tags(tokens, [{"start": 0, "end": 3, "label": "PER"}, {"start": 8, "end": 20, "label": "PER"}])
    ['B-PER', 'O', 'B-PER', 'I-PER', 'O']
    """
    tags = ["O"] * len(tokens)
    starts = [start for start, _ in tokens]
    for span in sorted(spans, key=lambda s: (int(s["start"]), int(s["end"]))):
        lo, hi, label = int(span["start"]), int(span["end"]), str(span["label"])
        first = max(bisect_right(starts, lo) - 1, 0)
        inside = [t for t in range(first, bisect_left(starts, hi)) if tokens[t][1] > lo and tokens[t][0] < hi]
        if not inside or any(tags[t] != "O" for t in inside):
            continue
        tags[inside[0]] = f"B-{label}"
        for t in inside[1:]:
            tags[t] = f"I-{label}"
    return tags


def tags_to_spans(tokens: Sequence[Token], tags: Sequence[str]) -> list[dict]:
    """Spans from IOB2 tags over ``tokens`` (an ``I-`` that does not continue an entity of its
    label starts one, as seqeval reads IOB2 by default; ``O`` and anything unprefixed ends one).

    Examples
    --------
    >>> tokens = tokenize("Ada met Grace Hopper")
    >>> tags_to_spans(tokens, ["B-PER", "O", "I-PER", "I-PER"])
    [{'start': 0, 'end': 3, 'label': 'PER'}, {'start': 8, 'end': 20, 'label': 'PER'}]
    """
    if len(tags) != len(tokens):
        raise ValueError(f"Expected one tag per token ({len(tokens)}); got {len(tags)} tags.")
    spans: list[dict] = []
    current: dict | None = None
    for (start, end), tag in zip(tokens, tags):
        prefix, _, label = tag.partition("-")
        if prefix == "I" and current is not None and current["label"] == label:
            current["end"] = end
            continue
        if prefix in ("B", "I") and label:
            current = {"start": start, "end": end, "label": label}
            spans.append(current)
        else:
            current = None
    return spans


def snap_spans(tokens: Sequence[Token], spans: Iterable[Span]) -> list[dict]:
    """``spans`` widened to whole tokens (a span that overlaps no token is dropped): what the
    model learns and what the page's token cursor can mark.

    Examples
    --------
    >>> snap_spans(tokenize("Grace Hopper"), [{"start": 1, "end": 8, "label": "PER"}])
    [{'start': 0, 'end': 12, 'label': 'PER'}]
    """
    return tags_to_spans(tokens, spans_to_tags(tokens, spans))

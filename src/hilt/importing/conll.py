"""CoNLL / IOB files of tokens and tags: the format named-entity data sets come in.

A CoNLL file holds one token per line, its tag in the last column (CoNLL-2003's part-of-speech
and chunk columns in between are allowed and ignored), columns separated by a tab or by spaces,
a blank line between sentences; ``-DOCSTART-`` lines (CoNLL-2003's document breaks) are skipped.

* :func:`read_conll` reads such a file as hilt items: each sentence becomes a text, its tokens
  joined by one space, and its entities spans of that text (code-point offsets, as everywhere in
  the ``spans`` task). IOB2 tags (``O``, ``B-PER``, ``I-PER``) are read as they are; IOB1 (an
  ``I-`` that starts an entity) and BIOES / BILOU (``E-``/``L-`` ends one, ``S-``/``U-`` is a
  one-token entity) are converted.
* the writer is :func:`hilt.project.export_spans.write_conll` (IOB2 over hilt's own tokens,
  which this layer, below :mod:`hilt.tasks`, does not know).

Examples
--------
>>> from hilt.importing.conll import read_conll
>>> texts, spans = read_conll(["Grace\\tB-PER", "Hopper\\tI-PER", "sailed\\tO", "", "Paris S-LOC"])
>>> texts
['Grace Hopper sailed', 'Paris']
>>> spans
[[{'start': 0, 'end': 12, 'label': 'PER'}], [{'start': 0, 'end': 5, 'label': 'LOC'}]]
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from hilt.errors import InputError

__all__ = ["CONLL_SUFFIXES", "DOCSTART", "read_conll"]

#: File suffixes read as CoNLL / IOB (any other name needs the format said: ``--format conll``).
CONLL_SUFFIXES = (".conll", ".iob")

#: The line CoNLL-2003 puts at the start of each document (first column).
DOCSTART = "-DOCSTART-"

# Tag prefixes: B/I of IOB1 and IOB2; E/L (end) and S/U (single) of BIOES and BILOU.
_BEGIN, _INSIDE, _END, _SINGLE = {"B"}, {"I"}, {"E", "L"}, {"S", "U"}
_PREFIXES = _BEGIN | _INSIDE | _END | _SINGLE
_CONTINUES = _INSIDE | _END  # may continue the entity before it
_CLOSES = _END | _SINGLE  # the entity ends with this token

_EXPECTED_TAG = ("a tag O, B-TYPE or I-TYPE (IOB), or E-TYPE, L-TYPE, S-TYPE, U-TYPE (BIOES, BILOU), "
                 "TYPE the entity's label")


def read_conll(data: Any, *, source: str | None = None, labels: Sequence[str] | None = None,
               encoding: str = "utf-8") -> tuple[list[str], list[list[dict]]]:
    """The sentences of a CoNLL / IOB file as texts and their spans.

    Parameters
    ----------
    data : str, path-like or iterable of str
        A file path, or the file's lines (with or without their line ends), e.g. an open text
        file (a string is a path).
    source : str, optional
        The name messages give the input (default: the file's name; none for lines).
    labels : sequence of str, optional
        When given, a tag whose label is not one of these is refused, naming its line.
    encoding : str, default "utf-8"
        Of a file (an encoding that writes a line end as the one byte ``\\n``, as UTF-8 and
        Latin-1 do); a UTF-8 byte-order mark is dropped.

    Returns
    -------
    texts : list of str
        One per sentence: its tokens joined by one space.
    spans : list of list of dict
        The entities of each sentence, ``{"start", "end", "label"}`` with code-point offsets
        into its text, sorted, never overlapping.

    Raises
    ------
    InputError
        A line with a single column (``line 12: expected 'token<TAB>tag' ...``), an empty token,
        a tag of no known scheme, a label not in ``labels``, a file that cannot be decoded, a
        missing file, or no sentence at all. Each message names the line.

    Notes
    -----
    A token is kept exactly as written (a tab-separated token may hold a space); the spans are
    over these tokens, so they need not fall on the tokens :func:`hilt.tasks.spans_text.tokenize`
    finds (``@ada`` is one CoNLL token and two of hilt's): the project keeps a person's exact
    marks, and its model snaps them to its own tokens when it learns.

    Examples
    --------
    CoNLL-2003 columns (the tag is the last), a ``-DOCSTART-`` line, BIOES tags:

    >>> lines = ["-DOCSTART- -X- -X- O", "", "EU NNP B-NP S-ORG", "rejects VBZ B-VP O",
    ...          "Peter NNP B-NP B-PER", "Blackburn NNP I-NP E-PER"]
    >>> read_conll(lines)
    (['EU rejects Peter Blackburn'], [[{'start': 0, 'end': 2, 'label': 'ORG'}, {'start': 11, 'end': 26, 'label': 'PER'}]])
    >>> read_conll(["Ada\\tB-PER", "Lovelace"], source="people.conll")
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: people.conll, line 2: expected 'token<TAB>tag' (or the token and its tag separated by spaces); got 'Lovelace'.
    """
    if isinstance(data, str) and "\n" in data:
        raise InputError("Expected a CoNLL file's path or its lines; got a text of several lines. Pass its "
                         "lines: read_conll(text.splitlines()).")
    if isinstance(data, (str, os.PathLike)):
        path = Path(data)
        name = path.name if source is None else source
        lines: Iterable[str] = _file_lines(path, name, encoding)
    else:
        name = source
        lines = data
    prefix = f"{name}, " if name else ""
    known = None if labels is None else set(labels)
    texts: list[str] = []
    spans: list[list[dict]] = []
    tokens: list[str] = []
    tags: list[str] = []
    number = 0
    for number, line in enumerate(lines, start=1):
        if not isinstance(line, str):
            raise InputError(f"{prefix}line {number}: expected a line of text; got {type(line).__name__}.")
        body = line.rstrip()
        if not body:
            _end_sentence(tokens, tags, texts, spans)
            continue
        if body.split(None, 1)[0] == DOCSTART:  # with or without columns after it
            _end_sentence(tokens, tags, texts, spans)
            continue
        where = f"{prefix}line {number}"
        token, tag = _token_and_tag(body, where)
        tags.append(_checked_tag(tag, known, where, body))
        tokens.append(token)
    _end_sentence(tokens, tags, texts, spans)
    if not texts:
        raise InputError(f"Expected sentences in {name or 'the CoNLL lines'} (a token and its tag on each line, a "
                         f"blank line between sentences), but {'it holds none' if number else 'it is empty'}.")
    return texts, spans


def _file_lines(path: Path, name: str, encoding: str) -> Iterator[str]:
    """The decoded lines of ``path``; an undecodable line is named."""
    if not path.exists():
        raise InputError(f"Expected a CoNLL file at {path}, but there is no such file.")
    if path.is_dir():
        raise InputError(f"Expected a CoNLL file, but {path} is a directory.")
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        codecs.lookup(codec)
    except LookupError:
        raise InputError(f"Expected a known text encoding (e.g. utf-8, latin-1); got {encoding!r}.") from None

    def lines() -> Iterator[str]:
        with open(path, "rb") as file:
            for number, raw in enumerate(file, start=1):
                try:
                    # utf-8-sig drops a byte-order mark at the start of a line, which only the first can have.
                    yield raw.decode(codec)
                except UnicodeDecodeError as error:
                    bad = raw[error.start:error.start + 1].hex()
                    raise InputError(
                        f"{name}, line {number}: expected {encoding} text, but byte 0x{bad} "
                        f"at column {error.start + 1} is not valid {encoding}. If the file uses another encoding, say "
                        "which (e.g. encoding='latin-1').") from None

    return lines()


def _token_and_tag(body: str, where: str) -> tuple[str, str]:
    """The first and last column of a non-blank line (tab-separated if it holds a tab)."""
    fields = body.split("\t") if "\t" in body else body.split()
    if len(fields) < 2:
        raise InputError(f"{where}: expected 'token<TAB>tag' (or the token and its tag separated by spaces); "
                         f"got {body.strip()!r}.")
    token, tag = fields[0].strip(), fields[-1].strip()
    if not token:
        raise InputError(f"{where}: expected a token before the tag; got an empty token in {body!r}.")
    return token, tag


def _checked_tag(tag: str, known: set[str] | None, where: str, body: str) -> str:
    if tag == "O":
        return tag
    prefix, dash, label = tag.partition("-")
    if not dash or prefix not in _PREFIXES or not label:
        raise InputError(f"{where}: expected {_EXPECTED_TAG}; got {tag!r} in {body.strip()!r}.")
    if known is not None and label not in known:
        raise InputError(f"{where}: expected a label from {', '.join(sorted(known))}; got {label!r} (tag {tag!r}). "
                         "Add the label to the project's labels, or fix the tag.")
    return tag


def _end_sentence(tokens: list[str], tags: list[str], texts: list[str], spans: list[list[dict]]) -> None:
    """The sentence read so far as a text and its spans (nothing for no tokens), then a fresh one."""
    if not tokens:
        return
    found: list[dict] = []
    current: dict | None = None  # the entity the next token may continue
    at = 0
    for token, tag in zip(tokens, tags):
        start, end = at, at + len(token)
        at = end + 1
        if tag == "O":
            current = None
            continue
        prefix, _, label = tag.partition("-")
        if prefix in _CONTINUES and current is not None and current["label"] == label:
            current["end"] = end
        else:  # B-, S-, U-, or an I-/E-/L- that continues nothing (IOB1: it starts an entity)
            current = {"start": start, "end": end, "label": label}
            found.append(current)
        if prefix in _CLOSES:
            current = None
    texts.append(" ".join(tokens))
    spans.append(found)
    tokens.clear()
    tags.clear()

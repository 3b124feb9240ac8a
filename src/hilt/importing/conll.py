"""CoNLL / IOB files of tokens and tags: the format named-entity data sets come in.

A CoNLL file holds one token per line, its tag in the last column (CoNLL-2003's part-of-speech
and chunk columns in between are allowed and ignored), columns separated by a tab or by spaces,
a blank line between sentences; ``-DOCSTART-`` lines (CoNLL-2003's document breaks) are skipped.

* :func:`read_conll` reads such a file as hilt items: each sentence becomes a text, its tokens
  joined by one space, and its entities spans of that text (code-point offsets, as everywhere in
  the ``spans`` task). IOB2 tags (``O``, ``B-PER``, ``I-PER``) are read as they are; IOB1 (an
  ``I-`` that starts an entity) and BIOES / BILOU (``E-``/``L-`` ends one, ``S-``/``U-`` is a
  one-token entity) are converted.
* :func:`write_conll` writes texts and their spans out as IOB2, over the tokens of
  :func:`hilt.tasks.spans_text.tokenize` (what the page and the model see), one ``token<TAB>tag``
  per line.

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
import io
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Mapping, Sequence

from hilt.errors import InputError
from hilt.tasks.spans_text import spans_to_tags, tags_to_spans, tokenize

__all__ = ["CONLL_SUFFIXES", "read_conll", "write_conll"]

#: File suffixes read as CoNLL / IOB (any other name needs the format said: ``--format conll``).
CONLL_SUFFIXES = (".conll", ".iob")

#: The line CoNLL-2003 puts at the start of each document (first column).
DOCSTART = "-DOCSTART-"

# Tag prefixes: B/I of IOB1 and IOB2; E/L (end) and S/U (single) of BIOES and BILOU.
_BEGIN, _INSIDE, _END, _SINGLE = {"B"}, {"I"}, {"E", "L"}, {"S", "U"}
_PREFIXES = _BEGIN | _INSIDE | _END | _SINGLE

_EXPECTED_TAG = ("a tag O, B-TYPE or I-TYPE (IOB), or E-TYPE, L-TYPE, S-TYPE, U-TYPE (BIOES, BILOU), "
                 "TYPE the entity's label")


def read_conll(data: Any, *, source: str | None = None, labels: Sequence[str] | None = None,
               encoding: str = "utf-8") -> tuple[list[str], list[list[dict]]]:
    """The sentences of a CoNLL / IOB file as texts and their spans.

    Parameters
    ----------
    data : str, pathlib.Path or iterable of str
        A file path, or the file's lines (with or without their line ends), e.g. an open text file.
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
    if isinstance(data, (str, Path)):
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
        where = f"{prefix}line {number}"
        token, tag = _token_and_tag(body, where)
        if token == DOCSTART:
            _end_sentence(tokens, tags, texts, spans)
            continue
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
    offsets = []
    at = 0
    for token in tokens:
        offsets.append((at, at + len(token)))
        at += len(token) + 1
    texts.append(" ".join(tokens))
    spans.append(tags_to_spans(offsets, _iob2(tags)))
    tokens.clear()
    tags.clear()


def _iob2(tags: Sequence[str]) -> list[str]:
    """IOB1, BIOES and BILOU tags (checked) as IOB2: each entity starts with ``B-``.

    Examples
    --------
    >>> _iob2(["I-PER", "I-PER", "O", "S-LOC", "S-LOC", "B-ORG", "E-ORG", "I-ORG", "L-ORG"])
    ['B-PER', 'I-PER', 'O', 'B-LOC', 'B-LOC', 'B-ORG', 'I-ORG', 'B-ORG', 'I-ORG']
    """
    out = []
    current = None  # the label of the entity the next token may continue
    for tag in tags:
        if tag == "O":
            out.append(tag)
            current = None
            continue
        prefix, _, label = tag.partition("-")
        continues = prefix in _INSIDE | _END and current == label
        out.append(f"{'I' if continues else 'B'}-{label}")
        current = None if prefix in _END | _SINGLE else label
    return out


def write_conll(texts: Sequence[str], spans: Sequence[Sequence[Mapping[str, Any]]], file: Any) -> int:
    """Write ``texts`` and their ``spans`` as IOB2: each token of
    :func:`~hilt.tasks.spans_text.tokenize` on a line with its tag (``token<TAB>tag``), a blank
    line after each text; returns the number of sentences written.

    Spans that do not fall on token boundaries are snapped to the tokens they overlap (as
    :func:`~hilt.tasks.spans_text.snap_spans` does: ``rac`` in ``Grace`` tags the whole token), so
    reading the file back gives spans over whole tokens; a span that overlaps a token another
    span already took leaves no tag. A text without tokens (empty, or only spaces) cannot be
    written as a CoNLL sentence and is left out, so count the sentences, not the texts, when
    reading back. The texts read back are the tokens joined by one space: a text whose tokens
    were already separated by single spaces comes back as it was.

    Parameters
    ----------
    texts : sequence of str
    spans : sequence of lists of span dicts
        One list per text (``[]``: nothing marked), offsets into that text.
    file : str, pathlib.Path or text stream
        Where to write (a path is written as UTF-8, replaced if it exists).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> write_conll(["Ada met Grace Hopper.", "  "], [[{"start": 9, "end": 20, "label": "PER"}], []], out)
    1
    >>> out.getvalue().splitlines()
    ['Ada\\tO', 'met\\tO', 'Grace\\tB-PER', 'Hopper\\tI-PER', '.\\tO', '']
    """
    if len(texts) != len(spans):
        raise InputError(f"Expected one list of spans per text ({len(texts)} texts); got {len(spans)} lists.")
    if isinstance(file, (str, Path)):
        with open(file, "w", encoding="utf-8", newline="") as out:
            return _write(texts, spans, out)
    return _write(texts, spans, file)


def _write(texts: Sequence[str], spans: Sequence[Sequence[Mapping[str, Any]]], out: IO[str]) -> int:
    written = 0
    for number, (text, marked) in enumerate(zip(texts, spans), start=1):
        if not isinstance(text, str):
            raise InputError(f"Expected text {number} to be a string; got {type(text).__name__}.")
        if marked is None or isinstance(marked, (str, Mapping)):
            raise InputError(f"Expected text {number}'s spans as a list of span dicts ([] for nothing marked); "
                             f"got {marked!r}.")
        tokens = tokenize(text)
        if not tokens:
            continue
        buffer = io.StringIO()
        for (start, end), tag in zip(tokens, spans_to_tags(tokens, marked)):
            buffer.write(f"{text[start:end]}\t{tag}\n")
        buffer.write("\n")
        out.write(buffer.getvalue())
        written += 1
    return written

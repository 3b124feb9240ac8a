"""What the format readers share: reading a JSON or JSON lines file strictly, naming the place
of every mistake, and checking the pieces of an annotation (a label, a span)."""

from __future__ import annotations

import json
import numbers
from pathlib import Path
from typing import Any, Iterator, Mapping

from hilt.errors import InputError

__all__ = ["check_label", "check_offset_span", "item_key", "json_document", "json_lines", "the_path"]


def the_path(data: Any, what: str) -> Path:
    """``data`` as an existing file's path, or an :class:`InputError` saying what was expected."""
    if not isinstance(data, (str, Path)):
        raise InputError(f"Expected {what} as a file path; got {type(data).__name__}.")
    path = Path(data)
    if not path.exists():
        raise InputError(f"Expected {what} at {path}, but there is no such file.")
    if path.is_dir():
        raise InputError(f"Expected {what}, but {path} is a folder.")
    return path


def _text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[:error.start].count(b"\n") + 1
        raise InputError(f"{path.name}, line {line}: expected UTF-8 text (as Label Studio and Prodigy write), but "
                         f"byte 0x{path.read_bytes()[error.start:error.start + 1].hex()} is not valid UTF-8.") from None


def json_document(path: Path) -> Any:
    """The JSON value of a whole file; a syntax error names its line and column."""
    text = _text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        hint = (" The file holds more than one JSON value: JSON lines (one object a line) are Prodigy's format "
                "(--format prodigy)." if error.msg == "Extra data" else "")
        raise InputError(f"{path.name}, line {error.lineno}, column {error.colno}: expected JSON; {error.msg}.{hint}"
                         ) from None


def json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` of each non-blank line of a JSON lines file."""
    for number, line in enumerate(_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            hint = (" The file starts with '[': a JSON array, as Label Studio exports (--format label-studio)."
                    if number == 1 and line.lstrip().startswith("[") else "")
            raise InputError(f"{path.name}, line {number}, column {error.colno}: expected one JSON object per line; "
                             f"{error.msg}.{hint}") from None


def item_key(value: Any, where: str) -> str:
    """An item id as hilt keeps it (a string), from a whole number or a non-empty string."""
    if isinstance(value, bool) or not isinstance(value, (str, numbers.Integral)) or value == "":
        raise InputError(f"{where}: expected an id (a whole number or a non-empty string); got {value!r}.")
    return str(value)


def check_label(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: expected a label (a non-empty string); got {value!r}.")
    return value


def check_offset_span(span: Any, label: Any, text: Any, where: str) -> dict:
    """``{"start", "end", "label"}`` from a span with character offsets (code points, as Python
    counts: Label Studio and Prodigy both count so). When the span carries its ``text``, it must
    be the characters its offsets point at in the item's text (offsets counted in UTF-16 units or
    bytes would mark other characters)."""
    if not isinstance(span, Mapping):
        raise InputError(f"{where}: expected a span object with start, end and a label; got {span!r}.")
    for name in ("start", "end"):
        value = span.get(name)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise InputError(f"{where}: expected {name} to be a whole number (a character offset); got {value!r}.")
    start, end = int(span["start"]), int(span["end"])
    if not 0 <= start < end:
        raise InputError(f"{where}: expected 0 <= start < end; got start {start}, end {end}.")
    if isinstance(text, str):
        if end > len(text):
            raise InputError(f"{where}: expected end <= {len(text)} (the length of the item's text); got {end}.")
        marked = span.get("text")
        if isinstance(marked, str) and marked != text[start:end]:
            raise InputError(f"{where}: expected its text {marked!r} at characters {start} to {end} of the item's "
                             f"text (offsets count Unicode code points); they hold {text[start:end]!r}.")
    return {"start": start, "end": end, "label": check_label(label, where)}

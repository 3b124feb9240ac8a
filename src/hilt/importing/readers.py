"""Read an input in chunks: CSV/TSV and JSON lines (also gzip-compressed), Parquet, a DataFrame.

:func:`raw_chunks` yields :class:`hilt.importing.chunk.RawChunk` objects of at most
``chunk_rows`` rows (and, for the text formats, about ``chunk_bytes`` of text), each with the
file line every row started on, so that a message about row 9,000,001 names its line as
exactly as one about row 2. Memory stays that of one chunk whatever the size of the file,
except for a ``.json`` file holding one JSON array, which is parsed whole (the standard
library has no streaming JSON parser; JSON lines are the format for large inputs).

CSV records are split by Python's csv module, which gives the line each record starts on and
catches a wrong field count (pandas silently pads too few fields); pandas then reads each
chunk's text (the header line and the chunk's lines) for the same type inference a whole-file
``pandas.read_csv`` does. A chunk always ends between two records, so a quoted field that spans
lines is never cut.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import pandas as pd

from hilt.errors import InputError
from hilt.importing.checks import _column_names
from hilt.importing.chunk import RawChunk
from hilt.importing.conll import CONLL_SUFFIXES, read_conll

__all__ = ["COMPRESSIBLE_SUFFIXES", "DEFAULT_CHUNK_BYTES", "DEFAULT_CHUNK_ROWS", "SUPPORTED_SUFFIXES", "raw_chunks"]

#: File suffixes hilt reads ("json" is read as JSON lines, or as one JSON array of objects when
#: the file starts with ``[``). The text formats may also be gzip-compressed: ``.csv.gz``,
#: ``.tsv.gz``, ``.jsonl.gz``, ``.ndjson.gz``, ``.json.gz``.
SUPPORTED_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet", ".pq")

#: The suffixes that may carry a ``.gz`` after them (Parquet compresses inside the file).
COMPRESSIBLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json")

#: Rows a chunk holds at most: large enough that per-chunk costs (a pandas parse, a batch of
#: inserts) vanish, small enough that a chunk of short texts takes tens of megabytes.
DEFAULT_CHUNK_ROWS = 100_000
#: Characters of CSV/JSON text after which a chunk ends early (long documents).
DEFAULT_CHUNK_BYTES = 32 * 2**20

#: The longest CSV field read (characters). Python's csv module stops at 131,072 by default,
#: which a long document passes; JSON lines and pandas have no such limit, so neither does hilt
#: short of what a C long holds on every platform.
CSV_FIELD_LIMIT = 2**31 - 1


def raw_chunks(data: Any, *, encoding: str = "utf-8", text_columns: list[str] = (),  # type: ignore[assignment]
               chunk_rows: int = DEFAULT_CHUNK_ROWS, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[RawChunk]:
    """The chunks of ``data`` (a path or a DataFrame) as read, unchecked; a DataFrame is one chunk.

    ``text_columns`` are read as text whatever they hold (ids, labels: ``"007"`` stays ``"007"``).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "r.csv"
    >>> _ = path.write_text('text\\ngood\\n"two\\nlines"\\nbad\\n')
    >>> [(len(c.frame), c.lines, c.offset) for c in raw_chunks(path, chunk_rows=2)]
    [(2, [2, 3], 0), (1, [5], 2)]
    """
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
        frame.columns = _column_names(frame.columns, "DataFrame")
        yield RawChunk(frame.reset_index(drop=True), "DataFrame", None, 0)
        return
    if not isinstance(data, (str, Path)):
        raise InputError(
            "Expected the items as a file path (CSV, JSON lines, Parquet) or a pandas DataFrame; "
            f"got {type(data).__name__}."
        )
    path = Path(data)
    suffix, compressed = _suffix(path)
    if suffix in CONLL_SUFFIXES:  # sentences of tagged tokens: one text and its spans per sentence
        yield _conll_chunk(path, encoding)
        return
    if suffix in (".parquet", ".pq"):
        yield from _parquet_chunks(path, chunk_rows)
        return
    with _open(path, compressed) as binary:
        lines = _lines(binary, path, encoding, compressed)
        if suffix in (".csv", ".tsv"):
            yield from _csv_chunks(lines, path.name, delimiter="\t" if suffix == ".tsv" else ",",
                                   text_columns=list(text_columns), chunk_rows=chunk_rows, chunk_bytes=chunk_bytes)
        else:
            yield from _json_chunks(lines, path.name, chunk_rows=chunk_rows, chunk_bytes=chunk_bytes)


def _conll_chunk(path: Path, encoding: str) -> RawChunk:
    """A CoNLL / IOB file (:func:`hilt.importing.conll.read_conll`) as one chunk: a ``text``
    column (each sentence's tokens joined by one space) and a ``spans`` column (its entities as
    JSON text, code-point offsets into that text), row ``i`` the file's sentence ``i``."""
    texts, spans = read_conll(path, encoding=encoding)
    cells = [json.dumps(answer, separators=(",", ":"), ensure_ascii=False) for answer in spans]
    return RawChunk(pd.DataFrame({"text": texts, "spans": cells}), path.name, None, 0)


def _suffix(path: Path) -> tuple[str, bool]:
    if not path.exists():
        raise InputError(f"Expected a data file at {path}, but there is no such file.")
    if path.is_dir():
        raise InputError(f"Expected a data file, but {path} is a directory.")
    suffix = path.suffix.lower()
    compressed = suffix == ".gz"
    if compressed:
        suffix = Path(path.stem).suffix.lower()
    if suffix not in (COMPRESSIBLE_SUFFIXES if compressed else SUPPORTED_SUFFIXES + CONLL_SUFFIXES):
        raise InputError(
            f"Expected a file ending in {', '.join(SUPPORTED_SUFFIXES)} (the text formats also "
            f"gzip-compressed, e.g. .csv.gz); got {path.name!r}. Convert it to CSV or JSON lines, "
            "or load it with pandas and pass the DataFrame."
        )
    return suffix, compressed


def _open(path: Path, compressed: bool) -> BinaryIO:
    return gzip.open(path, "rb") if compressed else open(path, "rb")  # type: ignore[return-value]


def _gzip_error(path: Path, error: Exception) -> InputError:
    return InputError(
        f"Expected a gzip-compressed file at {path} (its name ends in .gz), but it could not be "
        f"decompressed: {error}. Check that the file is complete, or drop the .gz from its name if it "
        "is not compressed."
    )


#: Bytes read and decoded at a time (cut after the block's last line end).
_BLOCK = 1 << 20


def _lines(binary: BinaryIO, path: Path, encoding: str, compressed: bool) -> Iterator[str]:
    """The decoded lines of the file, line ends kept; an undecodable byte names its line and offset.

    The file is read in blocks of about a megabyte cut after their last ``\\n`` byte, each decoded
    at once and split into lines the way ``io.StringIO(text, newline="")`` splits them (what the
    whole-file reader did). That is right for every encoding that writes ``\\n`` as that one byte
    (UTF-8, Latin-1, cp1252, ...); others (UTF-16) are decoded whole first. A file of nothing
    but blanks is "empty".
    """
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        codecs.lookup(codec)
    except LookupError:
        raise InputError(f"Expected a known text encoding (e.g. utf-8, latin-1); got {encoding!r}.") from None
    try:
        encoder = codecs.getincrementalencoder(codec)()
        encoder.encode("a")  # a byte-order mark comes out first, if the codec writes one
        ascii_lines = encoder.encode("\n") == b"\n"
    except (UnicodeError, TypeError):
        ascii_lines = False
    offset, line, blank = 0, 1, True
    pending = bytearray()
    try:
        if not ascii_lines:
            content = binary.read()
            if not content.strip():
                raise InputError(f"Expected items in {path.name}, but the file is empty.")
            yield from io.StringIO(_decode(content, codec, encoding, path.name, 0, 1), newline="")
            return
        while True:
            data = binary.read(_BLOCK)
            if not data and not pending:
                break
            pending += data
            cut = pending.rfind(b"\n") + 1 if data else len(pending)
            if cut == 0:
                continue  # a line longer than a block: read on
            block = bytes(pending[:cut])
            del pending[:cut]
            if blank and block.strip():
                blank = False
            # The BOM is only ever at the start: decoding later blocks as utf-8-sig costs nothing.
            yield from io.StringIO(_decode(block, codec, encoding, path.name, offset, line), newline="")
            offset += len(block)
            line += block.count(b"\n")
    except (OSError, EOFError) as error:  # gzip.BadGzipFile is an OSError; a cut file an EOFError
        if compressed:
            raise _gzip_error(path, error) from None
        raise
    if blank:
        raise InputError(f"Expected items in {path.name}, but the file is empty.")


def _decode(content: bytes, codec: str, encoding: str, name: str, offset: int, line: int) -> str:
    try:
        return content.decode(codec)
    except UnicodeDecodeError as error:
        line += content[: error.start].count(b"\n")
        bad = content[error.start : error.start + 1].hex()
        raise InputError(
            f"{name}, line {line}: expected {encoding} text, but byte 0x{bad} at byte offset "
            f"{offset + error.start} is not valid {encoding}. If the file uses another encoding, say which: "
            "--encoding latin-1 (Python: encoding='latin-1')."
        ) from None


def _csv_chunks(lines: Iterator[str], name: str, *, delimiter: str, text_columns: list[str],
                chunk_rows: int, chunk_bytes: int) -> Iterator[RawChunk]:
    # The limit is process-wide; it is only ever raised here, so concurrent reads cannot lower it.
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    taken: list[str] = []  # the lines the reader consumed since the last chunk (blank ones too)

    def feed() -> Iterator[str]:
        for line in lines:
            taken.append(line)
            yield line

    reader = csv.reader(feed(), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    header_text = ""
    as_text: dict[str, type] = {}
    starts: list[int] = []
    size = offset = 0
    start = last_line = 0
    try:
        for record in reader:
            start, last_line = last_line + 1, reader.line_num
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # blank lines are skipped (pandas does the same)
            if header is None:
                header = record
                header_text = "".join(taken)
                header_text += "" if header_text.endswith(("\n", "\r")) else "\n"
                taken.clear()
                duplicated = sorted({c for c in header if header.count(c) > 1})
                if duplicated:
                    raise InputError(f"{name}, line 1: expected distinct column names, got {duplicated} more than once.")
                # Ids, labels and an explicit text column stay text ("007" must not become 7).
                as_text = {c: str for c in text_columns if c in header}
                continue
            if len(record) != len(header):
                raise InputError(
                    f"{name}, line {start}: expected {len(header)} fields like the header "
                    f"({', '.join(header)}), got {len(record)}. Check for an unquoted "
                    f"{'comma' if delimiter == ',' else 'tab'} or a missing value."
                )
            starts.append(start)
            size += len(record[0]) + 1 if len(record) == 1 else sum(map(len, record)) + len(record)
            if len(starts) >= chunk_rows or size >= chunk_bytes:
                chunk = _csv_frame(header_text, taken, starts, name, delimiter, as_text, offset)
                offset += len(chunk.frame)
                taken.clear()
                starts, size = [], 0
                yield chunk
    except csv.Error as error:
        raise InputError(
            f"{name}, line {last_line + 1}: expected a well-formed CSV row, but {error} "
            "(is a quote opened and never closed?)."
        ) from None
    if header is None:
        raise InputError(f"Expected a header line and rows in {name}, but the file has no lines.")
    if starts:
        yield _csv_frame(header_text, taken, starts, name, delimiter, as_text, offset)
    elif offset == 0:
        raise InputError(f"Expected rows in {name}, but it has only the header line ({', '.join(header)}).")


def _csv_frame(header_text: str, taken: list[str], starts: list[int], name: str, delimiter: str,
               as_text: dict[str, type], offset: int) -> RawChunk:
    text = header_text + "".join(taken)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=as_text or None)
    except (pd.errors.ParserError, ValueError) as error:
        raise InputError(f"{name}: expected a well-formed CSV file, but pandas could not read it: {error}") from None
    if len(frame) != len(starts):  # a construct pandas reads differently: fall back to positions
        return RawChunk(frame, f"{name} (data rows counted from 0)", None, offset)
    return RawChunk(frame, name, list(starts), offset)


def _json_chunks(lines: Iterator[str], name: str, *, chunk_rows: int, chunk_bytes: int) -> Iterator[RawChunk]:
    records: list[dict] = []
    numbers: list[int] = []
    offset = size = 0
    number = 0
    for line in lines:
        number += 1
        if not line.strip():
            continue
        if not records and not numbers and offset == 0 and line.lstrip().startswith("["):
            # A .json file holding one array of objects: parsed whole (see the module doc).
            yield from _json_array(line + "".join(lines), name, number, chunk_rows)
            return
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(
                f"{name}, line {number}: invalid JSON ({error.msg} at column {error.colno}). "
                "Expected one JSON object per line."
            ) from None
        if not isinstance(value, dict):
            raise InputError(
                f"{name}, line {number}: expected a JSON object like {{\"text\": ...}}, "
                f"got {_json_type(value)}."
            )
        records.append(value)
        numbers.append(number)
        size += len(line)
        if len(records) >= chunk_rows or size >= chunk_bytes:
            yield _json_frame(records, numbers, name, offset)
            offset += len(records)
            records, numbers, size = [], [], 0
    if records:
        yield _json_frame(records, numbers, name, offset)
    elif offset == 0:
        raise InputError(f"Expected items in {name}, but it holds no JSON objects.")


def _json_frame(records: list[dict], numbers: list[int], name: str, offset: int) -> RawChunk:
    frame = pd.DataFrame.from_records(records)
    frame.columns = _column_names(frame.columns, name)
    return RawChunk(frame, name, numbers, offset)


def _json_array(text: str, name: str, first_line: int, chunk_rows: int) -> Iterator[RawChunk]:
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{name}, line {error.lineno + first_line - 1}: invalid JSON: {error.msg}.") from None
    for i, value in enumerate(values):
        if not isinstance(value, dict):
            raise InputError(f"{name}, element {i} of the array: expected a JSON object, got {_json_type(value)}.")
    if not values:
        raise InputError(f"Expected items in {name}, but it holds no JSON objects.")
    for lo in range(0, len(values), chunk_rows):
        frame = pd.DataFrame.from_records(values[lo : lo + chunk_rows])
        frame.columns = _column_names(frame.columns, name)
        yield RawChunk(frame, name, None, lo)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[RawChunk]:
    import pyarrow.parquet as pq

    def unreadable(error: Exception) -> InputError:
        return InputError(f"Expected a Parquet file at {path}, but it could not be read: {error}")

    try:
        file = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises several types for a file that is not Parquet
        raise unreadable(error) from None
    offset = 0
    with file:
        batches = file.iter_batches(batch_size=chunk_rows)
        while True:
            try:
                batch = next(batches, None)
                if batch is None:
                    break
                frame = batch.to_pandas()
            except Exception as error:
                raise unreadable(error) from None
            frame.columns = _column_names(frame.columns, path.name)
            yield RawChunk(frame.reset_index(drop=True), path.name, None, offset)
            offset += len(frame)
        if offset == 0:  # no rows: one empty chunk, which the checks refuse with the usual message
            yield RawChunk(file.schema_arrow.empty_table().to_pandas(), path.name, None, 0)


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)

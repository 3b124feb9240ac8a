"""Imports in chunks (hilt.importing.stream, hilt.store.item_import): exact lines in late chunks,
ids repeated across chunks, all or nothing at the last chunk, the same draws whatever the chunk
size and on either database, progress. Small chunk sizes keep every test fast."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hilt import Project
from hilt.errors import InputError
from hilt.importing import ItemChunk, ItemStream, read_items

LABELS = ["pos", "neg"]


def rows_at(where: Path | str, sql: str, *args) -> list[tuple]:
    if isinstance(where, Path):
        with sqlite3.connect(where) as conn:
            return conn.execute(sql, args).fetchall()
    import psycopg

    with psycopg.connect(where.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        cursor = conn.execute(sql.replace("?", "%s"), args)
        return cursor.fetchall() if cursor.description else []


def nothing_at(where: Path | str) -> bool:
    if isinstance(where, Path):
        return not where.exists()
    return rows_at(where, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()") == []


def csv_of(path: Path, n: int, *, bad_line: int | None = None, ids: bool = True) -> Path:
    """``n`` data rows (header = line 1, row i on line i + 2); ``bad_line`` gets an empty text."""
    lines = ["id,text" if ids else "text"]
    for i in range(n):
        text = "" if bad_line == i + 2 else f"review number {i}"
        lines.append(f"r{i},{text}" if ids else (text or '""'))
    path.write_text("\n".join(lines) + "\n")
    return path


def items_at(where: Path | str) -> list[tuple]:
    return rows_at(where, "SELECT key, data, is_eval, shuffle, needed FROM items ORDER BY id")


# --- lines and ids across chunks -------------------------------------------------------------


def test_an_error_in_a_late_chunk_names_its_exact_line(tmp_path):
    path = csv_of(tmp_path / "reviews.csv", 100, bad_line=97)
    with pytest.raises(InputError, match=r"^reviews\.csv, line 97: expected text in column 'text', but it is empty"):
        read_items(path, id_column="id", chunk_rows=7)


def test_crlf_lines_and_a_quoted_newline_across_a_chunk_boundary_keep_line_numbers(tmp_path):
    # Row 0 on line 2, row 1 spans lines 3-4 (a quoted newline), so row 2 starts on line 5: with
    # two rows a chunk, the boundary falls right after the two-line record.
    rows = ['id,text', 'a,first', 'b,"two\r\nlines"', 'c,third', 'd,', 'e,fifth']
    path = tmp_path / "crlf.csv"
    path.write_bytes("\r\n".join(rows).encode() + b"\r\n")
    chunks = list(ItemStream(_without_bad(path, tmp_path), id_column="id", chunk_rows=2).chunks())
    assert [c.ids for c in chunks] == [["a", "b"], ["c", "e"]]
    assert chunks[0].records()[1] == {"text": "two\r\nlines"}
    with pytest.raises(InputError, match=r"crlf\.csv, line 6: expected text in column 'text', but it is empty"):
        read_items(path, id_column="id", chunk_rows=2)


def _without_bad(path: Path, tmp_path: Path) -> Path:
    """The same file without the row whose text is empty (line 6)."""
    good = tmp_path / "good.csv"
    good.write_bytes(path.read_bytes().replace(b"d,\r\n", b""))
    return good


def test_ids_repeated_across_chunks_are_refused_with_both_lines(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,text\n" + "".join(f"k{i},text {i}\n" for i in range(20)) + "k3,again\n")
    with pytest.raises(InputError) as error:
        read_items(path, id_column="id", chunk_rows=4)
    message = str(error.value)
    assert "r.csv: expected unique ids in column 'id', but 1 row repeats the id of an earlier row" in message
    assert "'k3' (line 22, first on line 5)" in message
    items = read_items(path, id_column="id", chunk_rows=4, drop_duplicate_ids=True)
    assert len(items) == 20 and items.duplicates == 1 and items.repeated_ids == [("k3", "line 22")]
    assert read_items(path, id_column="id", drop_duplicate_ids=True).ids == items.ids  # one chunk: the same


def test_parquet_is_read_in_batches_with_rows_counted_across_them(tmp_path):
    frame = pd.DataFrame({"id": [f"p{i}" for i in range(25)], "text": [f"text {i}" for i in range(25)],
                          "stars": list(range(25))})
    path = tmp_path / "items.parquet"
    frame.to_parquet(path)
    stream = ItemStream(path, id_column="id", chunk_rows=10)
    chunks = list(stream.chunks())
    assert [len(c) for c in chunks] == [10, 10, 5]
    assert sum((c.records() for c in chunks), []) == read_items(path, id_column="id").records()
    frame.loc[23, "text"] = None
    frame.to_parquet(path)
    with pytest.raises(InputError, match=r"items\.parquet, row 23 \(counting from 0\): expected text"):
        read_items(path, id_column="id", chunk_rows=10)


def test_later_chunks_are_held_to_what_the_first_decided(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("h,w\n" + "".join(f"{i},{i * 2}\n" for i in range(10)) + "1.5,tall\n")
    with pytest.raises(InputError, match=r"t\.csv, line 12: expected a number in column 'w' like the other rows"):
        read_items(table)  # whole
    with pytest.raises(InputError, match=r"t\.csv, line 12: expected a number in feature column 'w', got 'tall'"):
        read_items(table, chunk_rows=4)
    lines = tmp_path / "l.jsonl"
    lines.write_text("".join(json.dumps({"text": f"t{i}"}) + "\n" for i in range(6)) + '{"note": "x"}\n')
    with pytest.raises(InputError, match=r"l\.jsonl, line 7: expected text in column 'text', but it is empty"):
        read_items(lines, chunk_rows=2)


def test_a_key_first_seen_in_a_later_chunk_is_kept_and_recorded(tmp_path):
    path = tmp_path / "l.jsonl"
    path.write_text("".join(json.dumps({"text": f"t{i}"}) + "\n" for i in range(4)) + '{"text": "t4", "topic": "x"}\n')
    with Project.create(tmp_path / "p.hilt", path, LABELS, features="tfidf", chunk_rows=2) as project:
        assert project.shown_columns == ["text", "topic"]
    assert rows_at(tmp_path / "p.hilt", "SELECT data FROM items ORDER BY id")[-1] == ('{"text": "t4", "topic": "x"}',)


def test_chunks_read_whole_equal_one_chunk(tmp_path):
    frame = pd.DataFrame({"id": [f"i{n}" for n in range(30)], "text": [f"t {n % 7}" for n in range(30)],
                          "stars": [None if n % 5 == 0 else n for n in range(30)],
                          "label": [LABELS[n % 2] if n % 3 else None for n in range(30)]})
    path = tmp_path / "f.csv"
    frame.to_csv(path, index=False)
    whole = read_items(path, id_column="id", label_column="label", labels=LABELS)
    parts = read_items(path, id_column="id", label_column="label", labels=LABELS, chunk_rows=4)
    assert parts.ids == whole.ids and parts.labels == whole.labels
    assert parts.records() == whole.records()
    assert parts.identical_texts == whole.identical_texts == 23


def test_payloads_are_the_json_of_the_records():
    frame = pd.DataFrame({"review": ["caf\u00e9 \"ok\"\n", "b"], "n": [1, 2], "x": [0.5, 1e-7],
                          "flag": [True, False], "tags": [["a", 1], None], "text": ["other", None]})
    names = {"review": "text", "n": "n", "x": "x", "flag": "flag", "tags": "tags", "text": "other_text"}
    chunk = ItemChunk(["0", "1"], frame.astype({"tags": object, "text": object}), None, 2, names)
    decoded = [json.loads(p) for p in chunk.payloads()]
    assert decoded == [json.loads(json.dumps(r, ensure_ascii=False)) for r in chunk.records()]
    assert list(decoded[0]) == ["text", "n", "x", "flag", "tags", "other_text"]


# --- all or nothing, on both databases --------------------------------------------------------


def test_an_error_in_the_last_chunk_leaves_no_project(where, tmp_path):
    path = csv_of(tmp_path / "r.csv", 50, bad_line=51)
    with pytest.raises(InputError, match="line 51"):
        Project.create(where, path, LABELS, id_column="id", features="tfidf", chunk_rows=8)
    assert nothing_at(where)


def test_an_error_in_the_last_chunk_of_an_import_adds_nothing(where, tmp_path):
    with Project.create(where, csv_of(tmp_path / "first.csv", 10), LABELS, id_column="id", features="tfidf") as project:
        more = tmp_path / "more.csv"
        more.write_text("id,text\n" + "".join(f"m{i},more {i}\n" for i in range(40)) + "m40,\n")
        before = items_at(where)
        with pytest.raises(InputError, match=r"more\.csv, line 42: expected text"):
            project.import_items(more, chunk_rows=6)
        assert items_at(where) == before and len(before) == 10
        assert project.import_items(csv_of(tmp_path / "ok.csv", 13), chunk_rows=6)["added"] == 3  # r10..r12


def test_draws_do_not_depend_on_the_chunk_size_and_copy_matches_sqlite(tmp_path, postgres_url):
    path = csv_of(tmp_path / "r.csv", 60)
    options = dict(id_column="id", features="tfidf", seed=11, eval_share=0.3, overlap=0.4, annotators_per_item=2)
    Project.create(tmp_path / "a.hilt", path, LABELS, chunk_rows=7, **options).close()
    Project.create(tmp_path / "b.hilt", path, LABELS, **options).close()
    Project.create(postgres_url, path, LABELS, chunk_rows=9, **options).close()
    sqlite_small, sqlite_whole, postgres = (items_at(w) for w in (tmp_path / "a.hilt", tmp_path / "b.hilt", postgres_url))
    assert sqlite_small == sqlite_whole == postgres
    is_eval = np.array([row[2] for row in postgres], dtype=bool)
    # The evaluation sample is the one every hilt drew: the first numbers of default_rng(seed).
    assert np.array_equal(is_eval, np.random.default_rng(11).random(60) < 0.3)
    assert 0 < sum(row[4] == 2 for row in postgres) < 60


def test_progress_is_called_with_the_rows_done(tmp_path):
    seen: list[int] = []
    with Project.create(tmp_path / "p.hilt", csv_of(tmp_path / "r.csv", 25, ids=False), LABELS, features="tfidf",
                        chunk_rows=10, progress=seen.append) as project:
        assert seen == [10, 20, 25]
        seen.clear()
        project.import_items(csv_of(tmp_path / "more.csv", 12, ids=False), chunk_rows=5, progress=seen.append)
        assert seen == [5, 10, 12]
        assert project.status()["n_items"] == 37


def test_the_progress_bar_shows_past_20000_rows_on_a_terminal_only():
    import io

    from rich.console import Console

    from hilt.cli._progress import ImportProgress

    terminal = io.StringIO()
    with ImportProgress(Console(file=terminal, force_terminal=True), "big.csv") as progress:
        progress(20_000)
        assert not progress.shown
        progress(40_000)
        assert progress.shown
    assert "big.csv" in terminal.getvalue() and "40,000 rows" in terminal.getvalue()
    with ImportProgress(Console(file=io.StringIO(), force_terminal=False), "big.csv") as quiet:
        quiet(1_000_000)
    assert not quiet.shown and quiet.rows == 1_000_000


def test_blocks_keep_exact_lines_and_byte_offsets_for_a_bad_byte_far_down(tmp_path, monkeypatch):
    import hilt.importing.readers as readers

    monkeypatch.setattr(readers, "_BLOCK", 64)  # many blocks, and a line longer than one
    long = "word " * 40
    body = "".join(f"t{i},{long if i == 3 else 'text'}\n" for i in range(30)).encode()
    bad = body + b"t30,caf\xe9\n"
    path = tmp_path / "latin.csv"
    path.write_bytes(b"id,text\n" + bad)
    offset = len(b"id,text\n") + len(body) + len(b"t30,caf")
    with pytest.raises(InputError, match=rf"latin\.csv, line 32: expected utf-8 text, but byte 0xe9 at byte offset {offset} "):
        read_items(path, id_column="id", chunk_rows=4)
    assert read_items(path, id_column="id", encoding="latin-1", chunk_rows=4).records()[3] == {"text": long}


def test_a_gzipped_json_lines_file_names_the_line_of_a_late_error(tmp_path):
    import gzip

    path = tmp_path / "items.jsonl.gz"
    lines = [json.dumps({"id": f"j{i}", "text": f"text {i}"}) for i in range(12)] + ["", '{"id": "j12", "text": 5}']
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    with pytest.raises(InputError, match=r"items\.jsonl\.gz, line 14: expected text in column 'text', but got int 5"):
        read_items(path, id_column="id", chunk_rows=5)

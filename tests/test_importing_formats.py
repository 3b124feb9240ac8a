"""The readers of other tools' files (hilt.importing.formats): files shaped like Label Studio's,
Prodigy's and Hugging Face's documented examples read exactly, offsets in code points (emoji,
accents), and every malformed file refused with its task, line or row named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hilt.errors import InputError
from hilt.importing.formats import read_format

DATA = Path(__file__).parent / "data" / "formats"


def test_label_studio_json_items_annotations_and_predictions():
    found = read_format(DATA / "label_studio_sentiment.json", "label-studio")
    assert [(i.id, i.data) for i in found.items][:2] == [
        ("1", {"text": "Good case, Excellent value.", "source": "amazon"}),
        ("2", {"text": "What a waste of money and time!", "source": "amazon"})]
    # completed_by as a user id, and as the object older exports write (its email).
    assert [(a.item_id, a.annotator, a.choices, a.verdict) for a in found.annotations] == [
        ("1", "10", ("Positive",), "accept"), ("1", "ana@example.com", ("Positive",), "accept"),
        ("2", "10", ("Negative",), "accept"), ("3", "10", None, "ignore")]  # was_cancelled: a skip
    assert [(p.item_id, p.choices, p.score, p.model_version) for p in found.predictions] == [
        ("1", ("Positive",), 0.84, "model 1"), ("2", ("Neutral",), 0.61, "model 1"), ("4", ("Neutral",), None, "model 2")]
    assert found.labels() == ["Positive", "Negative", "Neutral"]


def test_label_studio_spans_count_code_points():
    found = read_format(DATA / "label_studio_ner.json", "label-studio")
    text = found.items[0].data["text"]
    spans = found.annotations[0].spans
    assert [text[s["start"]:s["end"]] for s in spans] == ["Zoë Müller", "Zürich", "São Paulo"]
    assert found.annotations[1].spans == () and found.annotations[1].choices == ()  # submitted, nothing marked
    assert found.predictions[0].spans == ({"start": 23, "end": 29, "label": "LOC"},)


def test_label_studio_offsets_in_utf16_units_are_refused(tmp_path):
    # Label Studio before its 2021 fix counted JavaScript's UTF-16 units: after an emoji the
    # offsets point one character late, and the span's text says so.
    task = {"id": 1, "data": {"text": "💩This is an annotation."}, "annotations": [{"completed_by": 1, "result": [
        {"from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": 13, "end": 23, "text": "annotation", "labels": ["Annotation"]}}]}]}
    path = tmp_path / "old.json"
    path.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError, match=r"old.json, task 1, annotation 1, result 1: expected its text 'annotation' at "
                                         r"characters 13 to 23 .*code points.*'nnotation.'"):
        read_format(path, "label-studio")


def test_label_studio_min_rows_several_annotators():
    found = read_format(DATA / "label_studio_min_sentiment.json", "label-studio-min", label_key="sentiment")
    assert [(i.id, i.data) for i in found.items] == [("1", {"text": "Good case, Excellent value."}),
                                                     ("2", {"text": "What a waste of money and time!"})]
    assert [(a.item_id, a.annotator, a.choices) for a in found.annotations] == [
        ("1", "ana@example.com", ("Positive",)), ("2", "ana@example.com", ("Negative",)),
        ("2", "bo@example.com", ("Neutral",))]
    spans = read_format(DATA / "label_studio_min_ner.json", "label-studio-min")  # the spans key found alone
    assert spans.annotations[0].spans == ({"start": 12, "end": 22, "label": "Annotation"},)
    with pytest.raises(InputError, match="--label-column"):
        read_format(DATA / "label_studio_min_sentiment.json", "label-studio-min")


def test_prodigy_binary_choice_and_ner():
    binary = read_format(DATA / "prodigy_textcat_binary.jsonl", "prodigy")
    assert [(a.item_id, a.annotator, a.label, a.verdict) for a in binary.annotations] == [
        ("1886699658", "news-ines", "BUSINESS", "accept"), ("-2003218470", "news-ines", "BUSINESS", "reject"),
        ("901234567", "news-matt", "BUSINESS", "ignore")]
    # _input_hash, _task_hash and meta are the item's data (an export gives them back); the answer is not.
    assert binary.items[0].data == {"text": "Uber’s Lyft rival cuts prices in São Paulo", "meta": {"source": "The Guardian"},
                                    "_input_hash": 1886699658, "_task_hash": -1952856502}
    choice = read_format(DATA / "prodigy_choice_multiple.jsonl", "prodigy")
    assert len(choice.items) == 2  # two annotators of one input: one item
    assert [(a.annotator, a.choices) for a in choice.annotations] == [
        ("reviews-ada", ("BATTERY", "CAMERA")), ("reviews-ada", ("PRICE",)), ("reviews-bob", ())]
    assert choice.declared_labels == ["BATTERY", "CAMERA", "PRICE"]
    ner = read_format(DATA / "prodigy_ner.jsonl", "prodigy")
    text = ner.items[0].data["text"]
    assert [(text[s["start"]:s["end"]], s["label"]) for s in ner.annotations[0].spans] == [
        ("Angela Merkel", "PERSON"), ("Köln", "GPE")]
    assert "tokens" not in ner.items[0].data


@pytest.mark.parametrize("format, content, message", [
    ("label-studio", '{"id": 1, "data": {"text": "x"}}', r"bad.json: expected a Label Studio JSON export, a JSON array"),
    ("label-studio", '[{"data": {"text": "x"}}]', r"task 1: expected an id"),
    ("label-studio", '[{"id": 1, "data": {"text": "x"}}, {"id": 1, "data": {"text": "y"}}]', r"task 2: .*repeats task 1"),
    ("label-studio", '[{"id": 1, "data": {"image": "a.png"}, "annotations": [{"completed_by": 1, "result": '
                     '[{"type": "rectanglelabels", "value": {}}]}]}]', r"task 1, annotation 1, result 1: expected a result "
                                                                        r"of type choices or labels.*'rectanglelabels'"),
    ("label-studio", '[{"id": 1, "data": {"text": "abc"}, "annotations": [{"completed_by": 1, "result": [{"type": '
                     '"labels", "value": {"start": 1, "end": 9, "labels": ["X"]}}]}]}]', r"expected end <= 3"),
    ("label-studio", '[{"id": 1, "data": {"text": "abc"}, "predictions": [{"score": "high", "result": []}]}]',
     r"task 1, prediction 1: expected score to be a number"),
    ("label-studio", '[{"id": 1,\n "data": {"text": "abc"},,}]', r"bad.json, line 2, column 26: expected JSON"),
    ("label-studio", '{"id": 1}\n{"id": 2}\n', r"JSON lines .* Prodigy's format \(--format prodigy\)"),
    ("prodigy", '{"text": "a", "label": "X", "answer": "accept"}\n{"text": "b", "label": "X", "answer": "maybe"}\n',
     r"bad.jsonl, line 2: expected answer to be accept, reject or ignore; got 'maybe'"),
    ("prodigy", '{"text": "a", "label": "X"}\n\n{"text": "b" "label": "X"}\n', r"bad.jsonl, line 3, column 14: expected one JSON object"),
    ("prodigy", '{"text": "a", "options": [{"id": "A"}], "accept": ["B"], "answer": "accept"}\n',
     r"line 1: expected accept to name ids of the options \(A\); got 'B'"),
    ("prodigy", '{"label": "X", "answer": "accept"}\n', r"line 1: expected a text"),
    ("prodigy", '{"text": "Ada", "spans": [{"start": 0, "end": 3}], "answer": "accept"}\n',
     r"line 1, span 1: expected a label"),
    ("prodigy", '{"text": "Ada", "answer": "accept"}\n', r"line 1: expected an answer"),
])
def test_malformed_files_name_the_place(tmp_path, format, content, message):
    path = tmp_path / ("bad.jsonl" if format == "prodigy" else "bad.json")
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_format(path, format)


def test_hugging_face_layouts(tmp_path):
    datasets = pytest.importorskip("datasets")
    features = datasets.Features({"text": datasets.Value("string"),
                                  "label": datasets.ClassLabel(names=["neg", "pos", "unused"])})
    single = datasets.Dataset.from_dict({"text": ["bad 😞", "good", "meh"], "label": [0, 1, -1]}, features=features)
    single.save_to_disk(str(tmp_path / "single"))
    found = read_format(tmp_path / "single", "hf")
    assert [(a.item_id, a.annotator, a.choices) for a in found.annotations] == [("0", "import", ("neg",)),
                                                                               ("1", "import", ("pos",))]
    assert found.declared_labels == ["neg", "pos", "unused"] and len(found.items) == 3
    conll = datasets.Dataset.from_dict(
        {"id": ["a"], "tokens": [["Zoë", "visited", "São", "Paulo"]], "ner_tags": [[1, 0, 3, 4]]},
        features=datasets.Features({"id": datasets.Value("string"), "tokens": datasets.Sequence(datasets.Value("string")),
                                    "ner_tags": datasets.Sequence(datasets.ClassLabel(names=["O", "B-PER", "I-PER",
                                                                                             "B-LOC", "I-LOC"]))}))
    conll.to_parquet(str(tmp_path / "ner.parquet"))
    found = read_format(tmp_path / "ner.parquet", "hf")
    text = found.items[0].data["text"]
    assert text == "Zoë visited São Paulo"
    assert [(text[s["start"]:s["end"]], s["label"]) for s in found.annotations[0].spans] == [("Zoë", "PER"),
                                                                                             ("São Paulo", "LOC")]
    assert found.declared_labels == ["PER", "LOC"]
    (tmp_path / "plain").mkdir()
    with pytest.raises(InputError, match="Expected a folder written by Dataset.save_to_disk"):
        read_format(tmp_path / "plain", "hf")
    datasets.Dataset.from_dict({"review": ["x"], "label": [5]}).to_parquet(str(tmp_path / "notext.parquet"))
    with pytest.raises(InputError, match="expected a text column; the columns are review, label"):
        read_format(tmp_path / "notext.parquet", "hf")


def test_hugging_face_without_datasets_says_how_to_install(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "datasets", None)  # what an install without the hf extra gives
    with pytest.raises(InputError, match=r"pip install 'hilt\[hf\]'"):
        read_format(tmp_path / "dataset", "hf")

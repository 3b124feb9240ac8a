"""Projects and other tools' formats: every task through every format that carries it, export ->
import into a new project -> export giving the same annotations (and suggestions where the format
carries them), read back with strict parsers; answers stored by their annotators, a repeated import
storing nothing new, and a refused file changing nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hilt import Project
from hilt.errors import InputError

DATA = Path(__file__).parent / "data" / "formats"
FORMATS = ["label-studio", "label-studio-min", "prodigy", "hf"]
SUFFIX = {"label-studio": ".json", "label-studio-min": ".json", "prodigy": ".jsonl", "hf": ""}

TEXTS = ["Zoë Müller flew 🛫 to Zürich", "Great café, awful service", "São Paulo at night 🌃",
         "Nothing here", "Ada met Grace", "Skipped one"]
ANSWERS = {
    "single": (["pos", "neg", "meh"], {"0": "pos", "1": "neg", "2": "meh", "4": "pos"}, ("2", "neg", 0.7)),
    "multilabel": (["a", "b", "c"], {"0": ["a", "c"], "1": ["b"], "2": [], "4": ["a"]}, ("2", ["c"], 0.4)),
    "spans": (["PER", "LOC"], {"0": [{"start": 0, "end": 10, "label": "PER"}, {"start": 19, "end": 25, "label": "LOC"}],
                               "1": [], "2": [{"start": 0, "end": 9, "label": "LOC"}],
                               "4": [{"start": 0, "end": 3, "label": "PER"}, {"start": 8, "end": 13, "label": "PER"}]},
              ("2", [{"start": 0, "end": 3, "label": "LOC"}], None)),
}


def _source(folder: Path, task: str) -> Project:
    labels, answers, suggestion = ANSWERS[task]
    frame = pd.DataFrame({"id": [str(i) for i in range(len(TEXTS))], "text": TEXTS})
    project = Project.create(folder / f"{task}.hilt", frame, labels, id_column="id", task=task, features="tfidf",
                             eval_share=0)
    for n, (item, answer) in enumerate(answers.items()):
        project.answer(item, answer, "ada" if n % 2 else "bob")
    project.answer("5", None, "ada")  # a skip: no final answer, in no export
    project.import_suggestions([suggestion], source="zero-shot v2")
    return project


def _read(path: Path, format: str) -> object:
    """The export read strictly (JSON, JSON lines a line at a time, the dataset by datasets), with
    what an import cannot keep (when an answer was given) left out."""
    if format == "hf":
        import datasets

        dataset = datasets.load_from_disk(str(path))
        return {"features": repr(dataset.features), "rows": dataset.to_list()}
    if format == "prodigy":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    records = json.loads(path.read_text(encoding="utf-8"))
    for record in records:
        record.pop("created_at", None)
        for annotation in record.get("annotations", []):
            annotation.pop("created_at")
    return records


@pytest.mark.parametrize("task", sorted(ANSWERS))
def test_every_task_round_trips_through_every_format(tmp_path, task):
    labels, answers, _ = ANSWERS[task]
    with _source(tmp_path, task) as source:
        first = {f: tmp_path / f"first-{f}{SUFFIX[f]}" for f in FORMATS}
        assert {f: source.export(path, format=f) for f, path in first.items()} == {
            "label-studio": 6, "label-studio-min": 4, "prodigy": 4, "hf": 4}
    for format, path in first.items():
        with Project.create_from_format(tmp_path / f"again-{format}.hilt", path, format, labels, task=task,
                                        features="tfidf") as again:
            report = again.created_import["format"]
            assert (report.answers, report.task, report.labels_from_file) == (4, task, False)
            assert {row["item_id"]: row["label"] for row in again.export_rows()} == answers
            # Who answered is kept (bob, ada, bob, ada in the order given).
            assert again.status()["by_annotator"] == {"bob": 2, "ada": 2}
            if format == "label-studio":  # the one format that carries predictions
                assert [(r["item_id"], r["source"], r["score"]) for r in again.suggestion_rows()] == [
                    ("2", "zero-shot v2", ANSWERS[task][2][2])]
            second = tmp_path / f"second-{format}{SUFFIX[format]}"
            again.export(second, format=format)
        assert _read(second, format) == _read(path, format), format


def test_hugging_face_parquet_keeps_the_class_labels(tmp_path):
    import datasets

    with _source(tmp_path, "multilabel") as source:
        source.export(tmp_path / "sets.parquet", format="hf")
    dataset = datasets.Dataset.from_parquet(str(tmp_path / "sets.parquet"))
    assert dataset.features["labels"].feature.names == ["a", "b", "c"]
    assert dataset.to_list()[0] == {"id": "0", "text": TEXTS[0], "labels": [0, 2], "annotator": "bob"}
    with Project.create_from_format(tmp_path / "p.hilt", tmp_path / "sets.parquet", "hf", features="tfidf") as again:
        assert (again.task, again.labels) == ("multilabel", ["a", "b", "c"])  # the ClassLabel's names, in order


def test_labels_and_task_come_from_the_file_and_reject_means_the_other_label(tmp_path):
    with Project.create_from_format(tmp_path / "p.hilt", DATA / "prodigy_textcat_binary.jsonl", "prodigy",
                                    ["BUSINESS", "OTHER"], features="tfidf") as project:
        report = project.created_import["format"]
        assert (report.task, report.task_from_file, report.skips, report.rejected) == ("single", True, 1, 1)
        assert {r["item_id"]: (r["label"], r["annotator"]) for r in project.export_rows()} == {
            "1886699658": ("BUSINESS", "news-ines"), "-2003218470": ("OTHER", "news-ines")}
        assert project.status()["n_skipped"] == 1
        # Prodigy's hashes are kept as data (hidden from annotators), and written back.
        assert "_input_hash" in project.hidden_columns
        project.export(tmp_path / "back.jsonl", format="prodigy")
    back = [json.loads(line) for line in (tmp_path / "back.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(b["_input_hash"], b["_task_hash"], b["meta"], b["accept"]) for b in back] == [
        (1886699658, -1952856502, {"source": "The Guardian"}, ["BUSINESS"]),
        (-2003218470, 1129355171, {"source": "BBC"}, ["OTHER"])]
    with pytest.raises(InputError, match="at least two labels .* names BUSINESS. Give the labels"):
        Project.create_from_format(tmp_path / "q.hilt", DATA / "prodigy_textcat_binary.jsonl", "prodigy")
    assert not (tmp_path / "q.hilt").exists()


def test_import_into_a_project_stores_answers_once_and_refuses_bad_files_whole(where, tmp_path):
    with Project.create_from_format(where, DATA / "label_studio_sentiment.json", "label-studio", features="tfidf",
                                    eval_share=0) as project:
        assert project.labels == ["Positive", "Negative", "Neutral"]
        assert project.status()["by_annotator"] == {"10": 2, "ana@example.com": 1}
        again = project.import_format(DATA / "label_studio_sentiment.json", "label-studio")
        assert (again.added, again.existing, again.answers, again.repeated) == (0, 4, 0, 4)
        more = tmp_path / "more.json"
        more.write_text(json.dumps([
            {"id": 7, "data": {"text": "Fine"}, "annotations": [
                {"completed_by": 12, "result": [{"type": "choices", "value": {"choices": ["Neutral"]}}]}]},
            {"id": 1, "data": {"text": "Good case, Excellent value."}, "annotations": [
                {"completed_by": 12, "result": [{"type": "choices", "value": {"choices": ["Negative"]}}]}]}]))
        added = project.import_format(more, "label-studio")
        assert (added.added, added.existing, added.answers) == (1, 1, 2)
        assert project.status()["by_annotator"]["12"] == 2
        before = (project.status()["n_items"], project.status()["by_annotator"], project.suggestion_rows())
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps([
            {"id": 8, "data": {"text": "New"}, "annotations": [
                {"completed_by": 12, "result": [{"type": "choices", "value": {"choices": ["Neutral"]}}]}]},
            {"id": 9, "data": {"text": "Newer"}, "annotations": [
                {"completed_by": 12, "result": [{"type": "choices", "value": {"choices": ["Angry"]}}]}]}]))
        with pytest.raises(InputError, match=r"bad.json, task 2, annotation 1: Expected a label from Positive, "
                                             r"Negative, Neutral .*got 'Angry'"):
            project.import_format(bad, "label-studio")
        assert (project.status()["n_items"], project.status()["by_annotator"], project.suggestion_rows()) == before


def test_spans_that_do_not_fit_the_text_leave_nothing_behind(tmp_path):
    bad = tmp_path / "ner.jsonl"
    bad.write_text(json.dumps({"text": "Köln 🇩🇪", "spans": [{"start": 0, "end": 4, "label": "GPE", "text": "Köln"}],
                               "answer": "accept"}, ensure_ascii=False) + "\n"
                   + json.dumps({"text": "Ada", "spans": [{"start": 0, "end": 4, "label": "PER"}], "answer": "accept"})
                   + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"ner.jsonl, line 2, span 1: expected end <= 3"):
        Project.create_from_format(tmp_path / "p.hilt", bad, "prodigy", features="tfidf")
    assert not (tmp_path / "p.hilt").exists()
    with pytest.raises(InputError, match=r"line 1: expected labels chosen \(a single project\); the annotation marks "
                                         r"spans. Create the project with --task spans"):
        Project.create_from_format(tmp_path / "p.hilt", DATA / "prodigy_ner.jsonl", "prodigy", ["GPE", "PERSON"],
                                   task="single", features="tfidf")
    assert not (tmp_path / "p.hilt").exists()

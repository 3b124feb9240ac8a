"""hilt init / import / export --format: a project made from a Label Studio, Prodigy or Hugging
Face file (labels and task read from it, and said), more of it imported, and the project written
back out; a wrong format or a malformed file is a clean error (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import hilt, user_error

DATA = Path(__file__).parent / "data" / "formats"


def test_init_from_label_studio_reads_labels_and_task_and_says_so(tmp_path):
    project = tmp_path / "ner.hilt"
    result = hilt("init", project, "--data", DATA / "label_studio_ner.json", "--format", "label-studio",
                  "--features", "tfidf")
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert "labels PER, LOC" in said and "task spans" in said
    assert "Labels read from the file: PER, LOC (give --labels to choose them)." in said
    assert "Task read from the file: spans (give --task to choose it)." in said
    assert "2 answers stored by their annotators." in said
    assert "1 predictions stored as suggestions (never labels), from ner-v1." in said

    again = hilt("import", project, DATA / "label_studio_ner.json", "--format", "label-studio")
    assert again.returncode == 0, again.stderr
    assert "0 answers stored by their annotators; 2 already stored by an earlier import." in " ".join(again.stderr.split())

    out = tmp_path / "ner.jsonl"
    exported = hilt("export", project, "-o", out, "--format", "prodigy")
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(line["id"], line["_annotator_id"], [(s["start"], s["end"], s["label"]) for s in line["spans"]])
            for line in lines] == [("5", "1", [(0, 10, "PER"), (23, 29, "LOC"), (33, 42, "LOC")]), ("6", "1", [])]
    folder = tmp_path / "ner_dataset"
    assert hilt("export", project, "-o", folder, "--format", "hf").returncode == 0
    import datasets

    assert datasets.load_from_disk(str(folder)).features["spans"].feature["label"].names == ["PER", "LOC"]


def test_import_label_studio_min_into_a_project_made_from_label_studio(tmp_path):
    project = tmp_path / "reviews.hilt"
    made = hilt("init", project, "--data", DATA / "label_studio_sentiment.json", "--format", "label-studio",
                "--labels", "Positive,Negative,Neutral", "--task", "single", "--features", "tfidf")
    assert made.returncode == 0, made.stderr
    assert "read from the file" not in made.stderr  # both were given
    result = hilt("import", project, DATA / "label_studio_min_sentiment.json", "--format", "label-studio-min",
                  "--label-column", "sentiment")
    assert result.returncode == 0, result.stderr
    assert "0 items added, 2 already in the project." in " ".join(result.stderr.split())
    status = json.loads(hilt("status", project, "--json").stdout)
    assert status["by_annotator"]["bo@example.com"] == 1


@pytest.mark.parametrize("args, message", [
    (["--format", "labelstudio"], "Expected a format from label-studio, label-studio-min, prodigy, hf; got 'labelstudio'."),
    (["--format", "prodigy"], "tasks.json, line 1, column 2: expected one JSON object per line; Expecting value. The "
                              "file starts with '[': a JSON array, as Label Studio exports (--format label-studio)."),
    ([], "Expected the labels: --labels pos,neg (or --format FORMAT"),
    (["--format", "label-studio", "--task", "single"], "tasks.json, task 1, annotation 1: Expected a label from pos, neg (or None "
                                                      "to skip); got 'PER'."),
])
def test_wrong_format_or_malformed_file_is_exit_2(tmp_path, args, message):
    data = tmp_path / "tasks.json"
    data.write_text(json.dumps([{"id": 1, "data": {"text": "Ada"}, "annotations": [{"completed_by": 1, "result": [
        {"type": "choices", "value": {"choices": ["PER"]}}]}]}], indent=1), encoding="utf-8")
    if "--task" in args:
        args = [*args, "--labels", "pos,neg"]
    result = hilt("init", tmp_path / "p.hilt", "--data", data, *args)
    assert message in user_error(result)
    assert not (tmp_path / "p.hilt").exists()


def test_export_format_needs_a_fitting_target(tmp_path):
    project = tmp_path / "p.hilt"
    assert hilt("init", project, "--data", DATA / "prodigy_choice_multiple.jsonl", "--format", "prodigy",
                "--features", "tfidf").returncode == 0
    assert "ending in .json; got 'labels.csv'" in user_error(hilt("export", project, "-o", tmp_path / "labels.csv",
                                                                  "--format", "label-studio"))
    assert "Expected a folder name (Dataset.save_to_disk) or a .parquet file" in user_error(
        hilt("export", project, "-o", tmp_path / "labels.csv", "--format", "hf"))
    assert "final answers only" in user_error(hilt("export", project, "-o", tmp_path / "all.jsonl", "--format",
                                                   "prodigy", "--all"))

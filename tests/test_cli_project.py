"""The real `hilt` executable: init, import, status, export with real files; user errors exit 2
with a clear message and no traceback."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hilt.project import Project

HILT = str(Path(sys.executable).with_name("hilt"))


def hilt(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([HILT, *map(str, args)], capture_output=True, text=True, timeout=180, input=input)


def user_error(result: subprocess.CompletedProcess) -> str:
    """Assert a clean user error and return its message (one paragraph)."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "Error" in result.stderr
    return " ".join(result.stderr.split())


REVIEWS = [
    ("r01", "A warm, funny film with a big heart.", "pos"),
    ("r02", "Dull and far too long.", "neg"),
    ("r03", "The cast is wonderful and the script sings.", ""),
    ("r04", "I checked my watch every five minutes.", ""),
    ("r05", "A delight from start to finish.", ""),
    ("r06", "Lifeless, joyless and loud.", ""),
    ("r07", "Smart, tender and beautifully shot.", ""),
    ("r08", "A mess of a plot and wooden acting.", ""),
]


def write_csv(path: Path, rows, header=("id", "text", "sentiment")) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def reviews_csv(tmp_path) -> Path:
    return write_csv(tmp_path / "reviews.csv", REVIEWS)


@pytest.fixture
def project(tmp_path, reviews_csv) -> Path:
    path = tmp_path / "reviews.hilt"
    result = hilt("init", path, "--data", reviews_csv, "--labels", "pos,neg", "--id-column", "id",
                  "--label-column", "sentiment")
    assert result.returncode == 0, result.stderr
    return path


def test_init_then_status_json(project):
    result = hilt("status", project, "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["n_items"] == len(REVIEWS)
    assert status["labels"] == ["pos", "neg"]
    assert status["kind"] == "text"
    assert status["by_label"] == {"pos": 1, "neg": 1}
    assert status["n_answered"] == 2


def test_init_reports_what_it_made(tmp_path, reviews_csv):
    path = tmp_path / "new.hilt"
    result = hilt("init", path, "--data", reviews_csv, "--labels", "pos, neg", "--id-column", "id",
                  "--strategy", "entropy", "--retrain-every", "5", "--eval-share", "0.2")
    assert result.returncode == 0, result.stderr
    assert f"Created {path}: 8 text items, labels pos, neg, strategy entropy" in " ".join(result.stderr.split())
    assert f"hilt label {path}" in result.stderr
    with Project.open(path) as opened:
        assert opened.strategy == "entropy"


def test_status_tables(project):
    result = hilt("status", project)
    assert result.returncode == 0, result.stderr
    for word in ("items", "answered", "labels", "pos", "neg", "model runs"):
        assert word in result.stdout


def test_import_counts_added_duplicates_and_labelled(tmp_path, project):
    more = write_csv(
        tmp_path / "more.csv",
        [("r01", "already there", "pos"), ("r09", "Grand and moving.", "pos"),
         ("r10", "Tedious.", ""), ("r10", "Tedious again.", "")],
    )
    result = hilt("import", project, more, "--label-column", "sentiment")
    assert result.returncode == 0, result.stderr
    message = " ".join(result.stderr.split())
    assert "2 added" in message and "2 duplicates skipped" in message and "1 with a label" in message
    status = json.loads(hilt("status", project, "--json").stdout)
    assert status["n_items"] == len(REVIEWS) + 2


def test_export_csv_and_jsonl(tmp_path, project):
    with Project.open(project) as opened:
        item = opened.next_item("ana")
        opened.answer(item.id, "neg", "ana")
    out_csv = tmp_path / "labels.csv"
    result = hilt("export", project, "-o", out_csv)
    assert result.returncode == 0, result.stderr
    assert "Wrote 3 rows" in result.stderr
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert len(rows) == 3
    by_id = {row["item_id"] if "item_id" in row else row["id"]: row for row in rows}
    assert by_id[item.id]["label"] == "neg" and by_id[item.id]["annotator"] == "ana"
    out_jsonl = tmp_path / "labels.jsonl"
    assert hilt("export", project, "--output", out_jsonl, "--all").returncode == 0
    lines = [json.loads(line) for line in out_jsonl.read_text().splitlines()]
    assert {line["label"] for line in lines} == {"pos", "neg"}


# --- user errors: exit 2, a clear message, no traceback --------------------------------------


def test_init_on_an_existing_project(tmp_path, project, reviews_csv):
    message = user_error(hilt("init", project, "--data", reviews_csv, "--labels", "pos,neg"))
    assert str(project) in message or project.name in message
    assert "exist" in message


def test_missing_project(tmp_path):
    missing = tmp_path / "nope.hilt"
    for command in (("status", missing), ("import", missing, tmp_path / "x.csv"),
                    ("export", missing, "-o", tmp_path / "x.csv"), ("label", missing)):
        message = user_error(hilt(*command))
        assert "nope.hilt" in message


def test_init_missing_data_file(tmp_path):
    message = user_error(hilt("init", tmp_path / "p.hilt", "--data", tmp_path / "gone.csv", "--labels", "a,b"))
    assert "gone.csv" in message and "no such file" in message
    assert not (tmp_path / "p.hilt").exists()  # nothing half-made is left behind


def test_init_missing_column_lists_columns(tmp_path, reviews_csv):
    message = user_error(hilt("init", tmp_path / "p.hilt", "--data", reviews_csv, "--labels", "pos,neg",
                              "--text-column", "review"))
    assert "'review'" in message and "id, text, sentiment" in message


def test_init_label_outside_labels(tmp_path, reviews_csv):
    message = user_error(hilt("init", tmp_path / "p.hilt", "--data", reviews_csv, "--labels", "good,bad",
                              "--label-column", "sentiment"))
    assert "reviews.csv, line 2" in message and "'pos'" in message and "good, bad" in message


def test_init_needs_two_labels(tmp_path, reviews_csv):
    message = user_error(hilt("init", tmp_path / "p.hilt", "--data", reviews_csv, "--labels", "pos"))
    assert "at least two labels" in message


def test_init_unknown_strategy(tmp_path, reviews_csv):
    message = user_error(hilt("init", tmp_path / "p.hilt", "--data", reviews_csv, "--labels", "pos,neg",
                              "--strategy", "psychic"))
    assert "psychic" in message and "margin" in message


def test_init_non_utf8_suggests_encoding_and_encoding_works(tmp_path):
    data = tmp_path / "fr.csv"
    data.write_bytes("text\nun caf\u00e9 tr\u00e8s bon\nmauvais\n".encode("latin-1"))
    message = user_error(hilt("init", tmp_path / "fr.hilt", "--data", data, "--labels", "bon,mauvais"))
    assert "fr.csv, line 2" in message and "--encoding latin-1" in message
    result = hilt("init", tmp_path / "fr.hilt", "--data", data, "--labels", "bon,mauvais", "--encoding", "latin-1")
    assert result.returncode == 0, result.stderr
    with Project.open(tmp_path / "fr.hilt") as opened:
        texts = {opened.next_item("a").data["text"], opened.next_item("b").data["text"]}
    assert "un caf\u00e9 tr\u00e8s bon" in texts


def test_init_malformed_jsonl(tmp_path):
    data = tmp_path / "r.jsonl"
    data.write_text('{"text": "fine"}\n{"text": "broken\n')
    message = user_error(hilt("init", tmp_path / "p.hilt", "--data", data, "--labels", "a,b"))
    assert "r.jsonl, line 2" in message and "invalid JSON" in message


def test_import_malformed_csv_row(tmp_path, project):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text,sentiment\nr20,fine,\nr21,not, quoted,\n")
    message = user_error(hilt("import", project, bad))
    assert "bad.csv, line 3" in message and "expected 3 fields" in message


def test_export_unknown_format(tmp_path, project):
    message = user_error(hilt("export", project, "-o", tmp_path / "labels.xlsx"))
    assert "labels.xlsx" in message or ".xlsx" in message


def test_not_a_project_file(tmp_path, reviews_csv):
    message = user_error(hilt("status", reviews_csv))
    assert "reviews.csv" in message

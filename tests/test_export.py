"""Every JSON a project writes out is strict JSON: labels and predictions exports (JSON lines, CSV),
``GET /api/export`` and the ``--json`` outputs of status, agreement, label-issues and annotator list.

Python's ``json.dumps`` writes ``NaN`` and ``Infinity``, which JSON does not have; a predictions
export gave every unlabelled item ``"label": NaN``. Each output here is read with a parser that
refuses them, as JavaScript's ``JSON.parse`` or ``jq`` would.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from hilt.project import Project
from hilt.project.export import json_text, json_value, write_rows
from hilt.server import create_app

from helpers import REVIEWS, hilt, label_twice, texts


def _refuse(constant: str):
    raise ValueError(f"not JSON: {constant}")


def strict(text: str):
    """``json.loads`` that refuses ``NaN``, ``Infinity`` and ``-Infinity``."""
    return json.loads(text, parse_constant=_refuse)


def strict_lines(text: str) -> list:
    return [strict(line) for line in text.splitlines() if line.strip()]


def test_the_strict_parser_refuses_what_json_dumps_writes_for_nan():
    with pytest.raises(ValueError, match="NaN"):
        strict(json.dumps({"label": float("nan")}))
    with pytest.raises(ValueError, match="Infinity"):
        strict(json.dumps([float("-inf")]))


def test_missing_and_infinite_values_are_null_in_json_lines_and_empty_in_csv():
    rows = [{"item_id": "1", "label": float("nan"), "p": np.float64("inf"), "n": np.int64(3),
             "tags": [float("nan"), "a"], "when": pd.NaT, "na": pd.NA}]
    columns = list(rows[0])
    out = io.StringIO()
    write_rows(out, rows, columns, format="jsonl")
    assert strict_lines(out.getvalue()) == [
        {"item_id": "1", "label": None, "p": None, "n": 3, "tags": [None, "a"], "when": None, "na": None}]
    out = io.StringIO()
    write_rows(out, rows, columns, format="csv")
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["label"] == "" and strict(row["tags"]) == [None, "a"] and row["n"] == "3"
    assert json_text({"kappa": float("nan")}) == '{"kappa": null}'
    assert json_value((np.float32(0.5), {"x": float("inf")})) == [0.5, {"x": None}]


@pytest.fixture
def project(tmp_path, reviews_csv) -> Path:
    path = tmp_path / "reviews.hilt"
    result = hilt("init", path, "--data", reviews_csv, "--labels", "pos,neg", "--id-column", "id",
                  "--label-column", "sentiment", "--features", "tfidf")
    assert result.returncode == 0, result.stderr
    return path


def test_predictions_give_unlabelled_items_a_null_label(tmp_path, project):
    out = tmp_path / "predictions.jsonl"
    result = hilt("export", project, "-o", out, "--predictions")
    assert result.returncode == 0, result.stderr
    rows = strict_lines(out.read_text(encoding="utf-8"))
    assert len(rows) == len(REVIEWS)
    labels = {row["item_id"]: row["label"] for row in rows}
    assert labels == {key: (label or None) for key, _, label in REVIEWS}
    assert all(isinstance(row["probability"], float) for row in rows)
    stdout = hilt("export", project, "-o", "-", "--predictions")
    assert strict_lines(stdout.stdout) == rows
    csv_rows = list(csv.DictReader(io.StringIO(hilt("export", project, "-o", "-", "--predictions",
                                                    "--format", "csv").stdout)))
    assert {row["item_id"]: row["label"] for row in csv_rows} == {key: label for key, _, label in REVIEWS}


def test_labels_exports_and_the_json_outputs_are_strict(tmp_path, project):
    for extra in ([], ["--all"]):
        rows = strict_lines(hilt("export", project, "-o", "-", *extra).stdout)
        assert {row["item_id"] for row in rows} == {"r01", "r02"}
        table = list(csv.DictReader(io.StringIO(hilt("export", project, "-o", "-", "--format", "csv", *extra).stdout)))
        assert {row["item_id"] for row in table} == {"r01", "r02"}
    status = strict(hilt("status", project, "--json").stdout)
    assert status["n_items"] == len(REVIEWS)
    assert strict(hilt("annotator", "list", project, "--json").stdout)[0]["name"] == "import"
    assert strict(hilt("agreement", project, "--json").stdout)["items"] == 0
    issues = strict(hilt("label-issues", project, "--json").stdout)
    assert isinstance(issues, list)


def test_agreement_and_label_issues_json_over_two_annotators_are_strict(tmp_path):
    path = tmp_path / "team.hilt"
    with Project.create(path, texts(40), ["pos", "neg"], id_column="id", overlap=1.0, annotators_per_item=2,
                        eval_share=0, features="tfidf") as project:
        label_twice(project, 12)
        project.retrain(wait=True)
    report = strict(hilt("agreement", path, "--json").stdout)
    assert report["items"] > 0 and set(report["by_annotator"]) == {"ana", "bob"}
    issues = strict(hilt("label-issues", path, "--json").stdout)
    assert issues and all(0 <= row["score"] <= 1 for row in issues)
    status = strict(hilt("status", path, "--json").stdout)
    assert status["runs"] and status["agreement"]["items"] == report["items"]


def test_the_http_export_and_status_are_strict_json(tmp_path, project):
    with Project.open(project) as opened:
        token = opened.add_annotator("ada")
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(project)) as client:
        for query in ("", "?include_retracted=true"):
            reply = client.get("/api/export" + query, headers=headers)
            assert reply.status_code == 200
            assert {row["item_id"] for row in strict_lines(reply.text)} == {"r01", "r02"}
        assert strict(client.get("/api/status", headers=headers).text)["n_items"] == len(REVIEWS)

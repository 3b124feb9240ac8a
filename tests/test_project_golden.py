"""A golden record of what a project does, end to end, on a fixed seed.

Two projects (movie reviews as text, iris as a table with overlap) are labelled by a scripted
oracle: the order items are served in, the ranked queue after each retrain, the predictions,
label issues, the exported rows, ``status()`` and the main HTTP replies are recorded and compared
with ``tests/data/golden_project.json``. Refactoring the project must leave every value as it
was; only what is random on every run (times, generated ids, tokens) is normalised.

Regenerate the file (only when a change of behaviour is meant) with
``python tests/test_project_golden.py --write``.
"""

from __future__ import annotations

import csv
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).parent / "data" / "golden_project.json"

#: Keys whose values are wall-clock times: replaced by a marker.
TIME_KEYS = {"started_at", "finished_at", "answered_at", "added_at", "last_seen", "removed_at", "at",
             "created_at"}

#: Significant digits floats are compared to: the same computation may differ in the last bits
#: between runs when BLAS splits a product over threads differently.
DIGITS = 10

#: A generated id (``uuid.uuid4().hex``): the answer ids of labels read at import.
UUID = re.compile(r"^[0-9a-f]{32}$")


def _normal(value: Any) -> Any:
    """``value`` with times replaced and floats rounded, recursively (JSON-able)."""
    if hasattr(value, "to_dict"):  # a typed result (hilt.project.results): its JSON form
        value = value.to_dict()
    if isinstance(value, dict):
        return {str(k): ("<time>" if k in TIME_KEYS and v is not None else _normal(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, float):
        return "<nan>" if math.isnan(value) else float(f"{value:.{DIGITS}g}")
    if isinstance(value, str) and UUID.match(value):
        return "<uuid>"
    return value


def _queue(project: Any) -> list:
    return _normal([[key, score, guess] for key, score, guess in project._store.ranking()])


def _status(project: Any) -> dict:
    return _normal(project.status())


def _text_phase(folder: Path) -> tuple[dict, Path]:
    from hilt import Project
    from hilt.datasets import load_movie_reviews

    reviews = load_movie_reviews().head(240)
    truth = dict(zip(reviews["id"], reviews["sentiment"]))
    frame = reviews[["id", "text", "movie"]]
    path = folder / "reviews.hilt"
    record: dict[str, Any] = {"served": [], "queues": [], "replies": []}
    with Project.create(path, frame.head(200), ["fresh", "rotten"], id_column="id", seed=7,
                        retrain_every=1000, eval_share=0.2, features="tfidf") as project:
        record["created"] = _normal(project.created_import)
        record["shown"] = project.shown_columns
        for step in range(30):
            item = project.next_item("ada")
            record["served"].append([item.id, item.is_eval, item.guess, _normal(item.uncertainty)])
            label = None if step % 11 == 5 else truth[item.id]
            reply = project.answer(item.id, label, "ada", answer_id=f"ada-{step}", lease_next=step % 3 == 0).to_dict()
            following = reply.pop("next", None)
            record["replies"].append([reply, None if following is None else following.id])
            if step % 10 == 9:
                project.retrain(wait=True)
                record["queues"].append(_queue(project))
        undone = project.undo("ada", undo_id="u1")
        record["undone"] = None if undone is None else undone.id
        recent = project.recent_answers("ada", 5)
        record["recent"] = _normal(recent)
        changed = project.change_answer(recent[0]["item_id"], "rotten", "ada", answer_id="change-1")
        record["changed"] = changed
        # A later import draws its evaluation items without the project's seed: none, here.
        record["configured"] = project.configure(eval_share=0.0)
        record["imported"] = _normal(project.import_items(reviews.tail(45)))
        project.retrain(wait=True)
        record["queues"].append(_queue(project))
        record["peek"] = [item.id for item in project.peek_items("bob", 8)]
        predictions = project.predictions()
        record["predictions"] = _normal(predictions.to_dict("records"))
        out = folder / "reviews.csv"
        record["export_count"] = project.export(out)
        with open(out, newline="", encoding="utf-8") as handle:
            record["export"] = _normal(list(csv.DictReader(handle)))
        record["export_all"] = _normal(project.export_rows(include_retracted=True))
        record["status"] = _status(project)
        record["settings"] = project.configure(retrain_every=500, eval_share=0.15)
        record["repr"] = repr(project).replace(str(folder), "<folder>")
    return record, path


def _http_phase(path: Path) -> dict:
    from fastapi.testclient import TestClient

    from hilt import Project
    from hilt.server import create_app

    with Project.open(path) as project:
        tokens = {"cy": project.add_annotator("cy"), "rev": project.add_annotator("rev", reviewer=True)}
    headers = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    record: dict[str, Any] = {}

    def call(name: str, method: str, url: str, who: str = "cy", **options: Any) -> Any:
        response = TestClient_.request(method, url, headers=headers[who], **options)
        body = None if response.status_code == 204 else response.json()
        record[name] = [response.status_code, _normal(body)]
        return body

    with TestClient(create_app(path)) as TestClient_:
        first = call("next", "GET", "/api/next?ahead=1")
        item = first["item"]["id"]
        nxt = call("answer_next", "POST", "/api/answers?next=1&ahead=1",
                   json={"item_id": item, "label": "fresh", "answer_id": "http-1"})
        call("answer_again", "POST", "/api/answers", json={"item_id": item, "label": "fresh", "answer_id": "http-1"})
        call("answer_conflict", "POST", "/api/answers", json={"item_id": item, "label": "rotten", "answer_id": "http-1"})
        call("answer_bad_label", "POST", "/api/answers", json={"item_id": item, "label": "meh"})
        call("answer_skip", "POST", "/api/answers", json={"item_id": nxt["next"]["id"], "label": None,
                                                        "answer_id": "http-2"})
        call("undo", "POST", "/api/undo?ahead=1", json={"undo_id": "http-u"})
        call("history", "GET", "/api/history?limit=5")
        call("change", "POST", "/api/history", json={"item_id": item, "label": "rotten", "answer_id": "http-3"})
        call("me", "GET", "/api/me")
        call("status", "GET", "/api/status")
        call("review_forbidden", "GET", "/api/review")
        reviewed = call("review", "GET", "/api/review?limit=5", who="rev")
        if reviewed.get("items"):
            call("review_post", "POST", "/api/review", who="rev",
                 json={"item_id": reviewed["items"][0]["item_id"], "label": "fresh", "answer_id": "rev-1"})
        response = TestClient_.get("/api/export?format=csv", headers=headers["cy"])
        rows = list(csv.DictReader(response.text.splitlines()))
        record["export_csv"] = [response.status_code, _normal(rows)]
        response = TestClient_.get("/api/export", headers=headers["cy"])
        record["export_jsonl"] = [response.status_code,
                                  _normal([json.loads(line) for line in response.text.splitlines()])]
    return record


def _table_phase(folder: Path) -> dict:
    from hilt import Project
    from hilt.datasets import load_sklearn

    iris = load_sklearn("iris").sample(frac=1.0, random_state=0).reset_index(drop=True)
    truth = iris["label"].tolist()
    frame = iris.drop(columns=["label"])
    frame["y"] = [truth[i] if i < 12 else None for i in range(len(truth))]
    path = folder / "iris.hilt"
    record: dict[str, Any] = {"served": [], "queues": []}
    labels = ["setosa", "versicolor", "virginica"]
    with Project.create(path, frame, labels, label_column="y", strategy="entropy", seed=3, retrain_every=1000,
                        eval_share=0.1, overlap=0.5, annotators_per_item=2) as project:
        record["created"] = _normal(project.created_import)
        record["columns"] = [project.feature_columns, project.shown_columns, project.hidden_columns]
        project.retrain(wait=True)
        record["queues"].append(_queue(project))
        for step in range(30):
            who = "ada" if step % 2 == 0 else "bob"
            item = project.next_item(who)
            record["served"].append([who, item.id, item.is_eval, item.guess, _normal(item.uncertainty)])
            label = truth[int(item.id)]
            if step % 7 == 3:  # a slip, for disagreement and label issues
                label = labels[(labels.index(label) + 1) % 3]
            project.answer(item.id, label, who, answer_id=f"{who}-{step}")
            if step % 10 == 9:
                project.retrain(wait=True)
                record["queues"].append(_queue(project))
        record["agreement"] = _normal(project.agreement())
        record["issues"] = _normal(project.label_issues(limit=6))
        token = project.add_annotator("rev", reviewer=True)
        assert project.annotator_for_token(token) == "rev"
        record["review_items"] = _normal(project.review_items("rev", 4))
        if record["review_items"]:
            record["review"] = project.review(record["review_items"][0]["item_id"], "setosa", "rev", answer_id="r1")
        record["annotators"] = _normal(project.annotator_list())
        record["labelled"] = _normal(project.labelled_items().reset_index().to_dict("records"))
        record["status"] = _status(project)
        out = folder / "iris.csv"
        record["export_count"] = project.export(out)
        with open(out, newline="", encoding="utf-8") as handle:
            record["export"] = _normal(list(csv.DictReader(handle)))
    return record


def golden(folder: Path) -> dict:
    """Every recorded value, from projects made under ``folder``."""
    text, path = _text_phase(folder)
    return {"text": text, "http": _http_phase(path), "table": _table_phase(folder)}


@pytest.mark.xdist_group("golden")
def test_project_behaviour_matches_the_golden_record(tmp_path, monkeypatch):
    monkeypatch.delenv("HILT_DASK_SCHEDULER", raising=False)
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = json.loads(json.dumps(golden(tmp_path)))
    for phase in expected:
        for key in expected[phase]:
            assert got[phase][key] == expected[phase][key], f"{phase}.{key} differs from the golden record"
    assert got == expected


if __name__ == "__main__":  # python tests/test_project_golden.py --write
    import tempfile

    if "--write" not in sys.argv:
        sys.exit("Pass --write to regenerate tests/data/golden_project.json.")
    with tempfile.TemporaryDirectory() as folder:
        values = golden(Path(folder))
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(values, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"Wrote {GOLDEN}")

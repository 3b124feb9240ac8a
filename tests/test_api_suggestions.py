"""GET /api/next carries an item's suggestion (never an evaluation item's); whether an answer kept
it is decided by the server, whatever the client sends."""

from __future__ import annotations

import pandas as pd
from fastapi.testclient import TestClient

from hilt import Project
from hilt.project.labelling import suggests
from hilt.server import create_app


def test_next_carries_the_suggestion_and_the_server_decides_kept(tmp_path):
    path = tmp_path / "p.hilt"
    frame = pd.DataFrame({"id": [f"i{k}" for k in range(24)], "text": [f"review number {k}" for k in range(24)]})
    with Project.create(path, frame, ["good", "bad"], id_column="id", features="tfidf", eval_share=0.3,
                        retrain_every=1000, seed=1) as project:
        project.import_suggestions([(f"i{k}", "good", 0.75) for k in range(24)], source="m")
        token = project.add_annotator("ada")
        eval_ids = {f"i{k}" for k in range(24) if project._store.item(f"i{k}").is_eval}
    headers = {"Authorization": f"Bearer {token}"}
    seen = {}
    with TestClient(create_app(path)) as client:
        reply = client.get("/api/next?ahead=1", headers=headers).json()
        item = reply["item"]
        while item is not None:
            assert "is_eval" not in item
            seen[item["id"]] = item["suggestion"]
            if item["id"] in eval_ids or not suggests(item["id"], False, 0.3):
                assert (item["suggestion"], item["suggestion_score"], item["suggestion_source"]) == (None, None, None)
            else:
                assert (item["suggestion"], item["suggestion_score"], item["suggestion_source"]) == ("good", 0.75, "m")
            if reply.get("ahead"):
                ahead = reply["ahead"]
                assert ahead["suggestion"] == (None if ahead["id"] in eval_ids or not suggests(ahead["id"], False, 0.3)
                                               else "good")
            # The client claims it kept the suggestion while it answers "bad": the server does not listen.
            body = {"item_id": item["id"], "label": "bad", "kept_suggestion": 1}
            reply = client.post("/api/answers?next=1&ahead=1", json=body, headers=headers).json()
            item = reply["next"]
        status = client.get("/api/status", headers=headers).json()
    assert len(seen) == 24 and eval_ids and any(seen.values())
    shown = sum(1 for value in seen.values() if value is not None)
    assert status["suggestions"] == {"n_items": 24, "n_shown": shown, "n_kept": 0, "kept_share": 0.0,
                                     "by_annotator": {"ada": {"n_shown": shown, "n_kept": 0, "kept_share": 0.0}}}

"""``hilt search`` and ``hilt label-many``: results, similar items, a group labelled and refused."""

from __future__ import annotations

import json

import pandas as pd

from helpers import hilt, user_error
from hilt.project import Project


def make_project(path):
    texts = [f"{'plot' if k % 4 == 0 else 'music'} twist number{k}" for k in range(40)]
    frame = pd.DataFrame({"id": [f"i{k}" for k in range(40)], "text": texts})
    with Project.create(path, frame, ["good", "bad"], id_column="id", features="tfidf", eval_share=0.2,
                        seed=5) as project:
        return {r.key for r in project._store.item_rows(range(1, 41)) if r.is_eval}


def test_search_lists_items_and_similar_ones(tmp_path):
    path = tmp_path / "p.hilt"
    evals = make_project(path)
    result = hilt("search", path, "plot", "--json", "-n", "100")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all("plot" in row["data"]["text"] for row in rows) and not {r["id"] for r in rows} & evals
    plain = hilt("search", path, "plot", "-n", "2")
    assert plain.returncode == 0 and len(plain.stdout.splitlines()) == 2 and "More: --offset 2" in plain.stderr
    near = hilt("search", path, "--similar-to", rows[0]["id"], "--json")
    assert near.returncode == 0 and rows[0]["id"] not in near.stdout
    assert all(0 < json.loads(line)["score"] <= 1 for line in near.stdout.splitlines())
    hostile = hilt("search", path, "'\"(NEAR) OR *")
    assert hostile.returncode == 0 and "0 item(s)" in hostile.stderr
    for args in (("'\"()*",), (), ("plot", "--similar-to", "i0"), ("--similar-to", "nope")):
        bad = hilt("search", path, *args)
        assert bad.returncode == 2 and "Traceback" not in bad.stderr + bad.stdout, args
        assert user_error(bad)


def test_label_many_by_query_or_ids_asks_first_and_refuses_kept_out_items(tmp_path):
    path = tmp_path / "p.hilt"
    evals = make_project(path)
    asked = hilt("label-many", path, "--label", "good", "--query", "plot", "--annotator", "ada", input="n\n")
    assert asked.returncode == 0 and "Nothing was stored" in asked.stderr
    closed = hilt("label-many", path, "--label", "good", "--query", "plot", "--annotator", "ada")
    assert closed.returncode == 2 and "--yes" in user_error(closed)
    done = hilt("label-many", path, "--label", "good", "--query", "plot", "--annotator", "ada", "--yes")
    assert done.returncode == 0, done.stderr
    with Project.open(path) as project:
        rows = project.export_rows(include_retracted=True)
        assert rows and {r["label"] for r in rows} == {"good"} and len({r["batch"] for r in rows}) == 1
    refused = hilt("label-many", path, "--label", "bad", "--ids", f"i1,{sorted(evals)[0]}", "--annotator", "ada",
                   "--yes")
    assert refused.returncode == 2 and "Nothing was stored" in user_error(refused)
    unknown = hilt("label-many", path, "--label", "nope", "--ids", "i1", "--annotator", "ada", "--yes")
    assert unknown.returncode == 2 and "nope" in user_error(unknown)
    with Project.open(path) as project:
        assert len(project.export_rows(include_retracted=True)) == len(rows)

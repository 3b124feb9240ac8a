"""`hilt annotator list` and `hilt annotator remove` (issue 11, features): who labels a project,
and revoking a token at once while the answers stay."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hilt.errors import NotFoundError
from hilt.project import Project
from helpers import hilt



@pytest.fixture
def project_path(tmp_path) -> Path:
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(6)], "text": [f"review number {i}" for i in range(6)],
                          "sentiment": ["pos", None, None, None, None, None]})
    path = tmp_path / "p.hilt"
    with Project.create(path, frame, ["pos", "neg"], id_column="id", label_column="sentiment",
                        eval_share=0, features="tfidf") as project:
        project.add_annotator("ada")
        project.add_annotator("bob")
        item = project.next_item("ada")
        project.answer(item.id, "neg", "ada")
        project.next_item("ada")  # ada holds a lease
        project.answer("r5", None, "cy")  # a skip from someone without a token (terminal, Python)
    return path


def test_annotator_list_names_roles_answers_and_last_seen(project_path):
    with Project.open(project_path) as project:
        listed = {entry["name"]: entry for entry in project.annotator_list()}
    assert {name: (e["role"], e["answers"]) for name, e in listed.items()} == {
        "ada": ("annotator", 1), "bob": ("annotator", 0), "cy": ("no token", 1), "import": ("import", 1)}
    assert listed["ada"]["last_seen"] and listed["bob"]["last_seen"] is None
    result = hilt("annotator", "list", project_path)
    assert result.returncode == 0, result.stderr
    for word in ("ada", "bob", "cy", "import", "annotator", "no token", "last seen"):
        assert word in result.stdout
    as_json = json.loads(hilt("annotator", "list", project_path, "--json").stdout)
    assert [e["name"] for e in as_json] == ["ada", "bob", "cy", "import"]


def test_annotator_remove_revokes_the_token_at_once_and_keeps_answers(project_path):
    with Project.open(project_path) as project:
        token = project.add_annotator("ada")  # the token a running server would check
        assert project.annotator_for_token(token) == "ada"
        assert project._store.leases()  # ada holds an item
    result = hilt("annotator", "remove", project_path, "ada")
    assert result.returncode == 0, result.stderr
    assert "token no longer works" in result.stderr and "1 answers are kept" in result.stderr
    with Project.open(project_path) as project:
        assert project.annotator_for_token(token) is None
        assert not project._store.leases()  # the held item is free for others
        assert project.status()["by_annotator"]["ada"] == 1
        assert {e["name"]: e["role"] for e in project.annotator_list()}["ada"] == "no token"
        with pytest.raises(NotFoundError, match="'zed' is not one.*ada, bob, cy"):
            project.remove_annotator("zed")
    refused = hilt("annotator", "remove", project_path, "zed")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "'zed' is not one" in " ".join(refused.stderr.split())

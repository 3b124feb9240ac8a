"""`hilt annotator list` and `hilt annotator remove` (issue 11, features): who labels a project,
and revoking a token at once while the answers stay."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pandas as pd
import pytest

from conftest import running_server
from hilt.errors import NotFoundError
from hilt.project import Project
from helpers import hilt, user_error



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
        assert {e["name"]: e["role"] for e in project.annotator_list()}["ada"] == "removed"
        with pytest.raises(NotFoundError, match=r"'zed' is not one \(annotators: bob, cy\)"):
            project.remove_annotator("zed")
    refused = hilt("annotator", "remove", project_path, "zed")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "'zed' is not one (annotators: bob, cy)" in " ".join(refused.stderr.split())


def test_a_removed_annotator_is_listed_as_removed_until_given_a_token_again(project_path):
    """`hilt annotator list` said "no token" for people removed, as for people who never had one,
    and the error for an unknown name still offered the removed ones."""
    assert hilt("annotator", "remove", project_path, "ada").returncode == 0
    listed = hilt("annotator", "list", project_path)
    row = next(line for line in listed.stdout.splitlines() if " ada " in line)
    assert "removed" in row and "no token" not in row
    assert "no token" in next(line for line in listed.stdout.splitlines() if " cy " in line)
    entries = {e["name"]: e for e in json.loads(hilt("annotator", "list", project_path, "--json").stdout)}
    assert entries["ada"]["role"] == "removed" and entries["ada"]["removed_at"]
    assert entries["ada"]["answers"] == 1 and entries["cy"]["removed_at"] is None
    assert hilt("annotator", "add", project_path, "ada").returncode == 0  # back, with a new token
    with Project.open(project_path) as project:
        assert {e["name"]: (e["role"], e["removed_at"]) for e in project.annotator_list()}["ada"] == ("annotator", None)
        with pytest.raises(NotFoundError, match=r"\(annotators: ada, bob, cy\)"):
            project.remove_annotator("nobody")


def test_annotator_links_point_where_hilt_serve_listens(project_path):
    """`hilt annotator add` printed links on port 8000 whatever port `hilt serve` used."""
    first = hilt("annotator", "add", project_path, "dee")
    assert first.returncode == 0, first.stderr
    assert "link:  http://127.0.0.1:8000/?token=" in first.stdout
    assert "has not run on this project yet" in " ".join(first.stderr.split())
    with running_server(project_path) as base:
        assert not base.endswith(":8000")
        added = hilt("annotator", "add", project_path, "eve", "--reviewer")
        assert added.returncode == 0, added.stderr
        token = re.search(r"token: (\S+)", added.stdout).group(1)
        assert f"link:  {base}/?token={token}" in added.stdout
        assert f"review: {base}/review?token={token}" in added.stdout
        assert "where hilt serve last listened" in added.stderr
        with httpx.Client() as browser:  # the printed link signs eve in on the running server
            page = browser.get(f"{base}/?token={token}", follow_redirects=True)
            assert page.status_code == 200 and str(page.url) == base + "/"
    given = hilt("annotator", "add", project_path, "fay", "--url", "https://labels.example:9443/")
    assert "link:  https://labels.example:9443/?token=" in given.stdout and given.stderr == ""
    message = user_error(hilt("annotator", "add", project_path, "gus", "--url", "labels.example:9443"))
    assert "Expected --url to be an address starting with http:// or https://" in message
    with Project.open(project_path) as project:
        assert "gus" not in project.annotators()  # refused before a token was made


def test_the_recorded_address_comes_from_the_project(project_path):
    with Project.open(project_path) as project:
        assert project.link_base() == {"url": "http://127.0.0.1:8000", "source": "default", "at": None}
        project.record_address("http://0.0.0.0-host.example:8123")
    with Project.open(project_path) as project:  # kept in the project, for other processes
        assert project.link_base()["url"] == "http://0.0.0.0-host.example:8123"
        assert project.link_base("http://other:1/")["url"] == "http://other:1"

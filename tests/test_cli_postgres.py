"""The real `hilt` executable on a project kept in PostgreSQL (issue 12): every command that takes
PROJECT takes a ``postgresql://`` URL as well; messages name the database without its password;
a database that cannot be reached is one clear message and exit 2."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import time

import httpx
import pytest
from sqlalchemy.engine import make_url

from conftest import HILT_EXE, free_port
from hilt.project import Project
from helpers import REVIEWS, hilt, label_twice, texts, user_error, write_csv

SECRET = "s3cret"


def with_password(url: str, password: str = SECRET) -> str:
    """``postgresql+psycopg://postgres@host:port/db`` -> ``postgresql://postgres:PASSWORD@host:port/db``
    (the test server trusts every connection, so the password is accepted and ignored)."""
    return make_url(url).set(drivername="postgresql", password=password).render_as_string(hide_password=False)


def without_password(url: str) -> str:
    """What a message may show of ``url`` (made by :func:`with_password`): the same URL, no password."""
    assert f":{SECRET}@" in url
    return url.replace(f":{SECRET}@", "@")


def output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


@pytest.fixture
def url(postgres_url) -> str:
    """The fresh database as a plain ``postgresql://`` URL that carries a password."""
    return with_password(postgres_url)


@pytest.fixture
def project(url, reviews_csv) -> str:  # noqa: F811
    result = hilt("init", url, "--data", reviews_csv, "--labels", "pos,neg", "--id-column", "id",
                  "--label-column", "sentiment", "--features", "tfidf")
    assert result.returncode == 0, result.stderr
    assert SECRET not in output(result)
    return url


def test_init_prints_a_copyable_url_without_the_password(url, reviews_csv):  # noqa: F811
    result = hilt("init", url, "--data", reviews_csv, "--labels", "pos,neg", "--id-column", "id",
                  "--label-column", "sentiment", "--features", "tfidf")
    assert result.returncode == 0, result.stderr
    message = " ".join(result.stderr.split())
    assert SECRET not in output(result)
    bare = without_password(url)
    assert f"Created {bare}: {len(REVIEWS)} text items" in message
    assert f"Next: hilt label {bare}" in message
    assert "Traceback" not in output(result)


def test_status_and_json(project):
    result = hilt("status", project, "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["n_items"] == len(REVIEWS)
    assert status["by_label"] == {"pos": 1, "neg": 1}
    table = hilt("status", project)
    assert table.returncode == 0, table.stderr
    assert without_password(project) in table.stdout and SECRET not in output(table)


def test_annotators_add_list_remove(project):
    added = hilt("annotator", "add", project, "ana")
    assert added.returncode == 0, added.stderr
    assert "token: " in added.stdout and SECRET not in output(added)
    listed = hilt("annotator", "list", project, "--json")
    assert listed.returncode == 0, listed.stderr
    roles = {entry["name"]: entry["role"] for entry in json.loads(listed.stdout)}
    assert roles["ana"] == "annotator" and set(roles) == {"ana", "import"}  # import: the file's labels
    table = hilt("annotator", "list", project)
    assert table.returncode == 0 and "ana" in table.stdout, table.stderr
    removed = hilt("annotator", "remove", project, "ana")
    assert removed.returncode == 0, removed.stderr
    assert "Removed ana" in removed.stderr


def test_label_then_export_equals_the_answers(project, tmp_path):
    labelled = hilt("label", project, "--annotator", "ana", input="1\n2\nq\n")
    assert labelled.returncode == 0, labelled.stderr
    assert SECRET not in output(labelled)
    answered = {}
    with Project.open(project) as opened:
        for label in ("neg", "pos"):
            item = opened.next_item("bob")
            opened.answer(item.id, label, "bob")
            answered[item.id] = (label, "bob")
        status = opened.status()
    assert status["by_annotator"]["ana"] == 2
    out_csv = tmp_path / "labels.csv"
    result = hilt("export", project, "-o", out_csv)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert f"Wrote {len(rows)} rows" in result.stderr
    exported = {row["item_id"]: (row["label"], row["annotator"]) for row in rows}
    assert len(exported) == 2 + 2 + 2  # two from the file, two labelled in the terminal, two here
    assert exported["r01"] == ("pos", "import") and exported["r02"] == ("neg", "import")
    for item_id, expected in answered.items():
        assert exported[item_id] == expected
    assert sorted(annotator for _, annotator in exported.values()) == ["ana", "ana", "bob", "bob", "import", "import"]


def test_import_more_items(project, tmp_path):
    more = write_csv(tmp_path / "more.csv", [("r09", "Sharp and funny.", "pos"), ("r01", "again", "")])
    result = hilt("import", project, more, "--label-column", "sentiment")
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stderr and SECRET not in output(result)
    assert without_password(project) in " ".join(result.stderr.split())
    assert json.loads(hilt("status", project, "--json").stdout)["n_items"] == len(REVIEWS) + 1


def test_config_shows_and_changes_settings(project):
    result = hilt("config", project, "retrain_every=5")
    assert result.returncode == 0, result.stderr
    assert "Saved in " + without_password(project) in " ".join(result.stderr.split())
    with Project.open(project) as opened:
        assert opened.settings()["retrain_every"] == 5


def test_init_again_refuses_and_force_replaces(project, tmp_path):
    other = write_csv(tmp_path / "other.csv", [(f"x{i}", f"text number {i}", "") for i in range(5)])
    message = user_error(hilt("init", project, "--data", other, "--labels", "yes,no", "--id-column", "id"))
    assert "--force" in message and "already holds a hilt project" in message
    assert SECRET not in message
    assert json.loads(hilt("status", project, "--json").stdout)["n_items"] == len(REVIEWS)  # untouched
    replaced = hilt("init", project, "--data", other, "--labels", "yes,no", "--id-column", "id",
                    "--features", "tfidf", "--force")
    assert replaced.returncode == 0, replaced.stderr
    status = json.loads(hilt("status", project, "--json").stdout)
    assert status["n_items"] == 5 and status["labels"] == ["yes", "no"] and status["n_answered"] == 0


def _unreachable(kind: str, postgres_url: str) -> tuple[str, str, int, str]:
    """A URL (with a password) hilt cannot use, and the host, port and database it names."""
    parsed = make_url(postgres_url)
    if kind == "wrong port":
        port, database = free_port(), parsed.database
    else:
        port, database = parsed.port, "no_such_database_here"
    url = parsed.set(drivername="postgresql", password=SECRET, port=port, database=database)
    return url.render_as_string(hide_password=False), parsed.host, port, database


@pytest.mark.parametrize("kind", ["wrong port", "missing database"])
@pytest.mark.parametrize("command", [
    ("status",), ("init", "--data", "{csv}", "--labels", "pos,neg"), ("export", "-o", "{out}"),
    ("annotator", "list"), ("label",), ("agreement",), ("label-issues",), ("import", "{csv}"), ("serve", "--port", "0"),
])
def test_a_database_that_cannot_be_reached(postgres_url, reviews_csv, tmp_path, kind, command):  # noqa: F811
    url, host, port, database = _unreachable(kind, postgres_url)
    args = [part.format(csv=reviews_csv, out=tmp_path / "out.csv") for part in command]
    where = 1 if args[0] == "annotator" else 0
    args.insert(where + 1, url)
    result = hilt(*args, input="q\n")
    message = user_error(result)
    assert SECRET not in output(result)
    assert host in message and str(port) in message and database in message
    assert "connecting failed" in message


def test_an_empty_database_holds_no_project(url):
    message = user_error(hilt("status", url))
    assert "holds none" in message and "hilt init" in message and SECRET not in message


@pytest.mark.parametrize("bad, expected", [
    ("postgresql://ana:s3cret@db.example:notaport/labels", "cannot be read"),
    ("mysql://ana:s3cret@db.example/labels", "got a mysql:// URL"),
])
def test_a_url_hilt_cannot_read(bad, expected):
    result = hilt("status", bad)
    message = user_error(result)
    assert expected in message and SECRET not in output(result)


@pytest.fixture
def overlapped(url) -> str:
    """A database project where every item goes to two people: ana answers right, bob flips every
    fourth of his answers."""
    with Project.create(url, texts(24), ["pos", "neg"], id_column="id", overlap=1.0, annotators_per_item=2,
                        eval_share=0.0, retrain_every=1000, features="tfidf", seed=3) as project:
        label_twice(project, 24)
    return url


def test_agreement_on_a_database(overlapped):
    figures = hilt("agreement", overlapped, "--json")
    assert figures.returncode == 0, figures.stderr
    report = json.loads(figures.stdout)
    assert report["items"] == 24 and set(report["by_annotator"]) == {"ana", "bob"}
    table = hilt("agreement", overlapped)
    assert table.returncode == 0, table.stderr
    assert without_password(overlapped) in table.stdout and "Krippendorff" in table.stdout
    assert SECRET not in output(table)


def test_label_issues_on_a_database(overlapped):
    rows = hilt("label-issues", overlapped, "--json", "--limit", "5")
    assert rows.returncode == 0, rows.stderr
    found = json.loads(rows.stdout)
    assert found and all(row["disagreement"] for row in found[:1])
    table = hilt("label-issues", overlapped, "--limit", "5")
    assert table.returncode == 0, table.stderr
    database = make_url(overlapped).database
    assert f"likely label errors in {database}@" in " ".join(table.stdout.split())
    assert f"hilt annotator add {without_password(overlapped)} NAME --reviewer" in " ".join(table.stderr.split())
    assert SECRET not in output(table)


def test_serve_a_database_project(project):
    port = free_port()
    process = subprocess.Popen([HILT_EXE, "serve", project, "--port", str(port), "--annotator", "ana"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read()
            try:
                reply = httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=1.0)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "hilt serve not ready after 60 s"
                time.sleep(0.1)
        assert reply.status_code == 401  # the server is up over the database project (no token sent)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            printed, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            printed, _ = process.communicate()
    assert SECRET not in printed and "Traceback" not in printed
    database = make_url(project).database
    assert f"Serving {database}@" in printed and "ana: http://127.0.0.1:" in printed



def test_simulate_replays_a_database_project(overlapped, tmp_path):
    """hilt simulate --project takes a URL like a file, and never prints its password."""
    result = hilt("simulate", "--project", overlapped, "--no-plot", "--init", "4", "--batch", "2", "--budget", "10",
                  "--seeds", "1",
                  "--strategies", "random,margin")
    printed = result.stdout + result.stderr
    assert result.returncode == 0, printed
    assert SECRET not in printed and "Traceback" not in printed
    assert "Replaying the" in printed
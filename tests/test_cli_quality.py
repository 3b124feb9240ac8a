"""The CLI faces of issue 13 (labels a team can trust): `hilt init --overlap`, reviewers,
intervals and agreement in `hilt status`, `hilt agreement`, `hilt label-issues`, `hilt export --all`
with review decisions. Driven through the real `hilt` executable."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from hilt.project import Project
from helpers import BAD, GOOD, heavy_imports, hilt, label_twice, texts, user_error

@pytest.fixture(scope="module")
def overlapped(tmp_path_factory) -> Path:
    """Every item goes to two people: ana answers right, bob flips every fourth of his answers;
    a finished retrain measures accuracy on the evaluation items."""
    path = tmp_path_factory.mktemp("overlap") / "team.hilt"
    with Project.create(path, texts(40), ["pos", "neg"], id_column="id", overlap=1.0, annotators_per_item=2,
                        eval_share=0.3, retrain_every=1000, features="tfidf", seed=3) as project:
        label_twice(project, 40)
        project.retrain(wait=True)
        status = project.status()
    assert status["agreement"]["items"] == 40 and status["runs"][-1]["eval_accuracy"] is not None
    return path


# --- hilt init --overlap ---------------------------------------------------------------------


def test_init_with_overlap_stores_it_and_says_so(tmp_path, reviews_csv):  # noqa: F811
    path = tmp_path / "team.hilt"
    result = hilt("init", path, "--data", reviews_csv, "--labels", "pos,neg", "--id-column", "id",
                  "--features", "tfidf", "--overlap", "0.5", "--annotators-per-item", "3")
    assert result.returncode == 0, result.stderr
    message = " ".join(result.stderr.split())
    assert "Overlap: about 50 % of items go to 3 different annotators each" in message
    assert f"hilt agreement {path}" in message
    with Project.open(path) as project:
        assert project.overlap == {"share": 0.5, "annotators_per_item": 3}
    plain = hilt("init", tmp_path / "solo.hilt", "--data", reviews_csv, "--labels", "pos,neg", "--features", "tfidf")
    assert plain.returncode == 0 and "Overlap" not in plain.stderr


@pytest.mark.parametrize("options, expected", [
    (["--overlap", "1.5"], "Expected overlap to be a number >= 0.0 and <= 1.0; got 1.5"),
    (["--overlap", "-0.1"], "Expected overlap to be a number >= 0.0 and <= 1.0; got -0.1"),
    (["--overlap", "0.2", "--annotators-per-item", "1"], "Expected annotators_per_item of at least 2 with overlap 0.2"),
    (["--overlap", "nan"], "Expected overlap to be a number"),
    (["--overlap", "lots"], "--overlap"),
    (["--annotators-per-item", "2.5"], "--annotators-per-item"),
])
def test_init_refuses_bad_overlap_and_leaves_nothing(tmp_path, reviews_csv, options, expected):  # noqa: F811
    path = tmp_path / "team.hilt"
    message = user_error(hilt("init", path, "--data", reviews_csv, "--labels", "pos,neg", *options))
    assert expected in message
    assert list(tmp_path.iterdir()) == [reviews_csv]  # no project file, no cache folder


# --- hilt annotator add --reviewer -----------------------------------------------------------


def test_annotator_add_reviewer_prints_both_links_and_list_shows_the_role(tmp_path):
    path = tmp_path / "p.hilt"
    Project.create(path, texts(6), ["pos", "neg"], id_column="id", features="tfidf").close()
    result = hilt("annotator", "add", path, "rita", "--reviewer", "--url", "http://10.0.0.5:8000/")
    assert result.returncode == 0, result.stderr
    token = re.search(r"token: (\S+)", result.stdout).group(1)
    assert "role:  reviewer" in result.stdout
    assert f"link:  http://10.0.0.5:8000/?token={token}" in result.stdout
    assert f"review: http://10.0.0.5:8000/review?token={token}" in result.stdout
    plain = hilt("annotator", "add", path, "ana")
    assert "role:  annotator" in plain.stdout and "review:" not in plain.stdout
    with Project.open(path) as project:
        assert project.is_reviewer("rita") and not project.is_reviewer("ana")
        assert project.annotator_for_token(token) == "rita"

    listed = hilt("annotator", "list", path)
    assert listed.returncode == 0, listed.stderr
    roles = dict(re.findall(r"│ (\w+)\s+│ (reviewer|annotator)\s+│", listed.stdout))
    assert roles == {"ana": "annotator", "rita": "reviewer"}
    assert {e["name"]: e["role"] for e in json.loads(hilt("annotator", "list", path, "--json").stdout)} == roles

    # A new token keeps the role unless asked; --no-reviewer makes a reviewer an annotator again.
    again = hilt("annotator", "add", path, "rita")
    assert "role:  reviewer" in again.stdout and "review:" in again.stdout
    demoted = hilt("annotator", "add", path, "rita", "--no-reviewer")
    assert "role:  annotator" in demoted.stdout
    with Project.open(path) as project:
        assert not project.is_reviewer("rita")


# --- hilt status: intervals and agreement ----------------------------------------------------


def test_status_shows_the_eval_interval_and_agreement(overlapped):
    with Project.open(overlapped) as project:
        status = project.status()
    run = status["runs"][-1]
    low, high = run["eval_ci"]
    result = hilt("status", overlapped)
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    line = (f"Latest eval accuracy {100 * run['eval_accuracy']:.1f} % (95 % CI {100 * low:.1f}\u2013{100 * high:.1f} %) "
            f"on {run['n_eval']} evaluation items.")
    assert line in out
    assert "eval accuracy (95 % CI)" in out
    agreement = status["agreement"]
    assert "items labelled by 2+ people │ 40" in out
    assert f"Krippendorff's alpha │ {agreement['alpha']:.3f}" in out
    shared = agreement["by_annotator"]["ana"]
    assert f"ana and bob on {100 * shared['agree']:.1f} % of 40 shared items" in out
    assert f"hilt agreement {overlapped}" in out

    as_json = json.loads(hilt("status", overlapped, "--json").stdout)
    assert as_json["agreement"] == agreement
    assert as_json["runs"][-1]["eval_ci"] == pytest.approx([low, high])


@pytest.fixture
def one_label(tmp_path) -> Path:
    """A project without overlap where one person gave one label."""
    path = tmp_path / "p.hilt"
    with Project.create(path, texts(6), ["pos", "neg"], id_column="id", features="tfidf") as project:
        item = project.next_item("ana")
        project.answer(item.id, "pos", "ana")
    return path


def test_status_without_overlap_has_no_agreement_block(one_label):
    result = hilt("status", one_label)
    assert result.returncode == 0, result.stderr
    assert "agreement" not in result.stdout and "Krippendorff" not in result.stdout


def test_status_and_agreement_stay_light(overlapped):
    """Agreement is read from the file: neither command imports scikit-learn, pandas or scipy."""
    for args in (("status", overlapped), ("agreement", overlapped)):
        loaded, result = heavy_imports(*args)
        assert loaded == [] and "Krippendorff" in result.stdout, result.stderr


# --- hilt agreement --------------------------------------------------------------------------


def test_agreement_table_and_json(overlapped):
    with Project.open(overlapped) as project:
        report = project.agreement()
    result = hilt("agreement", overlapped)
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "items labelled by 2+ people │ 40" in out
    assert f"Krippendorff's alpha │ {report['alpha']:.3f}" in out
    for name, figures in report["by_annotator"].items():
        assert f"{name} │ {figures['items']} │ {100 * figures['agree']:.1f} %" in out
    pair = report["pairs"]["ana|bob"]
    assert f"ana & bob │ {pair['items']} │ {pair['kappa']:.3f}" in out
    assert json.loads(hilt("agreement", overlapped, "--json").stdout) == report


def test_agreement_without_overlap_says_how_to_get_it(tmp_path):
    path = tmp_path / "solo.hilt"
    with Project.create(path, texts(6), ["pos", "neg"], id_column="id", features="tfidf") as project:
        for name in ("ana", "bob"):
            item = project.next_item(name)
            project.answer(item.id, "pos", name)
    result = hilt("agreement", path)
    assert result.returncode == 0, result.stderr
    message = " ".join(result.stderr.split())
    assert "No item has answers from two people yet" in message
    assert "--overlap 0.1 --annotators-per-item 2" in message and result.stdout == ""
    assert json.loads(hilt("agreement", path, "--json").stdout) == {
        "items": 0, "alpha": None, "by_annotator": {}, "pairs": {}}

    waiting = tmp_path / "team.hilt"
    Project.create(waiting, texts(6), ["pos", "neg"], id_column="id", features="tfidf", overlap=0.5).close()
    message = " ".join(hilt("agreement", waiting).stderr.split())
    assert "No item has answers from two people yet" in message and "about 50 % of items to 2" in message


def test_agreement_of_a_missing_project_is_a_user_error(tmp_path):
    assert "nope.hilt" in user_error(hilt("agreement", tmp_path / "nope.hilt"))


# --- hilt label-issues -----------------------------------------------------------------------


@pytest.fixture
def slipped(tmp_path) -> Path:
    """Known labels, one of them wrong: item s00 ("great fun ...") is labelled neg."""
    rows = []
    for i in range(24):
        words = GOOD if i % 2 == 0 else BAD
        rows.append({"id": f"s{i:02d}", "text": f"{words[i % 6]} fun, {words[(i + 3) % 6]} film {i}",
                     "y": "pos" if i % 2 == 0 else "neg"})
    rows[0]["y"] = "neg"
    path = tmp_path / "slip.hilt"
    Project.create(path, pd.DataFrame(rows), ["pos", "neg"], id_column="id", label_column="y",
                   features="tfidf").close()
    return path


def test_label_issues_table_and_json(slipped):
    result = hilt("label-issues", slipped)
    assert result.returncode == 0, result.stderr
    first = next(line for line in result.stdout.splitlines() if line.startswith("│ s"))  # the top row
    cells = [cell.strip() for cell in first.strip("│ ").split("│")]
    assert cells[0] == "s00" and cells[2:4] == ["neg", "pos"] and cells[5] == "import"
    assert cells[1].startswith("great fun")
    assert "--reviewer" in " ".join(result.stderr.split())

    rows = json.loads(hilt("label-issues", slipped, "--limit", "1", "--json").stdout)
    assert len(rows) == 1
    assert rows[0]["item_id"] == "s00" and rows[0]["label"] == "neg" and rows[0]["suggested"] == "pos"
    assert set(rows[0]) == {"item_id", "label", "suggested", "score", "annotator", "disagreement"}


def test_label_issues_never_cuts_an_item_id_at_80_columns(tmp_path):
    """`hilt label-issues` cut long item ids with an ellipsis at 80 columns: they could not be copied."""
    rows = [{"id": f"review-{i:02d}-" + "x" * 50, "text": f"{(GOOD if i % 2 == 0 else BAD)[i % 6]} fun film {i}",
             "y": "pos" if i % 2 == 0 else "neg"} for i in range(24)]
    rows[0]["y"] = "neg"
    assert len(rows[0]["id"]) == 60
    path = tmp_path / "long.hilt"
    Project.create(path, pd.DataFrame(rows), ["pos", "neg"], id_column="id", label_column="y",
                   features="tfidf").close()
    result = hilt("label-issues", path, env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert rows[0]["id"] in result.stdout  # whole, on one line
    listed = [line for line in lines if "review-" in line]
    assert listed and all(re.search(r"review-\d\d-x{50}", line) for line in listed)


@pytest.mark.parametrize("limit", ["0", "-3"])
def test_label_issues_bad_limit_is_a_user_error(slipped, limit):
    assert "Expected limit to be a whole number >= 1" in user_error(hilt("label-issues", slipped, "--limit", limit))


def test_label_issues_with_one_kind_of_label_says_so(one_label):
    result = hilt("label-issues", one_label)
    assert result.returncode == 0, result.stderr
    assert "needs labels of at least two kinds" in " ".join(result.stderr.split())


# --- hilt export: final labels and every answer with its role -----------------------------


def test_export_all_shows_review_decisions_and_roles(tmp_path):
    path = tmp_path / "p.hilt"
    with Project.create(path, texts(6), ["pos", "neg"], id_column="id", features="tfidf", overlap=1.0,
                        eval_share=0) as project:
        project.add_annotator("rita", reviewer=True)
        item = project.next_item("ana")
        project.answer(item.id, "pos", "ana")
        assert project.next_item("bob").id == item.id  # overlap: the same item goes to bob too
        project.answer(item.id, "neg", "bob")
        project.review(item.id, "neg", "rita")
        decided = item.id
    every = tmp_path / "all.csv"
    result = hilt("export", path, "-o", every, "--all")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(every.open(encoding="utf-8")))
    assert sorted((r["annotator"], r["label"], r["role"]) for r in rows if r["item_id"] == decided) == [
        ("ana", "pos", "annotate"), ("bob", "neg", "annotate"), ("rita", "neg", "review")]
    final = tmp_path / "labels.csv"
    assert hilt("export", path, "-o", final).returncode == 0
    rows = list(csv.DictReader(final.open(encoding="utf-8")))
    assert [(r["item_id"], r["label"]) for r in rows] == [(decided, "neg")] and "role" not in rows[0]
    helped = " ".join(hilt("export", "--help").stdout.replace("│", " ").split())
    assert "reviewers' decisions" in helped and "role (annotate or review)" in helped


def test_help_lists_the_new_commands_one_line_each_with_examples():
    lines = hilt("--help").stdout.splitlines()
    for name in ("agreement", "label-issues"):
        at = next(i for i, line in enumerate(lines) if line.startswith(f"│ {name} "))
        assert lines[at].rstrip(" │").endswith(".")  # the whole summary fits its line
        assert re.match(r"│ [a-z]", lines[at + 1])  # the next line is the next command, no wrapped tail
        assert "Example: hilt " + name in " ".join(hilt(name, "--help").stdout.split())

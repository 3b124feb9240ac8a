"""`hilt config` and Project.configure (issue 11, features): settings changed after init, checked
as at init, recorded in the project; labels added, and renamed together with their answers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hilt.errors import InputError
from hilt.project import Project
from helpers import hilt



@pytest.fixture
def project_path(tmp_path) -> Path:
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(8)], "text": [f"review number {i}" for i in range(8)],
                          "sentiment": ["pos", "neg", "neg", None, None, None, None, None]})
    path = tmp_path / "p.hilt"
    Project.create(path, frame, ["pos", "neg"], id_column="id", label_column="sentiment", eval_share=0,
                   features="tfidf").close()
    return path


def test_configure_checks_records_and_renames_with_answers(project_path):
    with Project.open(project_path) as project:
        result = project.configure(retrain_every=3, eval_share=0.2, lease_seconds=30, strategy="entropy",
                                   labels=["pos", "neg", "meh"], rename=("neg", "negative"))
        assert result == {"labels": ["pos", "negative", "meh"], "strategy": "entropy", "retrain_every": 3,
                          "eval_share": 0.2, "lease_seconds": 30.0, "renamed": 2}
        assert project.status()["by_label"] == {"pos": 1, "negative": 2}
        item = project.next_item("ada")
        project.answer(item.id, "meh", "ada")  # a new label is usable at once
        for bad, message in (({"retrain_every": 0}, "retrain_every"), ({"eval_share": 1.5}, "eval_share"),
                             ({"lease_seconds": 0}, "lease_seconds"), ({"strategy": "psychic"}, "psychic"),
                             ({"labels": ["pos", "meh"]}, "missing: negative"),
                             ({"rename": ("zzz", "y")}, "'zzz'"), ({"rename": ("pos", "meh")}, "unused")):
            with pytest.raises(InputError, match=message):
                project.configure(**bad)
    with Project.open(project_path) as project:  # recorded in the file
        assert project.settings()["labels"] == ["pos", "negative", "meh"]
        assert (project.strategy, project.retrain_every, project.eval_share) == ("entropy", 3, 0.2)
        history = project._store.meta()["config_history"]
        assert history[-1]["changes"]["rename"] == ["neg", "negative"]
        assert {row["label"] for row in project.export_rows()} == {"pos", "negative", "meh"}


def test_hilt_config_shows_and_changes_settings(project_path):
    shown = hilt("config", project_path)
    assert shown.returncode == 0, shown.stderr
    assert "retrain_every" in shown.stdout and "pos, neg" in shown.stdout
    changed = hilt("config", project_path, "retrain_every=4", "labels=pos,neg,meh", "rename=pos:positive")
    assert changed.returncode == 0, changed.stderr
    assert "positive, neg, meh" in changed.stdout and "1 answers renamed" in changed.stderr
    status = json.loads(hilt("status", project_path, "--json").stdout)
    assert status["labels"] == ["positive", "neg", "meh"] and status["retrain_every"] == 4
    for args, message in ((["colour=red"], "KEY one of: strategy"), (["retrain_every=x"], "whole number"),
                          (["eval_share=2"], "eval_share"), (["rename=pos"], "OLD:NEW")):
        result = hilt("config", project_path, *args)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert message in " ".join(result.stderr.split())


def test_hilt_config_shows_the_settings_made_at_init(tmp_path, project_path):
    """`hilt config` left out the overlap, the annotators per item and the features."""
    shown = hilt("config", project_path)
    assert shown.returncode == 0, shown.stderr
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in shown.stdout.splitlines()
            if line.count("│") == 3}
    assert rows["features"] == "tfidf  (set at hilt init)"
    assert rows["overlap"].startswith("0 (each item is labelled once)")
    assert rows["annotators_per_item"].startswith("1")
    for key in ("labels", "strategy", "retrain_every", "eval_share", "lease_seconds"):  # what configure changes
        assert key in rows
    frame = pd.DataFrame({"text": [f"review number {i}" for i in range(10)]})
    team = tmp_path / "team.hilt"
    Project.create(team, frame, ["pos", "neg"], overlap=0.25, annotators_per_item=3, features="tfidf").close()
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip()
            for line in hilt("config", team).stdout.splitlines() if line.count("│") == 3}
    assert rows["overlap"] == "0.25 of items  (set at hilt init)"
    assert rows["annotators_per_item"] == "3  (set at hilt init)"


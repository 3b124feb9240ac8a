"""hilt.project.status: the project's status read from its file alone (issue 11, defect 7)."""

from __future__ import annotations

import pandas as pd
import pytest

from hilt import Project
from hilt.errors import HiltError
from hilt.project.status import read_status


def test_read_status_is_what_an_opened_project_reports(tmp_path):
    """Issue 11, defect 7: `hilt status` reads the file without opening the project; what it
    reads must stay the very dict Project.status() gives, runs and settings included."""
    frame = pd.DataFrame({"text": [f"{'good' if i % 2 else 'bad'} film {i}" for i in range(20)]})
    path = tmp_path / "p.hilt"
    with Project.create(path, frame, ["pos", "neg"], eval_share=0.0, retrain_every=3, features="tfidf") as project:
        for i in range(6):
            item = project.next_item("ana")
            project.answer(item.id, "pos" if i % 2 else "neg", "ana")
        project.retrain(wait=True)
    with Project.open(path) as project:
        opened = project.status()
    light = read_status(path)
    assert light == opened
    assert light["runs"] and light["features"] == "tfidf" and light["n_answered"] == 6


def test_read_status_of_a_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(HiltError):
        read_status(tmp_path / "nope.hilt")

"""`hilt label`: the loop in-process (keys from a list) and the real command with keys piped in,
including a new user's whole first session."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from hilt.cli._label_loop import parse_key, render_item, run_label_loop
from hilt.datasets import load_movie_reviews
from hilt.project import Item, Project

HILT = str(Path(sys.executable).with_name("hilt"))
ITEM_ID = re.compile(r"─ item (\S+) ─")  # the panel title, not "saved: pos for item t4"


def hilt(*args, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([HILT, *map(str, args)], capture_output=True, text=True, timeout=300, input=input)


def shown_ids(output: str) -> list[str]:
    """The ids of the items in the order the screen showed them."""
    return ITEM_ID.findall(output)


def console() -> Console:
    return Console(file=io.StringIO(), width=100, highlight=False)


@pytest.fixture
def texts(tmp_path) -> Path:
    frame = pd.DataFrame(
        {"id": [f"t{i}" for i in range(12)], "text": [f"review number {i}, {'good' if i % 2 else 'bad'}" for i in range(12)]}
    )
    path = tmp_path / "texts.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def project(tmp_path, texts) -> Path:
    path = tmp_path / "p.hilt"
    Project.create(path, texts, ["pos", "neg"], id_column="id", eval_share=0.0, retrain_every=100).close()
    return path


def current_labels(path: Path) -> dict[str, str]:
    with Project.open(path) as opened:
        return {row["item_id"]: row["label"] for row in opened.export_rows()}


# --- the loop, in-process -------------------------------------------------------------------


def test_parse_key_covers_every_action():
    labels = ["pos", "neg", "meh"]
    assert parse_key("3", labels) == ("label", "meh")
    assert parse_key(" pos ", labels) == ("label", "pos")
    assert parse_key("u", labels) == ("undo", None)
    assert parse_key("Q", labels) == ("quit", None)
    assert parse_key("\x03", labels) == ("quit", None)  # Ctrl-C in single-key mode
    assert parse_key("0", labels) == ("unknown", None)
    assert parse_key("x", labels) == ("unknown", None)


def test_render_text_item_with_guess_and_keys():
    out = console()
    item = Item(id="r7", data={"text": "A fine film.", "movie": "Up"}, is_eval=False, guess="pos", uncertainty=0.8)
    out.print(render_item(item, ["pos", "neg"], "text", "answered 3"))
    screen = out.file.getvalue()
    for part in ("item r7", "A fine film.", "movie: Up", "model's guess: pos", "very unsure", "0.80",
                 "[1] pos", "[2] neg", "s skip", "u undo", "q quit", "answered 3"):
        assert part in screen


def test_render_eval_item_hides_the_guess():
    out = console()
    item = Item(id="e1", data={"text": "Hm."}, is_eval=True, guess="neg", uncertainty=0.1)
    out.print(render_item(item, ["pos", "neg"], "text"))
    assert "guess" not in out.file.getvalue()


def test_render_table_item_as_key_value_rows():
    out = console()
    item = Item(id="3", data={"petal_length": 1.4, "petal_width": 0.2}, is_eval=False)
    out.print(render_item(item, ["setosa", "versicolor", "virginica"], "table"))
    screen = out.file.getvalue()
    assert re.search(r"petal_length\s+1\.4", screen) and re.search(r"petal_width\s+0\.2", screen)
    assert "[3] virginica" in screen and "none yet" in screen


def test_loop_answers_skips_and_undoes(project):
    out = console()
    with Project.open(project) as opened:
        session = run_label_loop(opened, "ana", iter(["1", "2", "s", "zzz", "u", "1", "q"]), out,
                                 wait_for_model=0)
        status = opened.status()
    screen = out.file.getvalue()
    ids = shown_ids(screen)
    # 1 -> ids[0] pos, 2 -> ids[1] neg, s -> ids[2] skipped (ids[3] shown), u brings ids[2] back, 1 -> pos.
    assert ids[4] == ids[2] != ids[3]
    assert (session.labelled, session.skipped, session.undone) == (3, 1, 1)
    assert "'zzz' is not a key here" in screen
    assert "This session: 3 labelled, 1 skipped, 1 undone" in screen
    assert status["by_annotator"]["ana"] == 3
    labels = current_labels(project)
    assert labels[ids[0]] == "pos" and labels[ids[1]] == "neg" and labels[ids[2]] == "pos"


def test_undo_with_nothing_to_undo(project):
    out = console()
    with Project.open(project) as opened:
        run_label_loop(opened, "ana", iter(["u", "q"]), out, wait_for_model=0)
    assert "Nothing to undo" in out.file.getvalue()


def test_loop_ends_when_nothing_is_left(tmp_path):
    data = pd.DataFrame({"text": ["one", "two"]})
    path = tmp_path / "tiny.hilt"
    Project.create(path, data, ["a", "b"], eval_share=0.0).close()
    out = console()
    with Project.open(path) as opened:
        session = run_label_loop(opened, "ana", iter(["1", "2", "1"]), out, wait_for_model=0)
    assert session.nothing_left and session.labelled == 2
    assert "Nothing left to label" in out.file.getvalue()


# --- the real command, keys piped in --------------------------------------------------------


def test_piped_keys_land_in_the_project(project):
    result = hilt("label", project, "--annotator", "ana", input="1\n2\ns\nu\n2\nq\n")
    assert result.returncode == 0, result.stderr
    ids = shown_ids(result.stdout)
    labels = current_labels(project)
    assert labels[ids[0]] == "pos" and labels[ids[1]] == "neg"
    assert labels[ids[2]] == "neg"  # skipped, undone, then labelled
    with Project.open(project) as opened:
        assert opened.status()["by_annotator"] == {"ana": 3}


def test_quit_and_resume_continues_with_the_next_item(project):
    first = hilt("label", project, "--annotator", "ana", input="1\n2\nq\n")
    assert first.returncode == 0, first.stderr
    answered, left_on_screen = shown_ids(first.stdout)[:2], shown_ids(first.stdout)[2]
    second = hilt("label", project, "--annotator", "ana", input="1\nq\n")
    assert second.returncode == 0, second.stderr
    resumed = shown_ids(second.stdout)[0]
    assert resumed not in answered
    assert resumed == left_on_screen  # the item still leased to ana comes back first
    assert len(current_labels(project)) == 3


def test_end_of_input_quits_cleanly(project):
    result = hilt("label", project, "--annotator", "ana", input="1\n")
    assert result.returncode == 0, result.stderr
    assert "This session: 1 labelled" in result.stdout


def test_default_annotator_is_user(project):
    import os

    result = subprocess.run([HILT, "label", str(project)], input="1\nq\n", capture_output=True, text=True,
                            timeout=120, env={**os.environ, "USER": "kim"})
    assert result.returncode == 0, result.stderr
    with Project.open(project) as opened:
        assert opened.status()["by_annotator"] == {"kim": 1}


def test_bad_annotator_name_is_a_user_error(project):
    result = hilt("label", project, "--annotator", "no spaces allowed!", input="1\nq\n")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "no spaces allowed!" in result.stderr


def test_new_user_first_session(tmp_path):
    """Init on a CSV, label 25 items answering from the true labels as the screen asks, then
    `hilt status --json` shows a trained model with an evaluation accuracy."""
    reviews = load_movie_reviews().sample(120, random_state=1)
    truth = dict(zip(reviews["id"], reviews["sentiment"]))
    data = tmp_path / "reviews.csv"
    reviews.drop(columns=["sentiment"]).to_csv(data, index=False)
    project = tmp_path / "reviews.hilt"
    init = hilt("init", project, "--data", data, "--labels", "fresh,rotten", "--id-column", "id",
                "--text-column", "text", "--retrain-every", "10", "--eval-share", "0.25")
    assert init.returncode == 0, init.stderr

    process = subprocess.Popen([HILT, "label", str(project), "--annotator", "ana"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    screen, answered = [], 0
    current = None
    while answered < 25:
        line = process.stdout.readline()
        assert line, "hilt label ended early:\n" + "".join(screen) + process.stderr.read()
        screen.append(line)
        found = ITEM_ID.search(line)
        if found:
            current = found.group(1)
        if "q quit" in line:  # the keys line: the item is on screen, answer it
            process.stdin.write("1\n" if truth[current] == "fresh" else "2\n")
            process.stdin.flush()
            answered += 1
    process.stdin.write("q\n")
    process.stdin.flush()
    rest, errors = process.communicate(timeout=120)
    assert process.returncode == 0, errors
    assert "This session: 25 labelled" in rest

    status = json.loads(hilt("status", project, "--json").stdout)
    assert status["n_answered"] == 25
    assert status["by_annotator"] == {"ana": 25}
    assert status["runs"], status
    latest = status["runs"][-1]
    assert latest["eval_accuracy"] is not None and 0.0 <= latest["eval_accuracy"] <= 1.0
    assert latest["n_train"] >= 10

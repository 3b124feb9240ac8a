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

from hilt.cli._label_loop import answer_notice, label_keys, parse_key, render_item, run_label_loop
from hilt.datasets import load_movie_reviews
from hilt.project import Item, Project

HILT = str(Path(sys.executable).with_name("hilt"))
ITEM_ID = re.compile(r"─ item (\S+) ─")  # the panel title, not "saved: pos for item t4"


from helpers import hilt, hilt_exe  # noqa: E402


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


def test_render_text_item_with_keys_and_the_guess_after_the_answer():
    out = console()
    item = Item(id="r7", data={"text": "A fine film.", "movie": "Up"}, is_eval=False, guess="neg", uncertainty=0.8)
    out.print(render_item(item, ["pos", "neg"], "text", "answered 3", has_model=True))
    screen = out.file.getvalue()
    for part in ("item r7", "A fine film.", "movie: Up", "model's guess: shown after you answer",
                 "[1] pos", "[2] neg", "s skip", "u undo", "q quit", "answered 3"):
        assert part in screen
    assert "neg" not in screen.replace("[2] neg", "")  # the guess never sways the answer
    out.print(answer_notice(item, "pos"))
    assert "saved: pos for item r7 · the model guessed neg (very unsure: uncertainty 0.80)" in out.file.getvalue()


def test_the_screen_never_depends_on_is_eval():
    """The terminal shows what the project hands it: an evaluation item and a training item
    with the same fields give the same screen, with or without a guess, and an item without a
    guess never says "no model" once one exists (nor that it is an evaluation item)."""
    for guess, uncertainty in ((None, None), ("neg", 0.1)):
        screens = []
        for is_eval in (False, True):
            out = console()
            item = Item(id="e1", data={"text": "Hm."}, is_eval=is_eval, guess=guess, uncertainty=uncertainty)
            out.print(render_item(item, ["pos", "neg"], "text", has_model=True))
            screens.append(out.file.getvalue())
        assert screens[0] == screens[1]
        assert "no model" not in screens[0] and "evaluation" not in screens[0]
        assert "neg" not in screens[0].replace("[2] neg", "")  # the guess is not on the screen


def render_text(item: Item, **options) -> str:
    out = console()
    out.print(render_item(item, ["pos", "neg"], "text", **options))
    return out.file.getvalue()


def test_the_label_loop_tells_no_evaluation_item_apart_and_shows_every_guess_after_the_answer(tmp_path):
    """Once a model exists, `hilt label` showed a guess on every training item and "no guess
    shown for this item" on exactly the evaluation items. Now every screen reads the same
    before the answer, and after it every item's notice names the model's guess (exact
    counts, fixed seed)."""
    path = tmp_path / "eval.hilt"
    frame = pd.DataFrame({"id": [f"t{i}" for i in range(120)],
                          "text": [f"{'good' if i % 2 else 'bad'} film {i}" for i in range(120)]})
    truth = {f"t{i}": "pos" if i % 2 else "neg" for i in range(120)}
    with Project.create(path, frame, ["pos", "neg"], id_column="id", eval_share=0.3, retrain_every=1000,
                        seed=3, features="tfidf") as opened:
        for _ in range(20):
            item = opened.next_item("bo")
            opened.answer(item.id, truth[item.id], "bo")
        opened.retrain(wait=True)
        assert opened.status()["runs"][-1]["eval_accuracy"] is not None
        is_eval = {item.id: item.is_eval for item in opened.peek_items("nobody", 1000)}
        out = console()
        run_label_loop(opened, "ana", iter(["1"] * 60 + ["q"]), out, wait_for_model=0)
    screen = out.file.getvalue()
    ids = shown_ids(screen)
    lines = [line.strip() for line in screen.splitlines() if line.strip().startswith("model's guess")]
    assert len(ids) == len(lines) == 61
    table: dict[tuple[bool, str], int] = {}
    for item_id, line in zip(ids, lines):
        table[is_eval[item_id], line] = table.get((is_eval[item_id], line), 0) + 1
    assert table == {(False, "model's guess: shown after you answer"): 42,
                     (True, "model's guess: shown after you answer"): 19}
    notices = [line for line in screen.splitlines() if line.startswith("saved: pos for item")]
    assert len(notices) == 60 and all("· the model" in line for line in notices)


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
    result = hilt_exe("label", project, "--annotator", "ana", input="1\n2\ns\nu\n2\nq\n")
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


# --- issue 11: what a new user hit in the terminal ------------------------------------------


def terminal_console() -> Console:
    """A console that believes it is a terminal, so the loop clears the screen per item."""
    return Console(file=io.StringIO(), width=100, highlight=False, force_terminal=True, color_system=None)


def test_saved_and_undone_lines_appear_once_on_a_terminal(project):
    """Issue 11, defect 11: each "saved: ..." and "undone: ..." line is written once, not once
    before the screen is cleared and again after it."""
    out = terminal_console()
    with Project.open(project) as opened:
        run_label_loop(opened, "ana", iter(["1", "2", "u", "1", "q"]), out, wait_for_model=0)
    screen = out.file.getvalue()
    saved = re.findall(r"saved: \w+ for item (\S+)", screen)
    undone = re.findall(r"undone: item (\S+) is back", screen)
    assert len(saved) == 3 and len(undone) == 1, screen
    # The undone item was saved twice (before and after the undo), each answer once.
    assert sorted(saved.count(i) for i in set(saved)) == [1, 2] and saved.count(undone[0]) == 2


def test_last_notice_is_shown_when_nothing_is_left_on_a_terminal(tmp_path):
    """Issue 11, defect 11 (guard for its fix): with each notice printed once, at the top of the
    next screen, the last answer's line still shows when no next screen comes."""
    path = tmp_path / "one.hilt"
    Project.create(path, pd.DataFrame({"text": ["only one"]}), ["a", "b"], eval_share=0.0,
                   features="tfidf").close()
    out = terminal_console()
    with Project.open(path) as opened:
        run_label_loop(opened, "ana", iter(["2"]), out, wait_for_model=0)
    assert out.file.getvalue().count("saved: b for item") == 1


@pytest.fixture
def twelve_labels(tmp_path) -> tuple[Path, list[str]]:
    labels = [f"topic{i}" for i in range(1, 13)]
    path = tmp_path / "twelve.hilt"
    frame = pd.DataFrame({"text": [f"post {i} about this and that" for i in range(20)]})
    Project.create(path, frame, labels, eval_share=0.0, retrain_every=100, features="tfidf").close()
    return path, labels


def test_every_label_of_twelve_has_a_single_key(twelve_labels):
    """Issue 11, defect 5: 1-9, 0, then a, b: a 12-label project is labelled with single keys,
    each shown beside its label, and 0 / a / b store labels 10 / 11 / 12."""
    path, labels = twelve_labels
    assert label_keys(12) == [*"123456789", "0", "a", "b"]
    assert not set(label_keys(40)) & {"s", "u", "q", "v"}  # command keys are never label keys
    out = console()
    with Project.open(path) as opened:
        run_label_loop(opened, "ana", iter(["0", "a", "B", "9", "q"]), out, wait_for_model=0)
    screen = out.file.getvalue()
    for shown in ("[1] topic1 ", "[9] topic9 ", "[0] topic10 ", "[a] topic11 ", "[b] topic12 "):
        assert shown in screen
    assert "[10]" not in screen and "type the number" not in screen
    ids = shown_ids(screen)
    stored = current_labels(path)
    assert [stored[i] for i in ids[:4]] == ["topic10", "topic11", "topic12", "topic9"]


def test_twelve_labels_are_single_keys_in_the_real_command(twelve_labels):
    """Issue 11, defect 5: `hilt label` with keys piped in takes 0 and a as labels 10 and 11."""
    path, _ = twelve_labels
    result = hilt_exe("label", path, "--annotator", "ana", input="0\na\nzz\nq\n")
    assert result.returncode == 0, result.stderr
    assert "press 1-9, 0, a-b for a label" in result.stdout
    assert sorted(current_labels(path).values()) == ["topic10", "topic11"]


def test_item_handed_back_by_undo_does_not_claim_there_is_no_model(tmp_path):
    """Issue 11, defect 4: once a model is trained, an item without a guess (here one handed
    back by undo) says no guess is shown for it, never "no model trained"."""
    path = tmp_path / "model.hilt"
    frame = pd.DataFrame({"text": [f"{'good' if i % 2 else 'bad'} film {i}" for i in range(30)]})
    with Project.create(path, frame, ["pos", "neg"], eval_share=0.0, retrain_every=1000,
                        features="tfidf") as opened:
        # ana's answer comes before any model, so no ranking ever held a guess for that item.
        first = opened.next_item("ana")
        opened.answer(first.id, "pos", "ana")
        for i in range(6):
            item = opened.next_item("bo")
            opened.answer(item.id, "pos" if i % 2 else "neg", "bo")
        opened.retrain(wait=True)
        assert opened.status()["runs"]
        out = console()
        run_label_loop(opened, "ana", iter(["u", "q"]), out, wait_for_model=0)
    screen = out.file.getvalue()
    assert f"undone: item {first.id} is back" in screen
    after_undo = screen[screen.index("undone: item"):]
    assert "model's guess: shown after you answer" in after_undo
    assert "no model trained" not in screen


def test_render_shortens_a_huge_text():
    """Issue 11, defect 3: a 20 MB text is shown as its first few thousand characters and a
    note of how many more there are and how to see them."""
    huge = "word " * 4_000_000
    out = console()
    out.print(render_item(Item(id="big", data={"text": huge, "source": "x" * 100_000}, is_eval=False),
                          ["pos", "neg"], "text"))
    screen = out.file.getvalue()
    assert len(screen.encode()) < 10_000
    flat = " ".join(re.sub("[│╭╮╰╯─]", " ", screen).split())  # the panel wraps the note
    assert f"{len(huge) - 3_000:,} more characters; press v to view it all" in flat
    assert "v view it all" in screen


def test_loop_writes_a_bounded_screen_per_huge_item_and_v_shows_it_whole(tmp_path):
    """Issue 11, defect 3: bytes written per item are bounded however long its text is; v shows
    the whole text; the project (and so the model) keeps the text whole."""
    long_text = "lorem ipsum " * 200_000  # 2.4 MB
    frame = pd.DataFrame({"text": [long_text + str(i) for i in range(3)]})
    path = tmp_path / "long.hilt"
    Project.create(path, frame, ["a", "b"], eval_share=0.0, features="tfidf").close()
    out = console()
    with Project.open(path) as opened:
        run_label_loop(opened, "ana", iter(["1", "s", "q"]), out, wait_for_model=0)
    assert len(out.file.getvalue().encode()) < 3 * 10_000
    with Project.open(path) as opened:
        assert all(len(row["text"]) > len(long_text) for row in opened.export_rows())

    viewing = console()
    with Project.open(path) as opened:
        run_label_loop(opened, "ana", iter(["v", "q"]), viewing, wait_for_model=0)
    assert long_text in viewing.file.getvalue()


def test_a_single_digit_label_is_its_own_key(tmp_path):
    """Issue 21, defect 7: with labels 0..9, key 1 meant label "0"; now each digit is its own label."""
    digits = [str(d) for d in range(10)]
    path = tmp_path / "digits.hilt"
    frame = pd.DataFrame({"text": [f"a drawing of a digit, number {i}" for i in range(20)]})
    Project.create(path, frame, digits, eval_share=0.0, retrain_every=100, features="tfidf").close()
    out = console()
    with Project.open(path) as opened:
        run_label_loop(opened, "ana", iter(["1", "0", "7", "9", "q"]), out, wait_for_model=0)
    screen = out.file.getvalue()
    assert all(f"[{d}] {d} " in screen for d in digits)
    ids = shown_ids(screen)
    stored = current_labels(path)
    assert [stored[i] for i in ids[:4]] == ["1", "0", "7", "9"]
    # Mixed labels: the digit labels keep their digit, the others take the keys left over.
    assert label_keys(["cat", "1", "dog"]) == ["2", "1", "3"]
    assert parse_key("1", ["cat", "1", "dog"]) == ("label", "1")
    assert parse_key("2", ["cat", "1", "dog"]) == ("label", "cat")

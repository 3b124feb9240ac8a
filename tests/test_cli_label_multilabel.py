"""`hilt label` on a multi-label project: the keys as pure functions, the loop in-process (keys
from a list), the real command with keys piped in, and the real command on a terminal (a pty)."""

from __future__ import annotations

import io
import os
import re
import select
import struct
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from helpers import HILT_EXE, hilt_exe
from hilt.cli._label_keys import NONE_KEY, label_keys, parse_set_key, toggle
from hilt.cli._label_loop import Ticks, run_label_loop
from hilt.cli._label_screen import answer_notice, render_item, ticks_line
from hilt.project import Item, Project
from hilt.project.keys import LABEL_KEYS

LABELS = ["sports", "politics", "tech"]
ITEM_ID = re.compile(r"─ item (\S+) ─")
#: A terminal's control sequences (colours, clearing the screen): taken out before reading it.
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]")


def console() -> Console:
    return Console(file=io.StringIO(), width=100, highlight=False)


@pytest.fixture
def project(tmp_path) -> Path:
    frame = pd.DataFrame({"id": [f"n{i}" for i in range(12)],
                          "text": [f"news story {i} about {LABELS[i % 3]}" for i in range(12)]})
    path = tmp_path / "news.hilt"
    Project.create(path, frame, LABELS, id_column="id", task="multilabel", eval_share=0.0, retrain_every=100,
                   features="tfidf").close()
    return path


def current_labels(path: Path) -> dict[str, object]:
    with Project.open(path) as opened:
        return {row["item_id"]: row["label"] for row in opened.export_rows()}


# --- the keys, as pure functions ----------------------------------------------------------------


def test_parse_set_key_covers_every_action():
    assert parse_set_key("2", LABELS) == ("toggle", "politics")
    assert parse_set_key(" tech ", LABELS) == ("toggle", "tech")
    assert parse_set_key("\n", LABELS) == ("submit", None)  # Enter on a terminal
    assert parse_set_key("\r", LABELS) == ("submit", None)
    assert parse_set_key("", LABELS) == ("submit", None)  # an empty line from a pipe
    assert parse_set_key(NONE_KEY, LABELS) == ("none", ())
    assert parse_set_key("none", LABELS) == ("none", ())
    assert parse_set_key("tech,sports", LABELS) == ("set", ("sports", "tech"))  # in label order
    assert parse_set_key("1 1", LABELS) == ("set", ("sports",))
    assert parse_set_key("1, zzz", LABELS) == ("unknown", None)
    for key, action in (("s", "skip"), ("u", "undo"), ("v", "view"), ("Q", "quit"), ("\x03", "quit")):
        assert parse_set_key(key, LABELS) == (action, None)
    assert parse_set_key("x", LABELS) == ("unknown", None)


def test_the_none_key_is_never_a_label_or_command_key_and_the_pages_use_it_too():
    from hilt.server.pages import NONE_KEY as PAGE_NONE_KEY

    assert NONE_KEY == PAGE_NONE_KEY == "-"
    assert NONE_KEY not in LABEL_KEYS and NONE_KEY not in ("s", "u", "q", "v")
    # Even with a label named "-", the key picks the label (labels' names first), and "none" still works.
    assert parse_set_key("none", ["-", "a"]) == ("none", ())


@given(st.lists(st.sampled_from(LABELS), max_size=8))
def test_toggling_keeps_label_order_and_twice_is_nothing(presses):
    ticked: tuple[str, ...] = ()
    for label in presses:
        ticked = toggle(ticked, label, LABELS)
        assert list(ticked) == [label for label in LABELS if label in ticked]
    odd = {label for label in LABELS if presses.count(label) % 2}
    assert set(ticked) == odd
    for label in presses:
        assert toggle(toggle(ticked, label, LABELS), label, LABELS) == ticked


def test_ticks_follow_the_item_and_come_back_on_undo():
    ticks = Ticks()
    ticks.set("a", ("tech",))
    assert ticks.on("a") == ("tech",) and ticks.on("b") == ()
    ticks.answered("b", ["sports"])
    ticks.answered("c", None)  # a skip
    ticks.restore("b")
    assert ticks.on("b") == ("sports",)
    ticks.restore("c")
    assert ticks.on("c") == ()


def test_the_screen_shows_toggles_and_never_the_guess():
    out = console()
    item = Item(id="n7", data={"text": "A goal in the last minute."}, is_eval=False, guess=["sports"],
                uncertainty=0.4)
    out.print(render_item(item, LABELS, "text", has_model=True, ticked=["tech"]))
    screen = out.file.getvalue()
    for part in ("[1] [ ] sports", "[2] [ ] politics", "[3] [x] tech", "Enter save: tech", "- none of these",
                 "s skip", "u undo", "q quit"):
        assert part in screen, part
    assert screen.count("sports") == 1  # the guess is not on the screen before the answer
    assert "Enter save the ticked labels" in ticks_line(LABELS, []).plain
    assert answer_notice(item, ["sports"]).plain == "saved: sports for item n7 · the model agreed"
    assert answer_notice(item, []).plain.startswith("saved: none of these for item n7 · the model guessed sports")


# --- the loop, in-process -------------------------------------------------------------------------


def test_loop_ticks_saves_sets_none_skip_and_undo(project):
    out = console()
    keys = ["1", "3", "",      # tick sports and tech, Enter: item 0 is {sports, tech}
            "",                # Enter with nothing ticked: nothing is saved
            "-",               # none of these: item 1 is []
            "s",               # skip item 2
            "u",               # undo: item 2 back, nothing ticked (it was a skip)
            "2", "2", "2", "",  # politics on, off, on: item 2 is {politics}
            "2,1",             # a typed set: item 3 is {sports, politics}
            "u", "3", "",      # undo brings item 3 back with its ticks; tech added: {sports, politics, tech}
            "q"]
    with Project.open(project) as opened:
        session = run_label_loop(opened, "ana", iter(keys), out, wait_for_model=0)
        status = opened.status()
    screen = out.file.getvalue()
    ids = ITEM_ID.findall(screen)
    assert "Nothing is ticked" in screen
    assert "ticked: sports, tech" in screen  # a pipe gets a line per toggle
    assert (session.labelled, session.skipped, session.undone) == (5, 1, 2)
    stored = current_labels(project)
    shown = list(dict.fromkeys(ids))  # in the order first shown
    assert stored[shown[0]] == ["sports", "tech"]
    assert stored[shown[1]] == []
    assert stored[shown[2]] == ["politics"]
    assert stored[shown[3]] == ["sports", "politics", "tech"]
    assert "saved: none of these for item" in screen
    assert "saved: sports, politics for item" in screen
    assert status["task"] == "multilabel" and status["n_answered"] == 4 and status["n_skipped"] == 0


# --- the real command -----------------------------------------------------------------------------


def test_piped_keys_label_sets(project):
    result = hilt_exe("label", project, "--annotator", "ana", input="1\n2\n\n-\n3, 1\nq\n")
    assert result.returncode == 0, result.stderr
    ids = list(dict.fromkeys(ITEM_ID.findall(result.stdout)))
    stored = current_labels(project)
    assert [stored[i] for i in ids[:3]] == [["sports", "politics"], [], ["sports", "tech"]]
    assert "This session: 3 labelled" in result.stdout


def read_until(fd: int, pattern: str, seen: bytearray, timeout: float = 60.0) -> str:
    """Read the terminal's output until ``pattern`` (a regex) shows in what came since ``seen``
    started; returns that text. Waits on the file descriptor (select), never on a clock alone."""
    import time

    deadline = time.monotonic() + timeout
    regex = re.compile(pattern)
    while True:
        text = ANSI.sub("", seen.decode("utf-8", errors="replace"))
        if regex.search(text):
            return text
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{pattern!r} did not show within {timeout} s; the screen:\n{text[-3000:]}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the command ended and closed the terminal
                chunk = b""
            if not chunk:
                text = ANSI.sub("", seen.decode("utf-8", errors="replace"))
                if regex.search(text):
                    return text
                raise AssertionError(f"the terminal closed before {pattern!r}; the screen:\n{text[-3000:]}")
            seen.extend(chunk)


def test_a_terminal_session_labels_sets_by_single_keys(project):
    """The real `hilt label` on a pseudo-terminal: single key presses (no Enter after a label's
    key), the ticks redrawn on the screen, Enter saves, - is none of these, q quits."""
    import fcntl
    import pty
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 110, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "110", "LINES": "40"}
    process = subprocess.Popen([HILT_EXE, "label", str(project), "--annotator", "ana"], stdin=slave,
                               stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    seen = bytearray()
    try:
        def press(key: str, then: str) -> str:
            seen.clear()
            os.write(master, key.encode())
            return read_until(master, then, seen)

        first = ITEM_ID.search(read_until(master, r"\[3\] \[ \] tech", seen)).group(1)
        press("1", r"\[1\] \[x\] sports")
        screen = press("3", r"\[3\] \[x\] tech")
        assert "Enter save: sports, tech" in screen and "[1] [x] sports" in screen
        screen = press("\r", r"saved: sports, tech for item " + re.escape(first))  # Enter
        second = ITEM_ID.search(read_until(master, r"─ item (\S+) ─", seen)).group(1)
        assert second != first
        press("-", r"saved: none of these for item " + re.escape(second))
        # Keys typed in a burst arrive in one read: each still counts.
        press("23", r"\[2\] \[x\] politics   \[3\] \[x\] tech")
        screen = press("3", r"\[3\] \[ \] tech")
        assert "[2] [x] politics" in screen
        press("\r", r"saved: politics for item")
        press("q", r"This session: 3 labelled")
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    stored = current_labels(project)
    assert stored[first] == ["sports", "tech"] and stored[second] == []
    assert sorted(map(tuple, stored.values())) == [(), ("politics",), ("sports", "tech")]


def test_a_burst_of_keys_from_a_terminal_is_one_press_each():
    from hilt.cli._label_keys import split_presses

    assert split_presses("13\r") == ["1", "3", "\r"]
    assert split_presses("\x1b[A") == ["\x1b[A"]  # an arrow key stays one key
    assert split_presses("1\r\n") == ["1", "\r\n"]


def test_a_single_project_reads_its_keys_as_before(tmp_path):
    """`single` keeps one key per answer: no toggles, no Enter, - is not a key."""
    path = tmp_path / "single.hilt"
    Project.create(path, pd.DataFrame({"text": ["one", "two", "three"]}), ["a", "b"], eval_share=0.0,
                   features="tfidf").close()
    out = console()
    with Project.open(path) as opened:
        session = run_label_loop(opened, "ana", iter(["-", "1", "q"]), out, wait_for_model=0)
    screen = out.file.getvalue()
    assert "'-' is not a key here" in screen and "[x]" not in screen and "none of these" not in screen
    assert session.labelled == 1
    assert label_keys(LABELS) == ["1", "2", "3"]

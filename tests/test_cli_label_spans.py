"""``hilt label`` on a spans project: the loop reads typed lines that mark, remove and save
spans (hilt.cli._label_loop._next_spans_action with hilt.cli._spans_terminal)."""

from __future__ import annotations

import io
from types import SimpleNamespace

from rich.console import Console

from hilt.cli._label_loop import _next_spans_action
from hilt.tasks.spans_text import tokenize

LABELS = ["PER", "LOC"]
TEXT = "Grace Hopper met Ada in London 🇬🇧."


def pipe():
    """A console like a pipe's (not a terminal), and what was written to it."""
    written = io.StringIO()
    return Console(file=written, width=100, force_terminal=False, color_system=None), written


def item(**fields):
    return SimpleNamespace(**{"id": "7", "data": {"text": TEXT}, "tokens": tokenize(TEXT), "guess": None, **fields})


def test_typed_lines_mark_fix_and_save_spans_and_a_bad_line_says_why():
    out, written = pipe()
    drawn = []
    lines = iter(["1-2 1", "6 1", "14 2", "6 LOC", "4", "-4", "4 2", "-4", "?", ""])
    action, spans = _next_spans_action(lines, LABELS, out, item(), [], lambda **kw: drawn.append(kw))
    assert action == "label"
    assert [(TEXT[s["start"]:s["end"]], s["label"]) for s in spans] == [("Grace Hopper", "PER"), ("London", "LOC")]
    said = written.getvalue()
    assert "marked: [Grace Hopper]PER [London]PER" in said
    assert "Not a mark: '14 2': there is no token 14: this text has tokens 1-9." in said
    assert "Not a mark: '4': expected tokens and a label" in said
    assert "Not a mark: '-4': no span covers token 4" in said
    assert "'3-4 1' marks tokens 3 to 4" in said  # ? helps
    assert drawn == []  # a pipe is told what is marked, never redrawn


def test_nothing_to_mark_skip_undo_and_quit_end_the_item():
    for lines, expected in [(["0"], ("label", [])), (["-"], ("label", [])), (["s"], ("skip", None)),
                            (["u"], ("undo", None)), (["q"], ("quit", None)), ([], ("quit", None)),
                            (["1 1", "0", "-1", "0"], ("label", []))]:
        out, _ = pipe()
        assert _next_spans_action(iter(lines), LABELS, out, item(), [], lambda **kw: None) == expected


def test_an_item_with_suggestions_starts_with_them_marked_and_says_so():
    from hilt.cli._spans_terminal import spans_screen, suggested_spans

    guess = [{"start": 24, "end": 30, "label": "LOC"}]
    shown = item(guess=guess, suggest=True)
    assert suggested_spans(shown) == guess and suggested_spans(item(guess=guess, suggest=False)) == []
    out, written = pipe()
    out.print(spans_screen(shown, LABELS, guess, suggested=True))
    assert "marked: [London]LOC  (suggested by the model: '.' accepts, 'x' clears" in written.getvalue()
    action, spans = _next_spans_action(iter(["."]), LABELS, out, shown, guess, lambda **kw: None)
    assert (action, spans) == ("label", guess)
    action, spans = _next_spans_action(iter(["x", "0"]), LABELS, out, shown, guess, lambda **kw: None)
    assert (action, spans) == ("label", [])


def test_an_undone_item_starts_with_the_spans_it_was_given():
    out, _ = pipe()
    given = [{"start": 24, "end": 30, "label": "LOC"}]
    action, spans = _next_spans_action(iter(["1 1", "."]), LABELS, out, item(), given, lambda **kw: None)
    assert spans == [{"start": 0, "end": 5, "label": "PER"}, *given]


def test_hilt_label_marks_a_spans_project_by_typed_lines_and_undo_brings_the_spans_back(tmp_path):
    import pandas as pd

    from hilt.cli._label_loop import run_label_loop
    from hilt.project import Project

    texts = {"a": "Grace Hopper met Ada in London.", "b": "Rain in Oslo today.", "c": "Nothing to see here."}
    frame = pd.DataFrame({"id": list(texts), "text": list(texts.values())})
    path = tmp_path / "people.hilt"
    # Seeded so that item a is not served last: after the last item the loop ends (nothing left),
    # and the undo this test makes on a would never be typed.
    with Project.create(path, frame, LABELS, text_column="text", id_column="id", task="spans",
                        eval_share=0.0, seed=3) as project:
        shown = [None]  # the item on screen: what the next typed lines are for
        for name in ("next_item", "undo"):
            original = getattr(project, name)

            def watched(*args, _original=original, **kwargs):
                item = _original(*args, **kwargs)
                shown[0] = None if item is None else item.id
                return item

            setattr(project, name, watched)

        def typed():
            undone = False
            while shown[0] is not None:
                if shown[0] == "a" and not undone:
                    yield from ["1-2 1", "6 2", "."]  # saved, then taken back: a is back with both
                    undone = True
                    yield "u"
                elif shown[0] == "a":
                    yield from ["4 1", ""]
                elif shown[0] == "b":
                    yield from ["9 1", "3 2", "."]  # no token 9: said, and nothing marked
                else:
                    yield "0"

        out, written = pipe()
        session = run_label_loop(project, "ana", typed(), out, wait_for_model=0)
        answers = {a["item_id"]: a["label"] for a in project.recent_answers("ana", 10)}
    assert (session.labelled, session.skipped, session.undone, session.nothing_left) == (4, 0, 1, True)
    assert {key: [(texts[key][s["start"]:s["end"]], s["label"]) for s in spans] for key, spans in answers.items()} == {
        "a": [("Grace Hopper", "PER"), ("Ada", "PER"), ("London", "LOC")], "b": [("Oslo", "LOC")], "c": []}
    said = written.getvalue()
    assert "Grace Hopper met Ada in London ." in said and "1     2      3   4   5  6      7" in said
    assert "saved: [Grace Hopper]PER [London]LOC for item a" in said
    assert "undone: item a is back" in said
    # Marked (said in the pipe), then on the screen of the undone item again.
    assert said.count("marked: [Grace Hopper]PER [London]LOC\n") == 2
    assert "Not a mark: '9 1': there is no token 9: this text has tokens 1-5." in said
    assert "saved: nothing to mark for item c" in said

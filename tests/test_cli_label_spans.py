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


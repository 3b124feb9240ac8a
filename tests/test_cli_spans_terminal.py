"""``hilt label`` on a spans project, the pure parts: spans in brackets, numbered tokens and the
line syntax that marks them (hilt.cli._spans_terminal)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hilt.cli._spans_terminal import SPANS_HELP, numbered_tokens, parse_span_command, render_spans, spans_line
from hilt.errors import InputError
from hilt.tasks.spans_text import tokenize

LABELS = ["PER", "LOC", "ORG"]
TEXT = "Grace Hopper 👩\u200d💻 met Ada\r\nLovelace in London, 1843."
TOKENS = tokenize(TEXT)


def words(spans, text=TEXT):
    return [(text[s["start"]:s["end"]], s["label"]) for s in spans]


def type_lines(lines, spans=()):
    """The spans after typing ``lines`` one by one, and the last command's action."""
    spans = list(spans)
    action = None
    for line in lines:
        command = parse_span_command(line, TOKENS, LABELS, spans)
        spans, action = command.spans, command.action
    return spans, action


def test_spans_show_in_brackets_with_their_label_and_every_character_stays():
    spans = [{"start": 38, "end": 44, "label": "LOC"}, {"start": 0, "end": 12, "label": "PER"},
             {"start": 13, "end": 16, "label": "ORG"}]
    assert render_spans(TEXT, spans, LABELS) == "[Grace Hopper]PER [👩\u200d💻]ORG met Ada\r\nLovelace in [London]LOC, 1843."
    assert spans_line(TEXT, spans) == "[Grace Hopper]PER [👩\u200d💻]ORG [London]LOC"


@pytest.mark.parametrize("spans, message", [
    ([{"start": 0, "end": 99, "label": "PER"}], "span 1 {'start': 0, 'end': 99, 'label': 'PER'}: expected 0 <= start < end <= 51 (the text's length)"),
    ([{"start": 0, "end": 12, "label": "PER"}, {"start": 6, "end": 16, "label": "LOC"}], "span 2 {'start': 6, 'end': 16, 'label': 'LOC'}: it overlaps"),
    ([{"start": 0, "end": 5, "label": "DATE"}], "label 'DATE' is not one of ['LOC', 'ORG', 'PER']"),
])
def test_a_span_that_cannot_be_shown_is_refused_naming_it(spans, message):
    assert len(TEXT) == 51
    with pytest.raises(InputError, match=re.escape(message)):
        render_spans(TEXT, spans, LABELS)


def test_tokens_are_numbered_from_one_under_each_word_and_lines_follow_the_text():
    shown = numbered_tokens(TEXT).splitlines()
    # The emoji takes two cells, so the numbers under it and after it stay in their columns.
    assert shown == [
        "Grace Hopper 👩\u200d💻 met Ada",
        "1     2      3  4   5",
        "Lovelace in London , 1843 .",
        "6        7  8      9 10   11",
    ]


def test_a_long_line_wraps_between_tokens_never_inside_one():
    text = " ".join(["antidisestablishment"] * 5)
    shown = numbered_tokens(text, width=45).splitlines()
    assert shown[0::2] == ["antidisestablishment antidisestablishment"] * 2 + ["antidisestablishment"]
    assert shown[1].split() == ["1", "2"] and shown[5].split() == ["5"]
    assert all(len(line) <= 45 for line in shown)


def test_a_text_without_tokens_shows_nothing_to_number():
    assert numbered_tokens("  \r\n ") == ""
    with pytest.raises(InputError, match="no tokens to mark: '0' saves 'nothing to mark'"):
        parse_span_command("1 1", [], LABELS, [])
    assert parse_span_command("0", [], LABELS, []).action == "none"


def test_typing_marks_relabels_removes_and_saves_spans():
    spans, action = type_lines(["1-2 1", "5-6 2", "8 LOC", "3 3"])
    assert action == "mark"
    assert words(spans) == [("Grace Hopper", "PER"), ("👩\u200d💻", "ORG"), ("Ada\r\nLovelace", "LOC"), ("London", "LOC")]
    spans, _ = type_lines(["5-6 1", "-3"], spans)  # marked again: relabelled; -3 removes the emoji's
    assert words(spans) == [("Grace Hopper", "PER"), ("Ada\r\nLovelace", "PER"), ("London", "LOC")]
    assert [(s["start"], s["end"]) for s in spans] == [(0, 12), (21, 34), (38, 44)]  # code points
    for submit in ("", ".", "  .  \n"):
        command = parse_span_command(submit, TOKENS, LABELS, spans)
        assert (command.action, command.spans) == ("submit", spans)


def test_a_mark_over_other_spans_replaces_them():
    spans, _ = type_lines(["1 1", "2 2", "4 1"])
    spans, _ = type_lines(["2-4 3"], spans)
    assert words(spans) == [("Grace", "PER"), ("Hopper 👩\u200d💻 met", "ORG")]


def test_nothing_to_mark_is_0_or_the_none_key_and_is_refused_while_spans_are_marked():
    assert parse_span_command("0", TOKENS, LABELS, []).action == "none"
    assert parse_span_command("-", TOKENS, LABELS, []).spans == []
    marked = [{"start": 0, "end": 5, "label": "PER"}, {"start": 6, "end": 12, "label": "LOC"}]
    assert parse_span_command("x", TOKENS, LABELS, marked).spans == []  # x clears them all
    with pytest.raises(InputError, match="nothing to mark, but 1 span is marked: '-N' removes"):
        parse_span_command("0", TOKENS, LABELS, [{"start": 0, "end": 5, "label": "PER"}])


def test_commands_and_help():
    for line, action in [("s", "skip"), ("u", "undo"), ("v", "view"), ("q", "quit"), ("?", "help"), ("S", "skip")]:
        assert parse_span_command(line, TOKENS, LABELS, []).action == action
    assert "'3-4 1' marks tokens 3 to 4" in SPANS_HELP and "'-3' removes" in SPANS_HELP


@pytest.mark.parametrize("line, message", [
    ("12 1", "'12 1': there is no token 12: this text has tokens 1-11."),
    ("0-2 1", "'0-2 1': there is no token 0"),
    ("4-2 1", "'4-2 1': expected the lower token number first (2-4)."),
    ("2 9", "'2 9': expected a label's key or name after the tokens (1=PER, 2=LOC, 3=ORG), got '9'."),
    ("two 1", "'two 1': expected a token number (1-11), got 'two'."),
    ("1 2 3", "'1 2 3': expected tokens and a label"),
    ("-4", "'-4': no span covers token 4"),
    ("hello", "'hello': expected tokens and a label"),
])
def test_a_line_that_is_no_command_says_what_was_expected(line, message):
    with pytest.raises(InputError) as caught:
        parse_span_command(line, TOKENS, LABELS, [])
    assert message in str(caught.value)


# ---- properties ---------------------------------------------------------------------------------

texts = st.text(alphabet=st.sampled_from(list("ab Z9,.\r\n\t") + ["é", "👩", "\u200d", "💻", "🇬", "́"]), max_size=40)


@st.composite
def text_and_marks(draw):
    """A text, and mark commands over its tokens (1-based ranges with a label key)."""
    text = draw(texts)
    n = len(tokenize(text))
    marks = []
    if n:
        for _ in range(draw(st.integers(0, 6))):
            a = draw(st.integers(1, n))
            b = draw(st.integers(a, n))
            marks.append(f"{a}-{b} {draw(st.sampled_from('123'))}")
    return text, marks


@settings(max_examples=200, deadline=None)
@given(text_and_marks())
def test_marks_survive_render(case):
    text, marks = case
    tokens = tokenize(text)
    spans = []
    for line in marks:
        spans = parse_span_command(line, tokens, LABELS, spans).spans
    # What was marked: sorted, apart, on token edges, each with a label.
    assert spans == sorted(spans, key=lambda s: (s["start"], s["end"]))
    assert all(x["end"] <= y["start"] for x, y in zip(spans, spans[1:]))
    edges = {a for a, _ in tokens} | {b for _, b in tokens}
    assert all(s["start"] in edges and s["end"] in edges and s["label"] in LABELS for s in spans)
    if marks:  # the last mark is always there as typed
        a, b = map(int, marks[-1].split()[0].split("-"))
        assert {"start": tokens[a - 1][0], "end": tokens[b - 1][1], "label": LABELS[int(marks[-1][-1]) - 1]} in spans
    # Rendered: each span's own text in brackets, followed by its label, where it belongs; taking
    # the brackets and labels out gives the text back, every character of it.
    shown = render_spans(text, spans, LABELS)
    rest, at, added = [], 0, 0
    for s in spans:
        where = s["start"] + added
        piece = f"[{text[s['start']:s['end']]}]{s['label']}"
        assert shown[where:where + len(piece)] == piece
        rest.append(shown[at:where])
        at = where + len(piece)
        rest.append(text[s["start"]:s["end"]])
        added += len(piece) - (s["end"] - s["start"])
    rest.append(shown[at:])
    assert "".join(rest) == text


@settings(max_examples=100, deadline=None)
@given(texts)
def test_every_token_is_numbered_once_in_order(text):
    shown = numbered_tokens(text, width=20).splitlines()
    numbers = [int(n) for line in shown[1::2] for n in line.split()]
    assert numbers == list(range(1, len(tokenize(text)) + 1))

"""Label issues of spans (hilt.quality.span_issues): each type by hand, and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from hilt.errors import InputError
from hilt.quality.span_issues import ISSUE_TYPES, span_issue_rows, span_issues


def span(start, end, label):
    return {"start": start, "end": end, "label": label}


# "Ada met Grace Hopper in New York": Ada 0-3, Grace Hopper 8-20, New York 24-32
ADA, GRACE, NEW_YORK = span(0, 3, "PER"), span(8, 20, "PER"), span(24, 32, "LOC")


def test_a_final_span_the_model_does_not_overlap_is_missed():
    assert span_issues([ADA, GRACE], [GRACE]) == [{"type": "missed", "span": ADA, "predicted": None}]


def test_a_predicted_span_overlapping_no_final_span_is_extra():
    assert span_issues([ADA], [ADA, NEW_YORK]) == [{"type": "extra", "span": None, "predicted": NEW_YORK}]
    assert span_issues([], [ADA]) == [{"type": "extra", "span": None, "predicted": ADA}]


def test_the_same_boundaries_with_another_label_is_a_wrong_label():
    assert span_issues([NEW_YORK], [span(24, 32, "ORG")]) == \
        [{"type": "wrong_label", "span": NEW_YORK, "predicted": span(24, 32, "ORG")}]


def test_an_overlap_with_other_boundaries_is_a_wrong_boundary_whatever_the_label():
    assert span_issues([GRACE], [span(14, 20, "PER")]) == \
        [{"type": "wrong_boundary", "span": GRACE, "predicted": span(14, 20, "PER")}]
    assert span_issues([GRACE], [span(8, 13, "LOC")]) == \
        [{"type": "wrong_boundary", "span": GRACE, "predicted": span(8, 13, "LOC")}]


def test_one_final_span_split_by_the_model_gives_an_issue_per_piece_and_a_merge_one_per_final_span():
    pieces = [span(8, 13, "PER"), span(14, 20, "PER")]
    assert [(i["type"], i["predicted"]) for i in span_issues([GRACE], pieces)] == \
        [("wrong_boundary", pieces[0]), ("wrong_boundary", pieces[1])]
    merged = span(0, 20, "PER")
    assert [(i["type"], i["span"]) for i in span_issues([ADA, GRACE], [merged])] == \
        [("wrong_boundary", ADA), ("wrong_boundary", GRACE)]


def test_issues_of_every_type_come_in_the_order_of_the_text():
    final = [ADA, GRACE, NEW_YORK]
    predicted = [span(8, 13, "PER"), span(24, 32, "ORG"), span(36, 40, "LOC")]
    assert [(i["type"], i["span"], i["predicted"]) for i in span_issues(final, predicted)] == [
        ("missed", ADA, None), ("wrong_boundary", GRACE, span(8, 13, "PER")),
        ("wrong_label", NEW_YORK, span(24, 32, "ORG")), ("extra", None, span(36, 40, "LOC"))]


def test_extra_keys_and_the_order_given_do_not_matter_and_a_span_without_a_label_is_refused():
    prodigy = {**ADA, "text": "Ada", "token_start": 0}
    assert span_issues([GRACE, prodigy], [ADA, GRACE]) == []
    with pytest.raises(InputError, match=r"predicted span 1 .*expected an object with start, end and label"):
        span_issues([ADA], [{"start": 0, "end": 3}])


def test_items_are_ranked_by_how_little_the_model_agrees():
    finals = {"a": [ADA, GRACE, NEW_YORK], "b": [ADA], "c": [ADA, GRACE], "d": [], "e": [ADA]}
    predicted = {"a": [ADA, GRACE], "b": [span(0, 3, "LOC")], "c": [ADA], "d": [], "f": [ADA]}
    rows = span_issue_rows(finals, predicted)
    # a: F1 2*2/5 = 0.8; b: 0; c: 2*1/3; d: no issue; e: no prediction
    assert [row["item"] for row in rows] == ["b", "c", "a"]
    assert [row["score"] for row in rows] == pytest.approx([1.0, 1 / 3, 0.2])
    assert rows[0]["issues"] == [{"type": "wrong_label", "span": ADA, "predicted": span(0, 3, "LOC")}]


@st.composite
def span_lists(draw):
    """Non-overlapping spans over offsets 0..30."""
    cuts = sorted(set(draw(st.lists(st.integers(0, 30), max_size=10))))
    return [span(lo, hi, draw(st.sampled_from(["PER", "LOC"]))) for lo, hi in zip(cuts, cuts[1:])
            if draw(st.booleans())]


def _key(s):
    return s["start"], s["end"], s["label"]


def _overlap(a, b):
    return a["start"] < b["end"] and b["start"] < a["end"]


@settings(max_examples=300, deadline=None)
@given(span_lists())
def test_identical_lists_have_no_issues(spans):
    assert span_issues(spans, [dict(s) for s in reversed(spans)]) == []


@settings(max_examples=500, deadline=None)
@given(span_lists(), span_lists())
def test_every_difference_is_named_and_every_issue_is_what_its_type_says(final, predicted):
    issues = span_issues(final, predicted)
    finals, guesses = {_key(s) for s in final}, {_key(s) for s in predicted}
    assert (issues == []) == (finals == guesses)
    named_finals = {_key(i["span"]) for i in issues if i["span"]}
    named_guesses = {_key(i["predicted"]) for i in issues if i["predicted"]}
    assert finals - guesses <= named_finals
    assert guesses - finals <= named_guesses
    for issue in issues:
        assert issue["type"] in ISSUE_TYPES
        mine, guess = issue["span"], issue["predicted"]
        if issue["type"] == "missed":
            assert guess is None and not any(_overlap(mine, p) for p in predicted)
        elif issue["type"] == "extra":
            assert mine is None and not any(_overlap(guess, f) for f in final)
        elif issue["type"] == "wrong_label":
            assert (mine["start"], mine["end"]) == (guess["start"], guess["end"]) and mine["label"] != guess["label"]
        else:
            assert _overlap(mine, guess) and (mine["start"], mine["end"]) != (guess["start"], guess["end"])

"""Agreement on spans (hilt.quality.span_agreement), checked by hand and against reference code:
the ``krippendorff`` package (alpha over token tags) and seqeval (entity F1)."""

from __future__ import annotations

import warnings

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from seqeval.metrics import f1_score

from hilt.errors import InputError
from hilt.quality.span_agreement import entity_f1, span_agreement, token_tags
from hilt.tasks.spans_text import tokenize


def span(start, end, label):
    return {"start": start, "end": end, "label": label}


# "Ada met Grace": tokens Ada(0-3) met(4-7) Grace(8-13); "in Paris now": in(0-2) Paris(3-8) now(9-12)
TEXTS = {1: "Ada met Grace", 2: "in Paris now"}
TWO = {1: {"ann": [span(0, 3, "PER"), span(8, 13, "PER")], "bob": [span(0, 3, "PER")]},
       2: {"ann": [span(3, 8, "LOC")], "bob": [span(3, 8, "PER")]}}


def test_two_annotators_by_hand_f1_and_alpha():
    report = span_agreement(TWO, TEXTS)
    # F1: ann marked 3 spans, bob 2, one agreed (Ada PER): 2 * 1 / (3 + 2).
    assert report["pairs"] == {"ann|bob": {"items": 2, "f1": pytest.approx(0.4)}}
    assert report["f1"] == pytest.approx(0.4)
    assert report["by_annotator"] == {"ann": {"items": 2, "f1": pytest.approx(0.4)},
                                      "bob": {"items": 2, "f1": pytest.approx(0.4)}}
    # Alpha: 6 token units, 12 values: B-PER 4, O 7, B-LOC 1. Two units disagree (Grace: B-PER/O,
    # Paris: B-LOC/B-PER), so D_o = 4 / 12; D_e = (12**2 - (16 + 49 + 1)) / (12 * 11) = 78 / 132.
    assert report["alpha"] == pytest.approx(1 - (4 / 12) / (78 / 132))
    assert report["alpha"] == pytest.approx(17 / 39)
    assert report["items"] == 2


def test_identical_answers_agree_perfectly():
    same = {item: {"ann": answers["ann"], "bob": list(answers["ann"]), "cy": list(answers["ann"])}
            for item, answers in TWO.items()}
    report = span_agreement(same, TEXTS)
    assert report["alpha"] == 1.0
    assert report["f1"] == 1.0
    assert all(pair["f1"] == 1.0 for pair in report["pairs"].values())
    assert set(report["pairs"]) == {"ann|bob", "ann|cy", "bob|cy"}


def test_items_both_left_empty_count_for_nothing_and_all_empty_is_f1_one_with_alpha_undefined():
    with_empty = {**TWO, 3: {"ann": [], "bob": []}}
    report = span_agreement(with_empty, {**TEXTS, 3: "nothing here"})
    assert report["pairs"]["ann|bob"] == {"items": 3, "f1": pytest.approx(0.4)}  # as without item 3
    nothing = span_agreement({1: {"ann": [], "bob": []}, 2: {"ann": [], "bob": []}}, TEXTS)
    assert nothing["pairs"]["ann|bob"]["f1"] == 1.0 and nothing["f1"] == 1.0
    assert nothing["alpha"] is None  # every token O: no expected disagreement, alpha is 0/0


def test_a_boundary_off_by_a_token_costs_the_entity_in_f1_but_only_a_token_in_alpha():
    text = {1: "Ada met Grace Hopper today"}
    report = span_agreement({1: {"ann": [span(8, 20, "PER")], "bob": [span(8, 13, "PER")]}}, text)
    assert report["f1"] == 0.0
    assert report["alpha"] > 0.5


def test_spans_off_token_boundaries_are_compared_as_tags_of_the_tokens_they_overlap():
    report = span_agreement({1: {"ann": [span(0, 3, "PER")], "bob": [span(1, 2, "PER")]}}, {1: "Ada sings"})
    assert report["f1"] == 0.0  # not the same span
    assert report["alpha"] == 1.0  # the same token tags
    assert token_tags("Ada sings", [span(1, 2, "PER")]) == ["B-PER", "O"]


def test_items_with_one_annotator_and_pairs_with_too_few_items_are_left_out():
    answers = {**TWO, 3: {"cy": [span(0, 3, "PER")]}, 4: {"ann": [], "cy": []}}
    report = span_agreement(answers, {**TEXTS, 4: "rain"}, min_pair_items=2)
    assert report["items"] == 3
    assert set(report["pairs"]) == {"ann|bob"}  # ann|cy share one item
    assert report["f1"] == pytest.approx(0.4)
    assert report["by_annotator"]["cy"] == {"items": 1, "f1": 1.0}
    assert span_agreement({3: {"cy": []}}, {}) == {"items": 0, "alpha": None, "f1": None, "pairs": {},
                                                   "by_annotator": {}}


def test_a_missing_text_and_a_bad_min_pair_items_are_refused():
    with pytest.raises(InputError, match=r"Expected the text of item 2 \(it has answers from 2 annotators\)"):
        span_agreement(TWO, {1: TEXTS[1]})
    with pytest.raises(InputError, match=r"min_pair_items to be an integer >= 1"):
        span_agreement(TWO, TEXTS, min_pair_items=0)
    with pytest.raises(InputError, match=r"same items; got 2 and 1"):
        entity_f1([[], []], [[]])


WORDS = ["Ada", "met", "Grace", "Hopper", "in", "New", "York", "!", "Café"]


@st.composite
def token_spans(draw, text):
    """Token-aligned, non-overlapping spans over ``text``."""
    tokens = tokenize(text)
    cuts = sorted(set(draw(st.lists(st.integers(0, len(tokens)), max_size=6))))
    return [span(tokens[lo][0], tokens[hi - 1][1], draw(st.sampled_from(["PER", "LOC"])))
            for lo, hi in zip(cuts, cuts[1:]) if draw(st.booleans())]


@st.composite
def projects(draw):
    n_items = draw(st.integers(1, 5))
    texts = {i: " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6))) for i in range(n_items)}
    names = ["ann", "bob", "cy"]
    answers = {}
    for i, text in texts.items():
        who = draw(st.lists(st.sampled_from(names), min_size=0, max_size=3, unique=True))
        answers[i] = {name: draw(token_spans(text)) for name in who}
    return answers, texts


def _reference_alpha(answers, texts):
    """``krippendorff.alpha`` on a (coders x token units) table of tag codes."""
    shared = {i: a for i, a in answers.items() if len(a) >= 2}
    coders = sorted({name for a in shared.values() for name in a})
    columns, tags = [], {}
    for i, by in shared.items():
        per_coder = {name: token_tags(texts[i], spans) for name, spans in by.items()}
        for t in range(len(tokenize(texts[i]))):
            columns.append([tags.setdefault(per_coder[c][t], len(tags)) if c in per_coder else np.nan for c in coders])
    if not columns or len(tags) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = krippendorff.alpha(reliability_data=np.array(columns, dtype=float).T, level_of_measurement="nominal")
    return None if np.isnan(value) else float(value)


@settings(max_examples=200, deadline=None)
@given(projects())
def test_alpha_is_the_krippendorff_packages_over_token_tags(project):
    answers, texts = project
    report = span_agreement(answers, texts)
    expected = _reference_alpha(answers, texts)
    if expected is None:
        assert report["alpha"] is None
    else:
        assert report["alpha"] == pytest.approx(expected, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(projects())
def test_pair_f1_is_seqevals_with_either_annotator_as_the_truth(project):
    answers, texts = project
    report = span_agreement(answers, texts)
    for key, pair in report["pairs"].items():
        a, b = key.split("|")
        items = [i for i, by in answers.items() if a in by and b in by]
        tags_a = [token_tags(texts[i], answers[i][a]) for i in items]
        tags_b = [token_tags(texts[i], answers[i][b]) for i in items]
        if not any(any(t != "O" for t in tags) for tags in tags_a + tags_b):
            assert pair["f1"] == 1.0  # nothing marked by either: the documented convention
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # seqeval warns when one side marked nothing
            expected = f1_score(tags_a, tags_b)
        assert pair["f1"] == pytest.approx(expected)
        assert entity_f1([answers[i][a] for i in items], [answers[i][b] for i in items]) == pytest.approx(expected)

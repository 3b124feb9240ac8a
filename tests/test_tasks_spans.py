"""The spans task's answer, final-answer rule and entity metrics: hand-computed cases, properties,
and the metrics against seqeval's on the same spans as IOB2 tags."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hilt.errors import InputError
from hilt.tasks.spans import Spans, decode_spans, encode_spans, final_spans
from hilt.tasks.spans_metrics import span_metrics
from hilt.tasks.spans_text import spans_to_tags, tokenize

LABELS = ["PER", "LOC"]
TASK = Spans()


def span(start, end, label="PER"):
    return {"start": start, "end": end, "label": label}


def stored(*spans):
    return encode_spans(list(spans))


# -- the answer -------------------------------------------------------------------------------------

def test_an_answer_is_sorted_and_stored_as_compact_json_and_comes_back_equal():
    text = "Ada met Grace Hopper in Paris"
    answer = TASK.check_answer([span(24, 29, "LOC"), span(0, 3)], LABELS, text=text)
    assert answer == [span(0, 3), span(24, 29, "LOC")]
    assert TASK.encode(answer, LABELS) == '[{"start":0,"end":3,"label":"PER"},{"start":24,"end":29,"label":"LOC"}]'
    assert TASK.decode(TASK.encode(answer, LABELS), LABELS) == answer
    assert TASK.check_answer([], LABELS, text=text) == [] and TASK.encode([], LABELS) == "[]"
    assert TASK.check_answer(None, LABELS) is None and TASK.encode(None, LABELS) is None


def test_offsets_are_code_points_so_a_span_after_an_emoji_ends_where_python_says():
    text = "👩‍💻 Ada"
    start = text.index("Ada")
    assert TASK.check_answer([span(start, start + 3)], LABELS, text=text) == [span(4, 7)]
    with pytest.raises(InputError, match="span 1"):
        TASK.check_answer([span(start, start + 4)], LABELS, text=text)  # one past the end


@pytest.mark.parametrize("answer, words", [
    ([span(0, 5), span(3, 8)], "overlap"),
    ([span(0, 3, "ORG")], "ORG"),
    ([span(3, 3)], "span 1"),
    ([{"start": "0", "end": 3, "label": "PER"}], "span 1"),
    ([{"start": 0, "label": "PER"}], "span 1"),
    ("Ada", "list"),
    ([span(0, 3), span(4, 99)], "span 2"),
])
def test_a_bad_answer_says_which_span_and_what_was_expected(answer, words):
    with pytest.raises(InputError, match=words):
        TASK.check_answer(answer, LABELS, text="Ada met Grace")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(1, 5), st.sampled_from(LABELS)), max_size=6))
def test_any_checked_answer_survives_encode_and_decode(raw):
    spans, end = [], 0
    for gap, length, label in raw:  # non-overlapping by construction
        spans.append(span(end + gap, end + gap + length, label))
        end += gap + length
    answer = TASK.check_answer(list(reversed(spans)), LABELS)
    assert TASK.decode(TASK.encode(answer, LABELS), LABELS) == spans


def test_renaming_a_label_renames_it_inside_stored_spans():
    assert TASK.rename(stored(span(0, 3), span(4, 9, "LOC")), "PER", "PERSON", ["PERSON", "LOC"]) == \
        stored(span(0, 3, "PERSON"), span(4, 9, "LOC"))
    assert TASK.counted_labels(stored(span(0, 3), span(4, 9), span(10, 12, "LOC")), LABELS) == ["PER", "LOC"]


def test_the_shown_uncertainty_is_the_strategy_s_column_and_a_guess_comes_from_the_rows():
    from hilt.tasks.spans import SPAN_METHODS

    probs = np.arange(16, dtype=float).reshape(2, 8) / 16
    assert TASK.uncertainty(probs, "entropy:max").tolist() == probs[:, SPAN_METHODS.index("entropy:max")].tolist()

    class Model:
        def predict(self, rows):
            return [[span(0, 3)] if text.startswith("Ada") else [] for text in rows]

    assert TASK.guesses(Model(), probs, LABELS, rows=np.array(["Ada x", "no one"], dtype=object)) == \
        [stored(span(0, 3)), "[]"]


# -- the final answer -------------------------------------------------------------------------------

def test_a_span_most_people_marked_is_in_the_final_answer_and_one_person_s_extra_is_not():
    a, b = span(0, 3), span(8, 20)
    rows = [(1, 1, "ada", stored(a, b), "annotate"), (1, 2, "bob", stored(a), "annotate"),
            (1, 3, "cy", stored(a, span(8, 13)), "annotate")]
    decision = final_spans(rows)[1]
    assert decode_spans(decision.label) == [a]
    assert decision.order == 2 and not decision.reviewed and decision.disagreement  # bob's answer is the final one


def test_two_people_who_disagree_keep_what_the_first_marked_until_a_review_settles_it():
    rows = [(1, 5, "bob", stored(span(0, 3, "LOC")), "annotate"), (1, 4, "ada", stored(span(0, 3)), "annotate")]
    assert decode_spans(final_spans(rows)[1].label) == [span(0, 3)]  # ada answered first (order 4)
    reviewed = final_spans(rows + [(1, 9, "rev", stored(span(0, 3, "LOC")), "review")])[1]
    assert decode_spans(reviewed.label) == [span(0, 3, "LOC")] and reviewed.reviewed and reviewed.order == 9


def test_a_person_s_latest_answer_is_the_one_that_votes_and_nothing_marked_is_an_answer():
    rows = [(1, 1, "ada", stored(span(0, 3)), "annotate"), (1, 2, "ada", "[]", "annotate"),
            (1, 3, "bob", "[]", "annotate")]
    decision = final_spans(rows)[1]
    assert decision.label == "[]" and decision.votes == {"[]": 2}


# -- entity metrics ---------------------------------------------------------------------------------

def test_entity_figures_by_hand():
    truth = [[span(0, 3), span(8, 14, "LOC")], [span(0, 3)], []]
    guess = [[span(0, 3), span(8, 13, "LOC")], [span(0, 3)], [span(0, 2)]]
    figures = span_metrics(truth, guess)
    # 2 right of 4 predicted (a boundary off by one is wrong), 2 of 3 true found.
    assert figures["entity_precision"]["value"] == pytest.approx(2 / 4)
    assert figures["entity_recall"]["value"] == pytest.approx(2 / 3)
    assert figures["entity_f1"]["value"] == pytest.approx(2 * 2 / (4 + 3))
    low, high = figures["entity_f1"]["ci"]
    assert 0 <= low <= figures["entity_f1"]["value"] <= high <= 1
    assert span_metrics(truth, guess, seed=3) == span_metrics(truth, guess, seed=3)
    evaluation = TASK.evaluate(truth, guess, LABELS)
    assert evaluation.metric == "entity_f1" and evaluation.n == 3
    assert evaluation.value == pytest.approx(4 / 7) and set(evaluation.metrics) == set(figures)


WORDS = ["Ada", "met", "Grace", "Hopper", "in", "Paris", "👩‍💻", "Café", "!"]


@st.composite
def sentence_with_spans(draw):
    text = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=10)))
    tokens = tokenize(text)

    def marks():
        out, t = [], 0
        while t < len(tokens):
            if draw(st.booleans()):
                last = min(t + draw(st.integers(1, 3)), len(tokens)) - 1
                out.append(span(tokens[t][0], tokens[last][1], draw(st.sampled_from(LABELS))))
                t = last + 1
            else:
                t += 1
        return out

    return tokens, marks(), marks()


@settings(max_examples=150, deadline=None)
@given(st.lists(sentence_with_spans(), min_size=1, max_size=6))
def test_entity_figures_match_seqeval_on_the_same_spans_as_iob2_tags(sentences):
    from seqeval.metrics import f1_score, precision_score, recall_score
    from seqeval.scheme import IOB2

    truth = [t for _, t, _ in sentences]
    guess = [g for _, _, g in sentences]
    if not any(truth) or not any(guess):
        return  # seqeval's 0/0 is a warning and 0; ours is documented in spans_metrics
    y_true = [spans_to_tags(tokens, t) for tokens, t, _ in sentences]
    y_pred = [spans_to_tags(tokens, g) for tokens, _, g in sentences]
    ours = span_metrics(truth, guess, rounds=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, theirs in [("entity_f1", f1_score), ("entity_precision", precision_score),
                             ("entity_recall", recall_score)]:
            assert ours[name]["value"] == pytest.approx(theirs(y_true, y_pred, mode="strict", scheme=IOB2)), name

"""The ``multilabel`` task's rules and figures (hilt/tasks/multilabel*.py, hilt/quality/label_sets.py):
answers, storage, the final-answer rule, the evaluation figures against scikit-learn, agreement
against NLTK and label issues against cleanlab."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hilt.errors import InputError
from hilt.quality.label_sets import find_pair_issues, krippendorff_alpha, masi_distance, per_label_alpha
from hilt.tasks import get_task
from hilt.tasks.multilabel import final_sets
from hilt.tasks.multilabel_metrics import METRICS, multilabel_metrics

LABELS = ["a", "b", "c", "d"]
TASK = get_task("multilabel")
subsets = st.lists(st.sampled_from(LABELS), unique=True)


# -- answers -----------------------------------------------------------------------------------

def test_an_answer_is_a_list_tuple_or_set_of_labels_in_any_order_and_comes_back_in_label_order():
    for given_ in (["c", "a"], ("a", "c"), {"c", "a"}, frozenset("ac")):
        assert TASK.check_answer(given_, LABELS) == ("a", "c")
    assert TASK.encode(("a", "c"), LABELS) == '["a","c"]'
    assert TASK.decode('["a","c"]', LABELS) == ["a", "c"]
    assert TASK.check_answer([], LABELS) == () and TASK.encode((), LABELS) == "[]"
    assert TASK.check_answer(None, LABELS) is None and TASK.encode(None, LABELS) is None


@pytest.mark.parametrize("bad, message", [
    ("a", r"Expected a list of labels from a, b, c, d \(e.g. \['a'\]; \[\] for none of these; None to skip\); got 'a'"),
    ({"a": 1}, r"Expected a list of labels"),
    (["a", "x"], r"Expected every label of an answer to be one of a, b, c, d; got 'x' in \['a', 'x'\]"),
    ([1], r"got 1 in \[1\]"),
    (["b", "b"], r"Expected each label at most once in an answer; got 'b' twice"),
])
def test_a_bad_answer_says_what_was_expected_and_what_came(bad, message):
    with pytest.raises(InputError, match=message):
        TASK.check_answer(bad, LABELS)


@settings(max_examples=200, deadline=None)
@given(subsets)
def test_encode_then_decode_gives_the_set_back_in_label_order(chosen):
    stored = TASK.encode(TASK.check_answer(chosen, LABELS), LABELS)
    assert json.loads(stored) == [label for label in LABELS if label in chosen]  # strict JSON
    assert TASK.decode(stored, LABELS) == [label for label in LABELS if label in chosen]
    assert TASK.encode(TASK.check_answer(TASK.decode(stored, LABELS), LABELS), LABELS) == stored


def test_import_reads_json_arrays_lists_and_separated_labels():
    read = lambda value, sep=None: TASK.import_value(value, LABELS, separator=sep, where="line 3")  # noqa: E731
    assert read(["c", "a"]) == '["a","c"]'
    assert read(np.array(["b"], dtype=object)) == '["b"]'  # a Parquet list cell
    assert read('["d","a"]') == '["a","d"]'
    assert read("a; c") == '["a","c"]'
    assert read("a|c", "|") == '["a","c"]'
    assert read("[]") == "[]" and read([]) == "[]"
    assert read("") is None and read(None) is None and read(float("nan")) is None
    with pytest.raises(InputError, match=r"line 3: Expected every label of an answer to be one of a, b, c, d; got 'x'"):
        read("a;x")
    with pytest.raises(InputError, match=r"line 3: expected a JSON array of labels"):
        read("[a")


def test_export_values_lists_for_jsonl_and_parquet_joined_for_csv():
    assert TASK.export_value(["a", "c"], format="jsonl", separator=";") == ["a", "c"]
    assert TASK.export_value(["a", "c"], format="parquet", separator=";") == ["a", "c"]
    assert TASK.export_value(["a", "c"], format="csv", separator="|") == "a|c"
    assert TASK.export_value([], format="csv", separator=";") == "[]"  # none of these, not an empty cell
    assert TASK.export_value(None, format="csv", separator=";") is None


def test_rename_reencodes_the_set_in_the_new_label_order():
    assert TASK.rename('["a","c"]', "a", "z", ["z", "b", "c", "d"]) == '["z","c"]'
    assert TASK.rename('["b"]', "a", "z", ["z", "b", "c", "d"]) == '["b"]'


def test_guesses_are_the_labels_at_or_over_one_half():
    guesses = TASK.guesses(None, np.array([[0.5, 0.49, 0.9, 0.0], [0.1, 0.2, 0.3, 0.4]]), LABELS)
    assert guesses == ['["a","c"]', "[]"]


def test_the_shown_uncertainty_is_the_mean_of_each_labels_binary_margin():
    probs = np.array([[0.5, 0.5, 0.5, 0.5], [1.0, 0.0, 1.0, 0.0], [0.75, 0.5, 1.0, 0.0]])
    # margin on [p, 1 - p]: 1 - |2p - 1|
    assert TASK.uncertainty(probs, "margin").tolist() == pytest.approx([1.0, 0.0, (0.5 + 1.0) / 4])
    assert TASK.uncertainty(probs, "margin:max").tolist() == pytest.approx([1.0, 0.0, 1.0])


# -- the final-answer rule ----------------------------------------------------------------------

def _row(item, order, who, chosen, role="annotate"):
    return (item, order, who, TASK.encode(tuple(chosen), LABELS), role)


def test_each_label_is_decided_by_the_majority_of_the_latest_answers():
    rows = [_row(1, 1, "ada", "ab"), _row(1, 2, "bob", "a"), _row(1, 3, "cy", "ac"),
            _row(1, 4, "ada", "abd")]  # ada's latest counts, once
    decision = final_sets(rows, LABELS)[1]
    assert TASK.decode(decision.label, LABELS) == ["a"]  # b: 1 of 3, c: 1 of 3, d: 1 of 3
    assert decision.order == 2 and not decision.reviewed  # bob's answer is that set
    assert decision.votes == {'["a","b","d"]': 1, '["a"]': 1, '["a","c"]': 1} and decision.disagreement


def test_a_tie_on_a_label_goes_to_what_the_earliest_voter_said():
    rows = [_row(1, 5, "bob", "bc"), _row(1, 3, "ada", "ab")]
    decision = final_sets(rows, LABELS)[1]
    assert TASK.decode(decision.label, LABELS) == ["a", "b"]  # a and c tie: ada (order 3) said a, not c
    assert decision.order == 3


def test_a_reviewers_set_settles_the_item_and_none_of_these_is_an_answer():
    rows = [_row(1, 1, "ada", "ab"), _row(1, 2, "bob", "ab"), _row(1, 3, "rev", "", "review"),
            _row(2, 4, "ada", ""), _row(2, 5, "bob", "")]
    decided = final_sets(rows, LABELS)
    assert decided[1].label == "[]" and decided[1].reviewed and decided[1].order == 3
    assert decided[2].label == "[]" and not decided[2].disagreement


multi_rows = st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["ada", "bob", "cy", "dan"]), subsets,
                                st.sampled_from(["annotate"] * 4 + ["review"])), max_size=25)


@settings(max_examples=200, deadline=None)
@given(multi_rows)
def test_the_final_set_is_the_review_else_each_labels_majority_ties_to_the_earliest(drawn):
    rows = [_row(item, order, who, chosen, role) for order, (item, who, chosen, role) in enumerate(drawn, start=1)]
    decided = final_sets(rows, LABELS)
    assert set(decided) == {r[0] for r in rows}
    for item, decision in decided.items():
        mine = [r for r in rows if r[0] == item]
        reviews = [r for r in mine if r[4] == "review"]
        latest = {}
        for r in mine:
            if r[4] != "review":
                latest[r[2]] = r
        final = set(TASK.decode(decision.label, LABELS))
        if reviews:
            assert final == set(TASK.decode(max(reviews, key=lambda r: r[1])[3], LABELS))
            continue
        sets = [set(TASK.decode(r[3], LABELS)) for r in sorted(latest.values(), key=lambda r: r[1])]
        for label in LABELS:
            yes = sum(label in s for s in sets)
            if 2 * yes != len(sets):
                assert (label in final) == (2 * yes > len(sets))
            else:
                assert (label in final) == (label in sets[0])
        assert json.loads(decision.label) == [label for label in LABELS if label in final]  # label order


# -- evaluation figures, against scikit-learn -----------------------------------------------------

indicators = st.integers(1, 30).flatmap(lambda n: st.tuples(
    st.lists(st.lists(st.booleans(), min_size=3, max_size=3), min_size=n, max_size=n),
    st.lists(st.lists(st.booleans(), min_size=3, max_size=3), min_size=n, max_size=n)))


@settings(max_examples=100, deadline=None)
@given(indicators)
def test_the_figures_equal_scikit_learns(pair):
    from sklearn.metrics import accuracy_score, f1_score, hamming_loss

    truth, predicted = (np.array(x, dtype=bool) for x in pair)
    figures = multilabel_metrics(truth, predicted, rounds=50)
    assert list(figures) == list(METRICS)
    if truth.any() or predicted.any():
        assert figures["micro_f1"]["value"] == pytest.approx(f1_score(truth, predicted, average="micro"))
        used = np.flatnonzero(truth.any(axis=0) | predicted.any(axis=0))
        assert figures["macro_f1"]["value"] == pytest.approx(
            f1_score(truth, predicted, average="macro", labels=used, zero_division=0))
    else:  # nothing to find and nothing found: perfect
        assert figures["micro_f1"]["value"] == figures["macro_f1"]["value"] == 1.0
    assert figures["subset_accuracy"]["value"] == pytest.approx(accuracy_score(truth, predicted))
    assert figures["hamming_loss"]["value"] == pytest.approx(hamming_loss(truth, predicted))
    for figure in figures.values():
        low, high = figure["ci"]
        assert 0.0 <= low <= high <= 1.0


def test_the_interval_is_seeded_and_narrows_with_more_items():
    rng = np.random.default_rng(3)
    truth = rng.random((400, 5)) < 0.3
    predicted = truth ^ (rng.random((400, 5)) < 0.1)
    small = multilabel_metrics(truth[:40], predicted[:40])
    large = multilabel_metrics(truth, predicted)
    assert multilabel_metrics(truth, predicted) == large  # same seed, same interval
    width = lambda f: f["micro_f1"]["ci"][1] - f["micro_f1"]["ci"][0]  # noqa: E731
    assert width(large) < width(small)
    low, high = large["micro_f1"]["ci"]
    assert low < large["micro_f1"]["value"] < high


def test_evaluate_reads_decoded_answers_and_heads_with_micro_f1():
    result = TASK.evaluate([("a",), ("b", "c"), ()], [("a",), ("b",), ()], LABELS)
    assert result.metric == "micro_f1" and result.n == 3
    assert result.value == pytest.approx(2 * 2 / (2 * 2 + 0 + 1))
    assert result.ci == result.metrics["micro_f1"]["ci"]
    assert TASK.evaluate([], [], LABELS).value is None


# -- agreement, against NLTK -----------------------------------------------------------------------

def test_masi_distance_equals_nltks():
    from nltk.metrics.distance import masi_distance as nltk_masi

    for a, b in [("ab", "ab"), ("a", "ab"), ("ab", "bc"), ("a", "b"), ("abc", "a"), ("ab", "abcd")]:
        assert masi_distance(set(a), set(b)) == pytest.approx(nltk_masi(set(a), set(b)))
    assert masi_distance(set(), set()) == 0.0  # where NLTK divides by zero
    assert masi_distance(set(), {"a"}) == 1.0


coded = st.lists(st.tuples(st.integers(0, 6), st.sampled_from(["c1", "c2", "c3"]),
                           st.lists(st.sampled_from("abc"), min_size=1, unique=True)), min_size=2, max_size=30)


@settings(max_examples=100, deadline=None)
@given(coded)
def test_alpha_with_masi_equals_nltks_annotation_task(drawn):
    from nltk.metrics.agreement import AnnotationTask
    from nltk.metrics.distance import masi_distance as nltk_masi

    latest = {(unit, coder): frozenset(values) for unit, coder, values in drawn}  # one value per coder and unit
    units = [unit for unit, _ in latest]
    values = list(latest.values())
    ours = krippendorff_alpha(units, values)
    per_unit = {}
    for unit in units:
        per_unit[unit] = per_unit.get(unit, 0) + 1
    pairable = [v for (unit, _), v in latest.items() if per_unit[unit] >= 2]
    if not pairable:
        assert ours is None
        return
    task = AnnotationTask([(coder, unit, v) for (unit, coder), v in latest.items()], distance=nltk_masi)
    if len(set(pairable)) == 1:  # NLTK says 1 where nothing could disagree; alpha is undefined
        assert ours is None
        return
    assert ours == pytest.approx(task.alpha())


def test_per_label_alpha_is_each_labels_nominal_alpha():
    import krippendorff

    units = [1, 1, 2, 2, 3, 3, 4, 4]
    values = [{"a"}, {"a", "b"}, {"b"}, {"b"}, set(), {"a"}, {"a", "b"}, {"a", "b"}]
    got = per_label_alpha(units, values, ["a", "b"])
    for label in ("a", "b"):
        matrix = np.full((2, 4), np.nan)
        for k, (unit, value) in enumerate(zip(units, values)):
            matrix[k % 2, unit - 1] = float(label in value)
        assert got[label] == pytest.approx(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))


# -- label issues per (item, label), against cleanlab -----------------------------------------------

def test_pair_issues_find_the_planted_errors_that_cleanlab_finds():
    from cleanlab.multilabel_classification.filter import find_label_issues as cleanlab_issues

    rng = np.random.default_rng(0)
    n, k = 300, 4
    truth = rng.random((n, k)) < 0.35
    probs = np.clip(np.where(truth, 0.85, 0.12) + rng.normal(0, 0.05, (n, k)), 0.01, 0.99)
    given_ = truth.copy()
    planted = [(i, i % k) for i in range(0, n, 15)]  # 20 flipped pairs
    for i, j in planted:
        given_[i, j] = ~given_[i, j]
    items, labels, scores = find_pair_issues(given_, probs)
    ours = set(zip(items.tolist(), labels.tolist()))
    assert ours <= set(planted) and len(ours) >= 0.7 * len(planted)  # every flag a planted error
    assert np.all(np.diff(scores) <= 0)  # most likely wrong first
    theirs = cleanlab_issues([np.flatnonzero(row).tolist() for row in given_], probs)
    # cleanlab flags items (one-vs-rest per label, pruned by the estimated noise): the same ones.
    assert set(np.flatnonzero(theirs).tolist()) == set(items.tolist())


def test_pair_issues_skip_a_label_with_one_value_only_and_check_shapes():
    given_ = np.array([[1, 0], [1, 1], [1, 0]], bool)
    items, labels, _ = find_pair_issues(given_, np.array([[0.9, 0.1], [0.9, 0.1], [0.2, 0.1]]))
    assert 0 not in labels.tolist()  # label 0 is yes everywhere: nothing to contrast it with
    with pytest.raises(InputError, match="same 2-D shape"):
        find_pair_issues(given_, np.zeros((3, 3)))

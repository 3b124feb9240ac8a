"""Annotator agreement (hilt.quality.agreement), checked by hand and against reference code.

The references are the ``krippendorff`` package (alpha) and scikit-learn's
``cohen_kappa_score`` (kappa); hilt itself uses neither.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
import warnings

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from hilt.errors import InputError
from hilt.quality import agreement, cohen_kappa, krippendorff_alpha_nominal

# Krippendorff, "Computing Krippendorff's alpha-reliability" (2011), the 12-unit example with
# 4 coders and missing values; nominal alpha = 0.743.
TEXTBOOK = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def _rows_from_table(table: dict[str, list]) -> list[tuple[int, str, str]]:
    return [
        (unit, coder, str(value))
        for coder, values in table.items()
        for unit, value in enumerate(values)
        if value is not None
    ]


def _reference_alpha(rows: list[tuple]) -> float | None:
    """``krippendorff.alpha`` on the same answers (last row wins), None where it has no value."""
    last = {(item, annotator): label for item, annotator, label in rows}
    items = sorted({item for item, _ in last})
    annotators = sorted({annotator for _, annotator in last})
    labels = sorted(set(last.values()))
    data = np.full((len(annotators), len(items)), np.nan)
    for (item, annotator), label in last.items():
        data[annotators.index(annotator), items.index(item)] = labels.index(label)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            value = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    except ValueError:  # fewer than two values in the domain, or no pairable unit
        return None
    return None if np.isnan(value) else float(value)


# --- hand-computed cases ----------------------------------------------------------------------


def test_textbook_example_gives_0_743():
    rows = _rows_from_table(TEXTBOOK)
    report = agreement(rows)
    # Unit 11 (index 11) has a single value: it is not pairable.
    assert report["items"] == 11
    assert report["alpha"] == pytest.approx(0.743, abs=5e-4)
    assert report["alpha"] == pytest.approx(_reference_alpha(rows), abs=1e-12)


def test_krippendorff_alpha_nominal_matches_agreement_on_textbook():
    rows = _rows_from_table(TEXTBOOK)
    units = [item for item, _, _ in rows]
    values = [label for _, _, label in rows]
    assert krippendorff_alpha_nominal(units, values) == pytest.approx(agreement(rows)["alpha"])


def test_small_report_by_hand():
    rows = [
        ("q1", "ann", "yes"), ("q1", "bob", "yes"), ("q1", "cy", "no"),
        ("q2", "ann", "no"), ("q2", "bob", "no"),
        ("q3", "ann", "yes"), ("q3", "bob", "no"),
        ("q4", "cy", "yes"),
    ]  # fmt: skip
    report = agreement(rows, min_pair_items=2)
    # n = 7 pairable values; o_yes,yes = 2*1/2 (q1), o_no,no = 2*1/1 (q2); n_yes = 3, n_no = 4:
    # alpha = 1 - 6 * (7 - 3) / (49 - 9 - 16) = 0.
    assert report["items"] == 3
    assert report["alpha"] == pytest.approx(0.0, abs=1e-12)
    # ann: q1 others tie yes/no, bob's "yes" came first -> agree; q2 agree; q3 disagree.
    # cy: q1 "no" against the others' "yes".
    assert report["by_annotator"] == {
        "ann": {"items": 3, "agree": pytest.approx(2 / 3)},
        "bob": {"items": 3, "agree": pytest.approx(2 / 3)},
        "cy": {"items": 1, "agree": 0.0},
    }
    # ann|bob: p_o = 2/3, p_e = (2*1 + 1*2)/9 -> kappa = (6 - 4) / (9 - 4) = 0.4.
    # ann|cy and bob|cy share one item, below min_pair_items.
    assert report["pairs"] == {"ann|bob": {"items": 3, "kappa": pytest.approx(0.4)}}


def test_tie_among_others_goes_to_the_earlier_answer():
    first_yes = [("i", "cy", "yes"), ("i", "bob", "no"), ("i", "ann", "yes")]
    first_no = [("i", "bob", "no"), ("i", "cy", "yes"), ("i", "ann", "yes")]
    assert agreement(first_yes)["by_annotator"]["ann"]["agree"] == 1.0
    assert agreement(first_no)["by_annotator"]["ann"]["agree"] == 0.0


def test_own_answer_does_not_count_towards_the_majority():
    # A 2-2 split: with one's own answer left out, the others always lean 2-1 the other way,
    # so nobody agrees, although each answer is on a side of the item's (tied) majority.
    rows = [("i", "ann", "yes"), ("i", "bob", "no"), ("i", "cy", "no"), ("i", "dee", "yes")]
    by = agreement(rows)["by_annotator"]
    assert by == {name: {"items": 1, "agree": 0.0} for name in ("ann", "bob", "cy", "dee")}
    # A 3-1 split: the three agree, the one does not.
    rows[3] = ("i", "dee", "no")
    by = agreement(rows)["by_annotator"]
    assert [by[name]["agree"] for name in ("ann", "bob", "cy", "dee")] == [0.0, 1.0, 1.0, 1.0]


def test_own_first_answer_passes_the_tie_break_to_the_next_same_label():
    # Others of ann: bob "no" (pos 1), cy "yes" (pos 2): tie, bob first -> "no".
    # Had ann's own earlier "yes" been counted as the first "yes", ann would agree.
    rows = [("i", "ann", "yes"), ("i", "bob", "no"), ("i", "cy", "yes")]
    assert agreement(rows)["by_annotator"]["ann"]["agree"] == 0.0


def test_last_row_wins_for_a_repeated_answer():
    rows = [("i", "ann", "no"), ("i", "bob", "yes"), ("i", "ann", "yes")]
    report = agreement(rows)
    assert report["by_annotator"]["ann"] == {"items": 1, "agree": 1.0}
    assert report["items"] == 1
    # The repeat is one answer, not two: ann's changed mind is not a second coder.
    assert agreement([("i", "ann", "no"), ("i", "ann", "yes")])["items"] == 0


def test_cohen_kappa_by_hand_and_against_sklearn():
    a = ["y", "y", "n", "n"]
    b = ["y", "n", "n", "n"]
    # p_o = 3/4, p_e = (2*1 + 2*3)/16 = 1/2 -> kappa = 1/2.
    assert cohen_kappa(a, b) == pytest.approx(0.5)
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


# --- edge cases -------------------------------------------------------------------------------


def test_no_answers():
    assert agreement([]) == {"items": 0, "alpha": None, "by_annotator": {}, "pairs": {}}
    assert krippendorff_alpha_nominal([], []) is None
    assert cohen_kappa([], []) is None


def test_items_with_a_single_answer_are_ignored():
    rows = [(1, "ann", "a"), (1, "bob", "a"), (2, "ann", "b"), (3, "bob", "c")]
    report = agreement(rows, min_pair_items=1)
    assert report["items"] == 1
    assert report["by_annotator"] == {
        "ann": {"items": 1, "agree": 1.0},
        "bob": {"items": 1, "agree": 1.0},
    }
    assert report["pairs"] == {"ann|bob": {"items": 1, "kappa": None}}
    # Only "a" is pairable: expected disagreement 0, alpha undefined even though "b" and "c"
    # occur elsewhere.
    assert report["alpha"] is None
    only_singles = agreement([(1, "ann", "a"), (2, "bob", "b")])
    assert only_singles == {"items": 0, "alpha": None, "by_annotator": {}, "pairs": {}}


def test_single_label_everywhere():
    rows = [(i, name, "same") for i in range(12) for name in ("ann", "bob", "cy")]
    report = agreement(rows)
    assert report["items"] == 12
    assert report["alpha"] is None
    assert all(v == {"items": 12, "agree": 1.0} for v in report["by_annotator"].values())
    assert report["pairs"]["ann|bob"] == {"items": 12, "kappa": None}
    assert cohen_kappa(["x"] * 5, ["x"] * 5) is None


def test_min_pair_items_filters_pairs():
    rows = [(i, name, "ab"[i % 2]) for i in range(5) for name in ("ann", "bob")]
    assert list(agreement(rows, min_pair_items=5)["pairs"]) == ["ann|bob"]
    assert agreement(rows, min_pair_items=6)["pairs"] == {}


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_min_pair_items(bad):
    with pytest.raises(InputError, match="min_pair_items"):
        agreement([], min_pair_items=bad)


@pytest.mark.parametrize("row", [(1, "ann"), 5, (1, "ann", ["a"])])
def test_malformed_rows_name_the_row(row):
    with pytest.raises(InputError, match=r"\(item, annotator, label\).*row 1"):
        agreement([(0, "ann", "a"), row])


def test_length_mismatch():
    with pytest.raises(InputError, match="same length"):
        cohen_kappa(["a"], ["a", "b"])
    with pytest.raises(InputError, match="same length"):
        krippendorff_alpha_nominal([1, 2], ["a"])


def test_report_is_json_able():
    import json

    rows = _rows_from_table(TEXTBOOK)
    report = agreement(rows, min_pair_items=1)
    assert json.loads(json.dumps(report)) == report


# --- property tests ---------------------------------------------------------------------------

ANNOTATORS = ["ann", "bob", "cy", "dee", "eve"]


@st.composite
def answer_rows(draw, max_items: int = 15, max_labels: int = 4, dense: bool = False):
    """Random answers of 2-5 annotators over up to 15 items, many of them missing.

    ``dense`` asks for at least one row per item on average, so that alpha is mostly defined.
    """
    n_annotators = draw(st.integers(2, len(ANNOTATORS)))
    n_items = draw(st.integers(1, max_items))
    labels = st.sampled_from("abcd"[: draw(st.integers(1, max_labels))])
    cells = st.lists(
        st.tuples(st.integers(0, n_items - 1), st.sampled_from(ANNOTATORS[:n_annotators]), labels),
        min_size=n_items if dense else 0,
        max_size=n_items * n_annotators,
    )
    return draw(cells)


@settings(max_examples=200, deadline=None)
@given(answer_rows() | answer_rows(dense=True))
def test_alpha_equals_the_krippendorff_package(rows):
    ours = agreement(rows)["alpha"]
    theirs = _reference_alpha(rows)
    if theirs is None:
        assert ours is None
    else:
        assert ours == pytest.approx(theirs, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(answer_rows(max_items=25) | answer_rows(max_items=25, dense=True))
def test_pair_kappa_equals_sklearn_and_ignores_pair_order(rows):
    report = agreement(rows, min_pair_items=1)
    last = {(item, annotator): label for item, annotator, label in rows}
    for key, pair in report["pairs"].items():
        first, second = key.split("|")
        assert first < second
        shared = sorted(i for i, a in last if a == first and (i, second) in last)
        a = [last[i, first] for i in shared]
        b = [last[i, second] for i in shared]
        assert pair["items"] == len(shared)
        assert cohen_kappa(a, b) == cohen_kappa(b, a) == pair["kappa"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = cohen_kappa_score(a, b)
        if pair["kappa"] is None:
            assert np.isnan(reference)
        else:
            assert pair["kappa"] == pytest.approx(reference, abs=1e-9)
    # Every pair with shared items is listed, once.
    by_item: dict = {}
    for item, annotator in last:
        by_item.setdefault(item, set()).add(annotator)
    expected = {
        f"{x}|{y}" for names in by_item.values() for x in names for y in names if x < y
    }
    assert set(report["pairs"]) == expected


@settings(max_examples=100, deadline=None)
@given(answer_rows(), st.randoms(use_true_random=False))
def test_alpha_and_pairs_do_not_depend_on_row_order(rows, rnd):
    # Row order only matters for repeats (last wins) and by_annotator's tie-breaks.
    last = {(item, annotator): label for item, annotator, label in rows}
    unique_rows = [(item, annotator, label) for (item, annotator), label in last.items()]
    shuffled = unique_rows[:]
    rnd.shuffle(shuffled)
    one, two = agreement(unique_rows, min_pair_items=1), agreement(shuffled, min_pair_items=1)
    assert one["items"] == two["items"]
    assert one["pairs"].keys() == two["pairs"].keys()
    for key, pair in one["pairs"].items():
        assert pair["items"] == two["pairs"][key]["items"]
        if pair["kappa"] is None:
            assert two["pairs"][key]["kappa"] is None
        else:
            assert pair["kappa"] == pytest.approx(two["pairs"][key]["kappa"], abs=1e-12)
    if one["alpha"] is None:
        assert two["alpha"] is None
    else:
        assert one["alpha"] == pytest.approx(two["alpha"], abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(answer_rows() | answer_rows(dense=True))
def test_by_annotator_matches_a_plain_loop(rows):
    """by_annotator against a direct, slow reading of its definition."""
    last: dict = {}
    for position, (item, annotator, label) in enumerate(rows):
        last.pop((item, annotator), None)  # re-insert: dict order = kept rows' input order
        last[item, annotator] = (label, position)
    expected: dict = {}
    for (item, annotator), (label, _) in last.items():
        others = sorted(
            (pos, lab) for (i, a), (lab, pos) in last.items() if i == item and a != annotator
        )
        if not others:
            continue
        counts: dict = {}
        for _, lab in others:  # in input order, so max() keeps the earliest of tied labels
            counts[lab] = counts.get(lab, 0) + 1
        majority = max(counts, key=counts.get)
        n, agreed = expected.get(annotator, (0, 0))
        expected[annotator] = (n + 1, agreed + (label == majority))
    report = agreement(rows)
    assert report["by_annotator"] == {
        name: {"items": n, "agree": pytest.approx(agreed / n)}
        for name, (n, agreed) in expected.items()
    }


@settings(max_examples=100, deadline=None)
@given(answer_rows())
def test_perfect_agreement(rows):
    truth = {item: label for item, _, label in rows}
    rows = [(item, annotator, truth[item]) for item, annotator, _ in rows]
    report = agreement(rows, min_pair_items=1)
    assert all(v["agree"] == 1.0 for v in report["by_annotator"].values())
    # Alpha is 1 unless it is undefined (no pairable item, or one label value in all of them).
    assert report["alpha"] in (1.0, None)
    if report["alpha"] is None:
        assert _reference_alpha(rows) is None
    else:
        assert report["alpha"] == pytest.approx(1.0, abs=1e-12)
    assert all(p["kappa"] in (1.0, None) for p in report["pairs"].values())


@settings(max_examples=100, deadline=None)
@given(answer_rows())
def test_ranges(rows):
    report = agreement(rows, min_pair_items=1)
    assert report["alpha"] is None or report["alpha"] <= 1.0 + 1e-12
    for value in report["by_annotator"].values():
        assert value["items"] >= 1
        assert 0.0 <= value["agree"] <= 1.0
    for pair in report["pairs"].values():
        assert pair["kappa"] is None or -1.0 - 1e-12 <= pair["kappa"] <= 1.0 + 1e-12


# --- simulated annotators ---------------------------------------------------------------------


def _simulated_rows(seed: int, n_items: int = 2000) -> list[tuple[int, str, str]]:
    """A truth over 4 labels and 4 annotators with known flip rates, 2-3 of them per item."""
    rng = random.Random(seed)
    error_rates = {"careful": 0.02, "good": 0.05, "hasty": 0.10, "sloppy": 0.30}
    labels = ["w", "x", "y", "z"]
    rows = []
    for item in range(n_items):
        truth = rng.choice(labels)
        for name in rng.sample(list(error_rates), rng.choice([2, 3])):
            flipped = rng.random() < error_rates[name]
            label = rng.choice([lab for lab in labels if lab != truth]) if flipped else truth
            rows.append((item, name, label))
    rng.shuffle(rows)
    return rows


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_simulated_weakest_annotator_ranks_lowest(seed):
    report = agreement(_simulated_rows(seed))
    by = report["by_annotator"]
    assert min(by, key=lambda name: by[name]["agree"]) == "sloppy"
    assert by["careful"]["agree"] > by["sloppy"]["agree"] + 0.15
    # Every pair kappa involving the sloppy annotator is below every pair without it.
    with_sloppy = [p["kappa"] for k, p in report["pairs"].items() if "sloppy" in k]
    without = [p["kappa"] for k, p in report["pairs"].items() if "sloppy" not in k]
    assert max(with_sloppy) < min(without)
    assert 0.5 < report["alpha"] < 0.95
    assert report["alpha"] == pytest.approx(_reference_alpha(_simulated_rows(seed)), abs=1e-9)


# --- speed and weight -------------------------------------------------------------------------


def test_fast_on_20000_answers():
    rng = random.Random(0)
    names = [f"annotator{i}" for i in range(10)]
    rows = []
    for item in range(10_000):
        for name in rng.sample(names, 2):
            rows.append((item, name, rng.choice("wxyz")))
    agreement(rows)  # warm numpy's code paths
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        report = agreement(rows)
        best = min(best, time.perf_counter() - start)
    assert report["items"] == 10_000
    assert len(report["pairs"]) == 45
    assert best < 0.5, f"agreement() took {best:.3f} s on 20,000 answers"


def test_does_not_import_heavy_libraries():
    code = (
        "import sys; import hilt.quality.agreement; "
        "print(sorted(m for m in ('sklearn', 'scipy', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

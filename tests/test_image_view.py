"""hilt.project.image_view: which shown columns are the pixels of a square image."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hilt.errors import InputError
from hilt.project.image_view import (
    MIN_SIDE,
    ImageView,
    check_image_setting,
    find_image,
    grey_levels,
    image_view,
)

sides = st.integers(MIN_SIDE, 30)
starts = st.sampled_from([0, 1])
prefixes = st.sampled_from(["px", "pixel", "pixel_", "p-", "", "x"])
joiners = st.sampled_from(["_", "x", "-", "c"])
others = st.lists(st.sampled_from(["id_no", "age", "note", "source", "height_cm"]), unique=True, max_size=4)


def one_number(prefix, side, start, width=0):
    return [f"{prefix}{k:0{width}d}" for k in range(start, start + side * side)]


def two_numbers(prefix, joiner, side, start):
    return [f"{prefix}{r}{joiner}{c}" for r in range(start, start + side) for c in range(start, start + side)]


@given(prefixes, sides, starts, others, st.randoms(use_true_random=False), st.integers(0, 3))
def test_numbered_pixels_in_any_column_order_are_found_row_major(prefix, side, start, extra, rng, width):
    pixels = one_number(prefix, side, start, width)
    columns = pixels + extra
    rng.shuffle(columns)  # the file's column order does not matter: the numbers do
    view = find_image(columns)
    assert view == ImageView(side, tuple(pixels))


@given(prefixes, joiners, sides, starts, others, st.randoms(use_true_random=False))
def test_row_and_column_numbered_pixels_are_found_row_major(prefix, joiner, side, start, extra, rng):
    if prefix.endswith("x") and joiner == "x":
        prefix += "_"
    pixels = two_numbers(prefix, joiner, side, start)
    columns = extra + pixels
    rng.shuffle(columns)
    view = find_image(columns)
    assert view is not None and view.side == side
    assert view.pixels == tuple(pixels)  # first number the row: pixel (r, c) at r * side + c


@given(prefixes, sides, starts, st.data())
def test_a_missing_pixel_gives_no_image(prefix, side, start, data):
    """One pixel hidden from annotators (so not among the shown columns) leaves no square."""
    pixels = one_number(prefix, side, start)
    gone = data.draw(st.integers(0, len(pixels) - 1))
    assert find_image(pixels[:gone] + pixels[gone + 1:]) is None


@given(prefixes, sides, st.integers(2, 9))
def test_numbers_that_do_not_start_at_0_or_1_give_no_image(prefix, side, start):
    assert find_image(one_number(prefix, side, start)) is None


@given(st.integers(1, MIN_SIDE - 1), starts)
def test_small_squares_are_not_images_by_name(side, start):
    assert find_image(one_number("feature_", side, start)) is None


@given(prefixes, sides)
def test_a_repeated_number_gives_no_image(prefix, side):
    pixels = one_number(prefix, side, 0)
    pixels[-1] = f"{prefix}0{1}"  # reads as 1, like pixels[1]
    assert find_image(pixels) is None


def test_grid_that_is_not_square_is_no_image():
    assert find_image([f"r{r}c{c}" for r in range(4) for c in range(8)]) is None
    assert find_image([f"r{r}c{c}" for r in range(8) for c in range(8)]).side == 8


def test_the_largest_group_is_the_image():
    small = one_number("a", 4, 0)
    big = two_numbers("pixel_", "_", 8, 0)
    assert find_image(small + big).pixels == tuple(big)
    assert find_image(big + small).pixels == tuple(big)


def test_known_data_sets():
    from sklearn.datasets import load_digits

    digits = load_digits(as_frame=True).frame.drop(columns="target")
    assert find_image(list(digits.columns)).side == 8
    assert find_image([f"pixel{k}" for k in range(784)]).side == 28  # Kaggle's digit recognizer
    mnist_csv = [f"{r}x{c}" for r in range(1, 29) for c in range(1, 29)]
    assert find_image(["label"] + mnist_csv).pixels[:3] == ("1x1", "1x2", "1x3")
    assert find_image(["sepal_length", "sepal_width", "petal_length", "petal_width"]) is None
    assert find_image([f"feature_{c:02d}_mean" for c in range(30)]) is None


def test_settings_off_and_named_columns():
    columns = ["note"] + one_number("px", 4, 0)
    assert image_view(columns, "off") is None
    assert image_view(columns, None).side == 4
    # Named: any square count, in the order given (patterns in the order of their numbers).
    named = ["b1", "a1", "b2", "a2"]
    assert image_view(named + ["note"], named).pixels == tuple(named)
    shuffled = one_number("q", 3, 0)
    random.Random(1).shuffle(shuffled)
    assert image_view(shuffled, ["q*"]).pixels == tuple(one_number("q", 3, 0))
    assert check_image_setting(" Auto ", columns) == "auto"
    assert check_image_setting("px0,px1,px2,px3", columns) == ["px0", "px1", "px2", "px3"]


@pytest.mark.parametrize("setting, message", [
    ("px0,px1,px2", "square number"),
    ("nope*", "named none"),
    (["px0", 3], "list of column names"),
    ("", "list of column names"),
    ("px0", "square number"),
])
def test_bad_settings_say_what_was_expected(setting, message):
    with pytest.raises(InputError, match=message):
        check_image_setting(setting, ["note"] + one_number("px", 4, 0))


def test_named_pixels_that_are_hidden_now_give_no_image():
    assert image_view(["a", "b", "c"], ["a", "b", "c", "d"]) is None


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=64))
def test_grey_levels_span_the_row(values):
    levels = grey_levels(values)
    assert len(levels) == len(values) and all(0 <= g <= 255 for g in levels)
    if max(values) > min(values):
        assert levels[values.index(min(values))] == 0 and levels[values.index(max(values))] == 255


def test_split_keeps_the_other_fields_and_refuses_non_numbers():
    view = find_image(one_number("px", 4, 0))
    row = {f"px{k}": k for k in range(16)} | {"note": "x"}
    values, rest = view.split(row)
    assert values == [float(k) for k in range(16)] and rest == {"note": "x"}
    assert view.split(row | {"px3": None}) is None
    assert view.split(row | {"px3": float("nan")}) is None

"""A row of pixels is drawn as an image on the labelling page (hilt.project.image_view), in a real
Chromium against the server in this process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from conftest import screenshots_folder, server_in_this_process
from helpers import api, current_id, open_page, press_and_next, wait_saved
from hilt.project import Project

pytestmark = pytest.mark.browser

DIGITS = [str(d) for d in range(10)]


def digits_project(tmp_path, n=40, **options):
    """scikit-learn's 8x8 digits (pixel_0_0..pixel_7_7, values 0-16), a shown ``writer`` column
    and the answer in a ``target`` column annotators must not see."""
    from sklearn.datasets import load_digits

    frame = load_digits(as_frame=True).frame.head(n).copy()
    frame.insert(0, "id", [f"d{k}" for k in range(n)])
    frame["writer"] = [f"person {k % 3}" for k in range(n)]
    frame["target"] = frame["target"].map(lambda d: f"digit {d}")
    path = tmp_path / "digits.hilt"
    with Project.create(path, frame, DIGITS, id_column="id", hide_columns=["target"],
                        text_column=None, feature_columns=[c for c in frame if c.startswith("pixel_")],
                        **options) as project:
        assert project.image_view.side == 8
        token = project.add_annotator("ana")
    return path, token, frame.set_index("id")


def shown_pixels(page):
    """The canvas' own pixels, row-major, as grey levels (the red channel)."""
    return page.evaluate(
        "() => { const c = document.querySelector('#item-image');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " return Array.from({length: c.width * c.height}, (_, k) => d[4 * k]); }")


def test_a_digits_row_is_a_canvas_with_the_other_fields_beside_it(tmp_path, browser_context):
    path, token, frame = digits_project(tmp_path)
    with server_in_this_process(path) as base:
        page, errors = open_page(browser_context, f"{base}/?token={token}", width=1280)
        item_id = current_id(page)
        expect(page.locator("#item-image")).to_be_visible()
        size = page.evaluate(
            "() => { const c = document.querySelector('#item-image'); const r = c.getBoundingClientRect();"
            " return [c.width, c.height, r.width, r.height, getComputedStyle(c).imageRendering]; }")
        assert size[:2] == [8, 8]
        assert size[2] == size[3] and size[2] % 8 == 0 and size[2] >= 200, size  # whole screen px per pixel
        assert size[4] == "pixelated"
        # No 64-row table: the other shown field alone, and never the hidden answer.
        rows = page.eval_on_selector_all("#item-table tr", "rs => rs.map(r => r.cells[0].textContent)")
        assert rows == ["writer"]
        assert "digit" not in page.inner_text("#item")
        # Darkest where the digit's value is highest (ink on paper), from the row's min..max.
        values = [frame.loc[item_id, f"pixel_{r}_{c}"] for r in range(8) for c in range(8)]
        grey = shown_pixels(page)
        high, low = max(values), min(values)
        for value, level in zip(values, grey):
            assert abs(level - (255 - round(255 * (value - low) / (high - low)))) <= 1
        # The table sits beside the image on a wide screen.
        image_box = page.locator("#item-image").bounding_box()
        table_box = page.locator("#item-table").bounding_box()
        assert table_box["x"] >= image_box["x"] + image_box["width"]
        page.screenshot(path=str(screenshots_folder(tmp_path) / "digits.png"))

        # Labelling by key works on it: the digit's own key, and the next digit is drawn.
        labelled = [press_and_next(page, str(frame.loc[current_id(page), "target"])[-1]) for _ in range(3)]
        wait_saved(page)
        assert len(set(labelled)) == 3
        status = api(base, token, "/api/status").json()
        assert status["n_answered"] == 3 and sum(status["by_label"].values()) == 3
        expect(page.locator("#item-image")).to_be_visible()
        assert errors == []


def test_image_off_lists_the_row_again(tmp_path, browser_context):
    path, token, _ = digits_project(tmp_path, n=12)
    with Project.open(path) as project:
        assert project.set_image_columns("off") is None
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        page.goto(f"{base}/?token={token}")
        current_id(page)
        assert page.is_hidden("#item-image")
        assert page.locator("#item-table tr").count() == 65  # 64 pixels + writer


def test_a_digits_row_fits_a_narrow_screen(tmp_path, browser_context):
    path, token, _ = digits_project(tmp_path, n=12)
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/?token={token}")
        current_id(page)
        expect(page.locator("#item-image")).to_be_visible()
        box = page.locator("#item-image").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["width"] >= 200
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(tmp_path / "digits-narrow.png"), full_page=True)


def test_a_table_without_pixels_has_no_canvas(tmp_path, browser_context):
    numbers = pd.DataFrame({"id": ["a", "b"], "height_cm": [181.5, 162.0], "age": [34, 51]})
    with Project.create(tmp_path / "people.hilt", numbers, ["yes", "no"], id_column="id") as project:
        token = project.add_annotator("tab")
    with server_in_this_process(tmp_path / "people.hilt") as base:
        page = browser_context.new_page()
        page.goto(f"{base}/?token={token}")
        current_id(page)
        assert page.get_attribute("#item", "data-image") is None
        assert page.is_hidden("#item-image") and page.locator("#item-table tr").count() == 2


def test_the_review_page_draws_the_digit_too(tmp_path, browser_context):
    """Two people disagree on a digit; the reviewer sees it drawn, the answer column still hidden."""
    path, _, frame = digits_project(tmp_path, n=12, overlap=1.0, annotators_per_item=2)
    with Project.open(path) as project:
        reviewer = project.add_annotator("rita", reviewer=True)
        first = str(frame.index[0])
        project.answer(first, "3", "alice")
        project.answer(first, "5", "bob")
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        page.goto(f"{base}/review?token={reviewer}")
        page.wait_for_selector("#item[data-item-id]")
        expect(page.locator("#item-image")).to_be_visible()
        assert page.evaluate("() => [document.querySelector('#item-image').width,"
                             " document.querySelector('#item-image').height]") == [8, 8]
        rows = page.eval_on_selector_all("#item-table tr", "rs => rs.map(r => r.cells[0].textContent)")
        assert rows == ["writer"] and "digit" not in page.inner_text("#item")


def test_an_mnist_row_is_drawn_28x28_not_23000_px_of_numbers(tmp_path, browser_context):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.integers(0, 256, size=(6, 784)), columns=[f"px{k}" for k in range(784)])
    frame.insert(0, "id", [f"m{k}" for k in range(6)])
    path = tmp_path / "mnist.hilt"
    with Project.create(path, frame, DIGITS, id_column="id") as project:
        token = project.add_annotator("ana")
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{base}/?token={token}")
        current_id(page)
        facts = page.evaluate(
            "() => { const c = document.querySelector('#item-image');"
            " return [c.width, c.height, c.getBoundingClientRect().width,"
            " document.querySelector('#item').getBoundingClientRect().height]; }")
        assert facts[:3] == [28, 28, 280]  # 10 screen px a pixel
        assert facts[3] < 400 and page.is_hidden("#item-table")

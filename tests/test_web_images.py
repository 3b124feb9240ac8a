"""Images labelled through the browser with the items' own vectors as the features: the image
column's files are shown as <img> (served from the image folder), the vectors never are."""

from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest
from playwright.sync_api import expect

from conftest import server_in_this_process
from helpers import api, current_id, open_page, press_and_next, wait_saved
from hilt.project import Project

pytestmark = pytest.mark.browser

DIGITS = [str(d) for d in range(10)]


def digit_pictures(tmp_path, n=30):
    """``n`` of scikit-learn's 8x8 digits as PNG files in ``tmp_path/png/<digit>/``, and a JSONL
    file naming each with its 64 pixel values as a vectors column (the answer kept apart)."""
    import matplotlib.image
    from sklearn.datasets import load_digits

    digits = load_digits()
    folder = tmp_path / "png"
    rows, truth = [], {}
    for k in range(n):
        name = f"{digits.target[k]}/digit {k:02d}.png"  # a folder and a space: the URL escapes both
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        matplotlib.image.imsave(folder / name, digits.images[k], cmap="gray_r", vmin=0, vmax=16)
        rows.append({"id": f"d{k:02d}", "file": name, "vec": digits.data[k].tolist()})
        truth[f"d{k:02d}"] = str(digits.target[k])
    data = tmp_path / "digits.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return data, folder, truth


def test_digits_are_labelled_by_their_pictures_and_the_model_learns_their_vectors(tmp_path, browser_context):
    data, folder, truth = digit_pictures(tmp_path)
    path = tmp_path / "digits.hilt"
    with Project.create(path, data, DIGITS, id_column="id", features="vectors:vec", image_column="file",
                        image_folder=folder, retrain_every=4, eval_share=0.0, seed=0) as project:
        assert project.featurizer.name == "vectors:vec" and project.hidden_columns == ["vec"]
        token = project.add_annotator("ana")
    with server_in_this_process(path) as base:
        page, errors = open_page(browser_context, f"{base}/?token={token}")
        labelled = []
        for _ in range(6):
            item_id = current_id(page)
            picture = page.locator("#item-picture")
            expect(picture).to_be_visible()
            # The item's own picture, loaded.
            own = re.compile(rf"^/media/{truth[item_id]}/digit%20{item_id[1:]}\.png$")
            expect(picture).to_have_attribute("src", own)
            page.wait_for_function("() => { const img = document.querySelector('#item-picture');"
                                   " return img.complete && img.naturalWidth > 0; }")
            assert page.evaluate("() => [document.querySelector('#item-picture').naturalWidth,"
                                 " document.querySelector('#item-picture').naturalHeight]") == [8, 8]
            # Neither the path as text nor the 64 numbers: the picture is the item.
            assert page.locator("#item-table tr").count() == 0 and "vec" not in page.inner_text("#item")
            labelled.append(press_and_next(page, truth[item_id]))
            # The page shows the preview of the next item at once; the server's reply may then hand
            # over another one (a retrain reordered the queue): check the item the page settles on.
            wait_saved(page)
        wait_saved(page)
        status = api(base, token, "/api/status").json()
        assert status["n_answered"] == 6 and status["features"] == "vectors:vec"
        assert sum(status["by_label"].values()) == 6
        deadline = time.monotonic() + 20
        while not status["runs"] and time.monotonic() < deadline:  # retrain_every=4: one run in the background
            time.sleep(0.1)
            status = api(base, token, "/api/status").json()
        assert status["runs"] and status["runs"][-1]["n_train"] >= 4
        assert errors == []
    with Project.open(path) as project:
        project.export(tmp_path / "labels.jsonl")
        X, _, _ = project._features.get(project._store)
    assert X.shape == (30, 64) and np.isclose(X.max(), 16)  # the model saw the pixel vectors
    rows = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text().splitlines()]
    key = "item_id" if "item_id" in rows[0] else "id"
    assert {row[key]: row["label"] for row in rows} == {k: truth[k] for k in labelled}

"""The labelling page shows another model's suggestion before the answer; Enter accepts it and the
server records whether the answer kept it."""

from __future__ import annotations

import json

import httpx
import pandas as pd
import pytest
from playwright.sync_api import expect

from conftest import server_in_this_process
from helpers import current_id, open_page, press_and_next, wait_saved
from hilt import Project

pytestmark = pytest.mark.browser


def test_the_suggestion_shows_before_the_answer_and_enter_accepts_it(tmp_path, browser_context):
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(12)],
                          "text": [f"{'a fine' if i % 2 else 'a dull'} film, number {i}" for i in range(12)]})
    path = tmp_path / "p.hilt"
    # No evaluation sample: every item carries its suggestion (none is withheld to hide one).
    with Project.create(path, frame, ["fresh", "rotten"], id_column="id", features="tfidf", eval_share=0.0,
                        retrain_every=1000) as project:
        project.import_suggestions([(f"r{i}", "fresh" if i % 2 else "rotten", 0.9) for i in range(12)],
                                   source="<b>zero-shot</b>")
        token = project.add_annotator("ada")
    with server_in_this_process(path) as base:
        page, errors = open_page(browser_context, f"{base}/?token={token}")
        first = current_id(page)
        banner = page.locator("#suggestion")
        expect(banner).to_be_visible()
        suggested = "fresh" if int(first[1:]) % 2 else "rotten"
        expect(banner).to_contain_text("suggested by <b>zero-shot</b>")  # the name as text, markup inert
        expect(banner.locator(".suggestion-label")).to_have_text(suggested)
        expect(banner).to_contain_text("90 % sure")
        assert press_and_next(page, "Enter") == first
        second = current_id(page)
        other = "1" if ("fresh" if int(second[1:]) % 2 else "rotten") == "rotten" else "2"  # the other label's key
        press_and_next(page, other)
        wait_saved(page)
        assert errors == []
        reply = httpx.get(base + "/api/export?include_retracted=true", headers={"Authorization": f"Bearer {token}"})
        rows = {row["item_id"]: row for row in map(json.loads, reply.text.splitlines())}
        assert (rows[first]["label"], rows[first]["kept_suggestion"]) == (suggested, 1)
        assert rows[second]["kept_suggestion"] == 0

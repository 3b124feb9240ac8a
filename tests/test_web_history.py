"""The labelling page's history list (issue 11): recent answers, any of them changeable."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import expect

from conftest import server_in_this_process
from helpers import current_id, press_and_next, reviews_project, wait_saved

pytestmark = pytest.mark.browser


def export(base, token, include_retracted=False):
    url = base + "/api/export" + ("?include_retracted=true" if include_retracted else "")
    reply = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return [json.loads(line) for line in reply.text.splitlines() if line.strip()]


def history_entries(page):
    return page.eval_on_selector_all(
        "#history-list .history-entry",
        "lis => lis.map(li => [li.dataset.itemId, li.querySelector('.history-label').textContent])")


def test_change_an_earlier_answer_from_the_history_list(tmp_path, browser_context):
    """Label 3 items, change the first one's label from the list: the export has the new label,
    and the old answer is kept (retracted) in the export of every answer."""
    path, token, _ = reviews_project(tmp_path, n=30)
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        page.goto(f"{base}/?token={token}")
        labelled = [press_and_next(page, key) for key in "121"]
        wait_saved(page)
        page.wait_for_function("() => document.querySelectorAll('#history-list .history-entry').length === 3")
        assert history_entries(page) == [[labelled[2], "fresh"], [labelled[1], "rotten"], [labelled[0], "fresh"]]
        snippet = page.text_content(f"#history-list li[data-item-id='{labelled[0]}'] .history-snippet")
        assert snippet and len(snippet) <= 120

        shown = current_id(page)
        page.click(f"#history-list li[data-item-id='{labelled[0]}'] .history-open")
        page.click(f"#history-list li[data-item-id='{labelled[0]}'] .history-choice[data-label='rotten']")
        page.wait_for_function(
            "(id) => { const li = document.querySelector('#history-list .history-entry'); "
            "return li && li.dataset.itemId === id && li.querySelector('.history-label').textContent === 'rotten'; }",
            arg=labelled[0])
        expect(page.locator("#feedback")).to_contain_text("Changed item " + labelled[0])
        assert current_id(page) == shown  # the item on screen stays; keys label it as before

        current = {row["item_id"]: row["label"] for row in export(base, token)}
        assert current == {labelled[0]: "rotten", labelled[1]: "rotten", labelled[2]: "fresh"}
        every = [(row["label"], row["retracted"]) for row in export(base, token, True) if row["item_id"] == labelled[0]]
        assert every == [("fresh", True), ("rotten", False)]

        # A reload lists the same answers, the changed one first.
        page.reload()
        page.wait_for_function("() => document.querySelectorAll('#history-list .history-entry').length === 3")
        assert history_entries(page)[0] == [labelled[0], "rotten"]

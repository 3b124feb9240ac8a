"""The guidelines panel, the label descriptions and the focus clock on the labelling page, in a
real browser: ? and the button toggle the panel (open on the first visit), a description is its
button's title, and an answer carries the seconds the item had the focus (blur pauses the clock,
the idle cap stops it)."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from playwright.sync_api import expect

from conftest import server_in_this_process
from helpers import current_id, open_page
from hilt.project import Project

GUIDE = "# How to label\n\nSarcasm counts as **neg**. See [the handbook](https://example.org/handbook)."


@pytest.fixture
def described_project(tmp_path):
    frame = pd.DataFrame({"id": [f"r{k}" for k in range(6)], "text": [f"review number {k}" for k in range(6)]})
    path = tmp_path / "guided.hilt"
    with Project.create(path, frame, ["pos", "neg"], id_column="id", eval_share=0, features="tfidf",
                        retrain_every=100) as project:
        project.set_guidelines(GUIDE)
        project.set_label_descriptions({"neg": "Any complaint, sarcasm too"})
        token = project.add_annotator("ana")
    return path, token


def stored_seconds(path) -> dict[str, float]:
    with Project.open(path) as project:
        return {row["item_id"]: row["seconds"] for row in project.export_rows(include_retracted=True)}


def test_guidelines_panel_descriptions_and_focus_seconds(described_project, browser_context, monkeypatch):
    path, token = described_project
    monkeypatch.setenv("HILT_IDLE_SECONDS", "1.5")  # the page's idle cap, short for the test
    with server_in_this_process(path) as base:
        page, errors = open_page(browser_context, f"{base}/?token={token}")
        first = current_id(page)
        shown_first = time.monotonic()  # what the page may count is at most the time that passed
        panel = page.locator("#guidelines")
        expect(panel).to_be_visible()  # the first visit opens it
        expect(panel.locator("h1")).to_have_text("How to label")
        expect(panel.locator("a")).to_have_attribute("href", "https://example.org/handbook")
        page.keyboard.press("?")
        expect(panel).to_be_hidden()
        page.keyboard.press("?")
        expect(panel).to_be_visible()
        page.click("#guidelines-toggle")
        expect(panel).to_be_hidden()
        neg = page.locator(".choice[data-label='neg']")
        expect(neg).to_have_attribute("title", "Any complaint, sarcasm too")
        expect(neg.locator(".choice-description")).to_have_text("Any complaint, sarcasm too")
        assert page.locator(".choice[data-label='pos']").get_attribute("title") is None
        assert page.evaluate("() => window.hiltTiming.running()")

        # About a second on the first item (no key or mouse needed below the idle cap).
        page.wait_for_timeout(1000)
        page.keyboard.press("1")
        shown_second = time.monotonic()
        upto_first = shown_second - shown_first
        second = page.locator("#item").get_attribute("data-item-id")
        assert second != first
        # The second item: 0.8 s away from the window (blur), then 0.5 s with the focus.
        page.evaluate("() => window.dispatchEvent(new Event('blur'))")
        assert not page.evaluate("() => window.hiltTiming.running()")
        page.wait_for_timeout(800)
        page.evaluate("() => window.dispatchEvent(new Event('focus'))")
        page.wait_for_timeout(500)
        page.keyboard.press("2")
        upto_second = time.monotonic() - shown_second - 0.8  # the blurred 0.8 s at least, not counted
        third = page.locator("#item").get_attribute("data-item-id")
        # The third: 2.5 s without a key or the mouse, the clock stopped at the 1.5 s cap.
        page.wait_for_timeout(2500)
        page.keyboard.press("1")
        page.wait_for_function("() => window.hilt.pending() === 0 && window.hilt.state.saved === 3")
        assert errors == []
    seconds = stored_seconds(path)
    # Each at least the time waited with the focus, at most the time that passed in the test (less
    # the blur): on a busy machine every step takes longer, and the page counts all of it.
    slack = 0.15  # the page's and the test's clocks read a few milliseconds apart
    assert 0.9 <= seconds[first] <= upto_first + slack, (seconds, upto_first)
    assert 0.4 <= seconds[second] <= upto_second + slack, (seconds, upto_second)
    assert 1.4 <= seconds[third] <= 1.9, seconds  # stopped at the idle cap (1.5 s), whatever passed

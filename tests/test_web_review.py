"""The review page (issue 13) in a real Chromium against `hilt serve` as a subprocess.

Two annotators label the same items (overlap) and disagree on some; a reviewer settles them by
keyboard on ``/review``. Also takes the documentation's screenshot review.png (1280x800): into the
test's folder, or into docs/img with ``make screenshots``.
"""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import expect

from conftest import running_server, screenshots_folder, server_in_this_process
from helpers import open_page
from hilt.datasets import load_movie_reviews
from hilt.project import Project

pytestmark = pytest.mark.browser

LABELS = ["fresh", "rotten"]
KEYS = {"fresh": "1", "rotten": "2"}


def other(label):
    return "rotten" if label == "fresh" else "fresh"


def team_project(tmp_path, n=30, disagree_every=4, **options):
    """alice labels as the data set says; bob contradicts her on every ``disagree_every``-th item.
    rita is a reviewer. Returns the path, the tokens and the items they disagree on, in order."""
    reviews = load_movie_reviews().head(n)
    truth = dict(zip(reviews["id"], reviews["sentiment"]))
    path = tmp_path / "movie-reviews-team.hilt"
    disagreements = []
    with Project.create(path, reviews[["id", "text"]], LABELS, text_column="text", id_column="id",
                        overlap=1.0, annotators_per_item=2, **options) as project:
        tokens = {name: project.add_annotator(name) for name in ("alice", "bob")}
        tokens["rita"] = project.add_annotator("rita", reviewer=True)
        for k, item_id in enumerate(reviews["id"]):
            project.answer(item_id, truth[item_id], "alice")
            if k % disagree_every == 0:
                project.answer(item_id, other(truth[item_id]), "bob")
                disagreements.append(item_id)
            else:
                project.answer(item_id, truth[item_id], "bob")
    return path, tokens, truth, disagreements


def export(base, token, include_retracted=False):
    url = base + "/api/export" + ("?include_retracted=true" if include_retracted else "")
    reply = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert reply.status_code == 200
    return [json.loads(line) for line in reply.text.splitlines() if line.strip()]


def shown_id(page):
    page.wait_for_selector("#item[data-item-id]")
    return page.get_attribute("#item", "data-item-id")


def wait_for_other_item(page, before):
    page.wait_for_function(
        "(before) => { const el = document.querySelector('#item'); "
        "return (el.dataset.itemId && el.dataset.itemId !== before) || !document.querySelector('#done').hidden; }",
        arg=before)


def answers_shown(page):
    return page.eval_on_selector_all(
        "#answers tbody tr",
        "rows => rows.map(r => [r.querySelector('th').firstChild.textContent, r.querySelector('.answer-label').textContent])")


def test_a_reviewer_settles_disagreements_by_keyboard(tmp_path, browser_context):
    path, tokens, truth, disagreements = team_project(tmp_path)
    with running_server(path) as base:
        # The labelling page links to the review page for a reviewer.
        page, errors = open_page(browser_context, f"{base}/?token={tokens['rita']}", width=1280)
        page.click("#review-link")
        page.wait_for_url(base + "/review")

        # The oldest disagreement comes first, with both answers and who gave them; the final
        # label is the earlier answer's (a tie), alice's.
        first = shown_id(page)
        assert first == disagreements[0]
        expect(page.locator("#reason")).to_contain_text("Annotators disagree")
        assert answers_shown(page) == [["alice", truth[first]], ["bob", other(truth[first])]]
        expect(page.locator("#final-label")).to_have_text(truth[first])
        expect(page.locator("#item-text")).to_have_text(load_movie_reviews().set_index("id").loc[first, "text"])
        page.screenshot(path=str(screenshots_folder(tmp_path) / "review.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], widths
        page.screenshot(path=str(tmp_path / "review-390.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 800})

        # Decide for bob's label by its key: the new final label shows, saved, then the next item.
        decided = {first: other(truth[first])}
        page.keyboard.press(KEYS[decided[first]])
        page.wait_for_selector("#final-label.just-saved")
        expect(page.locator("#final-label")).to_have_text(decided[first])
        expect(page.locator("#save-state")).to_have_text("saved ✓")  # only after the server's commit
        final = {r["item_id"]: r for r in export(base, tokens["rita"])}
        assert (final[first]["label"], final[first]["annotator"]) == (decided[first], "rita")
        wait_for_other_item(page, first)

        # → passes an item over without deciding; u brings it back.
        second = shown_id(page)
        page.keyboard.press("ArrowRight")
        wait_for_other_item(page, second)
        assert shown_id(page) != second
        page.keyboard.press("u")
        page.wait_for_function("(id) => document.querySelector('#item').dataset.itemId === id", arg=second)
        assert {r["item_id"]: r for r in export(base, tokens["rita"])}[second]["annotator"] == "alice"

        # The rest by keyboard, the data set's label each time, until nothing is left to review.
        for _ in range(40):
            if page.is_visible("#done"):
                break
            item_id = shown_id(page)
            decided[item_id] = truth[item_id]
            page.keyboard.press(KEYS[truth[item_id]])
            wait_for_other_item(page, item_id)
        page.wait_for_selector("#done:not([hidden])")
        page.wait_for_function("() => window.hilt.pending() === 0")
        expect(page.locator("#done")).to_contain_text("Nothing to review")
        assert set(disagreements) <= set(decided)

        # The default export has the reviewer's label; the full one keeps every answer, by role.
        final = {r["item_id"]: r for r in export(base, tokens["rita"])}
        for item_id, label in decided.items():
            assert (final[item_id]["label"], final[item_id]["annotator"]) == (label, "rita")
        every = export(base, tokens["rita"], include_retracted=True)
        for item_id in disagreements:
            rows = [(r["annotator"], r["label"], r["role"]) for r in every if r["item_id"] == item_id]
            assert rows == [("alice", truth[item_id], "annotate"), ("bob", other(truth[item_id]), "annotate"),
                            ("rita", decided[item_id], "review")]
        assert not [r for r in every if r["role"] == "review" and r["item_id"] not in decided]
        status = httpx.get(base + "/api/status", headers={"Authorization": f"Bearer {tokens['rita']}"}).json()
        assert status["agreement"]["items"] == 30
        assert errors == []


def test_a_non_reviewer_gets_no_review_page_nor_link(tmp_path, browser_context):
    path, tokens, _, _ = team_project(tmp_path, n=8)
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        page.goto(f"{base}/?token={tokens['alice']}")
        page.wait_for_selector("header.bar")
        assert page.query_selector("#review-link") is None
        response = page.goto(base + "/review")
        assert response.status == 403
        expect(page.locator("main")).to_contain_text("Reviewers only")
        expect(page.locator("main")).to_contain_text("--reviewer")


def test_the_dashboard_shows_the_interval_and_agreement(tmp_path, browser_context):
    path, tokens, _, _ = team_project(tmp_path, n=60, eval_share=0.3)
    with Project.open(path) as project:
        project.retrain(wait=True)
        run = project.status()["runs"][-1]
    assert run["eval_ci"] is not None and run["n_eval"] > 1
    low, high = run["eval_ci"]
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{base}/dashboard?token={tokens['rita']}")
        # to_have_text normalises white space, the page's no-break spaces included.
        expect(page.locator("#latest-accuracy")).to_have_text(
            f"Latest: {run['eval_accuracy'] * 100:.0f} % (95 % CI {low * 100:.0f}–{high * 100:.0f} %) "
            f"on {run['n_eval']} evaluation items")
        expect(page.locator(".chart-wide .chart-band")).to_be_visible()
        expect(page.locator("#agreement-items")).to_have_text("60")
        expect(page.locator("#agreement-pairs")).to_contain_text("alice · bob")
        page.screenshot(path=str(tmp_path / "dashboard-review.png"), full_page=True)

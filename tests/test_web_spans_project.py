"""A spans project end to end in a real Chromium: a project made from a few texts, served, labelled
by keystrokes only on the labelling page; the answers are checked in the project's API, and the
time per item with the model's suggestions and without them (the ``s`` key hides them) is printed
(``-s`` shows it; no timing is asserted: the figures say how many keys a suggestion saves and
what a keystroke costs the page, not how fast a person is).
"""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest
from playwright.sync_api import expect

from conftest import server_in_this_process
from helpers import api, open_page
from hilt.project import Project
from hilt.project.keys import label_keys
from hilt.tasks.spans_text import tokenize

pytestmark = pytest.mark.browser

LABELS = ["PER", "LOC"]
KEYS = dict(zip(LABELS, label_keys(LABELS)))
PEOPLE = ["Grace Hopper", "Ada Lovelace", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra", "Barbara Liskov"]
PLACES = ["London", "Paris", "Oslo", "Nairobi", "Lima", "Kyoto"]
PATTERNS = ["{p} flew to {l} on Monday.", "In {l}, {p} gave a talk.", "{p} lives near {l} now.",
            "A letter from {p} reached {l}.", "{l} welcomed {p} warmly."]


def corpus():
    """Thirty texts, each with one person and one place, and their gold spans."""
    rows = []
    for k in range(30):
        person, place = PEOPLE[k % len(PEOPLE)], PLACES[(k * 5 + 1) % len(PLACES)]
        text = PATTERNS[k % len(PATTERNS)].format(p=person, l=place)
        spans = sorted([{"start": text.index(person), "end": text.index(person) + len(person), "label": "PER"},
                        {"start": text.index(place), "end": text.index(place) + len(place), "label": "LOC"}],
                       key=lambda s: s["start"])
        rows.append((f"t{k:02d}", text, spans))
    return rows


CORPUS = corpus()
GOLD = {item_id: spans for item_id, _, spans in CORPUS}
TEXTS = {item_id: text for item_id, text, _ in CORPUS}


def shown_marks(page):
    """The marks on the text: (start, end, label, suggested)."""
    return page.eval_on_selector_all(
        "#item-text mark.span-mark",
        "ms => ms.map(m => [Number(m.dataset.start), Number(m.dataset.end), m.dataset.label, m.classList.contains('suggested')])")


def go_to(page, token, presses):
    """Put the cursor on token number ``token`` (Home, then → as often as needed)."""
    page.keyboard.press("Home")
    presses.append("Home")
    for _ in range(token):
        page.keyboard.press("ArrowRight")
        presses.append("ArrowRight")


def label_by_keys(page, item_id, presses):
    """Mark the item's gold spans by keystrokes from what is shown (suggestions or not): a wrong
    mark is removed with Backspace, a missing one marked; Enter saves."""
    tokens = tokenize(TEXTS[item_id])
    gold = {(s["start"], s["end"], s["label"]) for s in GOLD[item_id]}
    first = {start: t for t, (start, _) in enumerate(tokens)}
    last = {end: t for t, (_, end) in enumerate(tokens)}
    for start, end, label, _ in shown_marks(page):
        if (start, end, label) not in gold:
            go_to(page, first[start], presses)
            page.keyboard.press("Backspace")
            presses.append("Backspace")
    shown = {(start, end, label) for start, end, label, _ in shown_marks(page)}
    for start, end, label in sorted(gold - shown):
        a, b = first[start], last[end]
        go_to(page, a, presses)
        for _ in range(b - a):
            page.keyboard.press("Shift+ArrowRight")
            presses.append("Shift+ArrowRight")
        page.keyboard.press(KEYS[label])
        presses.append(KEYS[label])
    page.keyboard.press("Enter")
    presses.append("Enter")


def current_id(page):
    """The id of the item shown once the server confirmed it (a preview shown the moment the
    last answer went may still be corrected: the marks are read off the confirmed item)."""
    page.wait_for_selector("#item[data-item-id][data-confirmed='1']")
    return page.get_attribute("#item", "data-item-id")


def next_shown(page, before):
    page.wait_for_function(
        "(before) => { const el = document.querySelector('#item'); return (el.dataset.itemId && "
        "el.dataset.itemId !== before) || !document.querySelector('#done').hidden; }", arg=before)


def test_people_mark_a_spans_project_by_keys_and_suggestions_save_keystrokes(tmp_path, browser_context):
    frame = pd.DataFrame({"id": [r[0] for r in CORPUS], "text": [r[1] for r in CORPUS]})
    path = tmp_path / "people.hilt"
    with Project.create(path, frame, LABELS, text_column="text", id_column="id", task="spans",
                        eval_share=0.0, retrain_every=3) as project:
        token = project.add_annotator("ana")
    with server_in_this_process(path) as base:
        page, errors = open_page(browser_context, f"{base}/?token={token}")
        assert page.get_attribute("#labeller", "data-task") == "spans"

        # Three items by keystrokes only, no model yet: no suggestions.
        timings = {"with": [], "without": []}
        done = []
        for _ in range(3):
            item_id = current_id(page)
            assert shown_marks(page) == []
            presses = []
            started = time.perf_counter()
            label_by_keys(page, item_id, presses)
            next_shown(page, item_id)
            timings["without"].append((time.perf_counter() - started, len(presses)))
            done.append(item_id)
        page.wait_for_function("() => window.hilt.pending() === 0")
        stored = {a["item_id"]: a["label"] for a in api(base, token, "/api/history?limit=50").json()["answers"]}
        assert {item_id: stored[item_id] for item_id in done} == {item_id: GOLD[item_id] for item_id in done}

        # Once a model is trained, the items come with its spans as suggestions (dashed).
        deadline = time.monotonic() + 120
        while not (api(base, token, "/api/status").json().get("runs") or []):
            assert time.monotonic() < deadline, "no model after 120 s"
            time.sleep(0.5)
        page.reload()
        suggested_items = 0
        for _ in range(12):
            item_id = current_id(page)
            if any(m[3] for m in shown_marks(page)):
                suggested_items += 1
                kind = "with"
            else:
                kind = "without"
            presses = []
            started = time.perf_counter()
            label_by_keys(page, item_id, presses)
            next_shown(page, item_id)
            timings[kind].append((time.perf_counter() - started, len(presses)))
            done.append(item_id)
        # Then the same without them: s hides them (the page remembers it from item to item).
        page.keyboard.press("s")
        expect(page.locator("#feedback")).to_contain_text("Suggestions hidden")
        for _ in range(6):
            item_id = current_id(page)
            assert not any(m[3] for m in shown_marks(page))
            presses = []
            started = time.perf_counter()
            label_by_keys(page, item_id, presses)
            next_shown(page, item_id)
            timings["without"].append((time.perf_counter() - started, len(presses)))
            done.append(item_id)
        page.wait_for_function("() => window.hilt.pending() === 0")

        stored = {a["item_id"]: a["label"] for a in api(base, token, "/api/history?limit=100").json()["answers"]}
        assert {item_id: stored[item_id] for item_id in done} == {item_id: GOLD[item_id] for item_id in done}
        assert suggested_items > 0, "the model suggested nothing on any item"
        for kind, rows in timings.items():
            if rows:
                seconds = sum(r[0] for r in rows) / len(rows)
                keys = sum(r[1] for r in rows) / len(rows)
                print(f"\nspans page, {kind} suggestions: {len(rows)} items, {seconds * 1000:.0f} ms and "
                      f"{keys:.1f} keystrokes per item")
        assert errors == []


def test_a_reviewer_sees_two_peoples_spans_side_by_side_and_decides_the_final_spans(tmp_path, browser_context):
    import httpx

    texts = {"r1": "Grace Hopper met Ada in London.", "r2": "Rain in Oslo today."}
    frame = pd.DataFrame({"id": list(texts), "text": list(texts.values())})
    path = tmp_path / "review.hilt"
    with Project.create(path, frame, LABELS, text_column="text", id_column="id", task="spans", eval_share=0.0,
                        overlap=1.0, annotators_per_item=2) as project:
        tokens = {name: project.add_annotator(name) for name in ("ana", "bob")}
        tokens["rita"] = project.add_annotator("rita", reviewer=True)
        given = {"ana": {"r1": [{"start": 0, "end": 12, "label": "PER"}, {"start": 24, "end": 30, "label": "LOC"}],
                         "r2": [{"start": 8, "end": 12, "label": "LOC"}]},
                 "bob": {"r1": [{"start": 0, "end": 5, "label": "PER"}, {"start": 24, "end": 30, "label": "PER"}],
                         "r2": [{"start": 8, "end": 12, "label": "LOC"}]}}
        for name, answers in given.items():
            for _ in answers:
                item = project.next_item(name)
                project.answer(item.id, answers[item.id], name)
    with server_in_this_process(path) as base:
        page, errors = open_page(browser_context, f"{base}/review?token={tokens['rita']}")
        assert page.get_attribute("#reviewer", "data-task") == "spans"
        page.wait_for_selector("#item[data-item-id='r1']")  # r2: both marked the same, nothing to review
        rows = page.eval_on_selector_all(
            "#answer-spans tbody tr",
            "rs => rs.map(r => [r.dataset.annotator, Array.from(r.querySelectorAll('mark')).map(m =>"
            " m.dataset.start + '-' + m.dataset.end + ' ' + m.dataset.label)])")
        assert sorted(rows) == [["ana", ["0-12 PER", "24-30 LOC"]], ["bob", ["0-5 PER", "24-30 PER"]]]
        # Two people, a tie: the final answer is the earliest voter's (ana's), marked on the text.
        assert shown_marks(page) == [[0, 12, "PER", False], [24, 30, "LOC", False]]
        # rita: Ada is a person too; Enter decides.
        page.keyboard.press("Home")
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.keyboard.press(KEYS["PER"])
        page.keyboard.press("Enter")
        next_shown(page, "r1")  # r2, should the model doubt it, or nothing left
        page.wait_for_function("() => window.hilt.pending() === 0")
        reply = httpx.get(base + "/api/export", headers={"Authorization": f"Bearer {tokens['rita']}"}, timeout=30)
        final = {row["item_id"]: row for row in map(json.loads, reply.text.splitlines())}
        assert final["r1"]["annotator"] == "rita"
        assert final["r1"]["label"] == [{"start": 0, "end": 12, "label": "PER"}, {"start": 17, "end": 20, "label": "PER"},
                                        {"start": 24, "end": 30, "label": "LOC"}]
        assert errors == []

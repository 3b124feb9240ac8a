"""The spans widget in a real Chromium: the labelling page of a spans project (the real
label.html, hilt.css, net.js, page.js, spans.js and label.js) on items whose text has emoji and a
CRLF, driven by keystrokes only (move, extend, mark with a label's key, relabel, remove with
Backspace, nothing to mark, skip, suggestions shown, hidden and accepted) and by a mouse drag
that snaps to whole words; each answer is checked as the code-point spans the page sends.

The server here is a stand-in answering the page's requests in the test's own process (the
items' tokens come from :func:`hilt.tasks.spans_text.tokenize`, as the server's), so the page is
tested on its own: what it sends is exactly what is asserted.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from hilt.project.keys import NONE_KEY, label_keys
from hilt.server.pages import WEB_DIR, templates
from hilt.tasks.spans_text import tokenize

from helpers import open_page as page_at

pytestmark = pytest.mark.browser

LABELS = ["PER", "LOC", "ORG", "MISC"]
KEYS = dict(zip(LABELS, label_keys(LABELS)))
ORIGIN = "http://hilt.test"

#: An emoji sequence (a woman technologist: 3 code points, 5 UTF-16 units), a flag, a CRLF.
TEXT = "Grace Hopper 👩\u200d💻 met Ada\r\nLovelace in London 🇬🇧, 1843."


def words(text):
    return [text[a:b] for a, b in tokenize(text)]


def item(item_id, text, guess=None, suggest=False):
    """An item as /api/next sends it for a spans project."""
    return {"id": item_id, "data": {"text": text}, "guess": guess, "uncertainty": None if guess is None else 0.5,
            "tokens": [list(t) for t in tokenize(text)], "suggest": suggest}


class StandIn:
    """Answers the labelling page's requests: items in order, each answer recorded."""

    def __init__(self, items):
        self.items = list(items)
        self.answers = []  # the bodies of POST /api/answers, in order

    def pending(self):
        answered = {a["item_id"] for a in self.answers}
        return [i for i in self.items if i["id"] not in answered]

    def page_html(self):
        return templates.env.get_template("label.html").render(
            labels=LABELS, keys=label_keys(LABELS), task="spans", spans=True, multilabel=False,
            none_key=NONE_KEY, submit_text="save", project_name="people", annotator="ana",
            reviewer=False, image=None)

    def handle(self, route):
        request = route.request
        url = urlsplit(request.url)
        path = url.path
        if path == "/":
            return route.fulfill(status=200, content_type="text/html; charset=utf-8", body=self.page_html())
        if path.startswith("/static/"):
            file = WEB_DIR / "static" / path.removeprefix("/static/")
            kind = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}[file.suffix[1:]]
            return route.fulfill(status=200, content_type=kind + "; charset=utf-8", body=file.read_text())
        if path == "/api/next":
            left = self.pending()
            if not left:
                return route.fulfill(status=204, body="")
            return self.json(route, {"item": left[0], "ahead": left[1] if len(left) > 1 else None})
        if path == "/api/answers" and request.method == "POST":
            self.answers.append(json.loads(request.post_data))
            left = self.pending()
            return self.json(route, {"saved": True, "answer_id": self.answers[-1]["answer_id"], "duplicate": False,
                                     "next": left[0] if left else None,
                                     "ahead": left[1] if len(left) > 1 else None})
        if path == "/api/undo" and request.method == "POST":
            if not self.answers:
                return route.fulfill(status=204, body="")
            undone = self.answers.pop()
            left = self.pending()
            back = next(i for i in self.items if i["id"] == undone["item_id"])
            following = [i for i in left if i["id"] != back["id"]]
            return self.json(route, {"item": back, "ahead": following[0] if following else None})
        if path == "/api/history":
            latest = {a["item_id"]: a for a in self.answers}
            return self.json(route, {"answers": [
                {"item_id": a["item_id"], "label": a["label"], "answered_at": "2026-12-07T10:00:00+00:00",
                 "answer_id": a["answer_id"], "snippet": next(i for i in self.items if i["id"] == a["item_id"])["data"]["text"][:40]}
                for a in reversed(list(latest.values()))]})
        if path == "/api/status":
            return self.json(route, {"runs": []})
        return route.fulfill(status=404, body="not here")

    @staticmethod
    def json(route, data):
        return route.fulfill(status=200, content_type="application/json", body=json.dumps(data))


def open_page(browser_context, items, width=1100):
    stand_in = StandIn(items)
    browser_context.route(ORIGIN + "/**", stand_in.handle)
    page, errors = page_at(browser_context, ORIGIN + "/", width=width)
    return page, stand_in, errors


def shown_id(page):
    page.wait_for_selector("#item[data-item-id]")
    return page.get_attribute("#item", "data-item-id")


def wait_for_item(page, item_id):
    page.wait_for_function("(id) => document.querySelector('#item').dataset.itemId === id", arg=item_id)


def wait_answers(page, stand_in, n):
    page.wait_for_function("() => window.hilt.pending() === 0")
    assert len(stand_in.answers) == n, stand_in.answers


def marks(page):
    """The marks shown: [words, label tag, suggested?]."""
    return page.eval_on_selector_all(
        "#item-text mark.span-mark",
        "ms => ms.map(m => [Array.from(m.querySelectorAll('.tok')).map(t => t.textContent).join(' '),"
        " m.querySelector('.span-tag').textContent, m.classList.contains('suggested')])")


def cursor_word(page):
    return page.text_content("#item-text .tok.cursor")


def selected_words(page):
    return page.eval_on_selector_all("#item-text .tok.sel", "ts => ts.map(t => t.textContent)")


def press(page, *keys):
    for key in keys:
        page.keyboard.press(key)


def test_keystrokes_mark_relabel_and_remove_spans_and_enter_sends_code_point_offsets(browser_context):
    first = item("t1", TEXT)
    page, stand_in, errors = open_page(browser_context, [first, item("t2", "Nothing here to mark at all.")])
    assert shown_id(page) == "t1"
    assert page.get_attribute("#labeller", "data-task") == "spans"
    # The text is laid out as the server's tokens, whitespace (the CRLF too) kept between them.
    assert page.eval_on_selector_all("#item-text .tok", "ts => ts.map(t => t.textContent)") == words(TEXT)
    assert page.text_content("#item-text") == TEXT
    assert cursor_word(page) == "Grace"
    expect(page.locator("#skip kbd")).to_have_text("/")

    # Shift+→ extends the selection from the cursor; the label's key marks it.
    press(page, "Shift+ArrowRight")
    assert selected_words(page) == ["Grace", "Hopper"]
    press(page, KEYS["PER"])
    assert marks(page) == [["Grace Hopper", "PER", False]]
    assert selected_words(page) == [] and cursor_word(page) == "Hopper"

    # A wrong label first, then the right key on the same mark relabels it.
    press(page, "ArrowRight", "ArrowRight", "ArrowRight")
    assert cursor_word(page) == "Ada"
    press(page, "Shift+ArrowRight")
    assert selected_words(page) == ["Ada", "Lovelace"]  # across the CRLF
    press(page, KEYS["LOC"])
    assert marks(page)[1] == ["Ada Lovelace", "LOC", False]
    press(page, "ArrowLeft", KEYS["PER"])
    assert marks(page)[1] == ["Ada Lovelace", "PER", False]

    # One word under the cursor, no selection: the key marks that word.
    press(page, "End")
    assert cursor_word(page) == "."
    for _ in range(5):
        press(page, "ArrowLeft")
    assert cursor_word(page) == "London"
    press(page, KEYS["LOC"])
    # The emoji: marked, then removed with Backspace (the cursor on it).
    press(page, "Home", "ArrowRight", "ArrowRight")
    assert cursor_word(page) == "👩\u200d💻"
    press(page, KEYS["MISC"])
    assert [m[0] for m in marks(page)] == ["Grace Hopper", "👩\u200d💻", "Ada Lovelace", "London"]
    press(page, "Backspace")
    assert marks(page) == [["Grace Hopper", "PER", False], ["Ada Lovelace", "PER", False], ["London", "LOC", False]]
    # Backspace where there is no span says so and removes nothing.
    press(page, "ArrowRight")
    press(page, "Backspace")
    expect(page.locator("#feedback")).to_contain_text("No span under the cursor")
    assert len(marks(page)) == 3
    expect(page.locator("#submit-set")).to_contain_text("save 3 spans")

    # "Nothing to mark" with spans marked is refused: they would be lost.
    press(page, NONE_KEY)
    expect(page.locator("#feedback")).to_contain_text("You marked 3 spans")
    assert stand_in.answers == []

    press(page, "Enter")
    wait_for_item(page, "t2")
    wait_answers(page, stand_in, 1)
    sent = stand_in.answers[0]
    assert sent["item_id"] == "t1"
    assert sent["label"] == [{"start": 0, "end": 12, "label": "PER"}, {"start": 21, "end": 34, "label": "PER"},
                             {"start": 38, "end": 44, "label": "LOC"}]
    # Code points, not UTF-16 units: the offsets cut the Python string at the words marked.
    assert [TEXT[s["start"]:s["end"]] for s in sent["label"]] == ["Grace Hopper", "Ada\r\nLovelace", "London"]
    expect(page.locator("#feedback")).to_contain_text("You said [Grace Hopper]PER")

    # The next item starts with no marks and the cursor on its first word; the none key answers [].
    assert marks(page) == [] and cursor_word(page) == "Nothing"
    press(page, NONE_KEY)
    page.wait_for_selector("#done:not([hidden])")
    wait_answers(page, stand_in, 2)
    assert stand_in.answers[1]["label"] == []
    assert errors == []


def test_suggested_spans_show_dashed_hide_with_s_and_enter_accepts_what_is_shown(browser_context):
    guess = [{"start": 0, "end": 12, "label": "PER"}, {"start": 38, "end": 44, "label": "LOC"}]
    items = [item("g1", TEXT, guess=guess, suggest=True), item("g2", TEXT, guess=guess, suggest=True),
             item("g3", TEXT, guess=guess, suggest=False), item("g4", "A quiet day.")]
    page, stand_in, errors = open_page(browser_context, items)
    assert shown_id(page) == "g1"
    assert marks(page) == [["Grace Hopper", "PER?", True], ["London", "LOC?", True]]
    outline = page.eval_on_selector("mark.span-mark.suggested", "m => getComputedStyle(m).outlineStyle")
    assert outline == "dashed"
    mine = page.eval_on_selector("#item-text", "el => el.querySelector('mark:not(.suggested)')")
    assert mine is None
    expect(page.locator("#suggest-toggle")).to_be_visible()

    # s hides them (the page as it would be without suggestions), s shows them again.
    press(page, "s")
    assert marks(page) == []
    expect(page.locator("#suggest-toggle")).to_contain_text("show 2 suggestions")
    press(page, "s")
    assert len(marks(page)) == 2

    # A label key on a suggestion makes it the person's own (relabelled); Enter sends all shown.
    press(page, KEYS["ORG"])  # the cursor is on Grace, inside the suggestion Grace Hopper
    assert marks(page)[0] == ["Grace Hopper", "ORG", False]
    press(page, "Enter")
    wait_for_item(page, "g2")
    wait_answers(page, stand_in, 1)
    assert stand_in.answers[0]["label"] == [{"start": 0, "end": 12, "label": "ORG"}, {"start": 38, "end": 44, "label": "LOC"}]

    # Hidden suggestions stay hidden on the next item and are not sent.
    press(page, "s")
    assert marks(page) == []
    press(page, "Enter")
    wait_for_item(page, "g3")
    wait_answers(page, stand_in, 2)
    assert stand_in.answers[1]["label"] == []
    press(page, "s")  # shown again: but g3 has suggest false, so there are none to show
    assert marks(page) == []
    expect(page.locator("#suggest-toggle")).to_be_hidden()

    # / skips (s is taken by the suggestions on this page).
    press(page, "/")
    wait_for_item(page, "g4")
    wait_answers(page, stand_in, 3)
    assert stand_in.answers[2]["label"] is None
    assert errors == []


def test_a_mouse_drag_selects_whole_words_and_a_key_marks_them(browser_context):
    page, stand_in, errors = open_page(browser_context, [item("m1", TEXT)])
    shown_id(page)
    tokens = page.locator("#item-text .tok")
    start = tokens.nth(3).bounding_box()  # "met": from inside its second letter
    end = tokens.nth(5).bounding_box()    # "Lovelace": to the middle of it
    page.mouse.move(start["x"] + start["width"] * 0.5, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] * 0.4, end["y"] + end["height"] / 2, steps=8)
    page.mouse.up()
    assert selected_words(page) == ["met", "Ada", "Lovelace"]
    assert page.evaluate("() => window.getSelection().isCollapsed")  # the browser's own selection is gone
    press(page, KEYS["MISC"])
    assert marks(page) == [["met Ada Lovelace", "MISC", False]]

    # A click puts the cursor on a word; the key marks it.
    tokens.nth(0).click()
    assert cursor_word(page) == "Grace"
    press(page, KEYS["PER"])
    press(page, "Enter")
    page.wait_for_selector("#done:not([hidden])")
    wait_answers(page, stand_in, 1)
    assert stand_in.answers[0]["label"] == [{"start": 0, "end": 5, "label": "PER"}, {"start": 17, "end": 34, "label": "MISC"}]
    assert errors == []


def test_the_spans_page_fits_a_phone_with_marks_and_tags_readable(browser_context):
    guess = [{"start": 0, "end": 12, "label": "PER"}]
    many = ["PER", "LOC", "ORG", "MISC"]
    page, stand_in, errors = open_page(browser_context, [item("p1", TEXT * 3, guess=guess, suggest=True)], width=390)
    shown_id(page)
    press(page, "End", KEYS[many[1]])
    facts = page.evaluate(
        """() => {
            const shown = (sel) => Array.from(document.querySelectorAll(sel)).filter((el) => el.getClientRects().length);
            const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.right]; };
            return {scroll: document.documentElement.scrollWidth,
                    boxes: shown('#item, .choice, #submit-set, #none, #suggest-toggle, .span-mark').map(box),
                    tags: shown('.span-tag').map((el) => parseFloat(getComputedStyle(el).fontSize)),
                    text: parseFloat(getComputedStyle(document.querySelector('#item-text')).fontSize),
                    space: getComputedStyle(document.querySelector('#item-text')).whiteSpace};
        }""")
    assert facts["scroll"] <= 390, facts["scroll"]
    assert all(0 <= left and right <= 390 for left, right in facts["boxes"]), facts["boxes"]
    assert facts["tags"] and all(size >= 11 for size in facts["tags"]), facts["tags"]
    assert facts["space"] == "pre-wrap"
    # Each label's colour differs from the others' (eight colours, then again).
    colours = page.eval_on_selector_all(".choice .swatch", "ss => ss.map(s => getComputedStyle(s).backgroundColor)")
    assert len(set(colours)) == len(LABELS)
    assert errors == []


# ---- the review page ----------------------------------------------------------------------------

class ReviewStandIn(StandIn):
    """Answers the review page's requests: the rows of GET /api/review, each decision recorded."""

    def __init__(self, rows):
        super().__init__([])
        self.rows = rows
        self.decisions = []  # the bodies of POST /api/review

    def page_html(self):
        return templates.env.get_template("review.html").render(
            labels=LABELS, keys=label_keys(LABELS), task="spans", spans=True, multilabel=False,
            none_key=NONE_KEY, submit_text="decide the marked spans", project_name="people", annotator="rita",
            reviewer=True, image=None)

    def handle(self, route):
        request = route.request
        path = urlsplit(request.url).path
        if path == "/api/review" and request.method == "GET":
            decided = {d["item_id"] for d in self.decisions}
            return self.json(route, {"items": [r for r in self.rows if r["item_id"] not in decided],
                                     "labels": LABELS, "keys": KEYS})
        if path == "/api/review" and request.method == "POST":
            body = json.loads(request.post_data)
            self.decisions.append(body)
            return self.json(route, {"saved": True, "answer_id": body["answer_id"], "duplicate": False,
                                     "label": body["label"]})
        return super().handle(route)


def review_row(item_id, text, final, answers):
    return {"item_id": item_id, "data": {"text": text}, "tokens": [list(t) for t in tokenize(text)],
            "label": final, "reason": "disagreement", "suggested": None, "score": None,
            "answers": [{"annotator": who, "label": label, "role": "answer", "answered_at": "2026-12-07T10:00:00+00:00"}
                        for who, label in answers]}


def test_the_review_page_shows_each_persons_spans_side_by_side_and_keys_decide_the_final_spans(browser_context):
    ana = [{"start": 0, "end": 12, "label": "PER"}, {"start": 38, "end": 44, "label": "LOC"}]
    bob = [{"start": 0, "end": 5, "label": "PER"}, {"start": 38, "end": 44, "label": "ORG"}]
    rows = [review_row("r1", TEXT, [{"start": 38, "end": 44, "label": "LOC"}], [("ana", ana), ("bob", bob), ("cy", [])]),
            review_row("r2", "Rain in Oslo.", [], [("ana", [{"start": 8, "end": 12, "label": "LOC"}]), ("bob", None)]),
            review_row("r3", "Nobody here.", [], [("ana", []), ("bob", [{"start": 0, "end": 6, "label": "PER"}])])]
    stand_in = ReviewStandIn(rows)
    browser_context.route(ORIGIN + "/**", stand_in.handle)
    page, errors = page_at(browser_context, ORIGIN + "/")
    wait_for_item(page, "r1")
    assert page.get_attribute("#reviewer", "data-task") == "spans"

    # A row per person: the text as they marked it (nothing to mark in words).
    side_by_side = page.eval_on_selector_all(
        "#answer-spans tbody tr",
        "rs => rs.map(r => [r.dataset.annotator, Array.from(r.querySelectorAll('mark')).map(m =>"
        " Array.from(m.querySelectorAll('.tok')).map(t => t.textContent).join(' ') + '|' + m.dataset.label),"
        " r.querySelector('td').textContent])")
    assert [row[:2] for row in side_by_side] == [["ana", ["Grace Hopper|PER", "London|LOC"]],
                                                 ["bob", ["Grace|PER", "London|ORG"]], ["cy", []]]
    assert side_by_side[2][2] == "nothing to mark"
    expect(page.locator("#final-label")).to_have_text("[London]LOC")

    # The text starts marked as the final answer; the keys mend it; Enter decides.
    assert marks(page) == [["London", "LOC", False]]
    press(page, "Shift+ArrowRight", KEYS["PER"])
    assert marks(page) == [["Grace Hopper", "PER", False], ["London", "LOC", False]]
    press(page, "Enter")
    wait_for_item(page, "r2")
    assert stand_in.decisions[0]["item_id"] == "r1"
    assert stand_in.decisions[0]["label"] == [{"start": 0, "end": 12, "label": "PER"}, {"start": 38, "end": 44, "label": "LOC"}]

    # A skip reads as one; n passes over the item; u brings it back; the none key decides [].
    assert page.text_content("#answer-spans tbody tr[data-annotator='bob'] td") == "skipped"
    press(page, "n")
    wait_for_item(page, "r3")
    press(page, "u")
    wait_for_item(page, "r2")
    press(page, NONE_KEY)
    wait_for_item(page, "r3")
    assert stand_in.decisions[1] == {**stand_in.decisions[1], "item_id": "r2", "label": []}

    # A mouse drag marks on the review page too.
    box = page.locator("#item-text .tok").nth(0).bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2, steps=4)
    page.mouse.up()
    press(page, KEYS["ORG"], "Enter")
    page.wait_for_function("() => window.hilt.pending() === 0 && document.querySelector('#done') && !document.querySelector('#done').hidden")
    assert stand_in.decisions[2]["label"] == [{"start": 0, "end": 6, "label": "ORG"}]
    assert errors == []


def test_a_review_row_without_tokens_shows_the_spans_in_words_and_decides_nothing(browser_context):
    row = review_row("x1", "Rain in Oslo.", [{"start": 8, "end": 12, "label": "LOC"}],
                     [("ana", [{"start": 8, "end": 12, "label": "LOC"}]), ("bob", [])])
    del row["tokens"]
    stand_in = ReviewStandIn([row])
    browser_context.route(ORIGIN + "/**", stand_in.handle)
    page = browser_context.new_page()
    page.goto(ORIGIN + "/")
    wait_for_item(page, "x1")
    expect(page.locator("#answer-spans tbody tr[data-annotator='ana'] td")).to_have_text("[Oslo]LOC")
    assert page.text_content("#item-text") == "Rain in Oslo."
    press(page, "Enter")
    expect(page.locator("#feedback")).to_contain_text("The server sent no tokens for item x1")
    assert stand_in.decisions == []


def test_undo_brings_the_item_back_with_its_marks_and_the_history_shows_them_in_brackets(browser_context):
    page, stand_in, errors = open_page(browser_context, [item("h1", TEXT), item("h2", "Rain in Oslo today.")])
    assert shown_id(page) == "h1"
    press(page, "Shift+ArrowRight", KEYS["PER"], "Enter")
    wait_for_item(page, "h2")
    wait_answers(page, stand_in, 1)
    expect(page.locator("#history-list .history-label").first).to_have_text("[Grace Hopper]PER")

    # u (Backspace removes marks on this page): h1 is back, marked as it was answered.
    press(page, "u")
    wait_for_item(page, "h1")
    page.wait_for_function("() => window.hilt.pending() === 0")
    assert stand_in.answers == []
    assert marks(page) == [["Grace Hopper", "PER", False]]
    press(page, "End", "ArrowLeft", "ArrowLeft", "ArrowLeft", "ArrowLeft", "ArrowLeft", KEYS["LOC"], "Enter")
    wait_for_item(page, "h2")
    wait_answers(page, stand_in, 1)
    assert stand_in.answers[0]["label"] == [{"start": 0, "end": 12, "label": "PER"}, {"start": 38, "end": 44, "label": "LOC"}]

    # Opening the answer in the history shows its marks, with "nothing to mark" and "skip" to change it to.
    expect(page.locator("#history-list .history-label").first).to_have_text("[Grace Hopper]PER [London]LOC")
    page.locator("#history-list .history-open").first.click()
    chooser = page.locator("#history-list .history-choices")
    expect(chooser.locator("mark.span-mark")).to_have_count(2)
    expect(chooser.locator(".history-none")).to_have_text("nothing to mark")
    assert errors == []

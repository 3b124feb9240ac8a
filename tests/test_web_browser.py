"""The labelling page and the dashboard in a real Chromium, against `hilt serve` as a subprocess.

Two of them take the documentation's screenshots (labelling.png, dashboard.png): into the test's
folder, or into docs/img with ``make screenshots`` (``HILT_SCREENSHOTS_DIR``). Every read of the page
waits for the state it checks (``expect``), never for time.
"""

from __future__ import annotations

import json
import re
import time

import pandas as pd
import pytest
from playwright.sync_api import expect

from conftest import running_server, screenshots_folder, server_in_this_process
from helpers import api, current_id, open_page, press_and_next, reviews_project, wait_saved
from hilt.datasets import load_movie_reviews
from hilt.project import Project

pytestmark = pytest.mark.browser


def test_label_by_keyboard_skip_undo_reload_and_dashboard(tmp_path, browser_context):
    path, token, truth = reviews_project(tmp_path)
    with running_server(path) as base:
        page, errors = open_page(browser_context, f"{base}/?token={token}")
        assert page.url == base + "/"  # the token left the address bar for a cookie

        # 30 labels by keyboard: 1 = fresh, 2 = rotten, as the data set says.
        labelled = []
        for _ in range(30):
            item_id = current_id(page)
            labelled.append(press_and_next(page, "1" if truth[item_id] == "fresh" else "2"))
        wait_saved(page)
        assert len(set(labelled)) == 30
        expect(page.locator("#save-state")).to_have_text("saved ✓")
        status = api(base, token, "/api/status").json()
        assert status["n_answered"] == 30 and status["by_annotator"] == {"demo": 30}

        # Skip, then undo brings the skipped item back, and the skip is retracted.
        skipped = press_and_next(page, "s")
        wait_saved(page)
        assert api(base, token, "/api/status").json()["n_skipped"] == 1
        page.keyboard.press("u")
        page.wait_for_function("(id) => document.querySelector('#item').dataset.itemId === id", arg=skipped)
        wait_saved(page)
        assert api(base, token, "/api/status").json()["n_skipped"] == 0
        # Backspace undoes too: the last labelled item comes back.
        page.keyboard.press("Backspace")
        page.wait_for_function("(id) => document.querySelector('#item').dataset.itemId === id", arg=labelled[-1])
        wait_saved(page)
        assert api(base, token, "/api/status").json()["n_answered"] == 29
        redo = current_id(page)
        press_and_next(page, "1" if truth[redo] == "fresh" else "2")
        wait_saved(page)

        # Reload and resume: the page shows the item this annotator holds, and nothing was lost.
        shown = current_id(page)
        page.reload()
        assert current_id(page) == shown
        assert api(base, token, "/api/status").json()["n_answered"] == 30

        # The model's guess shows after answering once a model exists.
        item_id = current_id(page)
        press_and_next(page, "1" if truth[item_id] == "fresh" else "2")
        wait_saved(page)
        page.wait_for_function("() => document.querySelector('#feedback').textContent.includes('model')")
        page.screenshot(path=str(screenshots_folder(tmp_path) / "labelling.png"))

        # Dashboard: after a background retrain, the page updates itself (no reload).
        dashboard = browser_context.new_page()
        dashboard.goto(base + "/dashboard")
        expect(dashboard.locator("#n-runs")).to_have_text(re.compile(r"^\d+$"))
        expect(dashboard.locator("#n-answered")).to_have_text(re.compile(r"^\d+$"))
        runs_before = int(dashboard.text_content("#n-runs"))
        answered_before = int(dashboard.text_content("#n-answered"))
        for _ in range(12):
            item_id = current_id(page)
            press_and_next(page, "1" if truth[item_id] == "fresh" else "2")
        wait_saved(page)
        dashboard.wait_for_function(
            "([runs, answered]) => Number(document.querySelector('#n-runs').textContent) > runs &&"
            " Number(document.querySelector('#n-answered').textContent) >= answered + 12",
            arg=[runs_before, answered_before],
            timeout=60_000,
        )
        dashboard.wait_for_selector(".chart circle")
        expect(dashboard.locator("#latest-run")).to_contain_text("training labels")
        dashboard.screenshot(path=str(screenshots_folder(tmp_path) / "dashboard.png"), full_page=True)
        assert errors == []


def test_html_and_script_in_item_text_stay_inert(tmp_path, browser_context):
    payloads = [
        "<script>window.__pwned = 'script'</script> plain words",
        "<img src=x onerror=\"window.__pwned='img'\"> an image",
        "<svg onload=\"window.__pwned='svg'\"></svg> a drawing",
        "<b>bold?</b> &amp; <iframe src=\"javascript:window.__pwned='iframe'\"></iframe>",
    ]
    rows = pd.DataFrame({"id": [f"x{i}" for i in range(len(payloads))], "text": payloads})
    path = tmp_path / "evil.hilt"
    with Project.create(path, rows, ["ok", "bad"], text_column="text", id_column="id") as project:
        token = project.add_annotator("eve")
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{base}/?token={token}")
        shown = []
        for _ in payloads:
            current_id(page)
            shown.append(page.text_content("#item-text"))
            assert page.locator("#item-text *").count() == 0  # no element was created from the data
            page.keyboard.press("1")
            page.wait_for_function("(n) => window.hilt.pending() === 0 && window.hilt.state.saved === n",
                                   arg=len(shown))
        # Every item shown and answered, the page done: any handler the data could have planted
        # had its chance to run.
        page.wait_for_selector("#done:not([hidden])")
        assert sorted(shown) == sorted(payloads)  # shown literally, as text
        assert page.evaluate("() => window.__pwned === undefined")
        assert dialogs == []


def table_cells(page):
    return dict(page.eval_on_selector_all(
        "#item-table tr", "rows => rows.map(r => [r.cells[0].textContent, r.cells[1].textContent])"))


def test_table_rows_show_as_a_key_value_table(tmp_path, browser_context):
    numbers = pd.DataFrame({"id": ["a", "b", "c"], "height_cm": [181.5, 162.0, 175.25], "age": [34, 51, 27]})
    with Project.create(tmp_path / "people.hilt", numbers, ["yes", "no"], id_column="id") as project:
        token = project.add_annotator("tab")
    with server_in_this_process(tmp_path / "people.hilt") as base:
        page = browser_context.new_page()
        page.goto(f"{base}/?token={token}")
        expected = numbers.set_index("id").loc[current_id(page)]
        assert page.is_hidden("#item-text") and page.is_visible("#item-table")
        cells = table_cells(page)
        assert set(cells) == {"height_cm", "age"}
        assert float(cells["height_cm"]) == expected["height_cm"] and float(cells["age"]) == expected["age"]

    # Text with other columns: the text large, the rest in the table, markup inert in both.
    mixed = pd.DataFrame({"id": ["x", "y"], "review": ["<b>loud</b> film", "quiet film"], "year": [1999, 2004]})
    with Project.create(tmp_path / "mixed.hilt", mixed, ["yes", "no"], id_column="id",
                        text_column="review") as project:
        token = project.add_annotator("mix")
    with server_in_this_process(tmp_path / "mixed.hilt") as base:
        page = browser_context.new_page()
        page.goto(f"{base}/?token={token}")
        expected = mixed.set_index("id").loc[current_id(page)]
        expect(page.locator("#item-text")).to_have_text(expected["review"])
        assert table_cells(page) == {"year": str(expected["year"])}
        assert page.locator("#item b").count() == 0


def test_without_a_token_pages_and_api_are_401(tmp_path, browser_context):
    path, _, _ = reviews_project(tmp_path, n=20)
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        response = page.goto(base + "/")
        assert response.status == 401
        expect(page.locator("h1")).to_contain_text("annotator link")
        assert page.goto(base + "/dashboard").status == 401
        assert page.goto(base + "/api/next").status == 401
        assert page.goto(base + "/?token=forged").status == 401


def test_an_answer_whose_reply_is_lost_is_retried_and_stored_once(tmp_path, browser_context):
    path, token, _ = reviews_project(tmp_path, n=20)
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        dropped = []

        def drop_first_reply(route):
            # The request reaches the server (it commits), but the page never hears back.
            if not dropped:
                route.fetch()
                dropped.append(route.request.post_data_json["answer_id"])
                route.abort("connectionreset")
            else:
                route.continue_()

        page.route("**/api/answers*", drop_first_reply)
        page.goto(f"{base}/?token={token}")
        press_and_next(page, "2")
        page.wait_for_selector("#save-state.saved")
        rows = [line for line in api(base, token, "/api/export").text.splitlines() if line.strip()]
        assert dropped and len(rows) == 1
        status = api(base, token, "/api/status").json()
        assert status["n_answered"] == 1


def test_the_next_item_appears_before_the_server_replies(tmp_path, browser_context):
    """Prefetch: the page shows the next item at once, and says "saved" only after the commit."""
    path, token, _ = reviews_project(tmp_path, n=40)
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        held = []
        page.route("**/api/answers*", lambda route: held.append(route))  # answered later, by hand
        page.goto(f"{base}/?token={token}")
        page.wait_for_selector("#item[data-confirmed='1']")
        first = current_id(page)
        page.keyboard.press("1")
        page.wait_for_function(
            "(first) => { const el = document.querySelector('#item'); "
            "return el.dataset.itemId && el.dataset.itemId !== first; }", arg=first)
        page.wait_for_function("() => window.hilt.pending() === 1")
        expect(page.locator("#save-state")).to_have_text("saving…")  # shown, but not yet saved
        assert api(base, token, "/api/status").json()["n_answered"] == 0
        deadline = time.monotonic() + 20
        while not held and time.monotonic() < deadline:  # the route event may trail the fetch
            page.wait_for_timeout(50)
        assert len(held) == 1
        held[0].continue_()
        wait_saved(page)
        assert api(base, token, "/api/status").json()["n_answered"] == 1


# ---- issue 11: the web defects ---------------------------------------------------------------


def labelled_count(base, token):
    return api(base, token, "/api/status").json()["n_answered"]


def test_twelve_labels_each_have_a_key_shown_on_its_button(tmp_path, browser_context):
    """Issue 11, defect 5: labels 10 and up get keys (0, then letters), and pressing them labels."""
    labels = [f"topic{k:02d}" for k in range(1, 13)]
    rows = pd.DataFrame({"id": [f"t{k}" for k in range(30)], "text": [f"text number {k}" for k in range(30)]})
    path = tmp_path / "topics.hilt"
    with Project.create(path, rows, labels, text_column="text", id_column="id") as project:
        token = project.add_annotator("kim")
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        page.goto(f"{base}/?token={token}")
        keys = page.eval_on_selector_all(".choice", "bs => bs.map(b => [b.dataset.label, b.querySelector('kbd').textContent])")
        assert keys == [[label, key] for label, key in zip(labels, "1234567890ab")]
        chosen = {}
        for label, key in zip(labels, "1234567890ab"):
            expect(page.locator("#item-id")).to_have_text("item " + current_id(page))  # the id is on the page
            chosen[press_and_next(page, key)] = label
        wait_saved(page)
        rows = [json.loads(line) for line in api(base, token, "/api/export").text.splitlines() if line.strip()]
        assert {row["item_id"]: row["label"] for row in rows} == chosen
        assert sorted(chosen.values()) == labels


def test_quick_presses_during_a_save_are_queued_not_dropped(tmp_path, browser_context):
    """Issue 11, defect 6: 20 presses while the server is slow give 20 answers, and the page
    shows the presses that wait for an item."""
    path, token, _ = reviews_project(tmp_path, n=60)
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        held = []
        page.route("**/api/answers*", lambda route: held.append(route))  # the server "is slow"
        page.goto(f"{base}/?token={token}")
        page.wait_for_selector("#item[data-confirmed='1']")
        for n in range(20):
            page.keyboard.press("1" if n % 2 else "2")
        # Two answers went out (the shown item and its preview); the other 18 presses wait, visibly.
        page.wait_for_function("() => window.hilt.pending() === 20")
        expect(page.locator("#save-state")).to_have_text("18 key presses waiting for the next item…")
        deadline = time.monotonic() + 60
        while page.evaluate("() => window.hilt.pending()") and time.monotonic() < deadline:
            while held:
                held.pop(0).continue_()
            page.wait_for_timeout(20)
        wait_saved(page)
        rows = [json.loads(line) for line in api(base, token, "/api/export").text.splitlines() if line.strip()]
        assert len(rows) == 20 and len({row["item_id"] for row in rows}) == 20
        assert [row["label"] for row in rows] == ["fresh" if n % 2 else "rotten" for n in range(20)]


def test_undo_takes_back_a_waiting_press_first(tmp_path, browser_context):
    """Issue 11, defect 6: a press still waiting for an item is what undo takes back."""
    path, token, _ = reviews_project(tmp_path, n=30)
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        held = []
        page.route("**/api/answers*", lambda route: held.append(route))
        page.goto(f"{base}/?token={token}")
        page.wait_for_selector("#item[data-confirmed='1']")
        for key in "1113":  # "3" is no key of this project: ignored
            page.keyboard.press(key)
        page.wait_for_function("() => window.hilt.state.presses.length === 1")
        page.keyboard.press("u")
        page.wait_for_function("() => window.hilt.state.presses.length === 0")
        expect(page.locator("#feedback")).to_contain_text("Took back")
        deadline = time.monotonic() + 30
        while page.evaluate("() => window.hilt.pending()") and time.monotonic() < deadline:
            while held:
                held.pop(0).continue_()
            page.wait_for_timeout(20)
        wait_saved(page)
        assert labelled_count(base, token) == 2


def test_saved_count_goes_down_after_undo(tmp_path, browser_context):
    """Issue 11, defect 12: "N answers saved on this page" counts undone answers out."""
    path, token, _ = reviews_project(tmp_path, n=30)
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        page.goto(f"{base}/?token={token}")
        for _ in range(3):
            press_and_next(page, "1")
        wait_saved(page)
        expect(page.locator("#position")).to_have_text("3 answers saved on this page")
        page.keyboard.press("u")
        page.wait_for_function("() => document.querySelector('#feedback').textContent.startsWith('Undone')")
        wait_saved(page)
        expect(page.locator("#position")).to_have_text("2 answers saved on this page")
        assert labelled_count(base, token) == 2


def test_narrow_screen_has_no_sideways_overflow(tmp_path, browser_context):
    """Issue 11, defect 12: at 390 px wide (a phone) the header and the page fit the width."""
    reviews = load_movie_reviews().head(20)
    path = tmp_path / "customer-feedback-for-the-spring-campaign.hilt"
    with Project.create(path, reviews[["id", "text"]], ["fresh", "rotten", "unsure"], text_column="text",
                        id_column="id") as project:
        token = project.add_annotator("annotator-number-one")
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        page.set_viewport_size({"width": 390, "height": 844})
        for url in ("/", "/dashboard"):
            page.goto(f"{base}{url}?token={token}")
            page.wait_for_selector("header.bar")
            widths = page.evaluate(
                "() => [document.querySelector('header.bar').scrollWidth, document.querySelector('header.bar').clientWidth,"
                " document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert widths[0] <= widths[1] and widths[2] <= widths[3], (url, widths)


def test_a_wide_table_row_keeps_the_label_buttons_in_view(tmp_path, browser_context):
    """Issue 11, defect 12: a 30-column row at 1280x800 leaves the label buttons on screen."""
    table = pd.DataFrame({f"feature_{c:02d}_mean": [round(0.1 * c + r, 3) for r in range(5)] for c in range(30)})
    table.insert(0, "id", [f"r{r}" for r in range(5)])
    path = tmp_path / "wide.hilt"
    with Project.create(path, table, ["malignant", "benign"], id_column="id") as project:
        token = project.add_annotator("doc")
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{base}/?token={token}")
        current_id(page)
        assert page.locator("#item-table tr").count() == 30
        for box in page.eval_on_selector_all(
                ".choice, #skip, #undo", "bs => bs.map(b => { const r = b.getBoundingClientRect(); "
                "return [r.top, r.bottom, r.left, r.right]; })"):
            top, bottom, left, right = box
            assert 0 <= top and bottom <= 800 and 0 <= left and right <= 1280, box


def model_ready_project(tmp_path, n=60):
    """A project whose model has been trained once (runs in its status)."""
    path, token, truth = reviews_project(tmp_path, n=n)
    with Project.open(path) as project:
        for k in range(10):
            item = project.next_item("seed")
            project.answer(item.id, truth[item.id], "seed")
        project.retrain(wait=True)
        assert project.status()["runs"]
    return path, token


def without_guesses(route):
    """Pass the reply on with every item's guess removed, as for evaluation items."""
    response = route.fetch()
    body = response.json() if response.status == 200 else None
    if body is None:
        route.fulfill(response=response)
        return
    for key in ("item", "next", "ahead"):
        if body.get(key):
            body[key]["guess"] = None
    route.fulfill(response=response, json=body)


def test_an_item_without_a_guess_does_not_say_no_model_when_a_model_exists(tmp_path, browser_context):
    """Issue 11, defect 4: evaluation items (and others served without a guess) say so, not
    "no model yet", once a model exists; and /api/next does not say which are evaluation items."""
    path, token = model_ready_project(tmp_path)
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        page.route("**/api/next*", without_guesses)
        page.route("**/api/answers*", without_guesses)
        page.goto(f"{base}/?token={token}")
        press_and_next(page, "1")
        page.wait_for_function("() => document.querySelector('#feedback').textContent.includes('guess')")
        feedback = page.text_content("#feedback")
        assert "The model had no guess for this item" in feedback and "No model yet" not in feedback

    (tmp_path / "fresh").mkdir()
    fresh, fresh_token, _ = reviews_project(tmp_path / "fresh", n=20)  # no model yet: it says so
    with server_in_this_process(fresh) as base:
        page = browser_context.new_page()
        page.goto(f"{base}/?token={fresh_token}")
        press_and_next(page, "1")
        page.wait_for_function("() => document.querySelector('#feedback').textContent.includes('model')")
        expect(page.locator("#feedback")).to_contain_text("No model yet")


def test_a_huge_text_is_shown_shortened_with_a_way_to_see_it_all(tmp_path, browser_context):
    """Issue 11, defect 3: a 300,000-character text shows its first 5,000 characters and a
    "show all" control; the item itself (what the model sees) stays whole."""
    huge = "word " * 60_000
    rows = pd.DataFrame({"id": ["big", "small"], "text": [huge, "a short one"]})
    path = tmp_path / "huge.hilt"
    with Project.create(path, rows, ["keep", "drop"], text_column="text", id_column="id") as project:
        token = project.add_annotator("lee")
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        page.goto(f"{base}/?token={token}")
        if current_id(page) != "big":
            press_and_next(page, "s")
            current_id(page)
        assert page.evaluate("() => document.querySelector('#item-text').textContent.length") == 5001
        expect(page.locator("#show-all")).to_be_visible()
        expect(page.locator("#show-all")).to_contain_text("295,000 more characters")
        page.keyboard.press("v")
        page.wait_for_function("(n) => document.querySelector('#item-text').textContent.length === n", arg=len(huge))
        expect(page.locator("#show-all")).to_have_text(re.compile(r"show less$"))  # and back again
        page.click("#show-all")
        page.wait_for_function("() => document.querySelector('#item-text').textContent.length === 5001")
        page.keyboard.press("1")  # the last item when "small" came first: no next item to wait for
        wait_saved(page)
    with Project.open(path) as project:
        assert project.labelled_items().loc["big", "text"] == huge


def several_runs_project(tmp_path, rounds=5):
    """A project with ``rounds`` model runs of growing training sets (a learning curve to draw)."""
    from hilt.datasets import load_movie_reviews

    reviews = load_movie_reviews().head(200)
    truth = dict(zip(reviews["id"], reviews["sentiment"]))
    path = tmp_path / "customer-feedback-for-the-spring-campaign.hilt"
    with Project.create(path, reviews[["id", "text"]], ["fresh", "rotten"], text_column="text", id_column="id",
                        features="tfidf", eval_share=0.3, retrain_every=1000, seed=1) as project:
        token = project.add_annotator("annotator-number-one")
        for _ in range(rounds):
            for _ in range(12):
                item = project.next_item("annotator-number-one")
                project.answer(item.id, truth[item.id], "annotator-number-one")
            project.retrain(wait=True)
        assert len(project.status()["runs"]) == rounds
    return path, token


def layout_facts(page, selector):
    """Page width, the shown element's box, and its text labels' boxes and font sizes (CSS px)."""
    return page.evaluate(
        """(selector) => {
            const chart = Array.from(document.querySelectorAll(selector)).find((el) => el.getClientRects().length);
            const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
            const texts = Array.from(chart.querySelectorAll("text")).filter((t) => t.getBBox().width > 0);
            return {
                scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
                chart: box(chart),
                labels: texts.map((t) => ({text: t.textContent, box: box(t),
                                          size: t.getBoundingClientRect().height,
                                          font: parseFloat(getComputedStyle(t).fontSize) *
                                                (chart.getBoundingClientRect().width / chart.viewBox.baseVal.width)})),
            };
        }""", selector)


def overlaps(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("width", [360, 390, 800, 1280])
def test_the_accuracy_chart_is_readable_on_a_phone_and_a_desktop(tmp_path, browser_context, width):
    """Issue 21, defect 7: at 390 px the chart was scaled to a third (tick labels 4 px high)."""
    path, token = several_runs_project(tmp_path)
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        page.set_viewport_size({"width": width, "height": 844})
        page.goto(f"{base}/dashboard?token={token}")
        chart = page.locator(".chart:visible")
        expect(chart).to_have_count(1)
        expect(chart.locator("circle")).to_have_count(5)
        facts = layout_facts(page, ".chart-panel .chart")
        page.screenshot(path=str(tmp_path / f"dashboard-{width}.png"), full_page=True)  # to look at when it fails
        assert facts["scroll"] <= facts["client"] <= width, facts["scroll"]
        left, top, right, bottom = facts["chart"]
        assert 0 <= left and right <= width, facts["chart"]
        assert facts["labels"], "no axis or tick labels drawn"
        for label in facts["labels"]:
            assert label["font"] >= 11, label  # as rendered, after the SVG is scaled to fit
            assert left - 1 <= label["box"][0] and label["box"][2] <= right + 1, label  # inside the chart
        boxes = facts["labels"]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not overlaps(a["box"], b["box"]), (a, b)
        # The latest run's figures each fit on one line: their text's boxes share one top.
        rows = page.evaluate("""() => Array.from(document.querySelectorAll('#latest-run dd')).map((dd) => {
            const range = document.createRange();
            range.selectNodeContents(dd);
            const tops = Array.from(range.getClientRects()).map((r) => r.top);
            return [dd.textContent, Math.max(...tops) - Math.min(...tops)];
        })""")
        assert len(rows) == 4, rows
        for text, spread in rows if width > 360 else rows[1:]:  # at 360 px the interval may wrap once
            assert spread < 5, (text, spread)


def test_the_labelling_page_fits_a_phone(tmp_path, browser_context):
    """Issue 21, defect 7: the labelling page at 390 px, measured as the dashboard is."""
    path, token = several_runs_project(tmp_path, rounds=1)
    with server_in_this_process(path) as base:
        page = browser_context.new_page()
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/?token={token}")
        current_id(page)
        page.screenshot(path=str(tmp_path / "labelling-390.png"), full_page=True)
        facts = page.evaluate(
            """() => {
                const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
                const shown = (sel) => Array.from(document.querySelectorAll(sel)).filter((el) => el.getClientRects().length);
                return {
                    scroll: document.documentElement.scrollWidth,
                    boxes: shown("#item, .choice, #skip, #undo, #feedback, .hint").map(box),
                    buttons: shown(".choice, #skip, #undo").map(box),
                    fonts: shown("#item-text, .choice, #skip, #undo, .hint, #position").map(
                        (el) => parseFloat(getComputedStyle(el).fontSize)),
                };
            }""")
        assert facts["scroll"] <= 390
        assert all(0 <= left and right <= 390 for left, _, right, _ in facts["boxes"]), facts["boxes"]
        assert all(size >= 11 for size in facts["fonts"]), facts["fonts"]
        buttons = facts["buttons"]
        assert all(top >= 0 and bottom <= 844 for _, top, _, bottom in buttons)  # the keys stay in view
        for i, a in enumerate(buttons):
            for b in buttons[i + 1:]:
                assert not overlaps(a, b), (a, b)

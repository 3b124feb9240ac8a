"""`hilt demo` as a new user runs it (`make demo`): the browser demo on the bundled movie reviews.

The demo runs as a real subprocess with its stdin closed (it must never wait for input); the test
reads the link it prints, signs in like a browser, labels reviews through the API as a person
would, and waits for a model run to appear. `--oracle` keeps the digits loop without a browser.
"""

from __future__ import annotations

import queue
import re
import subprocess
import threading
import time

import httpx

from conftest import HILT_EXE, free_port
from hilt.datasets import load_movie_reviews


def start_demo(*args: str) -> tuple[subprocess.Popen, "queue.Queue[str]"]:
    process = subprocess.Popen(
        [HILT_EXE, "demo", *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:  # a thread, so that waiting for a line can time out
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return process, lines


def wait_for_line(lines: "queue.Queue[str]", marker: str, timeout: float = 120) -> str:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"no {marker!r} in the demo's output after {timeout} s:\n{''.join(seen)}")


def test_demo_serves_the_reviews_and_the_model_learns_from_answers(tmp_path):
    port = free_port()
    process, lines = start_demo("--no-browser", "--port", str(port), "--folder", str(tmp_path))
    try:
        output = wait_for_line(lines, "Ready.")
        link = re.search(r"demo: (http://127\.0\.0\.1:(\d+)/\?token=\S+)", output)
        assert link, output
        assert int(link.group(2)) == port
        base = f"http://127.0.0.1:{port}"
        reviews = load_movie_reviews()
        truth = dict(zip(reviews["id"], reviews["sentiment"]))  # fresh / rotten, as a person would say
        with httpx.Client(follow_redirects=True, timeout=60) as browser:
            page = browser.get(link.group(1))  # the link's token becomes the session cookie
            assert page.status_code == 200 and "fresh" in page.text and "rotten" in page.text
            status = browser.get(base + "/api/status").json()
            # The data set's own sentiment column is not imported: the person answers.
            assert status["n_items"] == 4866 and status["n_answered"] == 0 and status["runs"] == []
            for n in range(25):
                item = browser.get(base + "/api/next").json()["item"]
                assert set(item["data"]) == {"text"} and item["data"]["text"].strip()
                saved = browser.post(base + "/api/answers", json={
                    "item_id": item["id"], "label": truth[item["id"]], "answer_id": f"demo-{n}"})
                assert saved.json()["saved"] is True
            deadline = time.monotonic() + 120
            while not (runs := browser.get(base + "/api/status").json()["runs"]):
                assert time.monotonic() < deadline, "no model run within 120 s of 25 labels"
                time.sleep(0.2)
            assert runs[0]["n_train"] >= 10
            assert "Does the model learn?" in browser.get(base + "/dashboard").text
        assert (tmp_path / "movie-reviews.hilt").exists()
    finally:
        process.send_signal(2)
        process.wait(timeout=20)
    assert process.returncode in (0, -2, 130)


def test_demo_help_documents_its_options():
    result = subprocess.run([HILT_EXE, "demo", "--help"], capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 0
    for option in ("--port", "--no-browser", "--folder", "--retrain-every", "--oracle", "Example:"):
        assert option in result.stdout, option


def test_demo_oracle_keeps_the_digits_loop():
    result = subprocess.run([HILT_EXE, "demo", "--oracle", "--budget", "20"], capture_output=True, text=True,
                            timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr
    assert "digits" in result.stderr and "20 labels" in result.stderr

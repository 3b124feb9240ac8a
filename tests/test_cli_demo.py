"""`hilt demo`: the browser demo serves the bundled reviews; `--oracle` keeps the digits loop."""

from __future__ import annotations

import re
import subprocess
import time

import httpx

from conftest import HILT_EXE, free_port


def test_demo_serves_unlabelled_movie_reviews(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [HILT_EXE, "demo", "--no-browser", "--port", str(port), "--folder", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 120
        for line in process.stdout:
            lines.append(line)
            if "Ready." in line or time.monotonic() > deadline:
                break
        output = "".join(lines)
        link = re.search(r"demo: (http://127\.0\.0\.1:\d+/\?token=\S+)", output)
        assert link, output
        with httpx.Client(follow_redirects=True) as browser:
            page = browser.get(link.group(1))
            assert page.status_code == 200 and "fresh" in page.text and "rotten" in page.text
            item = browser.get(f"http://127.0.0.1:{port}/api/next").json()["item"]
            assert set(item["data"]) == {"text"} and len(item["data"]["text"]) > 20
            status = browser.get(f"http://127.0.0.1:{port}/api/status").json()
            # The data set's own sentiment column is not imported: the person answers.
            assert status["n_items"] == 4866 and status["n_answered"] == 0
        assert (tmp_path / "movie-reviews.hilt").exists()
    finally:
        process.send_signal(2)
        process.wait(timeout=20)


def test_demo_oracle_keeps_the_digits_loop():
    result = subprocess.run([HILT_EXE, "demo", "--oracle", "--budget", "20"], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "digits" in result.stderr and "20 labels" in result.stderr

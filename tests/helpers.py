"""Helpers the test modules share (not fixtures: those are in conftest.py).

Two ways to run the command line, for the same ``subprocess.CompletedProcess`` result:

- :func:`hilt` runs ``hilt ARGS`` in this process through Click's test runner. It is what the
  executable does (the same Typer app, the same exit codes, stdout and stderr apart), without
  starting Python and importing numpy, scikit-learn, numba and pandas again for every call
  (1-2 s each, some 230 calls in the suite). A bug's exception is raised in the test, so a test
  that asserts "no traceback" cannot pass on a crash.
- :func:`hilt_exe` runs the real ``hilt`` executable as a subprocess. Each command keeps a few
  tests through it (the entry point, a real stdin, signals, the process's own exit code).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from hilt.project import Project

HILT_EXE = str(Path(sys.executable).with_name("hilt"))


@contextmanager
def _working_directory(folder: str | os.PathLike | None):
    if folder is None:
        yield
        return
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def hilt(*args: object, input: str | None = None, env: dict[str, str] | None = None,
         cwd: str | os.PathLike | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
    """``hilt ARGS`` in this process; returns what :func:`hilt_exe` would (code, stdout, stderr).

    ``env`` holds variables to set for the call (a ``None`` value unsets one); ``timeout`` is
    accepted for the same signature as :func:`hilt_exe` and not enforced in process.
    """
    from typer.testing import CliRunner

    from hilt.cli import app

    argv = [str(arg) for arg in args]
    runner = CliRunner()
    with _working_directory(cwd):
        result = runner.invoke(app, argv, input=input, env=env, catch_exceptions=True, prog_name="hilt")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # A bug, not a user error: the executable would print a traceback and exit 1.
        raise result.exception
    return subprocess.CompletedProcess(["hilt", *argv], result.exit_code, result.stdout, result.stderr)


def hilt_exe(*args: object, input: str | None = None, env: dict[str, str] | None = None,
             cwd: str | os.PathLike | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real ``hilt`` executable as a subprocess (``env`` is added to this process's environment)."""
    environment = None if env is None else {key: value for key, value in {**os.environ, **env}.items()
                                             if value is not None}
    return subprocess.run([HILT_EXE, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          input=input, env=environment, cwd=cwd,
                          stdin=None if input is not None else subprocess.DEVNULL)


# --- results and data the CLI tests share -------------------------------------------------------


def user_error(result: subprocess.CompletedProcess) -> str:
    """Assert a clean user error (exit 2, no traceback) and return its message on one line."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert "Error" in result.stderr
    return " ".join(result.stderr.split())


REVIEWS = [
    ("r01", "A warm, funny film with a big heart.", "pos"),
    ("r02", "Dull and far too long.", "neg"),
    ("r03", "The cast is wonderful and the script sings.", ""),
    ("r04", "I checked my watch every five minutes.", ""),
    ("r05", "A delight from start to finish.", ""),
    ("r06", "Lifeless, joyless and loud.", ""),
    ("r07", "Smart, tender and beautifully shot.", ""),
    ("r08", "A mess of a plot and wooden acting.", ""),
]


def write_csv(path: Path, rows, header=("id", "text", "sentiment")) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


GOOD = ["great", "wonderful", "delightful", "moving", "smart", "funny"]
BAD = ["dull", "awful", "boring", "lifeless", "tedious", "clumsy"]


def texts(n: int) -> pd.DataFrame:
    """``n`` short reviews; odd ids are positive (the truth an annotator may miss)."""
    rows = []
    for i in range(n):
        words = GOOD if i % 2 else BAD
        rows.append({"id": f"r{i:02d}", "text": f"A {words[i % 6]} and {words[(i + 1) % 6]} film, number {i}."})
    return pd.DataFrame(rows)


def truth(item_id: str) -> str:
    return "pos" if int(item_id[1:]) % 2 else "neg"


def label_twice(project: Project, steps: int) -> None:
    """ana and bob take turns: ana answers right, bob flips every fourth of his answers."""
    for step in range(steps):
        for name in ("ana", "bob"):
            item = project.next_item(name)
            if item is None:
                continue
            label = truth(item.id)
            if name == "bob" and step % 4 == 0:
                label = "neg" if label == "pos" else "pos"
            project.answer(item.id, label, name)


HEAVY = ("sklearn", "pandas", "scipy", "wordllama", "matplotlib")

#: Runs the ``hilt`` entry point in-process with ARGS, then prints which heavy modules it loaded.
IMPORTS_SCRIPT = """
import json, sys
sys.argv = ["hilt", *json.loads(sys.argv[1])]
from hilt.cli import main
try:
    main()
except SystemExit:
    pass
print("LOADED=" + ",".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


def heavy_imports(*args: str, cwd: Path | None = None) -> tuple[list[str], subprocess.CompletedProcess]:
    """Run the ``hilt`` entry point with ARGS in a fresh Python: (heavy modules it loaded, the result)."""
    script = IMPORTS_SCRIPT.format(heavy=HEAVY)
    result = subprocess.run([sys.executable, "-c", script, json.dumps(list(map(str, args)))],
                            capture_output=True, text=True, timeout=120, cwd=cwd)
    line = next(line for line in result.stderr.splitlines() if line.startswith("LOADED="))
    return [m for m in line.removeprefix("LOADED=").split(",") if m], result


# --- the labelling page in a browser (tests/test_web_*.py) ----------------------------------------


def reviews_project(tmp_path, n=300, retrain_every=10):
    """A project of the first ``n`` bundled movie reviews with one annotator, ``demo``:
    ``(path, demo's token, the true label by item id)``."""
    from hilt.datasets import load_movie_reviews
    from hilt.project import Project

    reviews = load_movie_reviews().head(n)
    truth = dict(zip(reviews["id"], reviews["sentiment"]))
    path = tmp_path / "movie-reviews.hilt"
    with Project.create(path, reviews[["id", "text"]], ["fresh", "rotten"], text_column="text",
                        id_column="id", retrain_every=retrain_every) as project:
        token = project.add_annotator("demo")
    return path, token, truth


def api(base, token, path):
    """GET ``path`` of the server at ``base`` as the annotator with ``token``."""
    import httpx

    return httpx.get(base + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def open_page(context, url, *, width: int | None = None, height: int = 800):
    """A new page of the browser ``context`` at ``url`` (in a ``width`` × ``height`` window when
    ``width`` is given), and the list its uncaught errors go to."""
    page = context.new_page()
    if width is not None:
        page.set_viewport_size({"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    return page, errors


def current_id(page):
    """The id of the item the page shows, once it shows one."""
    page.wait_for_selector("#item[data-item-id]")
    return page.get_attribute("#item", "data-item-id")


def wait_saved(page):
    """Until every answer the page sent is committed and the page says so."""
    page.wait_for_function("() => window.hilt.pending() === 0")
    page.wait_for_selector("#save-state.saved")


def press_and_next(page, key):
    """Press a key on the shown item and wait until another item is shown; returns the old id."""
    before = current_id(page)
    page.keyboard.press(key)
    page.wait_for_function(
        "(before) => { const el = document.querySelector('#item'); "
        "return el.dataset.itemId && el.dataset.itemId !== before; }",
        arg=before,
    )
    return before


class Receiver:
    """A webhook receiver on 127.0.0.1 (an http.server on a free port, in a thread): keeps every request; the first ``fail`` replies are 500s, and each
    request waits for ``gate`` (set: no wait)."""

    def __init__(self, fail: int = 0):
        self.requests: list[dict] = []
        self.fail = fail
        self.gate = threading.Event()
        self.gate.set()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.gate.wait(10)
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body})
                    failing = receiver.fail > 0
                    receiver.fail -= failing
                self.send_response(500 if failing else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()

    def events(self, name: str | None = None) -> list[dict]:
        """The bodies received (only those of event ``name``), first tries only."""
        seen, out = set(), []
        for request in self.requests:
            delivery = request["headers"]["X-Hilt-Delivery"]
            if delivery not in seen and (name is None or request["headers"]["X-Hilt-Event"] == name):
                seen.add(delivery)
                out.append(json.loads(request["body"]))
        return out

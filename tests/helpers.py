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

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

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

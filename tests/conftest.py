"""Shared fixtures. Sections belong to their tasks: append yours, do not rewrite others'."""

from __future__ import annotations

# --- web server and browser fixtures (issue 5: hilt.server, tests/test_server.py, tests/test_web_browser.py) ---

import os
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
from helpers import HILT_EXE, REVIEWS, write_csv  # noqa: E402 (HILT_EXE: re-exported for the test modules)


_HANDED_OUT: set[int] = set()
# Below Linux's ephemeral range (32768-60999), so the kernel never hands one of these to an
# outgoing connection, and never the ports bind(("", 0)) gives: those come out all odd or all even
# (the kernel keeps one parity for connect), so filtering them by residue can wait forever.
_PORTS = range(20000, 32000)


def free_port() -> int:
    """A TCP port nobody listens on right now, never one this process handed out before.

    Under pytest-xdist the workers draw from disjoint residues (port % workers == this worker's
    index), so two workers cannot both be given a port in the moment before either server binds it.
    """
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0) % count
    mine = [port for port in _PORTS if port % count == index]
    start = os.getpid() % len(mine)  # two runs side by side start at different ports
    for port in (*mine[start:], *mine[:start]):
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # someone listens there (or it is still in use)
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError(f"No free port left in {_PORTS.start}..{_PORTS.stop - 1} for worker {index} of {count}.")


@contextmanager
def running_server(project_path: Path, *extra: str, timeout: float = 60.0):
    """``hilt serve PROJECT --port FREE`` as a real subprocess; yields its base URL.

    Ready once the server answers anything (a 401 for ``/`` is an answer). The process is
    stopped (SIGINT, then kill) on exit, and its output is shown if it died early.
    """
    port = free_port()
    log_path = Path(project_path).with_suffix(f".serve-{port}.log")
    log = open(log_path, "w")
    process = subprocess.Popen(
        [HILT_EXE, "serve", str(project_path), "--port", str(port), *extra],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(f"hilt serve exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                httpx.get(base + "/", timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"hilt serve not ready after {timeout} s:\n{log_path.read_text()}")
                time.sleep(0.1)
        yield base
    finally:
        if process.poll() is None:
            process.send_signal(2)  # SIGINT: uvicorn shuts down cleanly, the project closes
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


@contextmanager
def server_in_this_process(project_path: Path, timeout: float = 60.0):
    """The app ``hilt serve PROJECT`` serves, with the same uvicorn server, on a free port in a
    thread of the test's own process; yields its base URL.

    For the browser tests that exercise the page and the API rather than the executable: it saves
    each of them a Python start with the whole stack's imports (some 3 s of a core). The real
    ``hilt serve`` process is in :func:`running_server`, which test_server*.py and the main browser
    walk-throughs keep using.
    """
    import threading

    from hilt.server import create_app
    from hilt.server.runner import bind, make_server

    port = free_port()
    server = make_server(create_app(project_path))  # the project opens here, closes at shutdown
    sock = bind("127.0.0.1", port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"hilt-serve-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise AssertionError(f"the server on port {port} did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
        assert not thread.is_alive(), f"the server on port {port} did not stop within {timeout} s"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; missing is a failure, not a skip (``make test`` installs it first)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium. Install it with "
            "`make browser` (apt-get install chromium); Playwright's own browser download does not work here."
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def browser_context(playwright_instance, chromium_path, tmp_path):
    """A fresh Chromium profile. CSP is bypassed so that tests prove item text is inert by
    itself (textContent), not only because the page's Content-Security-Policy blocks scripts."""
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=chromium_path,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1100, "height": 720},
        bypass_csp=True,
    )
    context.set_default_timeout(20_000)
    try:
        yield context
    finally:
        context.close()

def screenshots_folder(tmp_path: Path) -> Path:
    """Where a browser test saves the documentation's screenshots: the test's own folder, or
    ``HILT_SCREENSHOTS_DIR`` (``make screenshots`` sets it to docs/img). A plain test run never
    rewrites files in the checkout."""
    folder = os.environ.get("HILT_SCREENSHOTS_DIR")
    return Path(folder) if folder else tmp_path


@pytest.fixture(scope="session", autouse=True)
def _expect_waits_as_long_as_the_pages():
    """Playwright's ``expect`` retries until the page shows the state (5 s by default); as long
    as the contexts' 20 s here, for a machine busy with the other worker's tests."""
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)

# --- end of web server and browser fixtures ---

# --- PostgreSQL fixtures (issue 12: projects in PostgreSQL; tests/pg_server.py, tests/test_pg_server.py) ---

import uuid

from pg_server import PostgresError, server_from_env


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL for the whole session (a ``pg_server.PostgresServer``), started only when a
    test asks for it and stopped at the end of the session, failures and Ctrl-C included.

    ``HILT_TEST_POSTGRES_URL`` points the tests at a running server instead (never stopped, and
    ``restart()`` / ``kill()`` raise ``pg_server.RestartUnsupported``). Not found or not startable
    is a failure, not a skip: ``make test`` installs PostgreSQL first (``make postgres``).
    """
    try:
        server = server_from_env()
    except PostgresError as error:
        pytest.fail(f"PostgreSQL for the tests: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server):
    """SQLAlchemy URL (``postgresql+psycopg://...``) of a fresh, empty database of its own
    (``hilt_test_<uuid hex>``); dropped afterwards ``WITH (FORCE)``, open sessions and all."""
    name = f"hilt_test_{uuid.uuid4().hex}"
    url = postgres_server.create_database(name)
    try:
        yield url
    finally:
        if postgres_server.owned and not postgres_server.is_running():
            postgres_server.start()  # a test that crashed the server left it down
        postgres_server.drop_database(name)

# --- end of PostgreSQL fixtures ---

# --- where a test's project lives (issue 12: the store, project, reliability and server tests on both backends) ---


@pytest.fixture(params=["sqlite", "postgres"])
def where(request, tmp_path, monkeypatch):
    """Where a test's project lives: the file ``p.hilt`` (a ``Path``), or the SQLAlchemy URL of a
    fresh PostgreSQL database (a ``str``; PostgreSQL is only started for the ``postgres`` runs).
    What a host keeps of a database project (its feature cache) goes under the test's folder
    (``HILT_CACHE_DIR``, inherited by child processes), not under ``~/.cache/hilt``."""
    if request.param == "sqlite":
        return tmp_path / "p.hilt"
    monkeypatch.setenv("HILT_CACHE_DIR", str(tmp_path / "cache"))
    return request.getfixturevalue("postgres_url")

# --- end of where a test's project lives ---

# --- a Dask cluster (issue 14: features and scoring on a cluster) ---


@contextmanager
def local_cluster():
    """Two worker processes under nannies, 1 thread each, on 127.0.0.1, no dashboard."""
    import dask
    from distributed import LocalCluster

    # A LocalCluster closes a worker's nanny for good when no worker of that name is registered
    # lost-worker-timeout (15 s) after one was lost. A second kill within 15 s of the first (a
    # retrain of ~14 s on a busy machine) met that check in the moment before the nanny's new
    # worker registered: the nanny closed and the cluster stayed one worker short. Here the nanny
    # alone decides.
    with dask.config.set({"distributed.deploy.lost-worker-timeout": "1h"}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=":0", silence_logs=40)
        try:
            yield cluster
        finally:
            cluster.close()


@pytest.fixture(scope="session")
def dask_cluster():
    """A real ``distributed.LocalCluster`` for the whole session: 2 worker processes (with their
    nannies, which restart a killed worker), 1 thread each, on 127.0.0.1, no dashboard. Started
    only when a test asks for it; ``dask_cluster.scheduler_address`` is what a project is given."""
    with local_cluster() as cluster:
        yield cluster


@pytest.fixture
def own_dask_cluster():
    """A ``LocalCluster`` like ``dask_cluster`` for one test alone: the fault tests kill its
    workers, and a nanny slow to bring one back (a busy machine) must not leave the session's
    cluster short of workers for the tests after them."""
    with local_cluster() as cluster:
        yield cluster


@pytest.fixture
def small_partitions(monkeypatch):
    """Partitions of 300 items, so that a test's small pool spans several of them."""
    monkeypatch.setenv("HILT_DASK_PARTITION_ITEMS", "300")

# --- end of a Dask cluster ---


# --- data files the CLI tests share ---------------------------------------------------------------


@pytest.fixture
def reviews_csv(tmp_path) -> Path:
    """Eight short reviews (id, text, sentiment; two labelled) as a CSV file."""
    return write_csv(tmp_path / "reviews.csv", REVIEWS)

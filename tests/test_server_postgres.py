"""hilt.server over a project that several server processes share (issue 12): a PostgreSQL
project served by more than one app, undo retries that land on another process, one retrain at a
time across processes, and a database that restarts under load (503, never 500; nothing
acknowledged is lost)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from conftest import HILT_EXE, free_port
from hilt.project import Project
from hilt.server import create_app
from hilt.store import Store

LABELS = ["good", "bad"]


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    """What a host keeps of a database project (its feature cache) goes under the test's folder."""
    monkeypatch.setenv("HILT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(params=["sqlite", "postgres"])
def where(request, tmp_path):
    """A project file, or the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "p.hilt"
    return request.getfixturevalue("postgres_url")


def make_project(where, n=40, **options):
    rows = pd.DataFrame({"id": [f"i{k}" for k in range(n)], "text": [f"review number {k}" for k in range(n)]})
    with Project.create(where, rows, LABELS, text_column="text", id_column="id", eval_share=0.0,
                        **options) as project:
        return {name: project.add_annotator(name) for name in ("alice", "bob")}


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def answer_next(client, token, label="good"):
    """Lease the next item and answer it; the item id."""
    item = client.get("/api/next", headers=bearer(token)).json()["item"]
    saved = client.post("/api/answers", headers=bearer(token),
                        json={"item_id": item["id"], "label": label, "answer_id": uuid.uuid4().hex})
    assert saved.status_code == 200, saved.text
    return item["id"]


def current_labels(where):
    store = Store.open(where)
    try:
        return {row["item_id"]: row["label"] for row in store.answer_rows()}
    finally:
        store.close()


# -- serving a project in a database ------------------------------------------------------------


def test_a_server_serves_a_project_in_postgresql(postgres_url):
    tokens = make_project(postgres_url)
    with TestClient(create_app(postgres_url)) as client:
        first = answer_next(client, tokens["alice"])
        status = client.get("/api/status", headers=bearer(tokens["alice"])).json()
        assert status["n_answered"] == 1 and status["by_annotator"] == {"alice": 1}
        page = client.get("/", headers=bearer(tokens["alice"]))
        assert page.status_code == 200
        # the page names the database, never the user, host or password of the URL
        database = postgres_url.rsplit("/", 1)[1]
        assert database in page.text and "127.0.0.1" not in page.text
        export = client.get("/api/export", headers=bearer(tokens["alice"]))
        assert export.status_code == 200 and first in export.text
        assert f'{database}-labels.jsonl' in export.headers["content-disposition"]
    assert current_labels(postgres_url) == {first: "good"}


def test_two_servers_on_one_database_never_serve_one_item_twice(postgres_url):
    tokens = make_project(postgres_url, n=30)
    with TestClient(create_app(postgres_url)) as one, TestClient(create_app(postgres_url)) as two:
        seen: list[str] = []
        for _ in range(10):
            for client, who in ((one, "alice"), (two, "bob")):
                seen.append(answer_next(client, tokens[who]))
        assert len(seen) == len(set(seen)) == 20
        # what one server stored, the other reports
        assert two.get("/api/status", headers=bearer(tokens["bob"])).json()["by_annotator"] == {"alice": 10, "bob": 10}


@contextmanager
def hilt_serve(url, log_path, timeout=60.0):
    """``hilt serve URL --port FREE`` as a real process; yields its base address."""
    port = free_port()
    with open(log_path, "w") as log:
        process = subprocess.Popen([HILT_EXE, "serve", url, "--port", str(port)], stdout=log,
                                   stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert process.poll() is None, f"hilt serve exited with {process.returncode}:\n{log_path.read_text()}"
            try:
                httpx.get(base + "/api/me", timeout=1.0)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"hilt serve not ready:\n{log_path.read_text()}"
                time.sleep(0.1)
        yield base
    finally:
        process.send_signal(2)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_two_hilt_serve_processes_on_one_database_share_leases_answers_and_undo_retries(postgres_url, tmp_path):
    tokens = make_project(postgres_url, n=60, retrain_every=5)
    with Project.open(postgres_url) as project:
        people = {f"ann{k}": project.add_annotator(f"ann{k}") for k in range(6)}
    with hilt_serve(postgres_url, tmp_path / "one.log") as one, hilt_serve(postgres_url, tmp_path / "two.log") as two:

        def label(token, n=6):
            """Answer and take the next item, alternating servers (a load balancer without
            stickiness); the items this person was served."""
            served = []
            with httpx.Client(headers=bearer(token), timeout=30) as client:
                item = client.get(f"{one}/api/next").json()["item"]
                for k in range(n):
                    served.append(item["id"])
                    reply = client.post(f"{(two, one)[k % 2]}/api/answers?next=1", json={
                        "item_id": item["id"], "label": LABELS[k % 2], "answer_id": uuid.uuid4().hex})
                    assert reply.status_code == 200, reply.text
                    item = reply.json()["next"]
            return served

        with ThreadPoolExecutor(len(people)) as pool:
            items = [item for served in pool.map(label, people.values()) for item in served]
        assert len(items) == len(set(items)) == 36  # never one item on two screens, across both processes
        # an undo whose reply was lost, retried on the other process, is done once
        with httpx.Client(headers=bearer(tokens["alice"]), timeout=30) as client:
            first = client.get(f"{one}/api/next").json()["item"]["id"]
            assert client.post(f"{one}/api/answers", json={"item_id": first, "label": "good"}).status_code == 200
            second = client.get(f"{two}/api/next").json()["item"]["id"]
            assert client.post(f"{two}/api/answers", json={"item_id": second, "label": "bad"}).status_code == 200
            assert client.post(f"{one}/api/undo", json={"undo_id": "lost"}).json()["item"]["id"] == second
            assert client.post(f"{two}/api/undo", json={"undo_id": "lost"}).json()["item"]["id"] == second
            assert client.get(f"{two}/api/status").json()["by_annotator"]["alice"] == 1
            # The retrains run in each server's child process (started with the server): wait
            # for a finished run, not for time, before the servers stop and abandon one.
            deadline = time.monotonic() + 90
            while not client.get(f"{one}/api/status").json()["runs"] and time.monotonic() < deadline:
                time.sleep(0.2)
    labels = current_labels(postgres_url)
    assert labels[first] == "good" and second not in labels
    # both processes retrained as labels came in, one run at a time (the claim): no two overlap
    store = Store.open(postgres_url)
    try:
        runs = sorted(store.runs(), key=lambda run: run["started_at"])
    finally:
        store.close()
    assert runs
    for earlier, later in zip(runs, runs[1:]):
        assert earlier["finished_at"] <= later["started_at"]


# -- undo retries land on any server -------------------------------------------------------------


def test_an_undo_retried_on_another_server_undoes_only_once(where):
    tokens = make_project(where)
    with TestClient(create_app(where)) as one, TestClient(create_app(where)) as two:
        earlier = answer_next(one, tokens["alice"])
        latest = answer_next(one, tokens["alice"], label="bad")
        undone = one.post("/api/undo", json={"undo_id": "u-1"}, headers=bearer(tokens["alice"]))
        assert undone.status_code == 200 and undone.json()["item"]["id"] == latest
        # The reply was lost; the page retries, and the load balancer sends it to the other server.
        again = two.post("/api/undo", json={"undo_id": "u-1"}, headers=bearer(tokens["alice"]))
        assert again.status_code == 200 and again.json()["item"]["id"] == latest
        assert current_labels(where) == {earlier: "good"}  # the earlier answer was not undone
        # a new undo (a new id) is a new undo, on either server
        assert two.post("/api/undo", json={"undo_id": "u-2"},
                        headers=bearer(tokens["alice"])).json()["item"]["id"] == earlier
        assert current_labels(where) == {}
        # "nothing to undo" is remembered too: the retry of u-3 stays 204 after a new answer
        assert one.post("/api/undo", json={"undo_id": "u-3"}, headers=bearer(tokens["alice"])).status_code == 204
        answer_next(two, tokens["alice"])
        assert two.post("/api/undo", json={"undo_id": "u-3"}, headers=bearer(tokens["alice"])).status_code == 204
        assert len(current_labels(where)) == 1
        # undo ids are per annotator: bob's u-1 is his own undo
        bobs = answer_next(two, tokens["bob"])
        assert one.post("/api/undo", json={"undo_id": "u-1"},
                        headers=bearer(tokens["bob"])).json()["item"]["id"] == bobs


def test_undo_ids_are_forgotten_after_a_day(where, monkeypatch):
    make_project(where)
    store = Store.open(where)
    try:
        row = store.claim("ann", lease_seconds=60, eval_share=0.0)
        store.record_answer(row.key, "good", "ann", "a1")
        assert store.undo("ann", lease_seconds=60, undo_id="old").key == row.key
        later = time.time() + 2 * 24 * 3600
        monkeypatch.setattr(time, "time", lambda: later)
        store.record_answer(row.key, "bad", "ann", "a2")
        # a day later the id means nothing: this is a new undo, and the old row is gone
        assert store.undo("ann", lease_seconds=60, undo_id="new").key == row.key
        assert store.undo("ann", lease_seconds=60, undo_id="old") is None  # nothing left to undo
        from sqlalchemy import text

        from hilt.store.engine import read

        with read(store._engine) as conn:
            assert conn.execute(text("SELECT undo_id FROM undos ORDER BY undo_id")).scalars().all() == ["new", "old"]
            assert conn.execute(text("SELECT COUNT(*) FROM undos WHERE created_at < :t"),
                                {"t": later - 3600}).scalar() == 0
    finally:
        store.close()


def test_an_undo_id_must_be_a_short_string(tmp_path):
    make_project(tmp_path / "p.hilt")
    from hilt.errors import InputError

    with Project.open(tmp_path / "p.hilt") as project:
        with pytest.raises(InputError, match="undo_id"):
            project.undo("alice", undo_id="x" * 129)


# -- one retrain at a time across processes ------------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import sys
    from hilt.store import Store

    store = Store.open(sys.argv[1])
    with store.retrain_claim(sys.argv[2]) as won:
        print("won" if won else "lost", flush=True)
        sys.stdin.read()  # hold the claim until the test closes our input
    store.close()
    """
)


def labelled(project, n=12):
    for k in range(n):
        item = project.next_item("alice")
        project.answer(item.id, LABELS[k % 2], "alice")


def test_a_retrain_is_skipped_while_another_process_holds_the_claim_and_the_queue_is_still_served(where):
    make_project(where, retrain_every=1000)  # only the retrains the test asks for
    with Project.open(where) as first, Project.open(where) as second:
        labelled(first)
        first.retrain(wait=True)
        assert len(second.status()["runs"]) == 1
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(where), str(second.folder)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "won"  # another process is "retraining"
            second.retrain(wait=True)
            first.retrain(wait=True)
            assert len(second.status()["runs"]) == 1  # neither ran: no second run row
            assert second._job.skipped == first._job.skipped == 1
            served = second.next_item("bob")  # the ranking the first run wrote is served
            assert served is not None and served.guess in LABELS
        finally:
            holder.stdin.close()
            holder.wait(timeout=30)
        second.retrain(wait=True)  # the claim ended with its holder: runs again
        assert len(first.status()["runs"]) == 2


def test_two_project_objects_in_one_process_share_the_claim(where):
    make_project(where, retrain_every=1000)
    with Project.open(where) as first, Project.open(where) as second:
        labelled(first)
        with first._store.retrain_claim(first.folder) as won:
            assert won
            with second._store.retrain_claim(second.folder) as also:
                assert not also
            second.retrain(wait=True)
            assert second.status()["runs"] == []
        second.retrain(wait=True)
        assert len(second.status()["runs"]) == 1


def test_a_background_run_that_loses_the_claim_is_skipped_and_reported_by_no_error(where):
    make_project(where, retrain_every=1000)
    with Project.open(where) as first, Project.open(where) as second:
        labelled(first)
        with first._store.retrain_claim(first.folder):
            second.retrain()  # the background worker
            deadline = time.monotonic() + 30
            while second._job.skipped == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert second._job.skipped == 1
        while second.status()["retraining"] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert second.status()["retrain_error"] is None and second.status()["runs"] == []


# -- the database restarts under load -------------------------------------------------------------

UNAVAILABLE = {"type": "Unavailable", "retry": True}


def restartable(server):
    if not server.owned:
        pytest.skip("the PostgreSQL server is not the tests' own (HILT_TEST_POSTGRES_URL): it is not restarted")


class Labeller:
    """One annotator's client that keeps labelling, retrying every 5xx with the same answer_id
    (what the labelling page's net.js does). Records every reply that was not a 2xx."""

    def __init__(self, client, token, who):
        self.client, self.headers, self.who = client, bearer(token), who
        self.acknowledged: dict[str, str] = {}  # answer_id -> item id
        self.failures: list[tuple[int, dict, str | None]] = []

    def send(self, method, url, **kwargs):
        for _ in range(600):
            response = self.client.request(method, url, headers=self.headers, **kwargs)
            if response.status_code < 500:
                return response
            self.failures.append((response.status_code, response.json(), response.headers.get("retry-after")))
            time.sleep(0.05)
        raise AssertionError(f"{method} {url} still failing after 600 tries")

    def step(self) -> bool:
        reply = self.send("GET", "/api/next")
        if reply.status_code == 204:
            return False
        item = reply.json()["item"]["id"]
        answer_id = uuid.uuid4().hex
        saved = self.send("POST", "/api/answers", json={"item_id": item, "label": "good", "answer_id": answer_id})
        assert saved.status_code == 200 and saved.json()["saved"], saved.text
        self.acknowledged[answer_id] = item
        return True


def stored_answer_ids(url):
    store = Store.open(url)
    try:
        return {row["answer_id"] for row in store.answer_rows(include_retracted=True)}
    finally:
        store.close()


def test_while_the_database_is_down_requests_get_a_retryable_503_and_then_work_again(postgres_server, postgres_url):
    restartable(postgres_server)
    tokens = make_project(postgres_url)
    with TestClient(create_app(postgres_url), raise_server_exceptions=False) as client:
        before = answer_next(client, tokens["alice"])
        postgres_server.kill()
        try:
            for method, url, body in (("GET", "/api/next", None), ("GET", "/api/status", None),
                                      ("POST", "/api/answers", {"item_id": "i1", "label": "good", "answer_id": "a"}),
                                      ("POST", "/api/undo", {"undo_id": "u"})):
                reply = client.request(method, url, json=body, headers=bearer(tokens["alice"]))
                assert reply.status_code == 503, (url, reply.status_code, reply.text)
                assert reply.json()["type"] == "Unavailable" and reply.json()["retry"] is True
                assert "database is unreachable" in reply.json()["error"] and "retry" in reply.json()["error"].lower()
                assert reply.headers["retry-after"] == "2"
            page = client.get("/", headers=bearer(tokens["alice"]))
            assert page.status_code == 503 and "text/html" in page.headers["content-type"]
            assert "cannot be reached" in page.text and page.headers["retry-after"] == "2"
        finally:
            postgres_server.start()
        # the pool's pre-ping replaces the dead connections: the same app works again
        after = answer_next(client, tokens["alice"])
        assert current_labels(postgres_url) == {before: "good", after: "good"}


def test_a_project_file_locked_too_long_by_another_process_is_a_503_too(tmp_path, monkeypatch):
    import sqlite3

    from hilt.store import engine

    tokens = make_project(tmp_path / "p.hilt")
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 200)  # hilt waits 30 s; the test does not
    with TestClient(create_app(tmp_path / "p.hilt"), raise_server_exceptions=False) as client:
        other = sqlite3.connect(tmp_path / "p.hilt", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            reply = client.get("/api/next", headers=bearer(tokens["alice"]))
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert reply.status_code == 503 and reply.headers["retry-after"] == "2"
        assert reply.json()["type"] == "Unavailable" and "project file is busy" in reply.json()["error"]
        assert client.get("/api/next", headers=bearer(tokens["alice"])).status_code == 200


@pytest.mark.parametrize("how", ["restart", "crash"])
def test_a_database_restart_under_load_loses_no_acknowledged_answer_and_never_answers_500(
        postgres_server, postgres_url, how):
    restartable(postgres_server)
    tokens = make_project(postgres_url, n=400)
    with TestClient(create_app(postgres_url), raise_server_exceptions=False) as client:
        labellers = [Labeller(client, tokens[who], who) for who in ("alice", "bob")]
        stop = threading.Event()
        errors: list[BaseException] = []

        def work(labeller):
            try:
                while not stop.is_set() and labeller.step():
                    pass
            except BaseException as error:  # reported by the test thread
                errors.append(error)

        threads = [threading.Thread(target=work, args=(labeller,)) for labeller in labellers]
        for thread in threads:
            thread.start()
        try:
            while sum(len(l.acknowledged) for l in labellers) < 10 and not errors:
                time.sleep(0.01)
            if how == "restart":
                postgres_server.restart()
            else:
                postgres_server.kill()
                time.sleep(1.0)  # down for a while, as a crashed server is
                postgres_server.start()
            done = sum(len(l.acknowledged) for l in labellers)
            deadline = time.monotonic() + 60
            while sum(len(l.acknowledged) for l in labellers) < done + 10 and not errors:
                assert time.monotonic() < deadline, "no answers got through after the database came back"
                time.sleep(0.01)
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
            if not postgres_server.is_running():
                postgres_server.start()
        assert not errors, errors
    acknowledged = {answer_id for l in labellers for answer_id in l.acknowledged}
    assert acknowledged <= stored_answer_ids(postgres_url)  # every acknowledged answer is stored
    failures = [f for l in labellers for f in l.failures]
    if how == "crash":
        assert failures  # the requests during the outage were refused, and retried
    for status, body, retry_after in failures:
        assert status == 503 and {k: body.get(k) for k in UNAVAILABLE} == UNAVAILABLE, (status, body)
        assert "database is unreachable" in body["error"] and retry_after == "2"
    # No item was answered twice: a retried answer is stored once, and leases held across a
    # restart. Not after a crash: a lease commits with synchronous_commit off (losing one only
    # frees its item early; answers commit with it on), so a crash may forget the last leases
    # and serve such an item to a second person, who may answer it too (both answers are kept).
    items = [item for l in labellers for item in l.acknowledged.values()]
    if how == "restart":
        assert len(items) == len(set(items))

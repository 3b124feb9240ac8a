"""A `hilt serve` process dies under a team's load (issue 12): two real `hilt serve URL` processes
over one PostgreSQL project, annotators working through both with the labelling page's retries
(the same answer_id, on the other server when one stops answering), and one server SIGKILLed
mid-work. Every answer either server acknowledged is in the database afterwards, and the items
the dead server had leased are served again by the surviving one once their lease runs out.

The database itself restarting or crashing under load (503 {"retry": true}, never a 500 or a
hang; nothing acknowledged lost) is tests/test_server_postgres.py::
test_a_database_restart_under_load_loses_no_acknowledged_answer_and_never_answers_500.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pandas as pd
import pytest

from conftest import HILT_EXE, free_port
from hilt.project import Project

LABELS = ["good", "bad"]
LEASE_SECONDS = 2
N_ITEMS = 120
N_ANNOTATORS = 6


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    """The feature cache of a database project goes under the test's folder (the servers inherit it)."""
    monkeypatch.setenv("HILT_CACHE_DIR", str(tmp_path / "cache"))


@dataclass
class Serve:
    """One `hilt serve URL` process of the test's own."""

    base: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def hilt_serve(url: str, log_path: Path):
    """Start `hilt serve URL --port FREE` (not waiting for it); stop it at the end unless it is dead."""
    port = free_port()
    with open(log_path, "w") as log:
        process = subprocess.Popen([HILT_EXE, "serve", url, "--port", str(port)], stdout=log,
                                   stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        yield Serve(f"http://127.0.0.1:{port}", process, log_path)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_ready(server: Serve, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert server.process.poll() is None, f"hilt serve exited with {server.process.returncode}:\n{server.log()}"
        try:
            httpx.get(server.base + "/api/me", timeout=1.0)
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"hilt serve not ready after {timeout} s:\n{server.log()}"
            time.sleep(0.1)


@dataclass
class Served:
    item: str
    base: str
    sent: float  # monotonic time the GET /api/next was sent
    received: float  # and its reply came


@dataclass
class Annotator:
    """One person's labelling page: requests alternate between the servers (a load balancer
    without stickiness); a request that gets no reply, or a 5xx, is sent again (with the same
    answer_id) to the other server. A server that stopped answering is no longer used."""

    name: str
    token: str
    servers: list[str]
    dead: set[str]
    acknowledged: dict[str, tuple[str, str]] = field(default_factory=dict)  # answer_id -> (item, label)
    served: list[Served] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)  # non-2xx replies
    transport_errors: int = 0
    turn: int = 0

    def send(self, client: httpx.Client, method: str, path: str, **kwargs) -> tuple[httpx.Response, str, float]:
        deadline = time.monotonic() + 60
        while True:
            alive = [base for base in self.servers if base not in self.dead] or self.servers
            base = alive[self.turn % len(alive)]
            self.turn += 1
            sent = time.monotonic()
            try:
                reply = client.request(method, base + path, **kwargs)
            except httpx.TransportError:
                self.transport_errors += 1
                self.dead.add(base)  # the load balancer's health check marks it down
            else:
                if reply.status_code < 500:
                    return reply, base, sent
                self.refused.append((reply.status_code, reply.text[:200]))
            assert time.monotonic() < deadline, f"{self.name}: {method} {path} got no reply for 60 s"
            time.sleep(0.05)

    def work(self, stop: threading.Event) -> None:
        rng = random.Random(self.name)
        with httpx.Client(headers={"Authorization": f"Bearer {self.token}"}, timeout=30) as client:
            idle_since = None
            while not stop.is_set():
                reply, base, sent = self.send(client, "GET", "/api/next")
                if reply.status_code == 204:
                    # Nothing to serve now: either all is labelled, or what is left is leased
                    # (the dead server's leases among them) and comes back when they expire.
                    left = self.send(client, "GET", "/api/status")[0].json()["n_left"]
                    if left == 0:
                        return
                    idle_since = idle_since or time.monotonic()
                    assert time.monotonic() - idle_since < 30, f"{left} items never served again"
                    time.sleep(0.2)
                    continue
                assert reply.status_code == 200, reply.text
                idle_since = None
                item = reply.json()["item"]["id"]
                self.served.append(Served(item, base, sent, time.monotonic()))
                time.sleep(rng.uniform(0, 0.02))  # reading
                label = LABELS[rng.randrange(2)]
                answer_id = uuid.uuid4().hex
                saved, _, _ = self.send(client, "POST", "/api/answers",
                                        json={"item_id": item, "label": label, "answer_id": answer_id})
                assert saved.status_code == 200 and saved.json()["saved"] is True, saved.text
                self.acknowledged[answer_id] = (item, label)


def test_a_server_killed_mid_work_loses_no_acknowledged_answer_and_its_leases_come_back(postgres_url, tmp_path):
    rows = pd.DataFrame({"id": [f"i{k:03d}" for k in range(N_ITEMS)],
                         "text": [f"review {k} was {('fine', 'poor', 'great', 'dull')[k % 4]}" for k in range(N_ITEMS)]})
    with Project.create(postgres_url, rows, LABELS, text_column="text", id_column="id", features="tfidf",
                        eval_share=0.0, lease_seconds=LEASE_SECONDS, retrain_every=25) as project:
        tokens = {f"ann{k}": project.add_annotator(f"ann{k}") for k in range(N_ANNOTATORS)}
        holder_token = project.add_annotator("walked-away")

    with ExitStack() as stack:
        one = stack.enter_context(hilt_serve(postgres_url, tmp_path / "one.log"))
        two = stack.enter_context(hilt_serve(postgres_url, tmp_path / "two.log"))
        wait_ready(one)
        wait_ready(two)

        # Someone takes an item on the server that will die, and never answers it.
        held_sent = time.monotonic()
        held = httpx.get(one.base + "/api/next", headers={"Authorization": f"Bearer {holder_token}"}, timeout=30)
        assert held.status_code == 200, held.text
        held_item = held.json()["item"]["id"]

        dead: set[str] = set()
        annotators = [Annotator(name, token, [one.base, two.base], dead) for name, token in tokens.items()]
        stop = threading.Event()
        failures: list[BaseException] = []

        def run(annotator: Annotator) -> None:
            try:
                annotator.work(stop)
            except BaseException as error:  # reported by the test thread
                failures.append(error)
                stop.set()

        threads = [threading.Thread(target=run, args=(a,), daemon=True) for a in annotators]
        for thread in threads:
            thread.start()
        try:
            deadline = time.monotonic() + 60
            while sum(len(a.acknowledged) for a in annotators) < 30 and not failures:
                assert time.monotonic() < deadline, "the annotators got nowhere before the kill"
                time.sleep(0.01)
            one.process.send_signal(signal.SIGKILL)  # mid-work: requests in flight on it are cut off
            one.process.wait(timeout=10)
            acknowledged_before_kill = sum(len(a.acknowledged) for a in annotators)
            finish_by = time.monotonic() + 75
            for thread in threads:
                thread.join(timeout=max(0.0, finish_by - time.monotonic()))
            assert not any(thread.is_alive() for thread in threads), "an annotator hung"
        finally:
            stop.set()
        assert not failures, failures
        assert two.process.poll() is None, f"the surviving server died:\n{two.log()}"
        status = httpx.get(two.base + "/api/status", headers={"Authorization": f"Bearer {holder_token}"},
                           timeout=30).json()

    # The kill was mid-work: answers went through both servers before it, and on after it.
    assert {s.base for a in annotators for s in a.served} == {one.base, two.base}
    assert 30 <= acknowledged_before_kill < sum(len(a.acknowledged) for a in annotators)
    assert dead == {one.base}  # the clients noticed the dead server, and only it
    assert not [r for a in annotators for r in a.refused]  # no 5xx: the survivor never failed a request

    # Every answer either server acknowledged is in the database, as acknowledged.
    with Project.open(postgres_url) as project:
        stored = {row["answer_id"]: (row["item_id"], row["label"]) for row in project.export_rows(include_retracted=True)}
    acknowledged = {answer_id: what for a in annotators for answer_id, what in a.acknowledged.items()}
    missing = {answer_id: what for answer_id, what in acknowledged.items() if stored.get(answer_id) != what}
    assert not missing, f"{len(missing)} acknowledged answers not stored: {list(missing.items())[:5]}"
    # Every item ends labelled: also those the dead server leased in replies that never arrived.
    assert status["n_left"] == 0 and status["n_answered"] == N_ITEMS

    # The item held on the dead server was served again by the survivor, after its lease ran out.
    again = [s for a in annotators for s in a.served if s.item == held_item]
    assert again and all(s.base == two.base for s in again), again
    assert min(s.received for s in again) >= held_sent + LEASE_SECONDS - 0.1
    assert held_item in {item for item, _ in acknowledged.values()}
    # And no item was ever served to someone while another's lease on it was live: an item
    # served twice was served again only once the earlier lease had run out.
    by_item: dict[str, list[Served]] = {}
    for s in (s for a in annotators for s in a.served):
        by_item.setdefault(s.item, []).append(s)
    for item, serves in by_item.items():
        serves.sort(key=lambda s: s.sent)
        for earlier, later in zip(serves, serves[1:]):
            assert later.received >= earlier.sent + LEASE_SECONDS - 0.1, (item, earlier, later)
    print(f"acknowledged {len(acknowledged)} ({acknowledged_before_kill} before the kill), requests cut off by "
          f"the kill {sum(a.transport_errors for a in annotators)}, items served more than once "
          f"{sum(len(serves) > 1 for serves in by_item.values())}, model runs {len(status['runs'])}")

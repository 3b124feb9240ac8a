"""Webhooks (hilt.project.webhooks) against a real local receiver: an http.server on 127.0.0.1 on
a free port, in a thread of the test. Signed bodies, the two events and when they are not sent,
retries, the bounded queue, a closed port that never slows answers, and bad settings."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time

import pytest

from helpers import Receiver, hilt, texts, user_error
from hilt.errors import InputError
from hilt.project import Project
from hilt.project.webhooks import Sender, check_url
from conftest import free_port

SECRET = "s3cret-for-tests"


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch):
    monkeypatch.setenv("HILT_WEBHOOK_BACKOFF", "0.01")
    monkeypatch.setenv("HILT_WEBHOOK_TIMEOUT", "2")
    monkeypatch.delenv("HILT_WEBHOOK_SECRET", raising=False)


def make(path, *, n=12, **options) -> Project:
    options = {"features": "tfidf", "eval_share": 0, "retrain_every": 1000, **options}
    return Project.create(path, texts(n), ["neg", "pos"], id_column="id", text_column="text", **options)


def test_answers_send_signed_label_changes_and_a_run_sends_run_finished(tmp_path):
    with Receiver() as receiver, make(tmp_path / "reviews.hilt", retrain_every=4) as project:
        hook = project.set_webhook(receiver.url, secret=SECRET)
        assert (hook.url, hook.secret) == (receiver.url, True)
        answered = []
        for k in range(4):  # the 4th label starts a background retrain
            item = project.next_item("ada")
            project.answer(item.id, ["neg", "pos"][k % 2], "ada")
            answered.append(item.id)
        deadline = time.monotonic() + 20
        while not receiver.events("run.finished") and time.monotonic() < deadline:
            time.sleep(0.05)
        project.undo("ada")
        assert project._webhooks.flush(5)
        status = project.status().webhook
    for request in receiver.requests:  # each body is signed with the secret, as a receiver checks it
        expected = "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
        assert hmac.compare_digest(request["headers"]["X-Hilt-Signature"], expected)
        assert request["headers"]["Content-Type"] == "application/json"
    changes = receiver.events("label.changed")
    assert [(c["item_id"], c["old_label"], c["new_label"]) for c in changes] == [
        (answered[0], None, "neg"), (answered[1], None, "pos"), (answered[2], None, "neg"),
        (answered[3], None, "pos"), (answered[3], "pos", None)]
    assert all(c["annotator"] == "ada" and c["project"] == "reviews" and c["at"] for c in changes)
    (run,) = receiver.events("run.finished")
    assert run["n_train"] == 4 and run["run_id"] >= 1 and "eval_accuracy" in run and run["project"] == "reviews"
    assert (status.delivered, status.failed, status.dropped, status.queued, status.last_error) == (6, 0, 0, 0, None)


def test_no_event_for_an_agreeing_vote_a_skip_or_a_tie_and_one_for_a_review(tmp_path):
    with Receiver() as receiver, make(tmp_path / "p.hilt", overlap=1.0, annotators_per_item=2) as project:
        project.add_annotator("rita", reviewer=True)
        project.set_webhook(receiver.url)
        item = project.next_item("ana")
        project.answer(item.id, "pos", "ana")            # None -> pos
        project.answer(item.id, "pos", "bob")            # an agreeing second vote: no change
        other = project.next_item("ana")
        project.answer(other.id, None, "ana")            # a skip: no label before or after
        project.answer(other.id, "neg", "bob")           # None -> neg
        project.answer(other.id, "pos", "cy")            # 1 neg, 1 pos: the earliest voter's stays
        project.answer(item.id, "pos", "ana", answer_id=None)  # a repeated vote: no change
        project.review(other.id, "pos", "rita")          # neg -> pos
        project.change_answer(item.id, "neg", "ana")     # ana neg, bob pos: the tie goes to bob's pos
        assert project._webhooks.flush(5)
    changes = [(c["item_id"], c["old_label"], c["new_label"], c["annotator"])
               for c in receiver.events("label.changed")]
    assert changes == [(item.id, None, "pos", "ana"), (other.id, None, "neg", "bob"),
                       (other.id, "neg", "pos", "rita")]
    assert all("X-Hilt-Signature" not in r["headers"] for r in receiver.requests)  # no secret: unsigned


def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try(tmp_path):
    with Receiver(fail=2) as receiver, make(tmp_path / "p.hilt") as project:
        project.set_webhook(receiver.url, secret=SECRET)
        item = project.next_item("ada")
        project.answer(item.id, "pos", "ada")
        assert project._webhooks.flush(5)
        status = project.status().webhook
    assert [r["headers"]["X-Hilt-Event"] for r in receiver.requests] == ["label.changed"] * 3
    assert len({r["headers"]["X-Hilt-Delivery"] for r in receiver.requests}) == 1  # one delivery, three tries
    assert (status.delivered, status.failed) == (1, 0) and status.last_error == "HTTP 500 Internal Server Error"


def test_a_full_queue_drops_the_oldest_events_and_counts_them(caplog):
    with Receiver() as receiver:
        receiver.gate.clear()  # the receiver holds the first event: the rest wait in the queue
        sender = Sender(queue_size=2, tries=1)
        for k in range(5):
            sender.send(receiver.url, SECRET, "label.changed", {"n": k})
            if k == 0:
                deadline = time.monotonic() + 5
                while not sender._sending and time.monotonic() < deadline:
                    time.sleep(0.01)
        assert sender.counts()["dropped"] == 2 and sender.counts()["queued"] == 3
        receiver.gate.set()
        assert sender.flush(5)
        sender.close()
    assert [json.loads(r["body"])["n"] for r in receiver.requests] == [0, 3, 4]
    assert sender.counts()["delivered"] == 3
    assert "webhook queue full" in caplog.text


def test_a_closed_port_or_a_silent_receiver_never_slows_answers(tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("HILT_WEBHOOK_TRIES", "3")
    closed = f"http://127.0.0.1:{free_port()}/hook"

    def answer_ten(project) -> float:
        start = time.perf_counter()
        for _ in range(10):
            project.answer(project.next_item("ada").id, "pos", "ada")
        return time.perf_counter() - start

    with Receiver() as silent, make(tmp_path / "p.hilt", n=30) as project:
        project.set_webhook(closed, secret=SECRET)
        refused = answer_ten(project)
        assert project._webhooks.flush(10)
        status = project.status().webhook
        assert (status.delivered, status.failed, status.queued) == (0, 10, 0)
        assert "ConnectionRefusedError" in status.last_error
        silent.gate.clear()  # holds every request: a POST on the answer's path would wait its 2 s timeout
        project.set_webhook(silent.url)
        held = answer_ten(project)
        assert project.status().webhook.queued >= 9  # answered, while the events wait for the receiver
        silent.gate.set()
        assert project._webhooks.flush(10)
        status = project.status().webhook
    # Ten SQLite answers take tens of milliseconds; one answer waiting for a POST would take 2 s.
    assert refused < 2.0 and held < 2.0, (refused, held)
    assert (status.delivered, status.failed) == (10, 10)
    assert caplog.text.count("given up after 3 tries") == 10


def test_bad_urls_are_refused_and_config_shows_set_not_the_secret(tmp_path, monkeypatch):
    for bad in ("ftp://example.org/hook", "example.org/hook", "http://", "http://host:99999/x", 42):
        with pytest.raises(InputError, match="http:// or https:// URL"):
            check_url(bad)
    path = tmp_path / "p.hilt"
    make(path).close()
    message = user_error(hilt("config", path, "webhook=file:///etc/passwd"))
    assert "Expected the webhook to be an http:// or https:// URL" in message and "file:///etc/passwd" in message
    done = hilt("config", path, "webhook=https://example.org/hilt?token=abc", f"webhook_secret={SECRET}")
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr and "token=abc" not in done.stdout
    assert re.search(r"webhook\s*│\s*https://example\.org/hilt\?\*\*\*  \(changed\)", done.stdout), done.stdout
    assert re.search(r"webhook_secret\s*│\s*set  \(changed\)", done.stdout), done.stdout
    shown = hilt("config", path)
    assert SECRET not in shown.stdout and re.search(r"webhook_secret\s*│\s*set\s*│", shown.stdout)
    assert "https://example.org/hilt?*** (signed)" in hilt("status", path).stdout
    status = json.loads(hilt("status", path, "--json").stdout)["webhook"]
    assert status == {"url": "https://example.org/hilt?***", "secret": True, "delivered": 0, "failed": 0,
                      "dropped": 0, "queued": 0, "last_error": None}
    hilt("config", path, "webhook_secret=")
    with Project.open(path) as project:
        assert project.status().webhook.secret is False
        monkeypatch.setenv("HILT_WEBHOOK_SECRET", "from-the-environment")
        project._webhooks.refresh_seconds = 0
        assert project.status().webhook.secret is True
        project.set_webhook("off")
        assert project.status().webhook is None
    assert hilt("config", path, "webhook=off").returncode == 0


def test_label_changes_on_each_backend_and_a_running_process_reads_the_setting_again(where):
    with Receiver() as receiver, make(where, n=6) as project:
        project._webhooks.refresh_seconds = 0  # a server reads it again every few seconds
        assert project.status().webhook is None
        with Project.open(where) as other:  # hilt config, in another process
            other.set_webhook(receiver.url, secret=SECRET)
        item = project.next_item("ada")
        project.answer(item.id, "neg", "ada")
        project.change_answer(item.id, "pos", "ada")
        assert project._webhooks.flush(5)
    assert [(c["old_label"], c["new_label"]) for c in receiver.events("label.changed")] == [
        (None, "neg"), ("neg", "pos")]


def test_the_servers_answers_undo_and_review_send_events_and_its_status_counts_them(tmp_path):
    from fastapi.testclient import TestClient

    from hilt.server import create_app

    path = tmp_path / "p.hilt"
    with make(path, task="multilabel") as project:
        tokens = {"ada": project.add_annotator("ada"), "rita": project.add_annotator("rita", reviewer=True)}
    with Receiver() as receiver:
        with TestClient(create_app(path)) as client:
            def call(method: str, url: str, who: str = "ada", **kwargs) -> dict:
                response = client.request(method, url, headers={"Authorization": f"Bearer {tokens[who]}"}, **kwargs)
                assert response.status_code == 200, response.text
                return response.json()

            with Project.open(path) as other:  # hilt config while the server runs
                other.set_webhook(receiver.url, secret=SECRET)
            client.app.state.project._webhooks.refresh_seconds = 0  # (a server reads it every 5 s)
            first = call("GET", "/api/next")["item"]["id"]
            call("POST", "/api/answers", json={"item_id": first, "label": ["pos"]})
            second = call("GET", "/api/next")["item"]["id"]
            call("POST", "/api/answers", json={"item_id": second, "label": []})
            call("POST", "/api/undo")
            call("POST", "/api/review", who="rita", json={"item_id": first, "label": ["neg", "pos"]})
            deadline = time.monotonic() + 10
            while len(receiver.requests) < 4 and time.monotonic() < deadline:
                time.sleep(0.02)
            hook = call("GET", "/api/status")["webhook"]
    assert [(c["item_id"], c["old_label"], c["new_label"], c["annotator"])
            for c in receiver.events("label.changed")] == [
        (first, None, ["pos"], "ada"), (second, None, [], "ada"), (second, [], None, "ada"),
        (first, ["pos"], ["neg", "pos"], "rita")]
    assert hook["delivered"] == 4 and hook["url"] == receiver.url and hook["secret"] is True


def test_a_mistyped_variable_never_fails_an_answer(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("HILT_WEBHOOK_TRIES", "many")
    with Receiver() as receiver, make(tmp_path / "p.hilt") as project:
        project.set_webhook(receiver.url)
        item = project.next_item("ada")
        assert project.answer(item.id, "pos", "ada")["saved"]
        assert project._webhooks.flush(5)
    assert len(receiver.events("label.changed")) == 1
    assert "Expected HILT_WEBHOOK_TRIES to be a whole number >= 1; got 'many'. The webhook uses the defaults." in caplog.text


def test_a_bulk_labelling_and_its_undo_send_one_event_per_changed_item(tmp_path):
    with Receiver() as receiver, make(tmp_path / "reviews.hilt") as project:
        project.set_webhook(receiver.url, secret=SECRET)
        item = project.next_item("ada")
        project.answer(item.id, "pos", "ada")  # already "pos": labelling it "pos" again changes nothing
        others = [key for key in texts(12)["id"].astype(str) if key != item.id][:3]
        reply = project.label_many([item.id, *others], "pos", "ada", batch_id="g1")
        assert reply.n_stored == 4
        project.undo_batch("ada", "g1")
        assert project._webhooks.flush(5)
    changes = [(c["item_id"], c["old_label"], c["new_label"]) for c in receiver.events("label.changed")]
    assert changes[0] == (item.id, None, "pos")
    assert sorted(changes[1:4]) == sorted((key, None, "pos") for key in others)
    # The undo takes the group back: the three become unlabelled; the first keeps ada's own "pos".
    assert sorted(changes[4:]) == sorted((key, "pos", None) for key in others)

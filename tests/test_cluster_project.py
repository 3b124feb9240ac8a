"""Projects on a real Dask cluster (the session's ``dask_cluster``: 2 worker processes).

A Dask retrain ranks exactly as a local one for the uncertainty strategies (same items, scores
and guesses; same n_train and evaluation accuracy), on SQLite and PostgreSQL, for text and
table features; the strategies that compare items give a valid queue from a candidate pool;
features are reused (this process's memory, then published on the scheduler) and rebuilt
when items are added; a worker killed mid-retrain neither hangs nor corrupts the ranking,
and labelling goes on meanwhile; an unreachable scheduler or non-distributable features are
refused before anything is written. Unit tests without a cluster are in test_cluster.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from conftest import free_port
from hilt import Project
from hilt.cluster import CONNECT_TIMEOUT_ENV
from hilt.datasets import load_movie_reviews
from hilt.errors import InputError

# One worker runs these tests (pytest-xdist --dist loadgroup): they share the session's cluster.
pytestmark = pytest.mark.xdist_group("dask")

LABELS = ["fresh", "rotten"]
N_LABELLED = 30
QUEUE = 150


@pytest.fixture(scope="module")
def reviews() -> pd.DataFrame:
    # 1,500 of the bundled reviews: with 300-item partitions, five partitions (the last one
    # full), enough for ties between partitions' tops, quick to import and to featurize.
    return load_movie_reviews()[["id", "text", "sentiment"]].iloc[:1500].reset_index(drop=True)


@pytest.fixture(scope="module")
def digits() -> pd.DataFrame:
    from sklearn.datasets import load_digits

    data = load_digits()
    frame = pd.DataFrame(data.data, columns=[f"p{i}" for i in range(data.data.shape[1])])
    frame.insert(0, "id", [f"d{i:04d}" for i in range(len(frame))])
    frame["digit"] = [str(d) for d in data.target]  # several constant (all-zero) pixel columns
    return frame


@pytest.fixture
def address(dask_cluster) -> str:
    wait_for_workers(dask_cluster.scheduler_address)  # a killed worker's replacement, if any
    return dask_cluster.scheduler_address


def wait_for_workers(address: str, n: int = 2, timeout: float = 60) -> None:
    from distributed import Client

    with Client(address, timeout=30, set_as_default=False) as client:
        client.wait_for_workers(n, timeout=timeout)


def create(where, frame: pd.DataFrame, *, truth: str = "sentiment", labels=LABELS, features="tfidf",
           strategy="margin", n_labelled: int = N_LABELLED, **kwargs) -> dict:
    """A project at ``where`` with ``n_labelled`` items labelled through next_item/answer (the
    true label, as a person would); returns the true labels by item id. No background retrain
    (retrain_every is out of reach): every run in these tests is an explicit one."""
    kind = {"text_column": "text"} if "text" in frame else {}
    items = frame.drop(columns=[truth])
    with Project.create(where, items, labels, id_column="id", features=features, strategy=strategy,
                        retrain_every=100_000, queue_size=QUEUE, seed=0, **kind, **kwargs) as project:
        label(project, dict(zip(frame["id"], frame[truth])), n_labelled)
    return dict(zip(frame["id"], frame[truth]))


def label(project: Project, truth: dict, n: int, annotator: str = "ada") -> None:
    for _ in range(n):
        item = project.next_item(annotator)
        project.answer(item.id, truth[item.id], annotator)


def retrained(where, scheduler=None, strategy: str | None = None) -> dict:
    """Retrain once (on the cluster when ``scheduler`` is given) and return what the run made."""
    if strategy is not None:  # set with a local project: configure() is tested on its own below
        with Project.open(where) as project:
            project.configure(strategy=strategy)
    with Project.open(where, scheduler=scheduler) as project:
        project.retrain(wait=True)
        report = project._job.last_report
        run = project.status()["runs"][-1]
        # The guesses the run wrote for the evaluation items served next (never served as ranked).
        evaluation = eval_guesses(project)
        return {"ranking": project._store.ranking(100), "evaluation": evaluation,
                "n_train": run["n_train"], "n_eval": run["n_eval"],
                "eval_accuracy": run["eval_accuracy"], "source": report.features_source,
                "scheduler": project.status()["scheduler"], "run_id": report.run_id}


def eval_guesses(project: Project) -> list[tuple[str, str, float]]:
    """The guesses the served run wrote for evaluation items (never served as ranked), by key."""
    from sqlalchemy import text

    from hilt.store.common import get_meta
    from hilt.store.engine import read

    with read(project._store._engine) as conn:
        return [tuple(row) for row in conn.execute(text(
            "SELECT i.key, q.guess, q.score FROM queue q JOIN items i ON i.id = q.item "
            "WHERE q.run_id = :run AND i.is_eval = 1 ORDER BY i.key"), {"run": get_meta(conn, "queue_run")})]


def assert_same_run(local: dict, dask: dict) -> None:
    assert len(local["ranking"]) == 100
    assert [r[0] for r in dask["ranking"]] == [r[0] for r in local["ranking"]]  # the items, in order
    assert [r[2] for r in dask["ranking"]] == [r[2] for r in local["ranking"]]  # the guesses
    assert [r[1] for r in dask["ranking"]] == pytest.approx([r[1] for r in local["ranking"]], rel=1e-12, abs=1e-12)
    assert dask["n_train"] == local["n_train"] > 0
    assert local["evaluation"] and all(guess is not None for _, guess, _ in local["evaluation"])
    assert [e[:2] for e in dask["evaluation"]] == [e[:2] for e in local["evaluation"]]
    assert [e[2] for e in dask["evaluation"]] == pytest.approx([e[2] for e in local["evaluation"]], rel=1e-9, abs=1e-9)
    assert dask["n_eval"] == local["n_eval"]
    assert dask["eval_accuracy"] == local["eval_accuracy"]


# -- (1, 2, 8) the Dask ranking is the local ranking -------------------------------------------

def test_tfidf_margin_on_the_cluster_ranks_as_locally(where, address, reviews, small_partitions):
    # The same project retrained twice: locally, then on the cluster (both backends).
    create(where, reviews)
    local = retrained(where)
    dask = retrained(where, scheduler=address)
    assert local["scheduler"] is None and dask["scheduler"] == address
    assert dask["source"] == "built"
    assert local["n_eval"] > 0 and local["eval_accuracy"] is not None  # accuracy was really compared
    assert_same_run(local, dask)


@pytest.mark.parametrize("features, strategy", [
    ("tfidf", "entropy"),
    ("tfidf", "least"),
    ("tfidf+embeddings", "margin"),
    ("scale", "margin"),
    ("scale", "entropy"),
])
def test_the_cluster_ranks_as_locally(tmp_path, address, reviews, digits, small_partitions, features, strategy):
    # A copy of the labelled project file for each side: nothing shared but the items and labels.
    table = features == "scale"
    frame, labels = (digits, [str(d) for d in range(10)]) if table else (reviews, LABELS)
    first = tmp_path / "local.hilt"
    create(first, frame, truth="digit" if table else "sentiment", labels=labels, features=features,
           strategy=strategy, n_labelled=60 if table else N_LABELLED)
    second = tmp_path / "dask.hilt"
    shutil.copy(first, second)
    local = retrained(first)
    dask = retrained(second, scheduler=address)
    assert_same_run(local, dask)


# -- (3, 4) strategies that compare items: a valid queue from the candidate pool --------------

def assert_valid_queue(project: Project, expected: int) -> list:
    store = project._store
    queue = store.ranking()
    keys = [r[0] for r in queue]
    assert len(keys) == len(set(keys)) == expected
    by_key = {v: k for k, v in store.item_keys().items()}
    labelled = set(store.current_labels())
    rowids, is_eval, _ = store.item_fields_between([], 1, max(by_key.values()))
    evaluation = set(rowids[is_eval].tolist())
    assert not any(by_key[k] in labelled for k in keys)  # nothing already labelled
    assert not any(by_key[k] in evaluation for k in keys)  # nothing from the evaluation sample
    return queue


def test_strategies_that_compare_items_give_a_valid_queue(tmp_path, address, reviews, small_partitions):
    where = tmp_path / "p.hilt"
    create(where, reviews)
    for strategy in ["margin+diverse", "cluster", "margin:8/random:2", "committee", "representative"]:
        with Project.open(where) as project:
            project.configure(strategy=strategy)
        with Project.open(where, scheduler=address) as project:
            project.retrain(wait=True)
            assert project.status()["runs"][-1]["strategy"] == strategy
            queue = assert_valid_queue(project, min(QUEUE, 1500))
            assert all(guess in LABELS for _, _, guess in queue), strategy


def test_a_cold_start_diversity_strategy_writes_a_first_queue(where, address, reviews, small_partitions):
    # No labels, no model: "cluster" still has representatives to show first.
    with Project.create(where, reviews.drop(columns=["sentiment"]), LABELS, text_column="text", id_column="id",
                        features="tfidf", strategy="cluster", queue_size=QUEUE, seed=0,
                        scheduler=address) as project:
        assert project._store.ranking() == []
        project.retrain(wait=True)
        queue = assert_valid_queue(project, QUEUE)
        assert all(guess is None for _, _, guess in queue)  # no model yet: no guesses
        first = project.next_item("ada")
        assert first.id in {k for k, _, _ in queue} or first.is_eval  # served from the queue


# -- (5) features reused, and rebuilt when items are added -------------------------------------

def test_features_are_reused_and_rebuilt_for_new_items(tmp_path, address, reviews, small_partitions):
    where = tmp_path / "p.hilt"
    truth = create(where, reviews.iloc[:1200])
    with Project.open(where, scheduler=address) as project:
        project.retrain(wait=True)
        assert project._job.last_report.features_source == "built"
        label(project, truth, 5)
        project.retrain(wait=True)
        assert project._job.last_report.features_source == "memory"  # this process's
    # Another project object (a restarted server, hilt retrain): found published on the scheduler.
    with Project.open(where, scheduler=address) as project:
        assert project.warm() == "cluster"
        project.retrain(wait=True)
        assert project._job.last_report.features_source == "memory"
    with Project.open(where, scheduler=address) as project:
        project.retrain(wait=True)
        assert project._job.last_report.features_source == "cluster"
        result = project.import_items(reviews.iloc[1200:].drop(columns=["sentiment"]))
        assert result["added"] == 300
    # More items: the item set changed, so the features are built again, and the new items
    # are ranked as a local run ranks them. (A new project object: the same one's retrain after
    # an import is test_a_retrain_after_an_import_in_the_same_project.)
    dask = retrained(where, scheduler=address)
    assert dask["source"] == "built"
    local = retrained(where)
    assert_same_run(local, dask)
    new = set(reviews["id"].iloc[1200:])
    assert new & {r[0] for r in dask["ranking"]}  # some of the new items are among the most uncertain


@pytest.mark.parametrize("on_cluster", [False, True])
def test_a_retrain_after_an_import_in_the_same_project(tmp_path, address, reviews, small_partitions, on_cluster):
    # The classifier is warm-started from the previous run's coefficients; new items bring
    # new words, so the features have more columns than the previous fit saw.
    where = tmp_path / "p.hilt"
    create(where, reviews.iloc[:1200])
    with Project.open(where, scheduler=address if on_cluster else None) as project:
        project.retrain(wait=True)
        project.import_items(reviews.iloc[1200:].drop(columns=["sentiment"]))
        project.retrain(wait=True)
        assert project.status()["runs"][-1]["n_train"] > 0
        new = set(reviews["id"].iloc[1200:])
        assert new & {r[0] for r in project._store.ranking(100)}


def test_a_copied_project_does_not_take_the_originals_features(tmp_path, address, reviews, small_partitions):
    # A copy of a project file keeps its uid. After different imports of as many items into
    # each, the copies' item sets differ but their (uid, highest row id) are equal: the copy
    # must not be scored with the features the original published on the scheduler.
    original, copy = tmp_path / "original.hilt", tmp_path / "copy.hilt"
    create(original, reviews.iloc[:900])
    shutil.copy(original, copy)
    new = reviews.iloc[900:].drop(columns=["sentiment"])
    with Project.open(original) as project:
        project.import_items(new.iloc[:300])
    with Project.open(copy) as project:
        project.import_items(new.iloc[300:600])
    retrained(original, scheduler=address)
    local = retrained(copy)
    dask = retrained(copy, scheduler=address)
    assert_same_run(local, dask)
    assert dask["source"] == "built"


def test_configure_keeps_the_project_on_the_cluster(tmp_path, address, reviews, small_partitions):
    where = tmp_path / "p.hilt"
    create(where, reviews.iloc[:600])
    with Project.open(where, scheduler=address) as project:
        project.configure(strategy="entropy")
        assert project.status()["scheduler"] == address  # a setting changed, not where runs go
        project.retrain(wait=True)
        assert project._job.last_report.features_source in ("built", "cluster", "memory")
        assert type(project._job).__name__ == "ClusterRetrainJob"


# -- (6) a worker killed mid-retrain -----------------------------------------------------------

def synthetic_texts(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    good = ["good", "great", "superb", "charming", "moving", "sharp"]
    bad = ["bad", "dull", "boring", "awful", "lifeless", "flat"]
    neutral = [f"word{i}" for i in range(400)]
    rows = []
    for i in range(n):
        label = LABELS[i % 2]
        words = list(rng.choice(good if label == "fresh" else bad, rng.integers(0, 3)))
        words += list(rng.choice(good + bad, rng.integers(0, 2))) + list(rng.choice(neutral, 25))
        rng.shuffle(words)
        rows.append({"id": f"s{i:05d}", "text": " ".join(words), "sentiment": label})
    return pd.DataFrame(rows)


def retrain_killing_a_worker(project: Project, admin, local: dict, annotator: str) -> bool:
    """Retrain in a thread, SIGKILL one worker process once the cluster runs the retrain's
    tasks, and label (skip) from this thread meanwhile. The retrain must end, with the local
    ranking or with a clean error (the old ranking still served). Whether the kill came while
    tasks were running is returned."""
    outcome: dict = {}
    before = project._store.ranking(100)

    def run() -> None:
        try:
            project.retrain(wait=True)
        except Exception as error:  # a clean failure is allowed; a hang is not
            outcome["error"] = error

    pids = admin.run(os.getpid)
    assert len(pids) == 2
    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 30
    while not any(admin.processing().values()) and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.002)
    mid_run = thread.is_alive()
    os.kill(next(iter(pids.values())), signal.SIGKILL)  # the nanny starts a new worker
    # Labelling goes on meanwhile (skips: the training labels stay those of the local run).
    served = 0
    while thread.is_alive() and served < 10:
        item = project.next_item(annotator)
        assert project.answer(item.id, None, annotator)["saved"]
        served += 1
    thread.join(timeout=120)
    assert not thread.is_alive(), "the retrain hung after a worker was killed"
    if "error" in outcome:
        assert project._store.ranking(100) == before
    else:
        ranking = project._store.ranking(100)
        assert [r[0] for r in ranking] == [r[0] for r in local["ranking"]]
        assert [r[2] for r in ranking] == [r[2] for r in local["ranking"]]
    admin.wait_for_workers(2, timeout=180)
    return mid_run


def test_a_worker_killed_mid_retrain(tmp_path, own_dask_cluster, monkeypatch):
    from distributed import Client

    address = own_dask_cluster.scheduler_address
    monkeypatch.setenv("HILT_DASK_PARTITION_ITEMS", "100")  # 40 partitions: tasks run for a while
    where = tmp_path / "p.hilt"
    create(where, synthetic_texts(4000))
    local = retrained(where)
    admin = Client(address, timeout=30, set_as_default=False)
    try:
        admin.wait_for_workers(2, timeout=180)
        with Project.open(where, scheduler=address) as project:
            # While the features are built (counting, then each partition's rows) ...
            first = retrain_killing_a_worker(project, admin, local, "bob")
            # ... and while the partitions score, with a worker's partitions (kept in its
            # memory) lost: Dask computes them again from the store.
            second = retrain_killing_a_worker(project, admin, local, "cyd")
            assert first or second  # at least one kill hit a running retrain
            # Later retrains work, and rank as the local run.
            project.retrain(wait=True)
            assert [r[0] for r in project._store.ranking(100)] == [r[0] for r in local["ranking"]]
            assert project.next_item("ada") is not None
    finally:
        try:
            admin.wait_for_workers(2, timeout=180)  # healthy for the tests after this one
        finally:
            admin.close()


def test_retrains_go_on_after_every_worker_was_restarted(tmp_path, own_dask_cluster, monkeypatch):
    # A rolling restart of the workers loses every partition kept in their memory (and
    # anything scattered to them); the partitions are computed again from the store.
    from distributed import Client

    address = own_dask_cluster.scheduler_address
    monkeypatch.setenv("HILT_DASK_PARTITION_ITEMS", "500")
    where = tmp_path / "p.hilt"
    create(where, synthetic_texts(2000, seed=1))
    local = retrained(where)
    admin = Client(address, timeout=30, set_as_default=False)
    try:
        admin.wait_for_workers(2, timeout=180)
        with Project.open(where, scheduler=address) as project:
            project.retrain(wait=True)
            assert project._job.last_report.features_source == "built"
            for _ in range(2):  # one worker after the other, each replaced by its nanny
                victim, pid = next(iter(admin.run(os.getpid).items()))
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 180  # a new worker process imports dask: slow when busy
                while victim in (workers := admin.scheduler_info()["workers"]) or len(workers) < 2:
                    assert time.monotonic() < deadline, "the nanny did not restart the worker"
                    time.sleep(0.1)
            project.retrain(wait=True)
            assert [r[0] for r in project._store.ranking(100)] == [r[0] for r in local["ranking"]]
    finally:
        try:
            admin.wait_for_workers(2, timeout=180)
        finally:
            admin.close()


# -- (7) refused before anything is written -----------------------------------------------------

def test_create_with_an_unreachable_scheduler_writes_nothing(tmp_path, monkeypatch, reviews):
    monkeypatch.setenv(CONNECT_TIMEOUT_ENV, "2")
    address = f"tcp://127.0.0.1:{free_port()}"
    where = tmp_path / "p.hilt"
    t0 = time.monotonic()
    with pytest.raises(InputError, match=address):
        Project.create(where, reviews.iloc[:50], LABELS, text_column="text", id_column="id", scheduler=address)
    assert time.monotonic() - t0 < 15
    assert list(tmp_path.iterdir()) == []  # no project file, no cache folder


def test_features_that_need_the_whole_pool_are_refused_by_the_cluster(tmp_path, address, reviews):
    where = tmp_path / "p.hilt"
    items = reviews.iloc[:50].drop(columns=["sentiment"])
    with pytest.raises(InputError, match="without a scheduler"):
        Project.create(where, items, LABELS, text_column="text", id_column="id", features=CountVectorizer(),
                       scheduler=address)
    assert not where.exists()
    Project.create(where, items, LABELS, text_column="text", id_column="id", features=CountVectorizer()).close()
    with pytest.raises(InputError, match="without a scheduler"):
        Project.open(where, scheduler=address)
    with Project.open(where) as project:  # still fine without one
        assert project.status()["n_items"] == 50


# -- likely label errors fit on rows fetched from the workers ------------------------------------

def test_label_issues_on_the_cluster_are_the_local_ones(tmp_path, address, reviews, small_partitions):
    # The labels are half wrong on purpose (every other one flipped), so there is much to flag.
    where = tmp_path / "p.hilt"
    truth = create(where, reviews, n_labelled=0)
    with Project.open(where) as project:
        for i in range(80):
            item = project.next_item("ada")
            right = truth[item.id]
            project.answer(item.id, right if i % 2 else LABELS[1 - LABELS.index(right)], "ada")
        local = project.label_issues(20)
    with Project.open(where, scheduler=address) as project:
        dask = project.label_issues(20)
        assert project._features._cached is None  # the pool's features never came to this process
    assert len(local) >= 5
    assert dask == local


# -- the scheduler killed and started again on the same address ----------------------------------

class SchedulerHost:
    """A ``dask scheduler`` and one ``dask worker`` as processes of their own on a fixed address,
    so that the scheduler can be killed (SIGKILL, as a host going down) and started again there."""

    def __init__(self, port: int):
        self.address = f"tcp://127.0.0.1:{port}"
        self.port = port
        self.processes: list = []

    def start(self) -> None:
        import subprocess
        import sys
        from pathlib import Path

        dask = str(Path(sys.executable).with_name("dask"))
        self.processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                            "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        self.processes.append(subprocess.Popen(
            [dask, "worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for_workers(self.address, n=1, timeout=120)

    def kill(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait(30)
        self.processes = []


@pytest.fixture
def scheduler_host():
    host = SchedulerHost(free_port())
    try:
        yield host
    finally:
        host.kill()


def wait_until(condition, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"waited {timeout:g} s for {what}"
        time.sleep(0.1)
    return found


def test_a_serving_project_retrains_again_after_the_scheduler_restarts(tmp_path, scheduler_host, monkeypatch,
                                                                       caplog):
    import logging

    from hilt.project.status import read_status

    # The client gives up on a lost scheduler after HILT_DASK_TIMEOUT: then it is closed for good.
    monkeypatch.setenv(CONNECT_TIMEOUT_ENV, "3")
    where = tmp_path / "p.hilt"
    create(where, synthetic_texts(600, seed=2), n_labelled=20)
    local = retrained(where)
    scheduler_host.start()
    address = scheduler_host.address
    with Project.open(where, scheduler=address) as project, caplog.at_level(logging.INFO, logger="hilt"):
        project.retrain()  # in the background, as a server's labelling starts it
        wait_until(lambda: len(project.status()["runs"]) == 2 and not project.status()["retraining"], "a run")
        assert project.status()["retrain_error"] is None

        scheduler_host.kill()
        # The client noticed, tried to reconnect for its timeout and closed: the state in which every
        # later run used to fail with "'NoneType' object has no attribute 'publish_get'".
        wait_until(lambda: project._job.client.status == "closed", "the lost client to close", timeout=60)
        project.retrain()
        error = wait_until(lambda: project.status()["retrain_error"], "the failed run's error")
        assert f"Dask scheduler at {address}" in error and "connection refused" in error
        assert "\n" not in error and "NoneType" not in error and "AttributeError" not in error
        # The error lives in the store: another project object on the file (a hilt status, another
        # server) sees it, as does the light status read.
        with Project.open(where) as other:
            assert other.status()["retrain_error"] == error
        assert read_status(where)["retrain_error"] == error
        # Serving goes on meanwhile, from the last ranking (skips: the training labels stay those
        # of the local run, so the next ranking can be compared with it).
        for _ in range(3):
            item = project.next_item("bob")
            assert item is not None and project.answer(item.id, None, "bob")["saved"]
        failures = [r for r in caplog.records if "background retrain failed" in r.getMessage()]
        assert failures and all(r.exc_info is None for r in failures)  # one line each, no traceback

        scheduler_host.start()  # a new scheduler (and worker) on the same address
        project.retrain()
        wait_until(lambda: len(project.status()["runs"]) == 3 and not project.status()["retraining"],
                   "the run after the restart")
        assert project.status()["retrain_error"] is None  # cleared by the run that finished
        with Project.open(where) as other:
            assert other.status()["retrain_error"] is None
        assert project._job.last_report.features_source == "built"  # the new scheduler's workers built them
        ranking = project._store.ranking(100)
        assert [r[0] for r in ranking] == [r[0] for r in local["ranking"]]
        assert [r[2] for r in ranking] == [r[2] for r in local["ranking"]]
        reconnected = [r for r in caplog.records if "connected again" in r.getMessage()]
        assert len(reconnected) == 1 and reconnected[0].exc_info is None
        assert address in reconnected[0].getMessage() and "\n" not in reconnected[0].getMessage()
        again = project._job.client
    assert again.status == "closed"  # the client made on reconnecting is closed with the project


@pytest.mark.parametrize("strategy", ["margin", "entropy:max"])
def test_a_multilabel_project_ranks_on_the_cluster_as_locally(tmp_path, address, reviews, small_partitions, strategy):
    # Sets of labels: the sentiment, and "long" for the longer half of the texts.
    cut = reviews["text"].str.len().median()
    truth = {key: [sentiment] + (["long"] if len(text) > cut else [])
             for key, sentiment, text in zip(reviews["id"], reviews["sentiment"], reviews["text"])}
    first = tmp_path / "local.hilt"
    with Project.create(first, reviews.drop(columns=["sentiment"]), [*LABELS, "long"], id_column="id",
                        text_column="text", features="tfidf", strategy=strategy, task="multilabel",
                        retrain_every=100_000, queue_size=QUEUE, seed=0) as project:
        label(project, truth, N_LABELLED)
    second = tmp_path / "dask.hilt"
    shutil.copy(first, second)
    local = retrained(first)
    dask = retrained(second, scheduler=address)
    assert all(guess.startswith("[") for _, _, guess in local["ranking"])  # the stored sets
    assert_same_run(local, dask)

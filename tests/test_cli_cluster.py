"""The real `hilt` executable with a Dask scheduler (issue 14): ``--scheduler`` on ``hilt init``,
``hilt label``, ``hilt serve`` and ``hilt retrain``, and ``HILT_DASK_SCHEDULER``.

A scheduler that cannot be reached is a user error (exit code 2, the address in the message, no
traceback) within seconds, never a hang. On a real cluster (``dask_cluster``): ``hilt init``
builds the features there, ``hilt retrain`` finds them and ranks exactly as a local ``hilt
retrain`` of a copy; ``hilt serve`` and ``hilt label`` retrain there. The commands that never
retrain (annotator, export, status) do not contact the scheduler at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from conftest import free_port, running_server
from helpers import hilt as in_process
from helpers import user_error
from hilt.project import Project
from hilt.store import Store

HILT = str(Path(sys.executable).with_name("hilt"))

# One worker runs these tests (pytest-xdist --dist loadgroup): they share the session's cluster.
pytestmark = pytest.mark.xdist_group("dask")

POSITIVE = ["good", "great", "warm", "funny", "tender", "smart", "lovely", "bright", "moving", "sharp"]
NEGATIVE = ["dull", "awful", "loud", "wooden", "lifeless", "boring", "messy", "flat", "slow", "silly"]
NEUTRAL = ["film", "plot", "cast", "story", "ending", "music", "actor", "scene", "script", "camera",
           "director", "sound", "light", "city", "night", "train", "house", "river", "winter", "summer"]


def environment(**extra: str) -> dict[str, str]:
    """This process's environment without a scheduler or timeout from the shell, plus ``extra``."""
    clean = {k: v for k, v in os.environ.items() if k not in ("HILT_DASK_SCHEDULER", "HILT_DASK_TIMEOUT")}
    return {**clean, **extra}


def hilt(*args: str, env: dict[str, str] | None = None, timeout: float = 120,
         input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([HILT, *map(str, args)], capture_output=True, text=True, timeout=timeout, input=input,
                          env=environment(**(env or {})), stdin=None if input is not None else subprocess.DEVNULL)


@pytest.fixture(autouse=True)
def no_scheduler_from_outside(monkeypatch):
    """Each test says which scheduler it means: none comes from the shell that runs the tests
    (for the projects opened in this process; :func:`environment` does it for the commands)."""
    monkeypatch.delenv("HILT_DASK_SCHEDULER", raising=False)
    monkeypatch.delenv("HILT_DASK_TIMEOUT", raising=False)


def reviews_csv(path: Path, n: int = 600, labelled: int = 60, seed: int = 7) -> Path:
    """``n`` short reviews whose sentiment words decide their label; the first ``labelled`` carry it."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        pos, neg = int(rng.integers(0, 4)), int(rng.integers(0, 4))
        words = [*rng.choice(POSITIVE, pos), *rng.choice(NEGATIVE, neg), *rng.choice(NEUTRAL, 5)]
        rng.shuffle(words)
        label = ("pos" if pos > neg else "neg") if i < labelled and pos != neg else ""
        rows.append({"id": f"r{i:04d}", "text": " ".join(words), "sentiment": label})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def init_project(folder: Path, name: str = "reviews.hilt", *extra: str, **csv_options) -> Path:
    """``hilt init`` of a reviews file (``extra``: more options)."""
    path = folder / name
    result = hilt("init", path, "--data", reviews_csv(folder / f"{name}.csv", **csv_options), "--labels", "pos,neg",
                  "--id-column", "id", "--label-column", "sentiment", "--features", "tfidf", *extra)
    assert result.returncode == 0, result.stderr
    return path


def make_project(folder: Path, name: str = "reviews.hilt", *, n: int = 600, labelled: int = 60,
                 **options) -> Path:
    """The same project as :func:`init_project`, made in this process (quicker: tests of other
    commands need not pay a ``hilt init`` start-up)."""
    path = folder / name
    data = reviews_csv(folder / f"{name}.csv", n=n, labelled=labelled)
    Project.create(path, data, ["pos", "neg"], id_column="id", label_column="sentiment", features="tfidf",
                   **options).close()
    return path


def copy_project(path: Path, to: Path) -> Path:
    """A copy of a closed project file (the same project uid and evaluation sample)."""
    for extra in ("", "-wal", "-shm"):
        if Path(str(path) + extra).exists():
            shutil.copyfile(str(path) + extra, str(to) + extra)
    return to


def ranking(path: Path) -> list[tuple[str, float, str | None]]:
    store = Store.open(path)
    try:
        return store.ranking(100)
    finally:
        store.close()


@pytest.fixture(scope="module")
def small_project(tmp_path_factory) -> Path:
    """60 items, some labelled: shared by the tests below (none relies on its history)."""
    return make_project(tmp_path_factory.mktemp("small"), n=60, labelled=20)


# -- a scheduler nobody answers: exit code 2 within seconds ---------------------------------------

DEAD_TIMEOUT = "2"


def _dead_cases(project: Path, folder: Path, dead: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    port = str(free_port())
    return {
        "retrain --scheduler": (["retrain", project, "--scheduler", dead], {}),
        "retrain HILT_DASK_SCHEDULER": (["retrain", project], {"HILT_DASK_SCHEDULER": dead}),
        "serve --scheduler": (["serve", project, "--port", port, "--scheduler", dead], {}),
        "label --scheduler": (["label", project, "--annotator", "ana", "--scheduler", dead], {}),
        "label-issues HILT_DASK_SCHEDULER": (["label-issues", project], {"HILT_DASK_SCHEDULER": dead}),
        "init --scheduler": (["init", folder / "new.hilt", "--data", f"{project}.csv", "--labels",
                              "pos,neg", "--scheduler", dead], {}),
    }


#: The cases run as the real executable (a server, and init, which must leave no file behind);
#: the others run in this process (the same command code, without seconds of imports each).
REAL_PROCESS_CASES = ("serve --scheduler", "init --scheduler")


@pytest.fixture(scope="module")
def dead_runs(tmp_path_factory, small_project):
    """Every case run (each waits its HILT_DASK_TIMEOUT of 2 s), the real processes two at a
    time while the others run in this process: ``(address, folder, {case: (result, seconds)})``."""
    folder = tmp_path_factory.mktemp("dead")
    dead = f"tcp://127.0.0.1:{free_port()}"
    cases = _dead_cases(small_project, folder, dead)

    def run(case: tuple[list[str], dict[str, str]]) -> tuple[subprocess.CompletedProcess, float]:
        args, env = case
        started = time.monotonic()
        result = subprocess.run([HILT, *map(str, args)], capture_output=True, text=True, timeout=60, input="q\n",
                                env=environment(HILT_DASK_TIMEOUT=DEAD_TIMEOUT, **env))
        return result, time.monotonic() - started

    def here(case: tuple[list[str], dict[str, str]]) -> tuple[subprocess.CompletedProcess, float]:
        args, env = case
        started = time.monotonic()
        result = in_process(*args, input="q\n", env={"HILT_DASK_TIMEOUT": DEAD_TIMEOUT, **env})
        return result, time.monotonic() - started

    real = [name for name in cases if name in REAL_PROCESS_CASES]
    with ThreadPoolExecutor(2) as pool:
        running = {name: pool.submit(run, cases[name]) for name in real}
        results = {name: here(case) for name, case in cases.items() if name not in REAL_PROCESS_CASES}
        results.update({name: future.result() for name, future in running.items()})
    return dead, folder, results


@pytest.mark.parametrize("case", ["retrain --scheduler", "retrain HILT_DASK_SCHEDULER", "serve --scheduler",
                                  "label --scheduler", "label-issues HILT_DASK_SCHEDULER", "init --scheduler"])
def test_an_unreachable_scheduler_is_exit_2_within_seconds_never_a_hang(dead_runs, case):
    dead, folder, results = dead_runs
    result, seconds = results[case]
    message = user_error(result)
    assert dead in message and "Dask scheduler" in message
    # It waited HILT_DASK_TIMEOUT (2 s), not the default 10 s, nor forever. The wall time also
    # holds the imports (scikit-learn, dask: seconds on a busy machine), so its bound is looser.
    assert f"within {DEAD_TIMEOUT} s" in message
    assert seconds < 30, f"{case} took {seconds:.1f} s"
    if case.startswith("init"):  # it failed before the data was read: no project was left behind
        assert not (folder / "new.hilt").exists()


def test_an_empty_scheduler_is_an_input_error(small_project):
    message = user_error(hilt("retrain", small_project, "--scheduler", " "))
    assert "scheduler address" in message


def test_a_malformed_scheduler_address_is_exit_2_and_said_to_be_malformed(small_project, tmp_path):
    # Connecting would wait the whole HILT_DASK_TIMEOUT: the error came before any attempt.
    env = {"HILT_DASK_TIMEOUT": "60"}
    for args in (["retrain", small_project, "--scheduler", "127.0.0.1:48786x"],
                 ["serve", small_project, "--port", str(free_port()), "--scheduler", "127.0.0.1:48786x"],
                 ["retrain", small_project]):
        started = time.monotonic()
        result = in_process(*args, env={**env, "HILT_DASK_SCHEDULER": "127.0.0.1:48786x"})
        message = user_error(result)
        assert "got '127.0.0.1:48786x'" in message and "a malformed address" in message
        assert "its port '48786x' is not a whole number" in message and "host:port, tcp://host:port" in message
        assert "not a Dask scheduler" not in message
        assert time.monotonic() - started < 30
    assert "(from $HILT_DASK_SCHEDULER)" in message  # the last one came from the environment
    # The real executable too: exit code 2, no traceback.
    message = user_error(hilt("retrain", small_project, "--scheduler", "tcp://127.0.0.1", env=env))
    assert "it has no port" in message


def test_status_shows_the_last_retrains_error_from_the_store(tmp_path):
    project = make_project(tmp_path, n=30, labelled=10)
    store = Store.open(project)
    try:
        store.record_run_error("Expected a Dask scheduler at tcp://127.0.0.1:9; connecting failed within 3 s.")
    finally:
        store.close()
    shown = in_process("status", project, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["retrain_error"].startswith("Expected a Dask scheduler at tcp://127.0.0.1:9")
    table = " ".join(in_process("status", project).stdout.split())
    assert "The last retrain failed: Expected a Dask scheduler at tcp://127.0.0.1:9;" in table
    assert in_process("retrain", project).returncode == 0  # a run that finishes clears it
    assert json.loads(in_process("status", project, "--json").stdout)["retrain_error"] is None
    assert "The last retrain failed" not in in_process("status", project).stdout


def test_commands_that_never_retrain_do_not_contact_the_scheduler(small_project, tmp_path):
    """A shell with HILT_DASK_SCHEDULER set to a cluster that is down can still add annotators,
    export and show the status (which names the scheduler, read from the environment)."""
    project = small_project
    dead = f"tcp://127.0.0.1:{free_port()}"
    # Connecting would wait the whole HILT_DASK_TIMEOUT: a command that takes less did not.
    env = {"HILT_DASK_SCHEDULER": dead, "HILT_DASK_TIMEOUT": "60"}

    def run(*args: str) -> subprocess.CompletedProcess:
        started = time.monotonic()
        result = hilt(*args, env=env)
        assert result.returncode == 0, result.stderr
        assert time.monotonic() - started < 50, f"hilt {args[0]} waited for the scheduler"
        return result

    run("annotator", "add", project, "ana")
    run("export", project, "-o", tmp_path / "labels.csv")
    assert json.loads(run("status", project, "--json").stdout)["scheduler"] == dead
    table = run("status", project).stdout
    assert "scheduler" in table and dead in table
    assert json.loads(hilt("status", project, "--json").stdout)["scheduler"] is None


def test_retrain_without_a_scheduler_reports_its_run(small_project):
    from hilt.project.status import read_status

    runs = len(read_status(small_project)["runs"])
    result = hilt("retrain", small_project, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["retrained"] and report["scheduler"] is None and report["n_runs"] == runs + 1
    assert report["run"]["n_train"] > 0 and report["features"] in ("built", "disk")
    assert "in this process" in result.stderr and "Retrained" in result.stderr
    assert ranking(small_project)


def test_retrain_with_fewer_than_two_labels_says_why(tmp_path):
    project = make_project(tmp_path, n=30, labelled=0)
    result = hilt("retrain", project)
    assert result.returncode == 0, result.stderr
    assert "No model run" in result.stderr and "two different labels" in result.stderr


# -- on a real cluster --------------------------------------------------------------------------

def test_retrain_on_the_cluster_ranks_as_a_local_retrain(dask_cluster, small_partitions, tmp_path):
    address = dask_cluster.scheduler_address
    # 600 items: two partitions of 300. hilt init builds the features on the cluster and leaves them there.
    project = init_project(tmp_path, "reviews.hilt", "--scheduler", address)
    local = copy_project(project, tmp_path / "local.hilt")

    here = hilt("retrain", local, "--json")
    assert here.returncode == 0, here.stderr
    there = hilt("retrain", project, "--scheduler", address, "--json")
    assert there.returncode == 0, there.stderr
    report = json.loads(there.stdout)
    assert report["retrained"] and report["scheduler"] == address
    assert report["features"] == "cluster"  # another process (hilt init) built them there
    said = " ".join(there.stderr.split())
    assert f"on the Dask cluster at {address}" in said and f"found on the Dask cluster at {address}" in said
    assert json.loads(here.stdout)["run"]["n_train"] == report["run"]["n_train"] > 0

    expected, found = ranking(local), ranking(project)
    assert len(found) == len(expected) == 100
    assert [key for key, _, _ in found] == [key for key, _, _ in expected]
    assert [guess for _, _, guess in found] == [guess for _, _, guess in expected]
    np.testing.assert_allclose([score for _, score, _ in found], [score for _, score, _ in expected],
                               rtol=1e-9, atol=1e-12)


def test_serve_on_the_cluster_serves_and_retrains_there(dask_cluster, small_partitions, tmp_path):
    address = dask_cluster.scheduler_address
    project = make_project(tmp_path, "served.hilt", retrain_every=3, eval_share=0)
    with Project.open(project) as opened:
        token = opened.add_annotator("ana")
    headers = {"Authorization": f"Bearer {token}"}
    with running_server(project, "--scheduler", address) as base:
        status = httpx.get(base + "/api/status", headers=headers, timeout=10).json()
        assert status["scheduler"] == address
        runs = len(status["runs"])
        for _ in range(3):  # retrain_every answers start a retrain in the background
            item = httpx.get(base + "/api/next", headers=headers, timeout=10).json()["item"]
            answered = httpx.post(base + "/api/answers", headers=headers, timeout=10,
                                  json={"item_id": item["id"], "label": "pos"})
            assert answered.status_code < 300, answered.text
        deadline = time.monotonic() + 45
        while len(status["runs"]) <= runs or status["retraining"]:
            assert time.monotonic() < deadline, status
            time.sleep(0.2)
            status = httpx.get(base + "/api/status", headers=headers, timeout=10).json()
        assert status["retrain_error"] is None
        assert httpx.get(base + "/api/next", headers=headers, timeout=10).json()["item"]["id"]
    log = next(tmp_path.glob("served.serve-*.log")).read_text()
    assert f"built on the Dask cluster at {address}" in log
    assert f"Retrains build features and score on the Dask cluster at {address}" in log
    # The features the server built are published on the scheduler, under the project's uid.
    store = Store.open(project)
    try:
        uid = store.item_set_version()[0]
    finally:
        store.close()
    from distributed import Client

    with Client(address, timeout=10) as client:
        assert any(name.startswith(f"hilt-features-{uid}") for name in client.list_datasets())

    # hilt label on the same cluster finds them there, and its answers retrain there too.
    runs = len(status["runs"])
    labelled = hilt("label", project, "--annotator", "bo", "--scheduler", address, input="1\n2\n1\nq\n")
    assert labelled.returncode == 0, labelled.stderr
    said = " ".join((labelled.stdout + labelled.stderr).split())
    assert f"found on the Dask cluster at {address}" in said
    assert f"the model retrains on the Dask cluster at {address}" in said
    final = Project.open(project)
    try:
        assert len(final.status()["runs"]) > runs
    finally:
        final.close()

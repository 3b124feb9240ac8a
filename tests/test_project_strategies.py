"""A project serves people through the strategy layer: the same picks as the learner and
``hilt simulate`` for the same model and pool (the one-path test), spread-out batches, a cold
queue for the diversity strategies, and bad names refused by every face."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from hilt import Project
from hilt.errors import InputError
from hilt.learner import ActiveLearner
from hilt.models import default_classifier

HILT = str(Path(sys.executable).with_name("hilt"))
LABELS = [str(d) for d in range(10)]


def digits_frame(n: int = 400, n_labelled: int = 40) -> pd.DataFrame:
    X, y = load_digits(return_X_y=True)
    frame = pd.DataFrame(X[:n], columns=[f"p{i}" for i in range(64)])
    frame.insert(0, "id", [f"d{i}" for i in range(n)])
    frame["label"] = [str(v) if i < n_labelled else "" for i, v in enumerate(y[:n])]
    return frame


def make_project(tmp_path: Path, strategy: str, **kw) -> Project:
    return Project.create(tmp_path / "digits.hilt", digits_frame(), LABELS, id_column="id", label_column="label",
                          strategy=strategy, eval_share=0, seed=3, retrain_every=10, **kw)


@pytest.mark.parametrize("strategy", ["margin", "entropy+diverse", "margin+diverse:8/random:1/outlier:1",
                                      "committee", "cluster", "representative"])
def test_project_queue_starts_with_the_batch_the_learner_picks(tmp_path, strategy):
    """The one-path test: same features, model, labels and generator give the same batch."""
    with make_project(tmp_path, strategy) as project:
        project.retrain(wait=True)
        run_id = project._job.last_report.run_id
        X, rowids, _ = project._job.features.get(project._store)
        train = project._store.current_labels(is_eval=False)
        position = {int(r): i for i, r in enumerate(rowids)}
        served = [item.id for item in project.peek_items("bob", 10)]

        learner = ActiveLearner(X, labels=LABELS, strategy=strategy, model=default_classifier(),
                                random_state=[3, run_id])
        learner.teach([position[r] for r in train], list(train.values()))
        keys = {int(r): key for r, key in zip(*_keys(project))}
        picked = [keys[int(rowids[p])] for p in learner.query(10)]
    assert served == picked


def _keys(project: Project) -> tuple[list[int], list[str]]:
    from sqlalchemy import text

    with project._store._engine.connect() as conn:
        rows = conn.execute(text("SELECT id, key FROM items ORDER BY id")).all()
    return [r[0] for r in rows], [r[1] for r in rows]


def test_simulate_runs_its_strategies_through_the_same_select(monkeypatch):
    """Every face reaches hilt.strategies.select: simulate's learner is counted calling it."""
    from hilt import simulate, strategies

    calls = []
    real = strategies.select

    def counting(strategy, context, k):
        calls.append(getattr(strategy, "name", strategy))
        return real(strategy, context, k)

    monkeypatch.setattr(strategies, "select", counting)
    simulate.run("iris", strategies="margin+diverse", init=6, batch=6, budget=18, seeds=1)
    assert calls == ["margin+diverse", "margin+diverse"]


def test_a_diverse_project_serves_its_batch_spread_over_the_pool(tmp_path):
    frame = digits_frame(n=400, n_labelled=40)
    with make_project(tmp_path, "margin+diverse") as diverse:
        diverse.retrain(wait=True)
        spread = [item.data for item in diverse.peek_items("bob", 10)]
    with Project.create(tmp_path / "plain.hilt", frame, LABELS, id_column="id", label_column="label",
                        strategy="margin", eval_share=0, seed=3) as plain:
        plain.retrain(wait=True)
        piled = [item.data for item in plain.peek_items("bob", 10)]

    def mean_distance(rows):
        points = np.array([[row[f"p{i}"] for i in range(64)] for row in rows])
        d = np.linalg.norm(points[:, None] - points[None, :], axis=-1)
        return d[np.triu_indices(len(rows), 1)].mean()

    assert mean_distance(spread) > mean_distance(piled)


def test_a_cluster_project_has_a_queue_before_any_label(tmp_path):
    frame = digits_frame(n=400, n_labelled=0)
    with Project.create(tmp_path / "cold.hilt", frame, LABELS, id_column="id", label_column="label",
                        strategy="cluster", eval_share=0, seed=1) as project:
        first = project.next_item("ada")  # asks for the cold queue, in the background
        deadline = time.monotonic() + 60
        while not project.status()["runs"] and time.monotonic() < deadline:
            time.sleep(0.05)
        runs = project.status()["runs"]
        assert len(runs) == 1 and runs[0]["n_train"] == 0 and runs[0]["eval_accuracy"] is None
        project.answer(first.id, "1", "ada")
        served = [project.next_item(name) for name in ("b", "c", "d", "e")]
        X, rowids, _ = project._job.features.get(project._store)
    # the cold queue: cluster representatives (no guesses), one item of each of four clusters first
    assert all(item is not None and item.guess is None for item in served)
    assert len({item.id for item in served}) == 4


def test_a_random_project_keeps_serving_the_random_order(tmp_path):
    with make_project(tmp_path, "random") as project:
        project.retrain(wait=True)
        assert project.status()["runs"][-1]["strategy"] == "random"
        assert [i.guess for i in project.peek_items("bob", 3)] == [None, None, None]


@pytest.mark.parametrize("strategy, message", [
    ("magin", "strategy to be one of random, least, margin"),
    ("margin:8/random:0", "weight > 0"),
    ("margin:8/random:", "nothing after ':'"),
    ("margin:8/rnd:1", "part 2 of the mix"),
])
def test_bad_strategies_are_refused_and_nothing_is_created(tmp_path, strategy, message):
    with pytest.raises(InputError, match=message):
        make_project(tmp_path, strategy)
    assert not (tmp_path / "digits.hilt").exists()
    digits_frame(n=20, n_labelled=0).drop(columns="label").to_csv(tmp_path / "d.csv", index=False)
    result = subprocess.run([HILT, "init", str(tmp_path / "p.hilt"), "--data", str(tmp_path / "d.csv"),
                             "--labels", ",".join(LABELS), "--id-column", "id", "--strategy", strategy],
                            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result.stderr
    assert message in " ".join(result.stderr.split()) and "Traceback" not in result.stderr
    assert not (tmp_path / "p.hilt").exists()


def test_a_mix_is_stored_canonically_and_reopens(tmp_path):
    with make_project(tmp_path, " margin+diverse : 8 / random:1 /outlier:1") as project:
        assert project.strategy == "margin+diverse:8/random:1/outlier:1"
        project.retrain(wait=True)
        assert len(project.peek_items("bob", 10)) == 10
    with Project.open(tmp_path / "digits.hilt") as again:
        assert again.status()["strategy"] == "margin+diverse:8/random:1/outlier:1"


def test_the_dense_view_is_cached_beside_the_features_and_read_back(tmp_path):
    from hilt.strategies.geometry import dense_view

    with make_project(tmp_path, "margin+diverse") as project:
        project.retrain(wait=True)
        view = project._job.features.dense_view()
        folder = project.folder
    assert (folder / "view.npy").exists() and (folder / "view.json").exists()
    with Project.open(tmp_path / "digits.hilt") as again:
        assert again.warm() == "disk"
        X, _, _ = again._job.features.get(again._store)
        np.testing.assert_array_equal(dense_view(X), view)  # read back, not computed again
        assert dense_view(X) is again._job.features.dense_view()


def test_the_retrain_process_ranks_a_diverse_strategy_as_the_calling_thread_does(tmp_path, monkeypatch):
    """Pools of 100,000+ retrain in a child process: it gets the strategy, the batch and the seed,
    and its queue equals the one the same run makes in process (HILT_RETRAIN_PROCESS=always)."""
    strategy = "margin+diverse:8/random:1/outlier:1"
    for folder in ("here", "child"):
        (tmp_path / folder).mkdir()
    with make_project(tmp_path / "here", strategy) as here:
        here.retrain(wait=True)
        expected = [item.id for item in here.peek_items("bob", 30)]
    monkeypatch.setenv("HILT_RETRAIN_PROCESS", "always")
    with make_project(tmp_path / "child", strategy) as project:
        project.retrain()  # in the background: the child process
        deadline = time.monotonic() + 120
        while not project.status()["runs"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert project.status()["runs"], project.status()["retrain_error"]
        served = [item.id for item in project.peek_items("bob", 30)]
    assert served == expected
